"""`python -m handlers.emulators telegram`: the Bot API emulator as a process of its own.

Scripts that kill and restart Settle (bench/crash.py) need the emulator to outlive it. The
first line printed is JSON naming the base URL to give SETTLE_TELEGRAM_BASE_URL and the
stats URL; the process serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal

from handlers.emulators._limits import Limits
from handlers.emulators._telegram import TelegramEmulator


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m handlers.emulators", description=__doc__)
    platforms = parser.add_subparsers(dest="platform", required=True)
    telegram = platforms.add_parser("telegram", help="the Telegram Bot API")
    telegram.add_argument("--port", type=int, default=0, help="0: a free port")
    telegram.add_argument("--token", default="123456:TEST-emulator-token")
    telegram.add_argument("--username", default="settle_test_bot")
    telegram.add_argument("--limits", action="store_true", help="enforce Telegram's limits")
    telegram.add_argument("--per-second", type=int, default=30)
    telegram.add_argument("--chat-interval", type=float, default=1.0)
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    limits = Limits(args.per_second, args.chat_interval) if args.limits else None
    emulator = TelegramEmulator(args.token, username=args.username, limits=limits)
    await emulator.start(port=args.port)
    origin = emulator.base_url.removesuffix("/bot")
    urls = {"base_url": emulator.base_url, "stats": f"{origin}/_emulator/stats"}
    print(json.dumps(urls), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await emulator.stop()


def main() -> None:
    args = _arguments()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
