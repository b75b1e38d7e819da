"""`python -m bench._bare_bot`: the conversation benchmark's baseline.

A bare python-telegram-bot Application whose one handler answers every text message with
a fixed reply, served for webhook updates the way `settle serve` serves them (Starlette
under uvicorn, updates handled concurrently, the same HTTP connection pool), so that the
difference measured is Settle's own work: its handlers, storage and texts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, "Noted.")


def build(token: str, base_url: str, *, pool: int) -> Starlette:
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
    args = parser.parse_args()
    app = build(args.token, args.base_url, pool=args.pool)
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
