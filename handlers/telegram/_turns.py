"""One update of a chat at a time, across every worker sharing the database.

With several workers behind a proxy, two updates of one chat (a tap, then a message) can
reach two workers at once. Each update is handled inside its chat's turn, which the
storage grants to one worker at a time (a PostgreSQL advisory lock), so that the second
update sees what the first changed and the replies leave in the order of the updates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["ChatTurns"]

Turn = Callable[[str, str], AbstractAsyncContextManager[None]]


class ChatTurns(BaseUpdateProcessor):
    """Handle updates concurrently, but a chat's one at a time through `turn`."""

    __slots__ = ("_turn",)

    def __init__(self, turn: Turn, *, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._turn = turn

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._turn("telegram", str(chat.id)):
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
