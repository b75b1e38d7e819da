"""The Bolt app and the Starlette endpoint of POST /slack/events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import Response

from bot import Authority, ConfigurationError, Decisions, Settings, TakeOver
from bot.ports import Clock, Store
from handlers.slack._client import slack_client
from handlers.slack._desk import EscalationDesk
from handlers.slack._thread import StaffThread

__all__ = ["build_slack_app", "slack_endpoint"]

logger = logging.getLogger(__name__)


def build_slack_app(settings: Settings, store: Store, clock: Clock) -> AsyncApp:
    """Bolt with the escalation listeners; it verifies every request's signature and age.

    Raises:
        ConfigurationError: if SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET is not set.
    """
    if settings.slack_signing_secret is None:
        msg = "SLACK_SIGNING_SECRET is not set; copy it from the Slack app's Basic Information"
        raise ConfigurationError(msg)
    app = AsyncApp(
        client=slack_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # Listeners ack first, then finish before the HTTP answer: no 10 ms ack polling, and
        # nothing left running when a request ends (PITFALLS.md).
        process_before_response=True,
        logger=logging.getLogger("handlers.slack.bolt"),
    )
    decisions = Decisions(store, clock, Authority.load(settings.authority_file))
    EscalationDesk(store, clock, decisions).install(app)
    StaffThread(TakeOver(store, clock)).install(app)
    return app


def slack_endpoint(app: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """The handler of POST /slack/events: a bad signature or a stale timestamp gets 401."""
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    return endpoint
