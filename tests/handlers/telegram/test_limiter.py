"""The rate limiter every Bot API call passes: slots, chat turns and 429 pauses.

The callbacks stand in for PTB's HTTP request and record when each call started and ended
(monotonic time), so that the tests read the spacing the limiter gave.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from handlers.telegram import PacedRateLimiter

# Sleeps overshoot by a little; the limiter never lets a call start early.
EARLY = 0.002


@dataclass(frozen=True)
class Call:
    label: str
    started: float
    ended: float


class Api:
    """A fake Bot API: answers after `took` seconds, or raises what it is told to."""

    def __init__(self, limiter: PacedRateLimiter, *, took: float = 0.0) -> None:
        self.limiter = limiter
        self.took = took
        self.calls: list[Call] = []
        self.refuse: list[Exception] = []

    async def call(self, label: str, endpoint: str = "sendMessage", chat_id: Any = None) -> Any:
        async def callback(*args: Any, **kwargs: Any) -> bool:
            started = time.monotonic()
            if self.refuse:
                raise self.refuse.pop(0)
            await asyncio.sleep(self.took)
            self.calls.append(Call(label, started, time.monotonic()))
            return True

        data = {} if chat_id is None else {"chat_id": chat_id}
        return await self.limiter.process_request(callback, (), {}, endpoint, data, None)

    def started(self) -> list[float]:
        return [call.started for call in self.calls]


async def test_sends_to_different_chats_are_evenly_spaced() -> None:
    api = Api(PacedRateLimiter(per_second=20, chat_interval=1.0))

    await asyncio.gather(*(api.call(f"m{n}", chat_id=n) for n in range(10)))

    starts = api.started()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.05 - EARLY * 5
    assert starts[-1] - starts[0] == pytest.approx(0.45, abs=0.05)


async def test_one_of_four_workers_takes_a_quarter_of_the_limit_rounded_down() -> None:
    limiter = PacedRateLimiter(per_second=30, chat_interval=0.0)
    limiter.share(4)
    api = Api(limiter)

    await asyncio.gather(*(api.call(f"m{n}", chat_id=n) for n in range(8)))

    starts = api.started()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 1 / 7 - EARLY * 5
    assert starts[7] - starts[0] >= 1.0 - EARLY


async def test_no_call_starts_within_a_second_of_the_answer_per_second_calls_before() -> None:
    api = Api(PacedRateLimiter(per_second=10, chat_interval=0.0), took=0.05)

    await asyncio.gather(*(api.call(f"m{n}", chat_id=n) for n in range(15)))

    calls = api.calls
    late = [
        (n, calls[n].started - calls[n - 10].ended)
        for n in range(10, len(calls))
        if calls[n].started - calls[n - 10].ended < 1.0 - EARLY
    ]
    assert late == []


async def test_messages_to_one_private_chat_go_in_order_an_interval_after_each_answer() -> None:
    api = Api(PacedRateLimiter(per_second=30, chat_interval=0.2), took=0.02)

    await asyncio.gather(*(api.call(f"m{n}", chat_id=7) for n in range(4)))

    assert [call.label for call in api.calls] == ["m0", "m1", "m2", "m3"]
    waits = [b.started - a.ended for a, b in itertools.pairwise(api.calls)]
    assert min(waits) >= 0.2 - EARLY


async def test_an_edit_takes_no_turn_in_its_chat() -> None:
    api = Api(PacedRateLimiter(per_second=30, chat_interval=1.0))

    await api.call("message", chat_id=7)
    await api.call("edit", "editMessageText", chat_id=7)

    message, edit = api.calls
    assert edit.started - message.ended < 0.2


async def test_retry_after_pauses_every_call_then_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # an int retry_after warns since PTB 22.2
    api = Api(PacedRateLimiter(per_second=30, chat_interval=0.0))
    api.refuse.append(RetryAfter(timedelta(seconds=1)))

    refused_at = time.monotonic()
    with pytest.raises(RetryAfter):
        await api.call("refused", chat_id=1)
    await asyncio.gather(api.call("other chat", chat_id=2), api.call("getMe", "getMe"))

    assert min(api.started()) - refused_at >= 1.0 - EARLY


async def test_a_call_without_a_chat_does_not_queue_behind_sends() -> None:
    api = Api(PacedRateLimiter(per_second=4, chat_interval=0.0))
    sends = [asyncio.create_task(api.call(f"m{n}", chat_id=n)) for n in range(4)]
    await asyncio.sleep(0)

    asked = time.monotonic()
    await api.call("getMe", "getMe")
    answered = time.monotonic() - asked
    await asyncio.gather(*sends)

    assert answered < 0.1
    assert [call.label for call in api.calls][:2] == ["m0", "getMe"]


def test_per_second_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_second must be 1 or more"):
        PacedRateLimiter(per_second=0)
