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

The outbox applies the contact policy to every message, under rules that allow every
hour of every day (bench/_campaign.py, ALL_HOURS), so that the script runs at any time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._campaign import Emulator, Server, seed, statuses


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="SETTLE_TELEGRAM_MAX_PER_SECOND")
    parser.add_argument("--retry-after", type=int, default=2, help="of the injected 429")
    return parser.parse_args()


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Seed, serve and watch one campaign in `folder`; what the emulator and outbox saw."""
    expected = args.messages / args.rate
    print(f"seeding {args.messages} messages", flush=True)
    seed(folder / "settle.db", args.messages)
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


def figures(args: argparse.Namespace, run: dict[str, Any]) -> dict[str, Any]:
    """The campaign's figures: delivery, duplicates, 429s by cause and the rate achieved."""
    stats = run["stats"]
    [pause] = stats["pauses"] or [{"paused_seconds": None, "chat_retried_after_seconds": None}]
    span = stats["span_seconds"]
    sending = span - (pause["paused_seconds"] or 0.0)
    rate = (stats["delivered"] - 1) / span
    return {
        "messages": args.messages,
        "configured": args.rate,
        "statuses": run["statuses"],
        "delivered": stats["delivered"],
        "chats": stats["chats"],
        "lost": args.messages - len(stats["per_chat"]),
        "duplicates": stats["duplicates"],
        "resent_metric": run["resent"],
        "sender_429": stats["refused"]["sender"],
        "broken_limits": stats["broken"],
        "injected_429": stats["refused"]["injected"],
        "pause_seconds": pause["paused_seconds"],
        "retried_after_seconds": pause["chat_retried_after_seconds"],
        "rate": round(rate, 2),
        "rate_ratio": round(rate / args.rate, 3),
        # The refused message took a slot too.
        "rate_without_pause": round(stats["delivered"] / sending, 2),
        "span_seconds": round(span, 1),
        "wall_seconds": round(run["wall"], 1),
    }


def _report(args: argparse.Namespace, run: dict[str, Any]) -> None:
    f = figures(args, run)
    rate, sending = f["rate"], f["rate_without_pause"]
    print(f"messages queued               {f['messages']}")
    print(f"outbox statuses               {f['statuses']}")
    print(f"delivered (emulator)          {f['delivered']} to {f['chats']} chats")
    print(f"lost                          {f['lost']}")
    print(f"duplicates (emulator)         {f['duplicates']}")
    print(f"settle_outbox_resent_total    {f['resent_metric']:.0f}")
    print(f"429 caused by the sender      {f['sender_429']} {f['broken_limits']}")
    print(f"429 injected                  {f['injected_429']}")
    print(
        f"pause after injected 429      {f['pause_seconds']} s (retry_after {args.retry_after} s)"
    )
    print(f"refused chat sent again after {f['retried_after_seconds']} s")
    print(
        f"rate, whole span              {rate:.2f} msg/s ({rate / args.rate:.1%} of {args.rate})"
    )
    print(
        f"rate, minus the 429 pause     {sending:.2f} msg/s "
        f"({sending / args.rate:.1%} of {args.rate})"
    )
    print(f"first to last message         {f['span_seconds']:.1f} s")
    print(f"wall time (start to last)     {f['wall_seconds']:.1f} s")


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="settle-campaign-") as temp:
        run_ = run(args, Path(temp))
    _report(args, run_)


if __name__ == "__main__":
    main()
