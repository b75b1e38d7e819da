"""`python -m bench.workers --workers 4 --messages 10000`: a campaign from several workers.

`--workers` `settle serve` processes share one PostgreSQL database (a fresh one on the
server of SETTLE_TEST_POSTGRES_URL, dropped at the end) and send `--messages` messages,
`--per-chat` to each customer's chat, through the Bot API emulator in a process of its own.
The emulator enforces one message a second per chat, like Telegram, but lets the overall
rate through up to ten times SETTLE_TELEGRAM_MAX_PER_SECOND (`--rate`), so that the busiest
sliding second it saw measures what the workers sent together, against `--rate`.

With `--kill`, one worker is killed with SIGKILL once half of the messages arrived; the
others put back what it left in flight once its heartbeat is 15 seconds old.

It prints what the chats received (each message exactly once? each chat's in order?), the
duplicates, the sender's 429s (must be 0), the busiest second and the rate achieved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench._campaign import FIRST_CHAT, Emulator, Server, amount, seed_url


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--per-chat", type=int, default=4)
    parser.add_argument("--rate", type=int, default=30, help="SETTLE_TELEGRAM_MAX_PER_SECOND")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one worker halfway")
    parser.add_argument("--server", default=os.environ.get("SETTLE_TEST_POSTGRES_URL"))
    return parser.parse_args()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _statuses(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT status, count(*) AS n FROM contacts WHERE channel = 'telegram' "
            "AND dedupe_key LIKE 'bench:%' GROUP BY status"
        )
    finally:
        await connection.close()
    return {row["status"]: int(row["n"]) for row in rows}


def _watch(
    args: argparse.Namespace, url: str, emulator: Emulator, servers: list[Server]
) -> dict[str, Any]:
    """Until every message is marked sent; kill one worker halfway when asked."""
    deadline = time.monotonic() + args.messages / args.rate * 2 + 180
    killed: dict[str, Any] = {"samples": []}
    while time.monotonic() < deadline:
        delivered = emulator.stats(per_chat=False)["delivered"]
        killed["samples"].append((time.monotonic(), delivered))
        if args.kill and "at" not in killed and delivered >= args.messages // 2:
            servers[-1].kill()
            killed |= {"at_delivered": delivered, "at": time.monotonic()}
        if asyncio.run(_statuses(url)).get("sent", 0) >= args.messages:
            return killed
        time.sleep(0.5)
    raise SystemExit(f"not every message was sent in time: {asyncio.run(_statuses(url))}")


def _run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    name = f"settle_bench_{secrets.token_hex(4)}"
    url = _with_database(args.server, name)
    asyncio.run(_admin(args.server, f"CREATE DATABASE {name}"))
    try:
        print(f"seeding {args.messages} messages", flush=True)
        seed_url(url, args.messages, per_chat=args.per_chat)
        emulator = Emulator.start(per_second=args.rate * 10, chat_interval=1.0)
        servers: list[Server] = []
        try:
            settings = {
                "SETTLE_DATABASE_URL": url,
                "SETTLE_TELEGRAM_MAX_PER_SECOND": str(args.rate),
            }
            started = time.monotonic()
            servers = [
                Server.start(folder, emulator, log=folder / f"serve{n}.log", **settings)
                for n in range(args.workers)
            ]
            killed = _watch(args, url, emulator, servers)
            wall = time.monotonic() - started
            time.sleep(2.0)  # room for a duplicate to show
            stats = emulator.stats(texts=True)
            alive = [s for s in servers if s.process.poll() is None]
            resent = sum(s.metric("settle_outbox_resent_total") for s in alive)
            released = sum(s.metric("settle_outbox_released_total") for s in alive)
        finally:
            for server in servers:
                if server.process.poll() is None:
                    server.stop()
            emulator.stop()
        statuses = asyncio.run(_statuses(url))
    finally:
        asyncio.run(_admin(args.server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    return {
        "stats": stats,
        "wall": wall,
        "killed": killed,
        "resent": resent,
        "released": released,
        "statuses": statuses,
    }


_MONEY = re.compile(r"\$([\d,]+)\.(\d\d)")


def _out_of_order(args: argparse.Namespace, texts: dict[str, list[str]]) -> int:
    """Chats whose messages arrived in another order than queued (repeats set aside)."""
    wrong = 0
    for chat, received in texts.items():
        n = int(chat) - FIRST_CHAT
        order = {amount(n, k): k for k in range(args.per_chat)}
        seen: list[int] = []
        for text in received:
            match = _MONEY.search(text)
            assert match is not None, text
            k = order[int(match.group(1).replace(",", "")) * 100 + int(match.group(2))]
            if k not in seen:
                seen.append(k)
        wrong += seen != sorted(seen)
    return wrong


def _rates_around(killed: dict[str, Any]) -> list[tuple[str, float]]:
    """The rate before the kill, in the 20 s after it, and from then on (emulator samples)."""
    samples, at = killed["samples"], killed["at"]
    spans = [("before the kill", 0.0, at), ("0-20 s after it", at, at + 20)]
    spans.append(("from 20 s after it", at + 20, samples[-1][0]))
    rates = []
    for label, start, end in spans:
        inside = [(t, n) for t, n in samples if start <= t <= end and n > 0]
        if len(inside) > 1:
            (t0, n0), (t1, n1) = inside[0], inside[-1]
            rates.append((label, (n1 - n0) / (t1 - t0)))
    return rates


def _report(args: argparse.Namespace, run: dict[str, Any]) -> None:
    stats = run["stats"]
    chats = args.messages // args.per_chat
    distinct = sum(len(set(texts)) for texts in stats["texts"].values())
    rate = (stats["delivered"] - 1) / stats["span_seconds"]
    print(f"workers                       {args.workers}{' (one SIGKILLed)' if args.kill else ''}")
    if "at" in run["killed"]:
        print(f"killed at                     {run['killed']['at_delivered']} delivered")
        for label, around in _rates_around(run["killed"]):
            print(f"rate {label:<24} {around:.2f} msg/s")
    print(f"messages queued               {args.messages} ({args.per_chat} to each of {chats})")
    print(f"outbox statuses               {run['statuses']}")
    print(f"delivered (emulator)          {stats['delivered']} to {stats['chats']} chats")
    print(f"distinct messages delivered   {distinct}")
    print(f"lost                          {args.messages - distinct}")
    print(f"duplicates (emulator)         {stats['duplicates']}")
    print(f"resent / released (survivors) {run['resent']:.0f} / {run['released']:.0f}")
    print(f"chats out of order            {_out_of_order(args, stats['texts'])}")
    print(f"429 caused by the sender      {stats['refused']['sender']} {stats['broken']}")
    print(f"busiest sliding second        {stats['busiest_second']} (limit {args.rate})")
    print(
        f"rate, first to last message   {rate:.2f} msg/s ({rate / args.rate:.1%} of {args.rate})"
    )
    print(f"first to last message         {stats['span_seconds']:.1f} s")
    print(f"wall time (start to all sent) {run['wall']:.1f} s")
    print(f"load average at the end       {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main() -> None:
    args = _arguments()
    if not args.server:
        raise SystemExit("a PostgreSQL server is needed: --server or SETTLE_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory(prefix="settle-workers-") as temp:
        run = _run(args, Path(temp))
    _report(args, run)


if __name__ == "__main__":
    main()
