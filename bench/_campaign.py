"""What the campaign scripts share: the emulator and `settle serve` as processes, the queue.

Both run the product as operators do (`settle serve`, an SQLite file on disk) against the
Bot API emulator in a process of its own (`python -m handlers.emulators telegram --limits`),
so that killing one leaves the other's record intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot import (
    CaseStatus,
    CaseType,
    Customer,
    Reason,
    SystemClock,
)
from bot.ports import ChannelLink, Tx
from storage import store_for_url

TOKEN = "123456:bench-token"  # noqa: S105 - the emulator's fake token
FIRST_CHAT = 1_000_000

# The contact rules the benchmarks run under: every day, all day, so that they run at any
# hour and on weekends. The outbox applies the policy to each message all the same.
ALL_HOURS = """
[default]
window_start = "00:00"
window_end = "23:59"
weekend = []
"""


def open_rules(folder: Path) -> Path:
    """Write the all-hours contact rules in `folder`; the file, for SETTLE_CONTACT_RULES_FILE."""
    path = folder / "contact-rules.toml"
    path.write_text(ALL_HOURS, encoding="utf-8")
    return path


async def _seed(url: str, count: int, *, per_chat: int = 1) -> None:
    clock = SystemClock()
    store = store_for_url(url, clock)
    await store.start()
    chats = count // per_chat
    try:
        async with store.transaction() as tx:
            cases = [await _customer(tx, n, clock) for n in range(chats)]
            # A chat's k-th message after every chat's (k-1)-th: ids run message by message.
            for k in range(per_chat):
                for n, case_id in enumerate(cases):
                    await tx.enqueue(
                        customer_id=f"B-{n}",
                        case_id=case_id,
                        channel="telegram",
                        template="first_contact",
                        params={"reason": "card_declined", "amount_minor": amount(n, k)}
                        | {"currency": "USD", "locale": "en_US"},
                        due_at=clock.now(),
                        dedupe_key=f"bench:{n}:{k}",
                    )
    finally:
        await store.close()


async def _customer(tx: Tx, n: int, clock: SystemClock) -> int:
    customer = f"B-{n}"
    await tx.upsert_customer(Customer(customer, locale="en_US", timezone="UTC"))
    await tx.link_channel(ChannelLink(customer, "telegram", str(FIRST_CHAT + n), clock.now()))
    case = await tx.insert_case(
        customer_id=customer,
        case_type=CaseType.A,
        reason=Reason.CARD_DECLINED,
        status=CaseStatus.CONTACTING,
        opened_at=clock.now(),
        why={},
    )
    return case.id


def amount(n: int, k: int) -> int:
    """The amount (minor units) of chat `n`'s message `k`: the text tells which it was."""
    return 10_000 + n if k == 0 else 100_000 * k + n


def seed(path: Path, count: int) -> None:
    """Queue one first message to each of `count` customers, each in a chat of their own."""
    asyncio.run(_seed(f"sqlite:///{path}", count))


def seed_url(url: str, count: int, *, per_chat: int) -> None:
    """Queue `count` messages on any database, `per_chat` to each customer's chat."""
    asyncio.run(_seed(url, count, per_chat=per_chat))


def statuses(path: Path) -> dict[str, int]:
    """Telegram messages per outbox status, read straight from the file (the follow-up
    steps each first message schedules, days ahead, are not the campaign's)."""
    sql = "SELECT status, count(*) FROM contacts WHERE channel = 'telegram' GROUP BY status"
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute(sql).fetchall()
    return {str(status): int(count) for status, count in rows}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Emulator:
    """The Bot API emulator in its own process."""

    process: subprocess.Popen[str]
    base_url: str
    stats_url: str

    @classmethod
    def start(cls, *, per_second: int, chat_interval: float) -> Emulator:
        command = [sys.executable, "-m", "handlers.emulators", "telegram", "--token", TOKEN]
        command += ["--limits", "--per-second", str(per_second)]
        command += ["--chat-interval", str(chat_interval)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        return cls(process, urls["base_url"], urls["stats"])

    def stats(self, *, per_chat: bool = True, texts: bool = False) -> dict[str, Any]:
        params = ({} if per_chat else {"per_chat": "0"}) | ({"texts": "1"} if texts else {})
        answer: dict[str, Any] = httpx.get(self.stats_url, params=params, timeout=30).json()
        return answer

    def inject_429(self, retry_after: int) -> None:
        url = self.stats_url.replace("/stats", "/inject429")
        httpx.post(url, params={"retry_after": retry_after}, timeout=10).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@dataclass
class Server:
    """`settle serve` in its own process, on an SQLite file."""

    process: subprocess.Popen[bytes]
    port: int

    @classmethod
    def start(cls, folder: Path, emulator: Emulator, *, log: Path, **settings: str) -> Server:
        port = free_port()
        env = {
            **os.environ,
            "SETTLE_DATABASE_URL": f"sqlite:///{folder / 'settle.db'}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "SETTLE_TELEGRAM_BASE_URL": emulator.base_url,
            "SETTLE_TELEGRAM_BOT_USERNAME": "settle_bench_bot",
            "SETTLE_TRIAGE_EVERY_HOURS": "0",
            "SETTLE_WATCH_EVERY_MINUTES": "0",
            "SETTLE_LOG_LEVEL": "WARNING",
            "SETTLE_CONTACT_RULES_FILE": str(open_rules(folder)),
            "PTB_TIMEDELTA": "true",  # RetryAfter warns on every 429 without it (PTB 22.2)
            **settings,
        }
        command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603
                command, cwd=folder, env=env, stdout=output, stderr=output
            )
        server = cls(process, port)
        server.wait_healthy()
        return server

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"settle serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise SystemExit("settle serve did not answer /healthz in time")

    def metric(self, name: str) -> float:
        """A counter of GET /metrics (0 when absent)."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
