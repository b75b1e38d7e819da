"""The ASGI app: billing webhooks, the Telegram webhook, health and metrics, in one process.

The lifespan connects storage, starts the Telegram application, the outbox worker and the
periodic jobs (the triage sweep, the agreement watch), and stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from bot import (
    Agreement,
    Catalogue,
    ConfigurationError,
    Conversation,
    Dialogue,
    Ingest,
    Linking,
    OutboxWorker,
    PlanPolicy,
    Settings,
    SystemClock,
    TakeOver,
    promote_to_pre_legal,
    schedule_digest,
    sweep,
    watch_agreements,
)
from bot._documents import Documents
from bot._metrics import Metrics
from bot._privacy import Records, purge_expired
from bot._steps import CaseSteps
from bot.ports import Clock, Sender, Store
from handlers.billing import BillingCallbackSender, CaseFileSender, billing_routes
from handlers.email import EmailSender, optout_routes
from handlers.health import OK, RequestLog, health_routes
from handlers.slack import (
    SlackPoster,
    SlackRouting,
    SocketModeLink,
    ThreadPoster,
    build_slack_app,
    slack_client,
    slack_endpoint,
    socket_mode_handler,
)
from handlers.telegram import (
    ChatFloor,
    ChatHandlers,
    PacedRateLimiter,
    TelegramApp,
    TelegramSender,
    build_application,
    telegram_endpoint,
)
from messages import (
    catalogue_languages,
    load_catalogues,
    render_agreement_copy,
    render_terms,
)
from storage import create_store

__all__ = ["Runtime", "create_app"]

logger = logging.getLogger(__name__)

# How often a worker on a shared database says it is alive and counts the others (seconds).
_HEARTBEAT = 2.0


@dataclass
class Runtime:
    """Everything one Settle process runs, built once and started by the lifespan."""

    settings: Settings
    clock: Clock
    store: Store
    metrics: Metrics
    ingest: Ingest
    linking: Linking
    conversation: Conversation
    catalogue: Catalogue = field(default_factory=Catalogue.default)
    telegram: TelegramApp | None = None
    slack: AsyncApp | None = None
    polling: bool = False
    socket_mode: bool = False  # Slack over Socket Mode instead of POST /slack/events
    # A chat's answer to an update before what the update queued for it (`ChatFloor`).
    chat_floor: ChatFloor = field(default_factory=ChatFloor)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _senders: list[Sender] = field(default_factory=list)
    _http: httpx.AsyncClient | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _lock: TextIO | None = None
    _socket: SocketModeLink | None = None
    side_app: Starlette | None = None  # health and metrics on SETTLE_METRICS_PORT
    _side: _SideServer | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        polling: bool = False,
        socket_mode: bool = False,
    ) -> Runtime:
        """Everything the settings call for.

        Raises:
            ConfigurationError: naming the setting that is missing or wrong.
        """
        clock = clock or SystemClock()
        store = create_store(settings, clock)
        runtime = cls(
            settings=settings,
            clock=clock,
            store=store,
            metrics=Metrics(),
            ingest=Ingest(store, clock, settings),
            linking=Linking(store, clock, settings),
            conversation=Conversation(store, clock, settings.outreach),
            catalogue=Catalogue.load(settings.offers_file),
            polling=polling,
            socket_mode=socket_mode,
        )
        if settings.telegram_bot_token is not None:
            turn = store.chat_turn if store.shared else None
            runtime.telegram = build_application(settings, polling=polling, turn=turn)
            policy = PlanPolicy.load(settings.plan_policy_file)
            languages = tuple(sorted(catalogue_languages()))
            dialogue = Dialogue(
                store,
                clock,
                settings,
                policy,
                render_terms,
                languages=languages,
                catalogue=runtime.catalogue,
            )
            handlers = ChatHandlers(
                runtime.linking,
                runtime.conversation,
                dialogue,
                default_locale=settings.default_locale,
                take_over=TakeOver(store, clock),
                floor=runtime.chat_floor,
            )
            handlers.install(runtime.telegram)
        runtime._add_callbacks()
        runtime._senders.append(
            CaseSteps(
                store,
                clock,
                settings.outreach,
                catalogue=runtime.catalogue,
                default_timezone=settings.default_timezone,
            )
        )
        if settings.email_enabled:
            runtime._senders.append(EmailSender(store, clock, settings))
        if settings.slack_bot_token is not None:
            routing = SlackRouting.from_settings(settings)
            supervisors = settings.slack_supervisors_channel
            poster = SlackPoster(
                slack_client(settings),
                store,
                routing,
                supervisors=supervisors,
                clock=clock,
                staff_zone=settings.staff_timezone,
            )
            # Thread messages of taken-over escalations go out beside the posts.
            runtime._senders.append(ThreadPoster(slack_client(settings), store, poster))
            runtime.slack = build_slack_app(settings, store, clock, socket_mode=socket_mode)
            if socket_mode:
                runtime._socket = socket_mode_handler(runtime.slack, settings)
        elif socket_mode:
            msg = "SLACK_BOT_TOKEN is not set; Socket Mode connects the Slack app it belongs to"
            raise ConfigurationError(msg)
        return runtime

    async def start(self) -> None:
        load_catalogues()
        self._claim_database()
        await self.store.start()
        if self.side_app is not None:
            self._side = await _SideServer.start(
                self.side_app, self.settings.metrics_host, self.settings.metrics_port or 0
            )
        self._warn_unset()
        # Both are recomputed from stored state each time, so a restart loses nothing.
        if (hours := self.settings.triage_every_hours) > 0:
            self._background(self._every(hours * 3600, self._triage), "triage")
        if (minutes := self.settings.watch_every_minutes) > 0:
            self._background(self._every(minutes * 60, self._watch), "watch")
        if (hours := self.settings.purge_every_hours) > 0 and isinstance(self.store, Records):
            self._background(self._every(hours * 3600, self._purge), "purge")
        if self.telegram is None:
            logger.warning(
                "TELEGRAM_BOT_TOKEN is not set: billing events are ingested and cases opened, "
                "but no Telegram message is sent"
            )
        else:
            await self._start_telegram(self.telegram)
        if self._socket is not None:
            await self._socket.connect()
            logger.info("slack connected over socket mode")
        if self._senders:
            senders = {sender.channel: sender for sender in self._senders}
            worker = OutboxWorker(
                self.store, self.clock, self.settings, senders, metrics=self.metrics
            )
            # Before serving, so that /metrics counts the possible resends from the start.
            await worker.recover()
            if self.store.shared:
                await self._join_workers(worker)
            self._background(worker.run(self._stop), "outbox")

    async def run_jobs(self) -> None:
        """Run the periodic jobs once now (the triage sweep, then the watch), as their timers
        would; for a clock that was moved forward."""
        await self._triage()
        await self._watch()

    async def _join_workers(self, worker: OutboxWorker) -> None:
        """Share the database with the other workers: the rate limit, and stopped ones' rows.

        A new worker waits a heartbeat before sending, by when every other worker has
        counted it and lowered its own share of the Telegram limit.
        """
        await self.store.heartbeat()
        await asyncio.sleep(_HEARTBEAT)

        async def beat() -> None:
            self._share(await self.store.heartbeat())
            # A worker that stopped without a word (SIGKILL) left rows `sending`.
            await worker.recover()

        await beat()
        self._background(self._every(_HEARTBEAT, beat), "heartbeat")

    def _share(self, workers: int) -> None:
        if self.telegram is not None and isinstance(
            limiter := self.telegram.bot.rate_limiter, PacedRateLimiter
        ):
            limiter.share(workers)

    def channel_states(self) -> dict[str, str]:
        """Each channel's state for `GET /readyz`: ok, not configured or not running."""
        telegram = "not configured"
        if self.telegram is not None:
            telegram = OK if self.telegram.running else "not running"
        return {
            "telegram": telegram,
            "email": OK if self.settings.email_enabled else "not configured",
            "slack": OK if self.slack is not None else "not configured",
        }

    def _claim_database(self) -> None:
        """One process serves an SQLite file: a second would run a second outbox on it.

        The lock is the operating system's (flock), so a killed process holds it no more;
        `settle cases` and the other read commands do not take it.
        """
        path = self.settings.sqlite_path
        if path is None:
            return
        lock = path.with_name(path.name + ".serve.lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            msg = f"{path} is served by another `settle serve`; stop it first"
            raise ConfigurationError(msg) from None
        self._lock = lock

    def _background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    def _add_callbacks(self) -> None:
        url = self.settings.billing_callback_url
        secret = self.settings.billing_callback_secret or self.settings.webhook_secret
        if url is None:
            return
        if secret is None:
            msg = "SETTLE_BILLING_CALLBACK_SECRET (or SETTLE_WEBHOOK_SECRET) must sign callbacks"
            raise ConfigurationError(msg)
        self._http = httpx.AsyncClient(timeout=10.0)
        self._senders.append(BillingCallbackSender(url, secret.get_secret_value(), self._http))
        if self.settings.legal_webhook_url:
            legal = self.settings.legal_webhook_url
            self._senders.append(CaseFileSender(legal, secret.get_secret_value(), self._http))

    async def _triage(self) -> None:
        today = self.clock.now().date()
        await sweep(self.store, self.settings, self.clock, today=today, actor="triage")

    async def _purge(self) -> None:
        assert isinstance(self.store, Records)
        await purge_expired(self.store, self.settings, self.clock)

    async def _watch(self) -> None:
        await watch_agreements(self.store, self.clock, self.settings)
        await promote_to_pre_legal(self.store, self.clock, self.settings)
        if self.slack is not None and (channel := self.settings.digest_channel):
            zone = ZoneInfo(self.settings.staff_timezone)
            at = self.settings.slack_digest_time
            await schedule_digest(
                self.store, now=self.clock.now(), zone=zone, at=at, channel=channel
            )

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` now and then every `seconds` until stopped; a failure waits a round."""
        while not self._stop.is_set():
            try:
                await work()
            except Exception:
                logger.exception("periodic %s failed", work.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), seconds)

    def _warn_unset(self) -> None:
        """One line per missing secret, naming the endpoint that refuses requests without it."""
        secrets = {
            "SETTLE_WEBHOOK_SECRET": (self.settings.webhook_secret, "/billing/events"),
            "SETTLE_STRIPE_WEBHOOK_SECRET": (
                self.settings.stripe_webhook_secret,
                "/billing/stripe",
            ),
            "SETTLE_GOCARDLESS_WEBHOOK_SECRET": (
                self.settings.gocardless_webhook_secret,
                "/billing/gocardless",
            ),
        }
        for name, (value, path) in secrets.items():
            if value is None:
                logger.warning("%s is not set: POST %s answers 503", name, path)
        if self.settings.billing_callback_url is None:
            logger.warning("SETTLE_BILLING_CALLBACK_URL is not set: outbound events wait")
        if self.settings.slack_bot_token is None:
            logger.warning("SLACK_BOT_TOKEN is not set: escalations wait in the outbox for Slack")
        telegram = self.settings.telegram_bot_token is not None
        if telegram and not self.polling:
            if self.settings.telegram_secret_token is None:
                logger.warning(
                    "SETTLE_TELEGRAM_SECRET_TOKEN is not set: POST /telegram answers 503"
                )
            if not self.settings.telegram_webhook_url:
                logger.warning(
                    "SETTLE_TELEGRAM_WEBHOOK_URL is not set: Telegram is not told where to send "
                    "updates (set it, or run `settle serve --polling`)"
                )
        if self.settings.email_enabled and not (telegram or self.settings.telegram_bot_username):
            logger.warning(
                "email is on but neither TELEGRAM_BOT_TOKEN nor SETTLE_TELEGRAM_BOT_USERNAME is "
                "set: emails carry a deep link into the chat and cannot be sent"
            )

    async def _start_telegram(self, application: TelegramApp) -> None:
        await application.initialize()
        if not self.settings.telegram_bot_username:
            self.settings.telegram_bot_username = application.bot.username
        await application.start()
        if self.polling:
            assert application.updater is not None
            await application.updater.start_polling(drop_pending_updates=False)
        elif self.settings.telegram_webhook_url:
            secret = self.settings.telegram_secret_token
            await application.bot.set_webhook(
                self.settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
            )
        documents = Documents(self.store, copy=_copy)
        self._senders.append(
            TelegramSender(
                application.bot,
                self.linking,
                self.settings,
                documents=documents,
                transcript=self.conversation,
                floor=self.chat_floor,
            )
        )
        logger.info("telegram started bot=%s polling=%s", application.bot.username, self.polling)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.telegram is not None and self.telegram.running:
            if self.telegram.updater is not None and self.telegram.updater.running:
                await self.telegram.updater.stop()
            await self.telegram.stop()
            await self.telegram.shutdown()
        if self._socket is not None:
            await self._socket.close()
        if self._http is not None:
            await self._http.aclose()
        if self.store.shared:
            await self.store.leave()

        if self._side is not None:
            await self._side.stop()
        await self.store.close()
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
        logger.info("stopped")


def create_app(runtime: Runtime) -> Starlette:
    """The Starlette app serving every endpoint of DESIGN.md that exists so far."""

    health = health_routes(runtime.store, runtime.metrics, runtime.channel_states)
    routes = [
        *billing_routes(runtime.ingest, runtime.settings, runtime.metrics),
        # Always mounted: links in emails already sent keep working when email is off.
        *optout_routes(runtime.store, runtime.clock, runtime.settings),
    ]
    if runtime.settings.metrics_port is None:
        routes += health
    else:
        runtime.side_app = Starlette(routes=health)
    if runtime.telegram is not None and not runtime.polling:
        endpoint = telegram_endpoint(runtime.telegram, runtime.settings, runtime.metrics)
        routes.append(Route("/telegram", endpoint, methods=["POST"]))
    if runtime.slack is not None and not runtime.socket_mode:
        slack = slack_endpoint(runtime.slack, runtime.settings, runtime.metrics)
        routes.append(Route("/slack/events", slack, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        # What start-up built lives as long as the process: kept out of the collector's
        # walks, so that its pauses while serving are short.
        gc.freeze()
        try:
            yield
        finally:
            await runtime.stop()

    known = frozenset(route.path for route in routes)
    logged = Middleware(RequestLog, metrics=runtime.metrics, known=known)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[logged])
    app.state.runtime = runtime
    return app


def _copy(agreement: Agreement, locale: str) -> bytes:
    return render_agreement_copy(agreement, locale=locale)


class _SideServer(uvicorn.Server):
    """A second server in the same process for health and metrics; the main one owns the
    signals (uvicorn's capture would otherwise take them from it)."""

    _task: asyncio.Task[None]

    @classmethod
    async def start(cls, app: Starlette, host: str, port: int) -> _SideServer:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off")
        server = cls(config)
        server._task = asyncio.create_task(server.serve(), name="metrics server")
        while not server.started:
            if server._task.done():
                server._task.result()  # raises what stopped it, e.g. the port in use
                msg = f"SETTLE_METRICS_PORT: cannot listen on {host}:{port}"
                raise ConfigurationError(msg)
            await asyncio.sleep(0.01)
        logger.info("health and metrics on http://%s:%d", host, server.port)
        return server

    @property
    def port(self) -> int:
        return int(self.servers[0].sockets[0].getsockname()[1])

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()

    async def stop(self) -> None:
        self.should_exit = True
        await self._task
