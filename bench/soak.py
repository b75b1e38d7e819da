"""`python -m bench.soak --minutes 10`: customers talking and billing events pouring in.

`settle serve` runs as operators run it (an SQLite file, webhook mode) against the Bot API
emulator in a process of its own that holds Telegram's limits. `--customers` customers
(500), each with a case and a linked chat, write to the bot through `POST /telegram` as
Telegram delivers updates, each every `--talk-every` seconds on average, while signed
canonical billing events reach `POST /billing/events` at `--events-per-second` (50): new
invoices, failed payments and payments for those customers and for new ones.

At the end it prints, as JSON: the requests sent and how each was answered, the events
stored (each id once: none lost, none twice), the bot's messages the chats received and the
429s the emulator had to give, the ERROR lines of the server's log, and the resident memory
(RSS) of `settle serve` at the start of the load, every minute, and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._campaign import FIRST_CHAT, Emulator, Server, seed, statuses
from handlers.billing import sign_canonical

WEBHOOK_SECRET = "soak-webhook-secret"  # noqa: S105 - a secret of this run only
TELEGRAM_SECRET = "soak-telegram-secret"  # noqa: S105 - a secret of this run only
SAYINGS = ("/menu", "I already paid", "what do I owe?", "can I pay later", "/help", "thanks")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--events-per-second", type=float, default=50.0)
    parser.add_argument("--talk-every", type=float, default=30.0, help="seconds, per customer")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class Load:
    """Both kinds of traffic, paced, with a tally of how every request was answered."""

    def __init__(self, port: int, args: argparse.Namespace) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.args = args
        self.rng = random.Random(args.seed)
        self.answers: Counter[str] = Counter()
        self.event_ids: set[str] = set()
        self.updates = itertools.count(1)
        self.serial = itertools.count(1)

    async def run(self, seconds: float) -> None:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=self.base, timeout=30, limits=limits) as client:
            talk_rate = self.args.customers / self.args.talk_every
            await asyncio.gather(
                self._paced(seconds, self.args.events_per_second, self._event, client),
                self._paced(seconds, talk_rate, self._talk, client),
            )

    async def _paced(self, seconds: float, rate: float, send: Any, client: Any) -> None:
        started, sent, tasks = time.monotonic(), 0, set()
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate)
            for _ in range(due - sent):
                task = asyncio.create_task(send(client))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            sent = max(sent, due)
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)

    async def _event(self, client: httpx.AsyncClient) -> None:
        event = self._billing_event()
        body = json.dumps(event).encode()
        stamp = int(time.time())
        headers = {
            "X-Settle-Timestamp": str(stamp),
            "X-Settle-Signature": sign_canonical(body, WEBHOOK_SECRET, stamp),
            "Content-Type": "application/json",
        }
        self.event_ids.add(event["id"])
        await self._post(client, "event", "/billing/events", body, headers)

    def _billing_event(self) -> dict[str, Any]:
        n = next(self.serial)
        known = self.rng.random() < 0.8
        customer = f"B-{self.rng.randrange(self.args.customers)}" if known else f"N-{n}"
        now = datetime.now(UTC).isoformat()
        kind = self.rng.choice(("invoice_issued", "payment_failed", "payment_received"))
        event: dict[str, Any] = {
            "id": f"soak-{n}",
            "type": kind,
            "occurred_at": now,
            "customer": {"id": customer, "locale": "en_US"},
        }
        if kind == "invoice_issued":
            event["invoice"] = {
                "id": f"SI-{n}",
                "amount": f"{self.rng.randrange(10, 900)}.00",
                "currency": "USD",
                "issued_on": now[:10],
                "due_on": now[:10],
            }
        elif kind == "payment_failed":
            event["payment_method"] = {"kind": "card", "reason": "card_declined"}
        else:
            event["payment"] = {"id": f"SP-{n}", "amount": "5.00", "currency": "USD"}
        return event

    async def _talk(self, client: httpx.AsyncClient) -> None:
        chat = FIRST_CHAT + self.rng.randrange(self.args.customers)
        update_id = next(self.updates)
        text = self.rng.choice(SAYINGS)
        message: dict[str, Any] = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Soak"},
            "from": {"id": chat, "is_bot": False, "first_name": "Soak"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        update = {"update_id": update_id, "message": message}
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        await self._post(client, "update", "/telegram", json.dumps(update).encode(), headers)

    async def _post(
        self, client: httpx.AsyncClient, kind: str, path: str, body: bytes, headers: Any
    ) -> None:
        try:
            response = await client.post(path, content=body, headers=headers)
            self.answers[f"{kind} {response.status_code}"] += 1
        except httpx.HTTPError as error:
            self.answers[f"{kind} {type(error).__name__}"] += 1


def _stored_events(path: Path, wanted: set[str]) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT source_id, count(*) FROM billing_events GROUP BY 1").fetchall()
    stored = {source_id: count for source_id, count in rows if source_id in wanted}
    return {
        "sent": len(wanted),
        "stored": len(stored),
        "lost": len(wanted - set(stored)),
        "twice": sum(1 for count in stored.values() if count > 1),
    }


async def _drained(path: Path, *, within: float) -> None:
    """Wait until the outbox has no Telegram message due and unsent (paced at 30/s)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = statuses(path)
        if not left.get("queued") and not left.get("sending"):
            return
        await asyncio.sleep(1.0)


async def _sample_rss(pid: int, every: float, samples: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        samples.append(rss_kib(pid))


async def _soak(server: Server, args: argparse.Namespace, database: Path) -> dict[str, Any]:
    load = Load(server.port, args)
    samples = [rss_kib(server.process.pid)]
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(server.process.pid, 60.0, samples, stop))
    started = time.monotonic()
    await load.run(args.minutes * 60)
    seconds = time.monotonic() - started
    await _drained(database, within=120.0)
    stop.set()
    await sampler
    samples.append(rss_kib(server.process.pid))
    return {
        "seconds": round(seconds, 1),
        "answers": dict(load.answers),
        "rss_kib": samples,
        "event_ids": load.event_ids,
    }


def main() -> None:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="settle-soak-"))
    seed(folder / "settle.db", args.customers)
    emulator = Emulator.start(per_second=30, chat_interval=1.0)
    settings = {
        "SETTLE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SETTLE_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "SETTLE_LOG_LEVEL": "INFO",
    }
    log = folder / "serve.log"
    server = Server.start(folder, emulator, log=log, **settings)
    try:
        result = asyncio.run(_soak(server, args, folder / "settle.db"))
    finally:
        server.stop()
        stats = emulator.stats(per_chat=False)
        emulator.stop()
    errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
    report = {
        "customers": args.customers,
        "events_per_second": args.events_per_second,
        "minutes": args.minutes,
        "seconds": result["seconds"],
        "answers": result["answers"],
        "events": _stored_events(folder / "settle.db", result["event_ids"]),
        "outbox_telegram": statuses(folder / "settle.db"),
        "bot_messages_delivered": stats["delivered"],
        "telegram_429s": stats["refused"],
        "server_error_lines": len(errors),
        "first_errors": errors[:5],
        "rss_mib": [round(kib / 1024, 1) for kib in result["rss_kib"]],
        "cpu_count": os.cpu_count(),
        "folder": str(folder),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
