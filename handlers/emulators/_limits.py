"""Telegram's flood control as the emulator plays it, and the tally of what chats received.

Telegram states its limits loosely (https://core.telegram.org/bots/faq, "My bot is hitting
limits"): about 30 messages a second overall and about one a second in one chat. The
emulator holds them strictly, so that a sender passing here keeps a margin on Telegram: at
most ``per_second`` accepted messages in any sliding second, and ``chat_interval`` seconds
between two messages to one chat. A refused call answers 429 with ``parameters.retry_after``
as Telegram does, and counts as caused by the sender.

An injected 429 opens a flood wait, as a real one does: every message sent before it ends
is refused again and also counts as caused by the sender, who did not honour it.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from handlers.emulators._requests import ApiError, JSONDict

__all__ = ["FloodControl", "Limits"]

# The methods that post a message in a chat: the ones Telegram's limits count.
SENDING = frozenset({"sendmessage", "senddocument"})


@dataclass(frozen=True, slots=True)
class Limits:
    """What the emulator enforces: messages per sliding second, seconds between two in a chat."""

    per_second: int = 30
    chat_interval: float = 1.0


@dataclass(slots=True)
class _Pause:
    """An injected 429: when, to which chat, and when sending resumed and the chat got its turn."""

    at: float
    retry_after: int
    chat_id: Any
    resumed_at: float | None = None
    retried_at: float | None = None

    def to_dict(self) -> JSONDict:
        def since(moment: float | None) -> float | None:
            return None if moment is None else round(moment - self.at, 3)

        return {
            "retry_after": self.retry_after,
            "chat_id": self.chat_id,
            "paused_seconds": since(self.resumed_at),
            "chat_retried_after_seconds": since(self.retried_at),
        }


@dataclass(slots=True)
class _Tally:
    """What the chats received: messages per chat, and the repeats of a text in one chat."""

    delivered: Counter[Any] = field(default_factory=Counter)
    duplicates: Counter[Any] = field(default_factory=Counter)
    texts: dict[Any, set[str]] = field(default_factory=dict)
    # Each chat's texts in the order they arrived, and every arrival time.
    sequence: dict[Any, list[str]] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    first_at: float | None = None
    last_at: float | None = None

    def add(self, chat_id: Any, text: str, now: float) -> None:
        self.delivered[chat_id] += 1
        seen = self.texts.setdefault(chat_id, set())
        if text in seen:
            self.duplicates[chat_id] += 1
        seen.add(text)
        self.sequence.setdefault(chat_id, []).append(text)
        self.times.append(now)
        self.first_at = now if self.first_at is None else self.first_at
        self.last_at = now

    def busiest_second(self) -> int:
        """The most messages that arrived within any sliding second."""
        most, start = 0, 0
        for end, moment in enumerate(self.times):
            while moment - self.times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most


class FloodControl:
    """Refuses messages over the limits (when given) and on injected 429s; tallies the others."""

    def __init__(
        self, limits: Limits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.refused: Counter[str] = Counter({"sender": 0, "injected": 0})
        # The sender's 429s by the rule broken: "per second", "per chat" or "flood wait".
        self.broken: Counter[str] = Counter()
        self._clock = clock
        self._recent: deque[float] = deque()
        self._last_in_chat: dict[Any, float] = {}
        self._injected: list[int] = []
        self._wait_until = 0.0
        self._pauses: list[_Pause] = []
        self._tally = _Tally()

    def inject(self, retry_after: int) -> None:
        """Answer the next message with a 429 asking to wait ``retry_after`` seconds."""
        if retry_after < 1:
            raise ValueError(f"retry_after must be at least 1 second, got {retry_after}")
        self._injected.append(retry_after)

    def check(self, method: str, params: JSONDict) -> None:
        """Raise the 429 Telegram would answer to this call now, if any."""
        if method.lower() not in SENDING:
            return
        now = self._clock()
        if self._injected:
            retry_after = self._injected.pop(0)
            self._wait_until = now + retry_after
            self._pauses.append(_Pause(now, retry_after, params.get("chat_id")))
            self._refuse("injected", retry_after)
        if now < self._wait_until:
            self._refuse("flood wait", self._wait_until - now)
        if self.limits is not None:
            self._check_limits(self.limits, params.get("chat_id"), now)

    def accepted(self, method: str, params: JSONDict) -> None:
        """Count a message the chat received."""
        if method.lower() not in SENDING:
            return
        now = self._clock()
        chat_id = params.get("chat_id")
        self._recent.append(now)
        self._last_in_chat[chat_id] = now
        self._tally.add(chat_id, str(params.get("text", params.get("caption", ""))), now)
        for pause in self._pauses:
            pause.resumed_at = pause.resumed_at or now
            if pause.retried_at is None and pause.chat_id == chat_id:
                pause.retried_at = now

    def stats(self, *, per_chat: bool = True, texts: bool = False) -> JSONDict:
        """What the chats received and what was refused, as GET /_emulator/stats answers.

        With `texts`, each chat's texts in the order they arrived, and the most messages
        that arrived within any sliding second.
        """
        tally = self._tally
        span = 0.0 if tally.first_at is None else (tally.last_at or 0.0) - tally.first_at
        summary = {
            "delivered": sum(tally.delivered.values()),
            "chats": len(tally.delivered),
            "duplicates": sum(tally.duplicates.values()),
            "refused": dict(self.refused),
            "broken": dict(self.broken),
            "span_seconds": round(span, 3),
            "pauses": [pause.to_dict() for pause in self._pauses],
        }
        if per_chat:
            summary["per_chat"] = {str(chat): count for chat, count in tally.delivered.items()}
        if texts:
            summary["texts"] = {str(chat): list(seq) for chat, seq in tally.sequence.items()}
            summary["busiest_second"] = tally.busiest_second()
        return summary

    def _check_limits(self, limits: Limits, chat_id: Any, now: float) -> None:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= limits.per_second:
            self._refuse("per second", self._recent[0] + 1.0 - now)
        last = self._last_in_chat.get(chat_id)
        if last is not None and now - last < limits.chat_interval:
            self._refuse("per chat", last + limits.chat_interval - now)

    def _refuse(self, rule: str, wait: float) -> None:
        if rule == "injected":
            self.refused["injected"] += 1
        else:
            self.refused["sender"] += 1
            self.broken[rule] += 1
        # Telegram counts retry_after in whole seconds, at least one.
        retry_after = max(1, math.ceil(wait))
        description = f"Too Many Requests: retry after {retry_after}"
        raise ApiError(HTTPStatus.TOO_MANY_REQUESTS, description, {"retry_after": retry_after})
