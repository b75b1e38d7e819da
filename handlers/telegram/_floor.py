"""Who speaks next in a chat: an update's answer goes before what the update queued.

A customer's tap can queue messages in the outbox in the same transaction that decides the
answer (the copy of an agreement just made, the notice waiting for a chat just linked). The
outbox would send them as soon as the transaction commits, and the answer, sent a moment
later, would arrive after them. The chat's handlers hold the floor from the start of an
update until its answer is on its way; the outbox's Telegram sender takes it for each
message. Within one process; several workers order a chat's updates through `ChatTurns`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["ChatFloor"]


class ChatFloor:
    """One speaker at a time per chat; a chat nobody waits for holds no lock."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, chat_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._holders[chat_id] = self._holders.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[chat_id] -= 1
            if not self._holders[chat_id]:
                del self._holders[chat_id]
                del self._locks[chat_id]

    def chats(self) -> int:
        """How many chats have a speaker or someone waiting."""
        return len(self._locks)
