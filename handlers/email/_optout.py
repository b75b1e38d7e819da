"""The opt-out link of every email: `/optout/<token>`, a page that asks, a POST that stops.

Opening the link (GET) only asks, because mail scanners open every link in a message;
a POST stops messages, whether from the page's button or from a mail provider's one-click
unsubscribe (RFC 8058, which POSTs `List-Unsubscribe=One-Click` to the same URL). The token
is random, single-use, stored only as its hash, and never names the customer.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot import Settings
from bot._conversation import opt_out
from bot._linking import hash_token, store_new_token
from bot.ports import AuditRecord, Clock, Store
from messages import normalize_locale, optout_ask_page, optout_done_page, optout_gone_page

__all__ = ["OPTOUT", "OptOutLinks", "optout_routes", "optout_url"]

logger = logging.getLogger(__name__)

OPTOUT = "optout"
_EMAIL = {"channel": "email"}
# What `new_token` makes; anything else is refused before storage is asked.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The pages hold no script and load nothing; the token in the URL must not leak onwards.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def optout_url(settings: Settings, token: str, language: str) -> str:
    """The link in an email; `lang` lets the page speak the email's language."""
    base = settings.public_url.rstrip("/")
    return f"{base}/optout/{quote(token)}?lang={quote(language)}"


class OptOutLinks:
    """Issues opt-out tokens, which outlive link tokens: mail is read long after it is sent."""

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def url(self, customer_id: str, *, language: str) -> str:
        """A fresh opt-out link for a known customer; raise `NotFound` otherwise."""
        expires = self._clock.now() + timedelta(days=self._settings.email_optout_ttl_days)
        async with self._store.transaction() as tx:
            token = await store_new_token(tx, customer_id, purpose=OPTOUT, expires_at=expires)
        return optout_url(self._settings, token, language)


def optout_routes(store: Store, clock: Clock, settings: Settings) -> list[Route]:
    """The routes to mount in the app: GET asks, POST stops."""

    async def endpoint(request: Request) -> Response:
        token = str(request.path_params["token"])
        language = normalize_locale(request.query_params.get("lang") or settings.default_locale)
        if not _TOKEN.match(token):
            return _page(optout_gone_page(locale=language), 404)
        if request.method != "POST":
            # GET and HEAD (which Starlette answers for GET routes) only ask: mail scanners
            # and link previews open links, and must not stop anyone's messages.
            action = optout_url(settings, token, language)
            return _page(optout_ask_page(locale=language, action_url=action))
        if await _stop(store, clock, token):
            return _page(optout_done_page(locale=language))
        return _page(optout_gone_page(locale=language), 404)

    return [Route("/optout/{token}", endpoint, methods=["GET", "POST"])]


async def _stop(store: Store, clock: Clock, token: str) -> bool:
    """Spend the token and opt its customer out, in one transaction; False for a dead token."""
    now = clock.now()
    async with store.transaction() as tx:
        customer_id = await tx.use_token(hash_token(token), purpose=OPTOUT, now=now)
        if customer_id is None:
            logger.info("opt-out link refused: unknown, used or expired")
            return False
        why = "customer used the stop link of an email"
        record = AuditRecord(now, "customer", "opted out", why, None, customer_id, dict(_EMAIL))
        await tx.audit(record)
        # Already out (through the chat, say): stopping again would tell billing twice.
        if not await tx.is_opted_out(customer_id):
            await opt_out(tx, customer_id, now=now)
    logger.info("opted out by email link customer=%s", customer_id)
    return True


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_HEADERS)
