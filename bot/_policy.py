"""When Settle may contact a customer: a pure function of the customer, the time and the history.

COMPLIANCE.md rules 1-4: the contact window in local time, every candidate zone when the
location is unknown or conflicting, quiet days (weekend and public holidays) and a rolling
frequency cap. `next_allowed` finds the earliest moment that satisfies all of them at once.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import logging
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers
from phonenumbers import timezone as phone_timezone

from bot._errors import ConfigurationError, SettleError
from bot._model import Customer

__all__ = [
    "PROFILES",
    "Decision",
    "NoContactTime",
    "Profile",
    "candidate_zones",
    "next_allowed",
    "profile_for",
    "public_holidays",
]

logger = logging.getLogger(__name__)

HolidayLookup = Callable[[str, int], Container[date]]

# Each step satisfies at least one more zone or rule; a year of quiet days needs far fewer.
MAX_STEPS = 400


@dataclass(frozen=True, slots=True)
class Profile:
    """The contact rules of one jurisdiction; `window_end` is exclusive (21:00 is held)."""

    name: str
    # 12 CFR 1006.6(b)(1)(i): before 08:00 and after 21:00 local time are inconvenient.
    window_start: time = time(8)
    window_end: time = time(21)
    weekend: frozenset[int] = frozenset({5, 6})
    # Weekday -> local time from which the rest of that day is quiet (il: Friday 14:00).
    quiet_from: Mapping[int, time] = field(default_factory=dict)
    # None: the holidays of the customer's country.
    holiday_country: str | None = None
    # 12 CFR 1006.14(b)(2)(i): more than 7 calls within 7 consecutive days is harassment.
    cap: int = 7
    cap_window: timedelta = timedelta(days=7)
    # Rule 13: the arrears menu lists every forbearance option (FCA CONC 7.3).
    forbearance: bool = False

    def __post_init__(self) -> None:
        problem = _profile_problem(self)
        if problem:
            raise ConfigurationError(f"contact profile {self.name!r}: {problem}")


def _profile_problem(profile: Profile) -> str | None:
    if not profile.window_start < profile.window_end:
        return "window_start must be before window_end; overnight windows are not supported"
    if not profile.weekend <= set(range(7)) or len(profile.weekend) == 7:
        return "weekend must be weekday numbers 0-6 (Monday 0) leaving at least one day"
    if profile.cap < 1 or profile.cap_window <= timedelta(0):
        return "cap must be at least 1 and cap_window positive"
    return None


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "default": Profile("default"),
        # 940 CMR 7.04(1)(f): at most two communications in each seven-day period per debt.
        "us-ma": Profile("us-ma", cap=2),
        # Breathing space and debt-advice pauses (rules 11, 12) are customer and case state,
        # applied under every profile (bot._respite); forbearance on the menu is uk's own.
        "uk": Profile("uk", forbearance=True),
        "il": Profile(
            "il", weekend=frozenset({5}), quiet_from={4: time(14)}, holiday_country="IL"
        ),
    }
)

# Massachusetts is a state: a country code cannot select `us-ma`, only an operator override.
_BY_COUNTRY: Mapping[str, str] = MappingProxyType({"GB": "uk", "IL": "il"})


def profile_for(
    country: str | None,
    *,
    default: str = "default",
    overrides: Mapping[str, str] = MappingProxyType({}),
    profiles: Mapping[str, Profile] = PROFILES,
) -> Profile:
    """The profile of a country: the operator's override, else the built-in one, else `default`."""
    # `overrides` maps ISO 3166 codes to profile names (`US=us-ma` for an operator collecting
    # only in Massachusetts); `profiles` are the built-in ones as the operator changed them.
    code = (country or "").upper()
    name = overrides.get(code) or _BY_COUNTRY.get(code) or default
    try:
        return profiles[name]
    except KeyError:
        known = ", ".join(sorted(profiles))
        raise ConfigurationError(f"unknown contact profile {name!r}; expected {known}") from None


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a contact may go out now; if not, the earliest UTC moment it may, and why."""

    allowed: bool
    at: datetime
    # "window", "quiet day", "holiday" or "frequency cap": what held it at `now`.
    rule: str | None = None


class NoContactTime(SettleError):
    """No moment satisfies every zone's window: the candidate zones are too far apart."""

    def __init__(self, now: datetime, zones: tuple[ZoneInfo, ...]) -> None:
        names = ", ".join(zone.key for zone in zones)
        super().__init__(
            f"no moment after {now.isoformat()} is inside the contact window in every zone"
            f" ({names}) within {MAX_STEPS} steps; set the customer's time zone"
        )
        self.now = now
        self.zones = zones


def candidate_zones(customer: Customer, *, default_zone: str) -> tuple[ZoneInfo, ...]:
    """The zones the customer may be in: the record's, else the phone's, else the country's."""
    # Rule 2: with no known zone every candidate must be inside the window.
    zones = _zones([customer.timezone] if customer.timezone else [])
    if not zones:
        zones = _zones(_phone_zone_names(customer.phone, customer.country))
    if not zones and customer.country:
        zones = _zones(_zone_table().get(customer.country.upper(), ()))
    if not zones:
        logger.debug("no zone known for customer %s; using %s", customer.id, default_zone)
        zones = (ZoneInfo(default_zone),)
    return zones


def _zones(names: Iterable[str]) -> tuple[ZoneInfo, ...]:
    """The loadable zones among `names`, without duplicates, in name order."""
    zones: dict[str, ZoneInfo] = {}
    for name in names:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            zones[name] = ZoneInfo(name)
    return tuple(zones[name] for name in sorted(zones))


def _phone_zone_names(phone: str | None, country: str | None) -> tuple[str, ...]:
    if not phone:
        return ()
    try:
        number = phonenumbers.parse(phone, country.upper() if country else None)
    except phonenumbers.NumberParseException:
        return ()
    names = phone_timezone.time_zones_for_number(number)
    return tuple(name for name in names if name != phone_timezone.UNKNOWN_TIMEZONE)


@lru_cache(maxsize=1)
def _zone_table() -> Mapping[str, tuple[str, ...]]:
    """Country code -> zones, from the tz database's `zone.tab` (zoneinfo has no such API)."""
    for path in _zone_tab_paths():
        with contextlib.suppress(OSError):
            return _parse_zone_tab(path.read_text(encoding="utf-8"))
    logger.warning("no zone.tab in %s or the tzdata package; countries give no zones", TZPATH)
    return {}


def _zone_tab_paths() -> Iterable[Traversable]:
    # The order zoneinfo itself searches: the system's TZPATH, then the tzdata package.
    yield from (Path(directory) / "zone.tab" for directory in TZPATH)
    with contextlib.suppress(ModuleNotFoundError):
        yield importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab")


def _parse_zone_tab(text: str) -> Mapping[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        columns = line.split("\t")
        if line.startswith("#") or len(columns) < 3:
            continue
        table[columns[0]] = (*table.get(columns[0], ()), columns[2])
    return table


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of a country in a year; none for a code `holidays` does not know."""
    try:
        return frozenset(holidays.country_holidays(country.upper(), years=year))
    except NotImplementedError:
        logger.warning("no public holidays known for country %r; none applied", country)
        return frozenset()


def next_allowed(
    now: datetime,
    *,
    zones: tuple[ZoneInfo, ...],
    profile: Profile,
    country: str | None,
    sent: Sequence[datetime] = (),
    holidays_for: HolidayLookup = public_holidays,
) -> Decision:
    """The earliest moment from `now` on that satisfies rules 1-4 in every zone at once.

    Raises:
        NoContactTime: no moment within `MAX_STEPS` jumps fits every zone's window.
    """
    if now.tzinfo is None or not zones:
        raise ValueError("next_allowed needs an aware `now` and at least one zone")
    holiday_country = profile.holiday_country or country
    check = _Check(profile, zones, holiday_country, holidays_for, tuple(sorted(sent)))

    at, first_rule = now.astimezone(UTC), None
    for _ in range(MAX_STEPS):
        hold = check.hold(at)
        if hold is None:
            return Decision(allowed=first_rule is None, at=at, rule=first_rule)
        rule, at = hold
        first_rule = first_rule or rule
    raise NoContactTime(now, zones)


@dataclass(frozen=True, slots=True)
class _Check:
    """Rules 1-4 for one case; every hold names a rule and a moment before which all is held."""

    profile: Profile
    zones: tuple[ZoneInfo, ...]
    holiday_country: str | None
    holidays_for: HolidayLookup
    sent: tuple[datetime, ...]  # sorted

    def hold(self, at: datetime) -> tuple[str, datetime] | None:
        """The rule holding `at` whose release is latest, or None if `at` is allowed."""
        holds = [self._cap_hold(at), *(self._zone_hold(at, zone) for zone in self.zones)]
        found = [hold for hold in holds if hold is not None]
        return max(found, key=lambda hold: hold[1]) if found else None

    def _cap_hold(self, at: datetime) -> tuple[str, datetime] | None:
        # Rule 4: a contact leaves the rolling window `cap_window` after it was sent, so the
        # cap releases when the cap-th most recent one leaves; the rule only ever loosens.
        recent = [moment for moment in self.sent if moment > at - self.profile.cap_window]
        if len(recent) < self.profile.cap:
            return None
        return "frequency cap", recent[-self.profile.cap] + self.profile.cap_window

    def _zone_hold(self, at: datetime, zone: ZoneInfo) -> tuple[str, datetime] | None:
        local = at.astimezone(zone)
        day, clock = local.date(), local.time()
        tomorrow = _utc(day + timedelta(days=1), self.profile.window_start, zone)

        # Rule 3: nothing on a quiet day, so the next chance is the next day's window.
        quiet = self._quiet_day(day)
        if quiet:
            return quiet, tomorrow
        quiet_from = self.profile.quiet_from.get(day.weekday())
        if quiet_from is not None and clock >= quiet_from:
            return "quiet day", tomorrow

        # Rule 1: the window in local time, computed per day so that DST changes hold.
        if clock < self.profile.window_start:
            return "window", _utc(day, self.profile.window_start, zone)
        if clock >= self.profile.window_end:
            return "window", tomorrow
        return None

    def _quiet_day(self, day: date) -> str | None:
        country = self.holiday_country
        if country and day in self.holidays_for(country, day.year):
            return "holiday"
        return "quiet day" if day.weekday() in self.profile.weekend else None


def _utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of a local wall-clock time; fold 0 takes the earlier of a repeated hour."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
