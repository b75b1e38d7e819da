"""Pacing every Bot API call of the bot so that Telegram never has to answer 429.

Telegram allows about 30 messages a second overall and about one a second in one chat
(https://core.telegram.org/bots/faq, "My bot is hitting limits"). PTB's `AIORateLimiter`
is a leaky bucket with a burst of 30, which exceeds a strict sliding second after a quiet
spell, and it paces chats only for groups (PITFALLS.md). `PacedRateLimiter` instead gives
every call to a chat (one with a `chat_id`):

- an evenly spaced slot, 1/`per_second` apart, and never less than a second after the
  answer to the call `per_second` slots before. Counting from answers rather than from
  sends keeps the limit whatever the network delays: Telegram cannot have seen a call
  after it answered it;
- when it posts a message (send*, copy*, forward*), a turn in its chat first: such calls
  to one chat go one at a time, in order, each `chat_interval` seconds after the previous
  one's answer, in private chats too. Edits and chat actions take no turn, so that a tap
  answered by an edit and a new message is not held a second between the two.

A 429 (`RetryAfter`) pauses every call until its `retry_after` has elapsed, then is raised
again: the outbox puts the message back for then. Calls without a chat (getMe, setWebhook,
answerCallbackQuery; PTB never passes getUpdates here) skip the send queue, so that a
button press is answered while a campaign goes out; they wait only during a 429 pause,
when Telegram holds the bot's flood wait against them too and more calls would lengthen it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot import handing_over

__all__ = ["PacedRateLimiter", "retry_seconds"]

logger = logging.getLogger(__name__)

_Result = bool | dict[str, Any] | list[dict[str, Any]]
_Callback = Callable[..., Coroutine[Any, Any, _Result]]

# Telegram's overall limit counts messages per second.
_PERIOD = 1.0
# Forget idle chats once this many are remembered (their interval has passed anyway).
_PRUNE_AT = 1024


@dataclass(slots=True)
class _Chat:
    """One chat's turn: calls wait for the lock, then for `free_at`."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    free_at: float = 0.0
    users: int = 0


@dataclass(slots=True)
class _Slot:
    """A granted overall slot; `answered_at` is set once Telegram answered (or the call failed)."""

    answered_at: float | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def close(self) -> None:
        self.answered_at = time.monotonic()
        self.answered.set()


class PacedRateLimiter(BaseRateLimiter[None]):
    """Evenly spaced sends under a strict sliding second, one chat at a time, 429s honoured."""

    __slots__ = (
        "_chat_interval",
        "_chats",
        "_next_at",
        "_paused_until",
        "_per_second",
        "_queue",
        "_spacing",
        "_window",
    )

    def __init__(self, *, per_second: int = 30, chat_interval: float = 1.0) -> None:
        if per_second < 1 or chat_interval < 0:
            msg = f"per_second must be 1 or more and chat_interval not negative, got {per_second}"
            raise ValueError(f"{msg} and {chat_interval}")
        self._per_second = per_second
        self._spacing = _PERIOD / per_second
        self._chat_interval = chat_interval
        self._window: deque[_Slot] = deque(maxlen=per_second)
        self._queue = asyncio.Lock()
        self._next_at = 0.0
        self._paused_until = 0.0
        self._chats: dict[str, _Chat] = {}

    def share(self, workers: int) -> None:
        """Take one `workers`-th of the overall limit, the rest going to the other workers.

        Each of N workers keeping its share under its own strict sliding second keeps their
        sum under the limit; the share is rounded down, never up.
        """
        per_second = max(1, self._per_second // max(workers, 1))
        if self._window.maxlen != per_second:
            logger.info("telegram rate share workers=%d per_second=%d", workers, per_second)
            self._spacing = _PERIOD / per_second
            self._window = deque(self._window, maxlen=per_second)

    async def initialize(self) -> None:
        """Nothing to set up: the state is in memory."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: _Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> _Result:
        """Run the call when its chat's turn and an overall slot come; see the module."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            await self._pause_over()
            return await self._call(callback, args, kwargs, endpoint)
        async with self._turn(str(chat_id), posts=_posts_message(endpoint)) as chat:
            await _sleep_until(chat.free_at)
            slot = await self._slot()
            try:
                # The outbox notes that the message leaves now (crash accounting).
                await handing_over()
                return await self._call(callback, args, kwargs, endpoint)
            finally:
                slot.close()
                chat.free_at = time.monotonic() + self._chat_interval

    async def _call(
        self, callback: _Callback, args: Any, kwargs: dict[str, Any], endpoint: str
    ) -> _Result:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            logger.warning("Telegram refused %s: all sending paused for %.1f s", endpoint, seconds)
            raise

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: str, *, posts: bool) -> AsyncIterator[_Chat]:
        """The chat's turn for a call that posts a message; other calls need none."""
        if self._chat_interval <= 0 or not posts:
            yield _Chat()
            return
        if len(self._chats) >= _PRUNE_AT:
            self._prune()
        chat = self._chats.setdefault(chat_id, _Chat())
        chat.users += 1
        try:
            async with chat.lock:
                yield chat
        finally:
            chat.users -= 1

    async def _slot(self) -> _Slot:
        """Wait for the next overall slot, in arrival order, and take it."""
        async with self._queue:
            while True:
                await self._pause_over()
                oldest = self._window[0] if len(self._window) == self._window.maxlen else None
                if oldest is not None and oldest.answered_at is None:
                    await oldest.answered.wait()
                    continue
                now = time.monotonic()
                at = max(self._next_at, self._paused_until)
                if oldest is not None and oldest.answered_at is not None:
                    at = max(at, oldest.answered_at + _PERIOD)
                if at <= now:
                    break
                await asyncio.sleep(at - now)
            # A slot taken late by less than the spacing keeps the schedule (sleeps overshoot).
            base = self._next_at if now - self._next_at < self._spacing else now
            self._next_at = base + self._spacing
            slot = _Slot()
            self._window.append(slot)
            return slot

    async def _pause_over(self) -> None:
        # A deadline rather than an Event: a later 429 may push it out while we sleep.
        while (left := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    def _prune(self) -> None:
        now = time.monotonic()
        idle = [key for key, chat in self._chats.items() if not chat.users and chat.free_at <= now]
        for key in idle:
            del self._chats[key]


def retry_seconds(error: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds: an int before PTB_TIMEDELTA, a timedelta after."""
    value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def _posts_message(endpoint: str) -> bool:
    """Whether a Bot API method posts a new message in the chat (Telegram's per-chat limit)."""
    name = endpoint.lower()
    if name.startswith("send"):
        return name != "sendchataction"
    return name.startswith(("copymessage", "forwardmessage"))


async def _sleep_until(moment: float) -> None:
    if (wait := moment - time.monotonic()) > 0:
        await asyncio.sleep(wait)
