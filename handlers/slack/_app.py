"""The Bolt app and the Starlette endpoint of POST /slack/events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import Response

from bot import Authority, ConfigurationError, Decisions, Letters, Linking, Settings, TakeOver
from bot._handoff import Handoff
from bot.ports import Clock, Store
from handlers.slack._client import slack_client
from handlers.slack._desk import EscalationDesk
from handlers.slack._groups import UserGroups
from handlers.slack._legal import LegalDesk
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


def slack_endpoint(app: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """The handler of POST /slack/events: a bad signature or a stale timestamp gets 401."""
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    return endpoint
