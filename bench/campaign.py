"""`python -m bench.campaign --messages 10000`: a campaign against Telegram's limits.

`settle serve` (a real process, SQLite file on disk) sends one first message to each of
`--messages` customers, each in a chat of its own, through the Bot API emulator running as
a process of its own and holding Telegram's limits strictly: `--rate` messages in any
sliding second (SETTLE_TELEGRAM_MAX_PER_SECOND, default 30) and one a second per chat,
answering 429 with retry_after like Telegram. Halfway, the emulator answers one message
with an injected 429 (`--retry-after` seconds) and refuses everything until it has passed.

It prints what the chats received (each exactly once?), the 429s by cause (the sender's
must be 0), the pause after the injected 429 (it must equal retry_after), the refused
chat's second try, and the rate achieved against the configured one (95% at least).

The customers get a time zone whose contact window (08:00-21:00, no weekend or holiday)
is open now and for the expected length of the run, chosen by asking the product's own
contact policy: otherwise the outbox would rightly hold the messages.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._campaign import Emulator, Server, contact_zone, seed, statuses


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="SETTLE_TELEGRAM_MAX_PER_SECOND")
    parser.add_argument("--retry-after", type=int, default=2, help="of the injected 429")
    return parser.parse_args()


def _run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    expected = args.messages / args.rate
    zone, country = contact_zone(for_minutes=expected / 60 + 10)
    print(f"customers in {zone} ({country}); seeding {args.messages} messages", flush=True)
    seed(folder / "settle.db", args.messages, zone, country)
    emulator = Emulator.start(per_second=args.rate, chat_interval=1.0)
    started = time.monotonic()
    server = Server.start(
        folder,
        emulator,
        log=folder / "serve.log",
        SETTLE_TELEGRAM_MAX_PER_SECOND=str(args.rate),
    )
    try:
        _watch(args, emulator, deadline=started + expected * 1.5 + 120)
        wall = time.monotonic() - started
        time.sleep(2.0)  # room for a duplicate to show
        stats = emulator.stats()
        resent = server.metric("settle_outbox_resent_total")
    finally:
        server.stop()
        emulator.stop()
    return {
        "stats": stats,
        "wall": wall,
        "resent": resent,
        "statuses": statuses(folder / "settle.db"),
        "zone": zone,
    }


def _watch(args: argparse.Namespace, emulator: Emulator, *, deadline: float) -> None:
    """Poll the emulator until every chat has its message; inject the 429 halfway."""
    injected = False
    while time.monotonic() < deadline:
        stats = emulator.stats(per_chat=False)
        if not injected and stats["delivered"] >= args.messages // 2:
            emulator.inject_429(args.retry_after)
            injected = True
        if stats["chats"] >= args.messages:
            return
        time.sleep(0.5)
    chats = emulator.stats(per_chat=False)["chats"]
    raise SystemExit(f"not every chat got its message in time: {chats}")


def _report(args: argparse.Namespace, run: dict[str, Any]) -> None:
    stats = run["stats"]
    per_chat = stats["per_chat"]
    lost = args.messages - len(per_chat)
    [pause] = stats["pauses"] or [{"paused_seconds": None, "chat_retried_after_seconds": None}]
    span = stats["span_seconds"]
    sending = span - (pause["paused_seconds"] or 0.0)
    rate = (stats["delivered"] - 1) / span
    rate_sending = stats["delivered"] / sending  # the refused message took a slot too
    print(f"messages queued               {args.messages}")
    print(f"outbox statuses               {run['statuses']}")
    print(f"delivered (emulator)          {stats['delivered']} to {stats['chats']} chats")
    print(f"lost                          {lost}")
    print(f"duplicates (emulator)         {stats['duplicates']}")
    print(f"settle_outbox_resent_total    {run['resent']:.0f}")
    print(f"429 caused by the sender      {stats['refused']['sender']} {stats['broken']}")
    print(f"429 injected                  {stats['refused']['injected']}")
    paused = pause["paused_seconds"]
    print(f"pause after injected 429      {paused} s (retry_after {args.retry_after} s)")
    print(f"refused chat sent again after {pause['chat_retried_after_seconds']} s")
    print(
        f"rate, whole span              {rate:.2f} msg/s ({rate / args.rate:.1%} of {args.rate})"
    )
    print(
        f"rate, minus the 429 pause     {rate_sending:.2f} msg/s "
        f"({rate_sending / args.rate:.1%} of {args.rate})"
    )
    print(f"first to last message         {span:.1f} s")
    print(f"wall time (start to last)     {run['wall']:.1f} s")


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="settle-campaign-") as temp:
        run = _run(args, Path(temp))
    _report(args, run)


if __name__ == "__main__":
    main()
