"""One `settle serve` per SQLite file: a second would run a second outbox on the same rows."""

from __future__ import annotations

import pytest

from bot import ConfigurationError, Settings
from bot.app import Runtime
from tests.conftest import FixedClock


async def test_a_second_server_on_the_same_file_is_refused_until_the_first_stops(
    settings: Settings, clock: FixedClock
) -> None:
    quiet = settings.model_copy(update={"triage_every_hours": 0, "watch_every_minutes": 0})
    first = Runtime.build(quiet, clock=clock)
    await first.start()
    try:
        second = Runtime.build(quiet, clock=clock)
        with pytest.raises(ConfigurationError, match="is served by another `settle serve`"):
            await second.start()
    finally:
        await first.stop()

    third = Runtime.build(quiet, clock=clock)
    await third.start()
    await third.stop()
