"""A chat that sends wrong link tokens is slowed, then blocked for a while."""

from __future__ import annotations

import pytest

from bot import Customer, Linking, Settings
from storage import SqliteStore
from tests.conftest import FixedClock

WRONG = "A" * 32  # well formed, never issued


@pytest.fixture
async def linking(store: SqliteStore, clock: FixedClock, settings: Settings) -> Linking:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
    return Linking(store, clock, settings)


async def _good_token(linking: Linking) -> str:
    return (await linking.deep_link("C-1")).rpartition("?start=")[2]


async def _fail(linking: Linking, times: int, *, chat: str = "100") -> None:
    for _ in range(times):
        assert await linking.redeem(chat, WRONG) is None


async def test_the_free_attempts_do_not_slow_a_chat(linking: Linking, settings: Settings) -> None:
    await _fail(linking, settings.link_free_attempts - 1)

    assert await linking.redeem("100", await _good_token(linking)) == "C-1"


async def test_after_the_free_attempts_a_good_token_waits_two_seconds(
    linking: Linking, clock: FixedClock, settings: Settings
) -> None:
    await _fail(linking, settings.link_free_attempts)
    token = await _good_token(linking)

    refused = await linking.redeem("100", token)
    clock.advance(seconds=4)  # the refused try counted: 4 s now
    accepted = await linking.redeem("100", token)

    assert (refused, accepted) == (None, "C-1")


async def test_a_chat_is_blocked_after_the_most_failures_and_forgiven_after_the_block(
    linking: Linking, clock: FixedClock, settings: Settings
) -> None:
    for _ in range(settings.link_max_failures):
        assert await linking.redeem("100", WRONG) is None
        clock.advance(seconds=600)  # past every slowing wait, never the block
    token = await _good_token(linking)

    clock.advance(minutes=settings.link_block_minutes - 11)
    blocked = await linking.redeem("100", token)
    clock.advance(minutes=settings.link_block_minutes, seconds=1)
    forgiven = await linking.redeem("100", token)

    assert (blocked, forgiven) == (None, "C-1")


async def test_another_chat_is_not_slowed(linking: Linking, settings: Settings) -> None:
    await _fail(linking, settings.link_max_failures, chat="100")

    assert await linking.redeem("200", await _good_token(linking)) == "C-1"


async def test_a_malformed_token_counts_as_a_failure(linking: Linking, settings: Settings) -> None:
    for _ in range(settings.link_free_attempts):
        assert await linking.redeem("100", "not a token!") is None

    assert await linking.redeem("100", await _good_token(linking)) is None
