"""`python -m bench.conversation`: customer updates handled per second, against a bare bot.

`settle serve` (a process, SQLite file on disk, webhook mode) and the baseline, a bare
python-telegram-bot handler served the same way (`bench/_bare_bot.py`), each get the
same stream of webhook updates with 8 and then 64 in flight. Each update is a linked
customer writing "help" in their own chat; Settle answers with the case's menu (the
conversation is read and written, the amount and buttons rendered), the baseline with a
fixed text. An update counts as handled when its answer reaches the Bot API emulator,
which runs in this process and times every call as it arrives.

Telegram's own limits are lifted for this measure (SETTLE_TELEGRAM_MAX_PER_SECOND high,
SETTLE_TELEGRAM_CHAT_INTERVAL_SECONDS 0): it is about how much work Settle does per
update, not about how fast Telegram lets a bot send (`bench.campaign` measures that).
One chat never has two updates in flight, as with Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench._campaign import FIRST_CHAT, TOKEN, free_port
from handlers.emulators import ApiCall, TelegramEmulator

SECRET = "bench-secret-token"  # noqa: S105 - a local test secret
ANSWERS = frozenset({"sendmessage", "editmessagetext", "senddocument"})


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.conversation", description=__doc__)
    parser.add_argument("--updates", type=int, default=3000, help="per run, after warm-up")
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[8, 64])
    return parser.parse_args()


class Answers:
    """Futures for the next answer in each chat, resolved by the emulator's record."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self._waiting: dict[int, asyncio.Future[float]] = {}
        self.last: dict[str, Any] = {}  # the parameters of the latest sendMessage
        emulator.observers.append(self._seen)

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    def _seen(self, call: ApiCall) -> None:
        if call.method.lower() not in ANSWERS or not isinstance(call.chat_id, int):
            return
        if call.method.lower() == "sendmessage":
            self.last = call.params
        future = self._waiting.pop(call.chat_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


def _update(update_id: int, chat_id: int, text: str) -> bytes:
    user = {"id": chat_id, "is_bot": False, "first_name": "Bench"}
    message = {
        "message_id": update_id,
        "from": user,
        "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
        "date": int(time.time()),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def drive(
    url: str, answers: Answers, *, chats: int, in_flight: int, updates: int, warm_up: int
) -> dict[str, Any]:
    """Post `warm_up` + `updates` updates, `in_flight` at a time; rate and latencies."""
    ids = itertools.count(1)
    latencies: list[float] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)

    def chats_of(lane: int) -> Iterator[int]:
        # Lanes own disjoint chats: one chat never has two updates in flight.
        mine = range(FIRST_CHAT + lane, FIRST_CHAT + chats, in_flight)
        return itertools.cycle(mine)

    async def lane(number: int, count: int, client: httpx.AsyncClient, keep: bool) -> None:
        for chat_id in itertools.islice(chats_of(number), count):
            answered = answers.expect(chat_id)
            sent = time.perf_counter()
            response = await client.post(url, content=_update(next(ids), chat_id, "help"))
            response.raise_for_status()
            at = await asyncio.wait_for(answered, timeout=30)
            if keep:
                latencies.append(at - sent)

    async with httpx.AsyncClient(headers=headers, limits=limits, trust_env=False) as client:
        share = max(1, warm_up // in_flight)
        await asyncio.gather(*(lane(n, share, client, False) for n in range(in_flight)))
        share = max(1, updates // in_flight)
        started = time.perf_counter()
        await asyncio.gather(*(lane(n, share, client, True) for n in range(in_flight)))
        wall = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    return {
        "in_flight": in_flight,
        "updates": len(latencies),
        "per_second": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": percentile(0.99),
    }


async def _seed(db: Path, chats: int) -> None:
    """`chats` customers, each linked to a chat of their own, with an overdue invoice's case."""
    from bot import (
        CaseStatus,
        CaseType,
        Customer,
        Invoice,
        InvoiceStatus,
        Money,
        Reason,
        SystemClock,
    )
    from bot.ports import ChannelLink
    from storage import SqliteStore

    clock = SystemClock()
    store = await SqliteStore.open(db, clock)
    now = clock.now()
    try:
        async with store.transaction() as tx:
            for n in range(chats):
                customer = f"B-{n}"
                await tx.upsert_customer(Customer(customer, locale="en_US", timezone="UTC"))
                await tx.link_channel(ChannelLink(customer, "telegram", str(FIRST_CHAT + n), now))
                amount = Money(10_000 + n, "USD")
                invoice = Invoice(
                    id=f"INV-{n}",
                    customer_id=customer,
                    amount=amount,
                    amount_due=amount,
                    issued_on=now.date(),
                    due_on=now.date(),
                    status=InvoiceStatus.OVERDUE,
                    fact_at=now,
                )
                await tx.save_invoice(invoice)
                case = await tx.insert_case(
                    customer_id=customer,
                    case_type=CaseType.C,
                    reason=Reason.SUBSTANTIAL_OVERDUE,
                    status=CaseStatus.CONTACTING,
                    opened_at=now,
                    why={},
                )
                await tx.attach_invoice(case.id, invoice.id)
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _process(
    command: list[str], port: int, log: Path, env: dict[str, str]
) -> AsyncIterator[str]:
    """A server process on `port`, ready when it answers; its /telegram URL."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=output, stderr=output
        )
    try:
        async with httpx.AsyncClient(trust_env=False) as client:
            for _ in range(600):
                if process.returncode is not None:
                    raise SystemExit(f"{command[2]} exited with {process.returncode}; see {log}")
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}/telegram"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=60)


async def measure(
    folder: Path, *, chats: int, updates: int, in_flight: list[int], warm_up: int = 100
) -> dict[str, Any]:
    """Settle and the baseline at each concurrency; ratios of their rates."""
    await _seed(folder / "settle.db", chats)
    async with TelegramEmulator(TOKEN, username="settle_bench_bot") as emulator:
        answers = Answers(emulator)
        env = {**os.environ, "SETTLE_LOG_LEVEL": "WARNING"}
        port = free_port()
        bare = [sys.executable, "-m", "bench._bare_bot", "--token", TOKEN]
        bare += ["--base-url", emulator.base_url, "--port", str(port)]
        baseline: dict[int, dict[str, Any]] = {}
        async with _process(bare, port, folder / "bare.log", env) as url:
            for n in in_flight:
                baseline[n] = await drive(
                    url, answers, chats=chats, in_flight=n, updates=updates, warm_up=warm_up
                )
        port = free_port()
        settle_env = env | {
            "SETTLE_DATABASE_URL": f"sqlite:///{folder / 'settle.db'}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "SETTLE_TELEGRAM_BASE_URL": emulator.base_url,
            "SETTLE_TELEGRAM_BOT_USERNAME": "settle_bench_bot",
            "SETTLE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "SETTLE_TELEGRAM_SECRET_TOKEN": SECRET,
            "SETTLE_TELEGRAM_MAX_PER_SECOND": "100000",
            "SETTLE_TELEGRAM_CHAT_INTERVAL_SECONDS": "0",
            "SETTLE_TRIAGE_EVERY_HOURS": "0",
            "SETTLE_WATCH_EVERY_MINUTES": "0",
        }
        serve = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
        settle: dict[int, dict[str, Any]] = {}
        async with _process(serve, port, folder / "serve.log", settle_env) as url:
            for n in in_flight:
                settle[n] = await drive(
                    url, answers, chats=chats, in_flight=n, updates=updates, warm_up=warm_up
                )
        # The bare bot again, answering with Settle's own answer: the share of the gap that
        # is python-telegram-bot sending a larger message, not Settle's work.
        reply = folder / "reply.json"
        reply.write_text(json.dumps(_as_sent(answers.last)))
        port = free_port()
        same = [*bare[:-1], str(port), "--reply-file", str(reply)]
        same_reply: dict[int, dict[str, Any]] = {}
        async with _process(same, port, folder / "bare-same.log", env) as url:
            for n in in_flight:
                same_reply[n] = await drive(
                    url, answers, chats=chats, in_flight=n, updates=updates, warm_up=warm_up
                )
    return {
        str(n): {
            "settle": settle[n],
            "baseline": baseline[n],
            "ratio": round(settle[n]["per_second"] / baseline[n]["per_second"], 2),
            "same_reply": same_reply[n],
            "ratio_same_reply": round(settle[n]["per_second"] / same_reply[n]["per_second"], 2),
        }
        for n in in_flight
    }


def _as_sent(params: dict[str, Any]) -> dict[str, Any]:
    """Settle's answer as the bare bot sends it: its text and keyboard."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return {"text": params.get("text", ""), "reply_markup": markup}


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="settle-conversation-") as name:
        result = asyncio.run(
            measure(Path(name), chats=args.chats, updates=args.updates, in_flight=args.in_flight)
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
