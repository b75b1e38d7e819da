"""The contact profiles as the operator sets them: built-in ones changed, or new ones added.

A TOML file (SETTLE_CONTACT_RULES_FILE, see examples/contact-rules.toml) has one table per
profile; each key it gives replaces the built-in value, and a table with a new name adds a
profile that starts from `default`'s values:

    [default]
    window_start = "09:00"
    cap = 5

    [us-ny]
    window_start = "09:00"
    window_end = "20:00"
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot._errors import ConfigurationError
from bot._policy import PROFILES, Profile

__all__ = ["DAYS", "load_profiles"]

# Day names as the file writes them, Monday first (Python's weekday numbers).
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(name: str) -> int:
    key = name.strip().lower()
    if key not in DAYS:
        raise ValueError(f"unknown day {name!r}; expected one of {', '.join(DAYS)}")
    return DAYS.index(key)


class _Rules(BaseModel):
    """One profile's table; every key optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_start: time | None = None
    window_end: time | None = None
    weekend: list[str] | None = None
    quiet_from: dict[str, time] | None = None
    holiday_country: str | None = None
    cap: int | None = None
    cap_window_days: int | None = None
    forbearance: bool | None = None

    @field_validator("weekend")
    @classmethod
    def _check_weekend(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            _day(name)
        return value

    @field_validator("quiet_from")
    @classmethod
    def _check_quiet_from(cls, value: dict[str, time] | None) -> dict[str, time] | None:
        for name in value or {}:
            _day(name)
        return value

    def applied_to(self, profile: Profile, name: str) -> Profile:
        changes: dict[str, Any] = {"name": name}
        given = self.model_dump(exclude_none=True)
        for key in ("window_start", "window_end", "cap", "forbearance"):
            if key in given:
                changes[key] = given[key]
        if self.weekend is not None:
            changes["weekend"] = frozenset(_day(day) for day in self.weekend)
        if self.quiet_from is not None:
            changes["quiet_from"] = {_day(day): at for day, at in self.quiet_from.items()}
        if self.holiday_country is not None:
            # An empty string: the customer's own country, as the built-in profiles do.
            changes["holiday_country"] = self.holiday_country.upper() or None
        if self.cap_window_days is not None:
            changes["cap_window"] = timedelta(days=self.cap_window_days)
        return dataclasses.replace(profile, **changes)


def load_profiles(path: Path | None) -> Mapping[str, Profile]:
    """The built-in profiles with the file's changes; `ConfigurationError` names the key."""
    if path is None:
        return PROFILES
    source = f"SETTLE_CONTACT_RULES_FILE {path}"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{source}: cannot read it: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source}: not TOML: {error}") from None
    profiles = dict(PROFILES)
    for name, table in raw.items():
        if not isinstance(table, dict):
            msg = f"{source}: {name}: expected a table of rules, e.g. [{name}]"
            raise ConfigurationError(msg)
        try:
            rules = _Rules.model_validate(table)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in (name, *first["loc"]))
            raise ConfigurationError(f"{source}: {where}: {first['msg']}") from None
        base = profiles.get(name, PROFILES["default"])
        try:
            profiles[name] = rules.applied_to(base, name)
        except ConfigurationError as error:
            raise ConfigurationError(f"{source}: {error}") from None
    return MappingProxyType(profiles)
