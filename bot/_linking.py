"""Linking a chat to a customer through a single-use token in a deep link.

The token is random, stored only as a SHA-256 hash, expires, and works once;
no customer or invoice id ever appears in the link (DESIGN.md, COMPLIANCE rule 7).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta

from bot._contact import TELEGRAM, start_contact
from bot._errors import ConfigurationError, NotFound
from bot._model import Case, CaseStatus, CaseType
from bot._settings import Settings
from bot._throttle import LinkThrottle
from bot.ports import AuditRecord, ChannelLink, Clock, Store, Tx

__all__ = [
    "LINK",
    "PAY",
    "UPDATE_PAYMENT",
    "Linking",
    "action_links",
    "hash_token",
    "new_token",
    "store_new_token",
]

logger = logging.getLogger(__name__)

LINK = "link"
# The purposes of the single-use links on a message's buttons, to billing's pages.
UPDATE_PAYMENT = "update_payment"
PAY = "pay"
# Telegram deep-link payloads: at most 64 characters of A-Za-z0-9_- (Bot API, deep linking).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    """A random token of 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def action_links(
    tx: Tx, case: Case, settings: Settings, *, now: datetime
) -> tuple[str | None, str | None]:
    """(update URL, pay URL) that fit a case, each with a fresh token kept in `tx`:
    updating the payment method for type A, paying when something is owed."""
    owed = case.amount_due is not None and case.amount_due.minor > 0
    update = settings.update_payment_url if case.type is CaseType.A else ""
    pay = settings.pay_now_url if owed else ""
    return (
        await _action_link(tx, update, UPDATE_PAYMENT, case.customer_id, settings, now),
        await _action_link(tx, pay, PAY, case.customer_id, settings, now),
    )


async def _action_link(
    tx: Tx, template: str, purpose: str, customer_id: str, settings: Settings, now: datetime
) -> str | None:
    if not template:
        return None
    expires = now + timedelta(days=settings.link_ttl_days)
    token = await store_new_token(tx, customer_id, purpose=purpose, expires_at=expires)
    return template.replace("{token}", token)


async def store_new_token(tx: Tx, customer_id: str, *, purpose: str, expires_at: datetime) -> str:
    """A new single-use token for a known customer, its hash kept in `tx`; raise `NotFound`
    for a customer not held."""
    token = new_token()
    stored = await tx.store_token(
        token_hash=hash_token(token),
        customer_id=customer_id,
        purpose=purpose,
        expires_at=expires_at,
    )
    if not stored:
        raise NotFound("customer", customer_id)
    return token


class Linking:
    """Issues link tokens and redeems them when a chat sends `/start <token>`."""

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._throttle = LinkThrottle(
            free=settings.link_free_attempts,
            most=settings.link_max_failures,
            block=timedelta(minutes=settings.link_block_minutes),
        )

    async def issue_token(self, customer_id: str, *, purpose: str = LINK) -> str:
        """A new single-use token for a known customer; raise `NotFound` otherwise."""
        expires = self._clock.now() + timedelta(days=self._settings.link_ttl_days)
        async with self._store.transaction() as tx:
            return await store_new_token(tx, customer_id, purpose=purpose, expires_at=expires)

    async def deep_link(self, customer_id: str, *, bot_username: str | None = None) -> str:
        """`https://t.me/<bot>?start=<token>` for a customer; callable by billing integrations."""
        username = bot_username or self._settings.telegram_bot_username
        if not username:
            msg = "SETTLE_TELEGRAM_BOT_USERNAME is not set; it names the bot in deep links"
            raise ConfigurationError(msg)
        token = await self.issue_token(customer_id)
        logger.info("link issued customer=%s", customer_id)
        return f"https://t.me/{username.lstrip('@')}?start={token}"

    async def redeem(self, chat_id: str, token: str) -> str | None:
        """Link the chat to the token's customer; the customer id, or None for a bad token
        or a chat that failed too often lately (it is not even looked up then)."""
        now = self._clock.now()
        if not self._throttle.allows(chat_id, now):
            failures = self._throttle.failed(chat_id, now)
            logger.warning("link refused chat=%s throttled failures=%d", chat_id, failures)
            return None
        # The token is looked up by its SHA-256 only: no comparison of the token itself runs,
        # so the time taken tells nothing about how close a guess came.
        customer_id = None
        if _TOKEN.match(token):
            async with self._store.transaction() as tx:
                customer_id = await tx.use_token(hash_token(token), purpose=LINK, now=now)
                if customer_id is not None:
                    await self._link(tx, chat_id, customer_id, now)
        if customer_id is None:
            failures = self._throttle.failed(chat_id, now)
            logger.info("link token refused chat=%s failures=%d", chat_id, failures)
            return None
        self._throttle.succeeded(chat_id)
        logger.info("chat linked customer=%s chat=%s", customer_id, chat_id)
        return customer_id

    async def _link(self, tx: Tx, chat_id: str, customer_id: str, now: datetime) -> None:
        await tx.link_channel(ChannelLink(customer_id, TELEGRAM, chat_id, now))
        await tx.audit(
            AuditRecord(
                now,
                "customer",
                "linked",
                "chat linked by token",
                None,
                customer_id,
                {"channel": TELEGRAM},
            )
        )
        for case in await tx.open_cases_of(customer_id):
            if case.status in (CaseStatus.NO_CHANNEL, CaseStatus.CONTACTING):
                outreach = self._settings.outreach
                await start_contact(tx, case, now=now, actor="customer", outreach=outreach)
