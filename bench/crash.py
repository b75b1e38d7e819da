"""`python -m bench.crash --messages 2000 --kills 20`: SIGKILL `settle serve` mid-campaign.

The Bot API emulator runs as a process of its own holding Telegram's limits, and counts
what each chat received. `settle serve` runs as operators run it (SQLite file on disk,
SETTLE_TELEGRAM_BASE_URL pointing at the emulator, the triage and watch jobs off) with
`--messages` first messages queued, one per customer and chat. It is killed with SIGKILL
at a random moment (uniform between 0.2 s and messages/rate/kills seconds after it answers
/healthz), `--kills` times, and restarted each time; the last run sends what is left.

A message may reach a chat twice only when the process dies between Telegram accepting it
and the row being marked sent. The product counts those possible resends at each start
in `settle_outbox_resent_total` (read from /metrics right after /healthz answers, before
the kill, since a counter starts from zero in each process); the script adds them up and
compares them with the duplicates the emulator saw, chat by chat, and checks that no
message was lost.

The outbox applies the contact policy to every message, under rules that allow every
hour of every day (bench/_campaign.py, ALL_HOURS), so that the script runs at any time.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._campaign import FIRST_CHAT, Emulator, Server, seed, statuses


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rate", type=int, default=30, help="SETTLE_TELEGRAM_MAX_PER_SECOND")
    parser.add_argument("--seed", type=int, default=None, help="of the random kill moments")
    return parser.parse_args()


def _life(server: Server, emulator: Emulator) -> dict[str, Any]:
    return {
        "released": server.metric("settle_outbox_released_total"),
        "resent": server.metric("settle_outbox_resent_total"),
        "delivered_at_start": emulator.stats(per_chat=False)["delivered"],
    }


def _kill_loop(
    args: argparse.Namespace, folder: Path, emulator: Emulator, rng: random.Random
) -> list[dict[str, Any]]:
    longest = max(0.5, args.messages / args.rate / args.kills)
    lives = []
    for _ in range(args.kills):
        server = Server.start(folder, emulator, log=folder / "serve.log")
        life = _life(server, emulator)
        life["up"] = rng.uniform(0.2, longest)
        time.sleep(life["up"])
        server.kill()
        life["delivered_at_kill"] = emulator.stats(per_chat=False)["delivered"]
        lives.append(life)
    return lives


def _finish(args: argparse.Namespace, folder: Path, emulator: Emulator) -> dict[str, Any]:
    """The last run: until every contact is marked and every chat has its message."""
    server = Server.start(folder, emulator, log=folder / "serve.log")
    life = _life(server, emulator)
    deadline = time.monotonic() + args.messages / args.rate * 2 + 120
    try:
        while time.monotonic() < deadline:
            left = statuses(folder / "settle.db")
            chats = emulator.stats(per_chat=False)["chats"]
            if left.get("sent", 0) == args.messages and chats >= args.messages:
                break
            time.sleep(0.5)
        time.sleep(2.0)  # room for a duplicate to show
    finally:
        server.stop()
    return life


def _resent_chats(log: Path) -> set[int]:
    """Chats of the contacts the product put back as possibly sent (from its warnings)."""
    chats: set[int] = set()
    for ids in re.findall(r"may arrive twice: \[([0-9, ]*)\]", log.read_text()):
        chats |= {FIRST_CHAT + int(i) - 1 for i in ids.split(",") if i.strip()}
    return chats


def _report(args: argparse.Namespace, run: dict[str, Any]) -> None:
    stats, lives = run["stats"], run["lives"]
    per_chat = {int(chat): count for chat, count in stats["per_chat"].items()}
    lost = args.messages - len(per_chat)
    duplicated = {chat for chat, count in per_chat.items() if count > 1}
    resent = sum(life["resent"] for life in lives)
    released = sum(life["released"] for life in lives)
    print(f"seed {run['seed']}")
    print(f"{'run':>4} {'up s':>6} {'delivered':>10} {'at kill':>8} {'released':>9} {'resent':>7}")
    for number, life in enumerate(lives, start=1):
        up = f"{life['up']:.2f}" if "up" in life else "last"
        print(
            f"{number:>4} {up:>6} {life['delivered_at_start']:>10} "
            f"{life.get('delivered_at_kill', ''):>8} {life['released']:>9.0f} "
            f"{life['resent']:>7.0f}"
        )
    print(f"messages queued                     {args.messages}")
    print(f"kills (SIGKILL)                     {args.kills}")
    print(f"outbox statuses at the end          {run['statuses']}")
    print(f"delivered (emulator)                {stats['delivered']} to {stats['chats']} chats")
    print(f"lost                                {lost}")
    print(f"duplicates (emulator)               {stats['duplicates']} in {len(duplicated)} chats")
    print(f"settle_outbox_resent_total, summed  {resent:.0f}")
    print(f"settle_outbox_released_total, summed {released:.0f}")
    counted = duplicated <= run["resent_chats"]
    print(f"every duplicated chat was counted   {'yes' if counted else 'NO'}")
    print(f"429 caused by the sender            {stats['refused']['sender']} {stats['broken']}")
    print(f"wall time                           {run['wall']:.1f} s")


def main() -> None:
    args = _arguments()
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed_value)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="settle-crash-") as temp:
        folder = Path(temp)
        seed(folder / "settle.db", args.messages)
        emulator = Emulator.start(per_second=args.rate, chat_interval=1.0)
        try:
            lives = _kill_loop(args, folder, emulator, rng)
            lives.append(_finish(args, folder, emulator))
            stats = emulator.stats()
        finally:
            emulator.stop()
        run = {
            "seed": seed_value,
            "lives": lives,
            "stats": stats,
            "statuses": statuses(folder / "settle.db"),
            "resent_chats": _resent_chats(folder / "serve.log"),
            "wall": time.monotonic() - started,
        }
    _report(args, run)


if __name__ == "__main__":
    main()
