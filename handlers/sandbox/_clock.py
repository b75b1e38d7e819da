"""The sandbox's clock: it moves only when the console moves it, and survives a restart."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["SAMPLE_START", "SandboxClock"]

logger = logging.getLogger(__name__)

# The sample data's today: a Monday at 14:00 UTC, inside the contact window of every sample
# customer's zone (New York to Dubai).
SAMPLE_START = datetime(2024, 3, 4, 14, 0, tzinfo=UTC)


class SandboxClock:
    """A settable clock kept in a file beside the sandbox's database."""

    def __init__(self, path: Path, *, start: datetime = SAMPLE_START) -> None:
        self._path = path
        self._moment = start
        if path.exists():
            self._moment = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
        self._save()

    def now(self) -> datetime:
        return self._moment

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta`; the new time."""
        if delta <= timedelta(0):
            msg = f"the sandbox's clock only moves forward; got {delta}"
            raise ValueError(msg)
        return self.move_to(self._moment + delta)

    def move_to(self, moment: datetime) -> datetime:
        """Move forward to `moment` (never back); the new time."""
        self._moment = max(self._moment, moment.astimezone(UTC))
        self._save()
        logger.info("sandbox clock now %s", self._moment.isoformat())
        return self._moment

    def _save(self) -> None:
        self._path.write_text(self._moment.isoformat() + "\n", encoding="utf-8")
