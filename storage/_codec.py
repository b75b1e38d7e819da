"""Conversions between domain values and the text SQLite stores."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

__all__ = ["dump_json", "load_json", "read_date", "read_time", "write_date", "write_time"]

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@lru_cache(maxsize=4096)
def write_time(moment: datetime) -> str:
    """UTC text in one fixed format, so that stored times sort as text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; Settle stores only timezone-aware times")
    return moment.astimezone(UTC).strftime(_FORMAT)


def read_time(text: str) -> datetime:
    # fromisoformat reads the trailing Z since Python 3.11, and is many times faster.
    return datetime.fromisoformat(text)


def write_date(day: date) -> str:
    return day.isoformat()


def read_date(text: str) -> date:
    return date.fromisoformat(text)


def dump_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
