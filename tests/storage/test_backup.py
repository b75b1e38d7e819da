"""`settle backup` takes a consistent copy while the service sends; `settle restore` brings
it back, and the restored service finishes what was left without losing a message."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bot import (
    CaseStatus,
    CaseType,
    ConfigurationError,
    ContactStatus,
    Customer,
    InvalidInput,
    Linking,
    OutboxWorker,
    Reason,
    Settings,
)
from bot.cli import main
from bot.ports import AuditRecord, ChannelLink
from handlers.emulators import ApiCall, Limits, TelegramEmulator
from handlers.telegram import TelegramSender, build_application
from storage import SqliteStore, backup_database, restore_database
from storage._migrate import migrations
from tests.handlers.telegram.test_campaign import RunningClock

TOKEN = "7070:backup-token"
MESSAGES = 120
BACKUP_AFTER = 40
FIRST_CHAT = 20_000


def _settings(path: Path, emulator: TelegramEmulator) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        telegram_bot_token=SecretStr(TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_bot_username="settle_backup_bot",
        telegram_max_per_second=30,
        telegram_chat_interval_seconds=0.0,
    )


async def _queue(store: SqliteStore, clock: RunningClock) -> None:
    async with store.transaction() as tx:
        for n in range(MESSAGES):
            chat, customer = FIRST_CHAT + n, f"C-{FIRST_CHAT + n}"
            await tx.upsert_customer(
                Customer(customer, locale="en_US", timezone="America/New_York", country="US")
            )
            await tx.link_channel(ChannelLink(customer, "telegram", str(chat), clock.now()))
            case = await tx.insert_case(
                customer_id=customer,
                case_type=CaseType.A,
                reason=Reason.EXPIRED_CARD,
                status=CaseStatus.CONTACTING,
                opened_at=clock.now(),
                why={},
            )
            await tx.audit(
                AuditRecord(clock.now(), "billing", "opened", "expired card", case.id, customer)
            )
            await tx.enqueue(
                customer_id=customer,
                case_id=case.id,
                channel="telegram",
                template="first_contact",
                params={"reason": "card_declined", "amount_minor": 100 + n}
                | {"currency": "USD", "locale": "en_US"},
                due_at=clock.now(),
                dedupe_key=f"backup:{n}",
            )


def _accepted(call: ApiCall) -> bool:
    return call.method == "sendMessage" and call.status == 200


async def _run_worker(path: Path, emulator: TelegramEmulator, until: int) -> None:
    """Send from the database at `path` until the emulator accepted `until` messages."""
    clock = RunningClock()
    settings = _settings(path, emulator)
    store = await SqliteStore.open(path, clock)
    application = build_application(settings, polling=False)
    await application.initialize()
    sender = TelegramSender(application.bot, Linking(store, clock, settings), settings)
    worker = OutboxWorker(store, clock, settings, {sender.channel: sender})
    await worker.recover()
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await emulator.wait_for(_accepted, count=until, timeout=60)
    await asyncio.sleep(0.3)  # room for a duplicate to show
    stop.set()
    await running
    await application.shutdown()
    await store.close()


def _sent_chats(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    rows = db.execute(
        """SELECT l.chat_id FROM contacts c JOIN channel_links l USING (customer_id)
        WHERE c.channel = 'telegram' AND c.status = 'sent'"""
    ).fetchall()
    db.close()
    return {chat for (chat,) in rows}


async def test_a_backup_taken_mid_campaign_restores_and_the_campaign_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    live, copy, restored = tmp_path / "live.db", tmp_path / "copy.db", tmp_path / "back.db"
    store = await SqliteStore.open(live, RunningClock())
    await _queue(store, RunningClock())
    await store.close()

    async with TelegramEmulator(TOKEN, limits=Limits(30, 1.0)) as first:
        campaign = asyncio.create_task(_run_worker(live, first, MESSAGES))
        await first.wait_for(_accepted, count=BACKUP_AFTER, timeout=30)
        info = await asyncio.to_thread(backup_database, live, copy)
        await campaign
    sent_before = _sent_chats(copy)
    restore_database(copy, restored)
    left = MESSAGES - len(sent_before)
    async with TelegramEmulator(TOKEN, limits=Limits(30, 1.0)) as second:
        await _run_worker(restored, second, left)
        resent = {str(call.chat_id) for call in second.calls("sendMessage") if _accepted(call)}
    check = await SqliteStore.open(restored, RunningClock())
    contacts = await check.list_contacts()
    chain = await check.verify_audit()
    await check.close()

    everyone = {str(FIRST_CHAT + n) for n in range(MESSAGES)}
    assert info.rows["contacts"] >= MESSAGES
    assert 0 < len(sent_before) < MESSAGES
    assert (sent_before | resent, sent_before & resent) == (everyone, set())
    assert {c.status for c in contacts if c.channel == "telegram"} == {ContactStatus.SENT}
    assert (chain.intact, chain.records) == (True, MESSAGES)


def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    live, target = tmp_path / "live.db", tmp_path / "taken.db"
    sqlite3.connect(live).close()
    target.write_bytes(b"precious")

    with pytest.raises(InvalidInput, match="exists"):
        backup_database(live, target)

    assert target.read_bytes() == b"precious"


def test_restore_refuses_a_file_that_is_not_a_settle_database(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database at all, just some bytes" * 100)

    with pytest.raises(InvalidInput, match="not a Settle database"):
        restore_database(bogus, tmp_path / "settle.db")

    assert not (tmp_path / "settle.db").exists()


def test_settle_backup_and_restore_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'settle.db'}")
    monkeypatch.setenv("SETTLE_LOG_LEVEL", "WARNING")
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    taken = runner.invoke(main, ["backup", "copy.db"])
    (tmp_path / "settle.db").unlink()

    back = runner.invoke(main, ["restore", "copy.db", "--yes"])

    assert (taken.exit_code, back.exit_code) == (0, 0), taken.output + back.output
    latest = migrations()[-1].version
    assert taken.output.startswith(f"backed up to copy.db: schema version {latest}, ")
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_restore_refuses_while_serve_holds_the_database(tmp_path: Path) -> None:
    live = tmp_path / "settle.db"
    sqlite3.connect(live).close()
    copy = tmp_path / "copy.db"
    db = sqlite3.connect(copy)
    db.execute("CREATE TABLE schema_migrations (version INTEGER)")
    for table in ("customers", "invoices", "cases", "contacts", "audit_records"):
        db.execute(f"CREATE TABLE {table} (id INTEGER)")
    db.commit()
    db.close()

    with (tmp_path / "settle.db.serve.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ConfigurationError, match="stop it before restoring"):
            restore_database(copy, live)
