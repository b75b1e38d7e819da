"""`python -m bench._bare_bot`: the conversation benchmark's baseline.

A bare python-telegram-bot Application whose one handler answers every text message with
a fixed reply, served for webhook updates the way `settle serve` serves them (Starlette
under uvicorn, updates handled concurrently, the same HTTP connection pool), so that the
difference measured is Settle's own work: its handlers, storage and texts.

With `--reply-file` (JSON with "text" and "reply_markup", as a Bot API sendMessage takes
them) the fixed reply is that message instead of one word: the bench gives it Settle's own
answer, to show what sending a message of that size costs python-telegram-bot alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


def build(
    token: str, base_url: str, *, pool: int, reply: dict[str, Any] | None = None
) -> Starlette:
    text = "Noted." if reply is None else str(reply["text"])
    markup = None if reply is None else reply.get("reply_markup")

    async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None:
            # Built per answer, as a handler that renders its reply builds it.
            keyboard = InlineKeyboardMarkup.de_json(markup, context.bot) if markup else None
            await context.bot.send_message(update.effective_chat.id, text, reply_markup=keyboard)

    bot_app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .updater(None)
        .connection_pool_size(pool)
        .pool_timeout(10.0)
        .concurrent_updates(True)
        .build()
    )
    bot_app.add_handler(MessageHandler(filters.TEXT, _answer))

    async def telegram(request: Request) -> Response:
        update = Update.de_json(await request.json(), bot_app.bot)
        await bot_app.update_queue.put(update)
        return Response()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with bot_app:
            await bot_app.start()
            yield
            await bot_app.stop()

    return Starlette(routes=[Route("/telegram", telegram, methods=["POST"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._bare_bot", description=__doc__)
    parser.add_argument("--token", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=int, default=32)
    parser.add_argument("--reply-file", type=Path, help="the message to answer with (JSON)")
    args = parser.parse_args()
    reply = json.loads(args.reply_file.read_text()) if args.reply_file else None
    app = build(args.token, args.base_url, pool=args.pool, reply=reply)
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
