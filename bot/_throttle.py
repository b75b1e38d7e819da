"""Slowing down and then blocking a chat that keeps sending wrong link tokens.

A link token is 192 random bits, so guessing one is hopeless; the throttle keeps a chat
from trying anyway, and keeps a leaked prefix of a link from being completed by trial.
After `free` failures each attempt must wait twice as long as the one before (2 s, 4 s,
8 s, ...); after `most` failures the chat is blocked for `block`. A token that works
clears the chat's record. The record lives in this process: one process serves an SQLite
database (DESIGN.md), and a restart only forgives a chat early.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LinkThrottle"]

# Chats remembered at once; the oldest record goes first.
_REMEMBERED = 100_000


@dataclass(slots=True)
class _Record:
    failures: int
    last: datetime


class LinkThrottle:
    """Per-chat record of failed link attempts."""

    def __init__(self, *, free: int, most: int, block: timedelta) -> None:
        self._free = free
        self._most = most
        self._block = block
        self._chats: OrderedDict[str, _Record] = OrderedDict()

    def allows(self, chat_id: str, now: datetime) -> bool:
        """Whether the chat may try a token now."""
        record = self._chats.get(chat_id)
        return record is None or now >= self.next_try(chat_id, record)

    def next_try(self, chat_id: str, record: _Record | None = None) -> datetime:
        record = record or self._chats[chat_id]
        if record.failures >= self._most:
            return record.last + self._block
        if record.failures < self._free:
            return record.last
        return record.last + timedelta(seconds=2 ** (record.failures - self._free + 1))

    def failed(self, chat_id: str, now: datetime) -> int:
        """Count a failure (a refused attempt counts too); the chat's failures so far."""
        record = self._chats.pop(chat_id, None)
        if record is not None and now >= record.last + self._block:
            record = None  # a chat that kept quiet for the block's length starts again
        record = _Record((record.failures if record else 0) + 1, now)
        self._chats[chat_id] = record
        if len(self._chats) > _REMEMBERED:
            self._chats.popitem(last=False)
        return record.failures

    def succeeded(self, chat_id: str) -> None:
        self._chats.pop(chat_id, None)
