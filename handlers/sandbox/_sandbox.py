"""The sandbox process: the real service, with the Telegram and Slack emulators beside it.

Only the platforms' base URLs and the clock differ from `settle serve`; the links the bot
sends to billing's pages and billing's callbacks point at the console, which plays billing.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

from bot import Authority, Settings
from bot.app import Runtime, create_app
from handlers.emulators import SlackEmulator, SlackUser, TelegramEmulator, TelegramUser
from handlers.sandbox._clock import SandboxClock
from handlers.sandbox._samples import load_samples, sample_file
from storage import open_store

__all__ = ["DESK", "SUPERVISORS", "Sandbox", "StaffMember", "running_sandbox", "sandbox_files"]

logger = logging.getLogger(__name__)

DESK = "C-DESK"  # the escalation channel
SUPERVISORS = "C-SUPERVISORS"
BOT_USERNAME = "settle_sandbox_bot"
# Sandbox chats get ids from here on, one per customer, stable across restarts.
_CHAT_BASE = 700_000_000


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A member of staff the console can act as, with the tier the authority file gives."""

    user: SlackUser
    tier: str | None

    @property
    def label(self) -> str:
        return f"{self.user.name} ({self.tier or 'no tier'})"


_STAFF = (
    SlackUser("U-ANA", "Ana Ruiz"),
    SlackUser("U-BEN", "Ben Okafor"),
    SlackUser("U-SARA", "Sara Levin"),
    SlackUser("U-CARL", "Carl Novak"),  # in no tier: refused, as in a real workspace
)


@dataclass
class Sandbox:
    """What the console drives: the runtime, both emulators, the clock, the staff."""

    runtime: Runtime
    telegram: TelegramEmulator
    slack: SlackEmulator
    clock: SandboxClock
    staff: tuple[StaffMember, ...]
    app: Starlette = field(init=False)
    modals: dict[str, str] = field(default_factory=dict)  # staff id -> open modal's view id
    modal_errors: dict[str, dict[str, str]] = field(default_factory=dict)  # by block id
    replies: list[dict[str, Any]] = field(default_factory=list)  # staff lines in threads
    heard: list[dict[str, Any]] = field(default_factory=list)  # billing callbacks received
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def supervisor(self) -> StaffMember:
        """The member of the highest tier: the one whose App Home the staff pane shows first."""
        ranked = [member for member in self.staff if member.tier is not None]
        return ranked[-1] if ranked else self.staff[0]

    def member(self, user_id: str) -> StaffMember:
        """The staff member with this Slack id; `LookupError` naming the id otherwise."""
        for member in self.staff:
            if member.user.id == user_id:
                return member
        msg = f"no staff member {user_id!r}; expected one of {[m.user.id for m in self.staff]}"
        raise LookupError(msg)

    def next_id(self) -> int:
        return next(self._ids)

    @staticmethod
    def chat_id(customer_id: str) -> int:
        """The Telegram chat the console plays `customer_id` in."""
        return _CHAT_BASE + zlib.crc32(customer_id.encode()) % 100_000_000

    @staticmethod
    def telegram_user(customer_id: str, name: str | None, locale: str | None) -> TelegramUser:
        first, _, last = (name or customer_id).partition(" ")
        language = (locale or "en").replace("-", "_").partition("_")[0]
        return TelegramUser(
            Sandbox.chat_id(customer_id),
            first_name=first,
            last_name=last or None,
            language_code=language,
        )


def clock_file(database: Path) -> Path:
    """Where the sandbox's clock is kept, beside its database."""
    return database.with_name(database.name + ".clock")


def chats_file(database: Path) -> Path:
    """Where the chats and channels of the emulators are kept between two runs."""
    return database.with_name(database.name + ".chats.json")


def sandbox_files(database: Path) -> list[Path]:
    """The files a sandbox keeps: the database, its journal, the clock, the chats, the lock."""
    names = ["", "-wal", "-shm", "-journal", ".clock", ".chats.json", ".serve.lock"]
    return [database.with_name(database.name + suffix) for suffix in names]


def _settings(
    base: Settings,
    *,
    database: Path,
    origin: str,
    telegram: TelegramEmulator,
    slack: SlackEmulator,
) -> Settings:
    """The configured settings, with the platforms, billing and storage of the sandbox.

    Whatever the environment says about real platforms, billing or email is replaced, so
    that a sandbox never reaches them.
    """
    update: dict[str, Any] = {
        "database_url": f"sqlite:///{database}",
        "webhook_secret": SecretStr(secrets.token_hex(16)),
        "billing_callback_url": f"{origin}/sandbox/billing/callbacks",
        "billing_callback_secret": None,
        "legal_webhook_url": None,
        "email_from": None,
        "public_url": origin,
        "update_payment_url": f"{origin}/sandbox/billing/payment-method?token={{token}}",
        "pay_now_url": f"{origin}/sandbox/billing/pay?token={{token}}",
        "telegram_bot_token": SecretStr(telegram.token),
        "telegram_base_url": telegram.base_url,
        "telegram_base_file_url": telegram.base_url.replace("/bot", "/file/bot"),
        "telegram_bot_username": BOT_USERNAME,
        "telegram_webhook_url": None,
        "telegram_secret_token": None,
        "slack_bot_token": SecretStr(slack.token),
        "slack_signing_secret": SecretStr(slack.signing_secret),
        "slack_app_token": None,
        "slack_base_url": slack.base_url,
        "slack_escalation_channel": DESK,
        "slack_supervisors_channel": SUPERVISORS,
        "slack_digest_channel": None,
        "slack_routes": "",
        "authority_file": sample_file("authority.toml"),
        # The console shows a reply as soon as the outbox hands it over.
        "outbox_poll_seconds": min(base.outbox_poll_seconds, 0.2),
    }
    return base.model_copy(update=update)


def _staff(authority: Authority) -> tuple[StaffMember, ...]:
    def tier(user_id: str) -> str | None:
        names = [t.name for t in authority.tiers if user_id in t.members or "*" in t.members]
        return names[-1] if names else None

    return tuple(StaffMember(user, tier(user.id)) for user in _STAFF)


def _prepare_files(database: Path, *, reset: bool) -> bool:
    """Delete the sandbox's files when asked; whether the database is new."""
    if reset:
        for path in sandbox_files(database):
            path.unlink(missing_ok=True)
    fresh = not database.exists()
    if fresh:
        # A new database starts the clock and the chats again.
        clock_file(database).unlink(missing_ok=True)
        chats_file(database).unlink(missing_ok=True)
    return fresh


@asynccontextmanager
async def running_sandbox(
    base: Settings, *, database: Path, origin: str, reset: bool = False
) -> AsyncIterator[Sandbox]:
    """Start both emulators, load the samples into a new database and build the app.

    The caller serves `sandbox.app` at `origin` (uvicorn runs its lifespan, which starts
    the runtime); leaving the context stops the emulators.
    """
    from handlers.sandbox._console import console_routes

    fresh = _prepare_files(database, reset=reset)
    clock = SandboxClock(clock_file(database))
    token = f"{secrets.randbelow(10**9)}:sandbox-{secrets.token_urlsafe(16)}"
    telegram = TelegramEmulator(token, username=BOT_USERNAME, first_name="Settle")
    slack = SlackEmulator(
        f"xoxb-sandbox-{secrets.token_hex(8)}", signing_secret=secrets.token_hex(16)
    )
    await telegram.start()
    await slack.start()
    try:
        settings = _settings(
            base, database=database, origin=origin, telegram=telegram, slack=slack
        )
        if fresh:
            store = await open_store(settings, clock)
            try:
                await load_samples(store, settings, clock)
            finally:
                await store.close()
        staff = _staff(Authority.load(settings.authority_file))
        for member in staff:
            slack.add_user(member.user)
        runtime = Runtime.build(settings, clock=clock, polling=True)
        sandbox = Sandbox(runtime, telegram, slack, clock, staff)
        app = create_app(runtime)
        app.router.routes.extend(
            [
                Route("/", lambda request: RedirectResponse("/sandbox", status_code=303)),
                *console_routes(sandbox),
            ]
        )
        sandbox.app = app
        _restore(sandbox, chats_file(database))
        yield sandbox
        _save(sandbox, chats_file(database))
    finally:
        await slack.stop()
        await telegram.stop()


def _save(sandbox: Sandbox, path: Path) -> None:
    state = {
        "telegram": sandbox.telegram.snapshot(),
        "slack": sandbox.slack.snapshot(),
        "replies": sandbox.replies,
        "heard": sandbox.heard,
    }
    path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    logger.info("sandbox chats kept in %s", path)


def _restore(sandbox: Sandbox, path: Path) -> None:
    if not path.exists():
        return
    state = json.loads(path.read_text(encoding="utf-8"))
    sandbox.telegram.restore(state["telegram"])
    sandbox.slack.restore(state["slack"])
    sandbox.replies.extend(state["replies"])
    sandbox.heard.extend(state["heard"])
