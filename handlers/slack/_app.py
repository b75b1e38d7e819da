"""The Bolt app and the Starlette endpoint of POST /slack/events."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import Authority, ConfigurationError, Decisions, Letters, Linking, Settings, TakeOver
from bot._handoff import Handoff
from bot._metrics import Metrics
from bot.ports import Clock, Store
from handlers.slack._client import slack_client
from handlers.slack._desk import EscalationDesk
from handlers.slack._groups import UserGroups
from handlers.slack._legal import LegalDesk
from handlers.slack._shape import shape_problem
from handlers.slack._supervisors import SupervisorDesk
from handlers.slack._thread import StaffThread
from messages import render_case_file, render_letter

__all__ = ["SocketModeLink", "build_slack_app", "slack_endpoint", "socket_mode_handler"]

logger = logging.getLogger(__name__)


def build_slack_app(
    settings: Settings, store: Store, clock: Clock, *, socket_mode: bool = False
) -> AsyncApp:
    """Bolt with the desk's listeners; over HTTP it verifies every request's signature and
    age, while in Socket Mode Slack's own connection stands for that.

    Raises:
        ConfigurationError: if SLACK_BOT_TOKEN is not set, or SLACK_SIGNING_SECRET over HTTP.
    """
    secret = settings.slack_signing_secret
    if secret is None and not socket_mode:
        msg = "SLACK_SIGNING_SECRET is not set; copy it from the Slack app's Basic Information"
        raise ConfigurationError(msg)
    app = AsyncApp(
        client=slack_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=not socket_mode,
        # Listeners ack first, then finish before the HTTP answer: no 10 ms ack polling, and
        # nothing left running when a request ends (PITFALLS.md).
        process_before_response=True,
        logger=logging.getLogger("handlers.slack.bolt"),
    )
    authority = Authority.load(settings.authority_file)
    groups = UserGroups(authority)
    decisions = Decisions(store, clock, authority)
    EscalationDesk(store, clock, decisions, groups=groups).install(app)
    StaffThread(TakeOver(store, clock)).install(app)
    zone = settings.staff_timezone
    SupervisorDesk(store, clock, authority, groups, staff_zone=zone).install(app)
    linking = Linking(store, clock, settings)
    letters = Letters(store, clock, settings, authority, render=render_letter, linking=linking)
    handoff = Handoff(store, clock, settings, authority, render=render_case_file)
    LegalDesk(store, letters, handoff, groups).install(app)
    return app


class SocketModeLink:
    """Bolt's Socket Mode connection, typed (slack-bolt leaves these methods untyped)."""

    def __init__(self, handler: AsyncSocketModeHandler) -> None:
        self._handler = handler

    async def connect(self) -> None:
        await self._handler.connect_async()  # type: ignore[no-untyped-call]  # untyped upstream

    async def close(self) -> None:
        await self._handler.close_async()  # type: ignore[no-untyped-call]  # untyped upstream


def socket_mode_handler(app: AsyncApp, settings: Settings) -> SocketModeLink:
    """Bolt's Socket Mode connection for development: no public URL needed.

    Raises:
        ConfigurationError: if SLACK_APP_TOKEN is not set.
    """
    if settings.slack_app_token is None:
        msg = (
            "SLACK_APP_TOKEN is not set; Socket Mode needs the app-level token (xapp-...) "
            "with the connections:write scope, from the Slack app's Basic Information"
        )
        raise ConfigurationError(msg)
    token = settings.slack_app_token.get_secret_value()
    return SocketModeLink(AsyncSocketModeHandler(app, token, logger=logging.getLogger(__name__)))


def slack_endpoint(
    app: AsyncApp, settings: Settings | None = None, metrics: Metrics | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """The handler of POST /slack/events: a bad signature or a stale timestamp gets 401, a
    body over `SETTLE_MAX_BODY_BYTES` 413 before it is read further, and anything Bolt
    cannot take a 4xx, never a 5xx."""
    handler = AsyncSlackRequestHandler(app)
    limit = settings.max_body_bytes if settings else 1_048_576
    signing = settings.slack_signing_secret if settings else None
    secret = signing.get_secret_value() if signing else None

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        response = await _handled(handler, request, limit, secret)
        result = _RESULTS.get(response.status_code, str(response.status_code))
        if metrics is not None:
            metrics.slack_requests.labels(result).inc()
        logger.info(
            "slack request status=%d result=%s retry=%s duration_ms=%.1f",
            response.status_code,
            result,
            request.headers.get("x-slack-retry-num", "0")[:3],
            (time.perf_counter() - started) * 1000,
        )
        return response

    return endpoint


_RESULTS = {200: "handled", 400: "malformed", 401: "refused", 404: "unhandled", 413: "too_large"}


def _signed(body: bytes, request: Request, secret: str | None) -> bool:
    """Slack's v0 signature over the exact bytes, and a timestamp within five minutes
    (https://api.slack.com/authentication/verifying-requests-from-slack), as Bolt checks."""
    if secret is None:
        return True  # Socket Mode: the connection stands for the signature
    stamp = request.headers.get("x-slack-request-timestamp", "")
    given = request.headers.get("x-slack-signature", "")
    if not stamp.isdigit() or len(stamp) > 12 or abs(time.time() - int(stamp)) > _TOLERANCE:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(f"v0={mac.hexdigest()}".encode(), given.encode())


_TOLERANCE = 300


async def _handled(
    handler: AsyncSlackRequestHandler, request: Request, limit: int, secret: str | None
) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _error(413, "body", f"larger than {limit} bytes")
    body, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _error(413, "body", f"larger than {limit} bytes")
        body.append(chunk)
    raw = b"".join(body)
    if not _signed(raw, request, secret):
        return _error(401, "X-Slack-Signature", "invalid, or the timestamp is not recent")
    if problem := shape_problem(raw, request.headers.get("content-type")):
        return _error(400, *problem)
    # Bolt reads the body again from the request: hand it what was read here.
    request._body = raw
    try:
        response = await handler.handle(request)
    except Exception:
        # Bolt's parsing gives up on some malformed bodies with an exception of its own.
        logger.warning("slack request refused: malformed body", exc_info=True)
        return _error(400, "body", "not a Slack request Settle can read")
    if response.status_code >= 500:
        logger.warning("slack listener failed status=%d", response.status_code)
    return response


def _error(status: int, field: str, message: str) -> Response:
    return JSONResponse({"error": {"field": field, "message": message}}, status_code=status)
