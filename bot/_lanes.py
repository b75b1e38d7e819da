"""The outbox's concurrency: one lane per chat, several lanes at once.

A lane delivers its chat's contacts one at a time in claim order, so that concurrency never
reorders what one customer reads; contacts without a chat (billing callbacks, case steps)
get a lane each. When a contact is put back for later (a 429, a retry), the rest of its lane
is put back for the same moment rather than overtaking it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from bot._model import Contact

__all__ = ["Lanes"]

logger = logging.getLogger(__name__)

# Delivers one contact; returns when it was put back for, or None when it is done.
Deliver = Callable[[Contact], Awaitable[datetime | None]]
PutBack = Callable[[Contact, datetime], Awaitable[None]]


class Lanes:
    """Contacts delivered concurrently across chats and in order within one chat."""

    def __init__(self, deliver: Deliver, put_back: PutBack, *, limit: int) -> None:
        self._deliver = deliver
        self._put_back = put_back
        self._limit = asyncio.Semaphore(limit)
        self._queues: dict[str, deque[Contact]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._started: set[str] = set()
        self._changed = asyncio.Event()
        self._closing = False
        self.pending = 0

    def add(self, contacts: Iterable[Contact]) -> None:
        """Queue claimed contacts behind their chat's, starting lanes as needed."""
        for contact in contacts:
            key = _key(contact)
            self.pending += 1
            if key in self._queues:
                self._queues[key].append(contact)
                continue
            self._queues[key] = deque([contact])
            self._tasks[key] = asyncio.create_task(self._lane(key), name=f"outbox-lane-{key}")

    # A timeout parameter (ASYNC109): the feed re-checks its stop event at every poll.
    async def wait_below(self, count: int, *, timeout: float) -> None:  # noqa: ASYNC109
        """Return once fewer than `count` contacts are pending, or after `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.pending >= count:
                    self._changed.clear()
                    await self._changed.wait()

    async def join(self) -> None:
        """Wait until every queued contact is done."""
        while running := self._running():
            await asyncio.wait(running)

    async def close(self, in_flight: Callable[[Contact], bool], *, grace: float) -> None:
        """Stop: a lane whose contact is in the channel's hands finishes it (for up to `grace`
        seconds); the others stop at once. What they leave stays claimed until the next start
        puts it back (`Store.release_orphans`), so no contact is lost.
        """
        self._closing = True
        for key, task in list(self._tasks.items()):
            queue = self._queues[key]
            if key not in self._started or not in_flight(queue[0]):
                task.cancel()
        if running := self._running():
            await asyncio.wait(running, timeout=grace)
        for task in self._running():
            task.cancel()
        if running := self._running():
            await asyncio.wait(running)

    def _running(self) -> list[asyncio.Task[None]]:
        # A lane cancelled before it ran never reaches its `finally`: skip finished tasks.
        return [task for task in self._tasks.values() if not task.done()]

    async def _lane(self, key: str) -> None:
        queue = self._queues[key]
        try:
            async with self._limit:
                self._started.add(key)
                while queue and not self._closing:
                    later = await self._step(queue[0])
                    self._done(queue.popleft())
                    if later is not None and not self._closing:
                        await self._hold_rest(queue, later)
        finally:
            self._started.discard(key)
            self.pending -= len(queue)
            del self._queues[key], self._tasks[key]
            self._changed.set()

    async def _step(self, contact: Contact) -> datetime | None:
        try:
            return await self._deliver(contact)
        except Exception:
            # The store failed mid-delivery: the contact stays claimed until the next start.
            logger.exception("contact=%d delivery failed; it stays sending", contact.id)
            return None

    async def _hold_rest(self, queue: deque[Contact], until: datetime) -> None:
        while queue:
            contact = queue[0]
            try:
                await self._put_back(contact, until)
            except Exception:
                logger.exception("contact=%d could not be put back; it stays sending", contact.id)
            self._done(queue.popleft())

    def _done(self, contact: Contact) -> None:
        self.pending -= 1
        self._changed.set()


def _key(contact: Contact) -> str:
    return f"chat:{contact.chat_id}" if contact.chat_id is not None else f"contact:{contact.id}"
