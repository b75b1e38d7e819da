from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot._errors import ConfigurationError
from bot._model import Customer
from bot._policy import (
    PROFILES,
    Decision,
    NoContactTime,
    Profile,
    candidate_zones,
    next_allowed,
    profile_for,
    public_holidays,
)

NEW_YORK = (ZoneInfo("America/New_York"),)
BERLIN = (ZoneInfo("Europe/Berlin"),)
JERUSALEM = (ZoneInfo("Asia/Jerusalem"),)
EVERY_DAY = Profile("every-day", weekend=frozenset())


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def decide(
    now: datetime,
    *,
    zones: tuple[ZoneInfo, ...] = NEW_YORK,
    profile: str | Profile = "default",
    country: str | None = "US",
    sent: Sequence[datetime] = (),
) -> Decision:
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    return next_allowed(now, zones=zones, profile=chosen, country=country, sent=sent)


def held(at: datetime, rule: str) -> Decision:
    return Decision(allowed=False, at=at, rule=rule)


def allowed(at: datetime) -> Decision:
    return Decision(allowed=True, at=at)


# Rule 1: the window, in New York (EDT, UTC-4) on Wednesday 2024-07-10.


def test_0759_local_is_held_until_0800_the_same_day() -> None:
    assert decide(utc(2024, 7, 10, 11, 59)) == held(utc(2024, 7, 10, 12), "window")


def test_0800_local_is_allowed() -> None:
    assert decide(utc(2024, 7, 10, 12)) == allowed(utc(2024, 7, 10, 12))


def test_2059_local_is_allowed() -> None:
    assert decide(utc(2024, 7, 11, 0, 59)) == allowed(utc(2024, 7, 11, 0, 59))


def test_2100_local_is_held_until_0800_the_next_day() -> None:
    assert decide(utc(2024, 7, 11, 1)) == held(utc(2024, 7, 11, 12), "window")


# Rule 3: quiet days.


def test_us_independence_day_waits_for_the_next_working_day() -> None:
    assert decide(utc(2024, 7, 4, 14)) == held(utc(2024, 7, 5, 12), "holiday")


def test_saturday_waits_for_monday_0800_under_default() -> None:
    assert decide(utc(2024, 7, 13, 14)) == held(utc(2024, 7, 15, 12), "quiet day")


def test_saturday_0700_names_the_quiet_day_not_the_window() -> None:
    assert decide(utc(2024, 7, 13, 11)) == held(utc(2024, 7, 15, 12), "quiet day")


def test_unknown_holiday_country_applies_no_holidays() -> None:
    assert decide(utc(2024, 7, 4, 14), country="XX") == allowed(utc(2024, 7, 4, 14))


def test_holidays_come_from_the_lookup_given() -> None:
    def lookup(country: str, year: int) -> frozenset[date]:
        return frozenset({date(2024, 7, 10)}) if country == "ZZ" else frozenset()

    decision = next_allowed(
        utc(2024, 7, 10, 14),
        zones=NEW_YORK,
        profile=PROFILES["default"],
        country="ZZ",
        holidays_for=lookup,
    )

    assert decision == held(utc(2024, 7, 11, 12), "holiday")


# Rule 3 under il (IDT, UTC+3): Friday from 14:00 and Saturday are quiet; Sunday is a working day.


def test_il_friday_1359_is_allowed() -> None:
    now = utc(2024, 7, 12, 10, 59)

    assert decide(now, zones=JERUSALEM, profile="il", country="IL") == allowed(now)


def test_il_friday_1400_is_held_until_sunday_0800() -> None:
    decision = decide(utc(2024, 7, 12, 11), zones=JERUSALEM, profile="il", country="IL")

    assert decision == held(utc(2024, 7, 14, 5), "quiet day")


def test_il_saturday_is_held_until_sunday_0800() -> None:
    decision = decide(utc(2024, 7, 13, 7), zones=JERUSALEM, profile="il", country="IL")

    assert decision == held(utc(2024, 7, 14, 5), "quiet day")


def test_il_rosh_hashana_is_skipped_through_the_weekend() -> None:
    # 2024-10-03 and 10-04 are Rosh Hashana, 10-05 is Saturday.
    decision = decide(utc(2024, 10, 3, 7), zones=JERUSALEM, profile="il", country="IL")

    assert decision == held(utc(2024, 10, 6, 5), "holiday")


def test_il_uses_israeli_holidays_whatever_the_country() -> None:
    decision = decide(utc(2024, 10, 3, 7), zones=JERUSALEM, profile="il", country="US")

    assert decision == held(utc(2024, 10, 6, 5), "holiday")


# Rule 4: the rolling frequency cap.


def _every_half_day(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=12 * index) for index in range(count)]


def test_seventh_contact_in_seven_days_is_allowed() -> None:
    sent = _every_half_day(utc(2024, 7, 8, 14), 6)

    assert decide(utc(2024, 7, 11, 14), sent=sent) == allowed(utc(2024, 7, 11, 14))


def test_eighth_contact_in_seven_days_waits_until_the_first_leaves_the_window() -> None:
    sent = _every_half_day(utc(2024, 7, 8, 14), 7)

    assert decide(utc(2024, 7, 12, 14), sent=sent) == held(utc(2024, 7, 15, 14), "frequency cap")


def test_third_contact_in_seven_days_under_us_ma_is_held() -> None:
    sent = [utc(2024, 7, 8, 14), utc(2024, 7, 9, 14)]

    decision = decide(utc(2024, 7, 10, 14), profile="us-ma", sent=sent)

    assert decision == held(utc(2024, 7, 15, 14), "frequency cap")


def test_cap_released_on_a_saturday_waits_for_monday_0800() -> None:
    sent = [utc(2024, 7, 6, 14), utc(2024, 7, 8, 14)]

    decision = decide(utc(2024, 7, 10, 14), profile="us-ma", sent=sent)

    assert decision == held(utc(2024, 7, 15, 12), "frequency cap")


def test_cap_held_over_a_weekend_names_the_cap_not_the_weekend() -> None:
    sent = _every_half_day(utc(2024, 7, 8, 14), 7)

    assert decide(utc(2024, 7, 13, 14), sent=sent) == held(utc(2024, 7, 15, 14), "frequency cap")


# Rule 2: several candidate zones.


def test_russian_mobile_without_a_zone_has_zones_from_moscow_to_kamchatka() -> None:
    zones = candidate_zones(Customer(id="c-1", phone="+79161234567"), default_zone="UTC")

    assert {"Europe/Moscow", "Asia/Kamchatka"} <= {zone.key for zone in zones}


def test_russian_mobile_is_held_while_kamchatka_is_past_2100() -> None:
    zones = candidate_zones(Customer(id="c-1", phone="+79161234567"), default_zone="UTC")

    # Moscow 12:00 is Kamchatka 21:00; the next moment all are open is Moscow 08:00.
    decision = decide(utc(2024, 7, 10, 9), zones=zones, country="RU")

    assert decision == held(utc(2024, 7, 11, 5), "window")


def test_russian_mobile_is_sent_when_every_zone_is_inside_the_window() -> None:
    zones = candidate_zones(Customer(id="c-1", phone="+79161234567"), default_zone="UTC")
    now = utc(2024, 7, 10, 8, 59)

    assert decide(now, zones=zones, country="RU") == allowed(now)
    assert all(time(8) <= now.astimezone(zone).time() < time(21) for zone in zones)


def test_zones_too_far_apart_raise_no_contact_time() -> None:
    zones = (ZoneInfo("UTC"), ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles"))

    with pytest.raises(NoContactTime) as caught:
        decide(utc(2024, 7, 10, 9), zones=zones, country=None)

    assert caught.value.zones == zones


# DST: Europe/Berlin goes from CEST (UTC+2) to CET (UTC+1) on Sunday 2024-10-27.


@pytest.mark.parametrize("now", [utc(2024, 10, 26, 8), utc(2024, 10, 28, 9)])
def test_berlin_1000_local_is_allowed_on_both_sides_of_the_change(now: datetime) -> None:
    assert decide(now, zones=BERLIN, profile=EVERY_DAY, country="DE") == allowed(now)


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (utc(2024, 10, 26, 5), utc(2024, 10, 26, 6)),
        (utc(2024, 10, 28, 6), utc(2024, 10, 28, 7)),
    ],
)
def test_berlin_0700_local_is_released_at_0800_local_on_both_sides_of_the_change(
    now: datetime, release: datetime
) -> None:
    decision = decide(now, zones=BERLIN, profile=EVERY_DAY, country="DE")

    assert decision == held(release, "window")


def test_berlin_2100_before_the_change_is_released_at_0800_cet() -> None:
    decision = decide(utc(2024, 10, 26, 19), zones=BERLIN, profile=EVERY_DAY, country="DE")

    assert decision == held(utc(2024, 10, 27, 7), "window")


def test_berlin_sunday_of_the_change_waits_for_monday_0800_cet() -> None:
    decision = decide(utc(2024, 10, 27, 7, 30), zones=BERLIN, country="DE")

    assert decision == held(utc(2024, 10, 28, 7), "quiet day")


# candidate_zones.


def test_the_records_zone_wins_over_the_phone() -> None:
    customer = Customer(id="c-1", phone="+79161234567", timezone="Europe/Berlin")

    assert candidate_zones(customer, default_zone="UTC") == BERLIN


def test_an_invalid_records_zone_falls_back_to_the_phone() -> None:
    customer = Customer(id="c-1", phone="+12125551234", timezone="Mars/Olympus_Mons")

    assert candidate_zones(customer, default_zone="UTC") == NEW_YORK


def test_a_national_number_is_read_in_the_customers_country() -> None:
    customer = Customer(id="c-1", phone="(212) 555-1234", country="US")

    assert candidate_zones(customer, default_zone="UTC") == NEW_YORK


def test_without_zone_or_phone_the_countrys_zones_apply() -> None:
    zones = candidate_zones(Customer(id="c-1", country="de"), default_zone="UTC")

    assert ZoneInfo("Europe/Berlin") in zones


def test_with_nothing_known_the_operator_default_applies() -> None:
    customer = Customer(id="c-1", phone="not a number")

    assert candidate_zones(customer, default_zone="Europe/London") == (ZoneInfo("Europe/London"),)


# profile_for.


@pytest.mark.parametrize(
    ("country", "name"),
    [("IL", "il"), ("il", "il"), ("GB", "uk"), ("US", "default"), (None, "default")],
)
def test_country_selects_its_profile(country: str | None, name: str) -> None:
    assert profile_for(country).name == name


def test_massachusetts_only_through_an_operator_override() -> None:
    assert profile_for("US", overrides={"US": "us-ma"}) == PROFILES["us-ma"]


def test_operator_default_applies_to_countries_without_a_profile() -> None:
    assert profile_for("US", default="us-ma").name == "us-ma"
    assert profile_for("IL", default="us-ma").name == "il"


def test_unknown_profile_name_names_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="'us-ny'; expected default, il, uk, us-ma"):
        profile_for("US", default="us-ny")


def test_profile_without_a_working_day_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="weekend"):
        Profile("never", weekend=frozenset(range(7)))


# Properties.

ZONE_SETS = [
    NEW_YORK,
    BERLIN,
    JERUSALEM,
    (ZoneInfo("Australia/Lord_Howe"),),
    (ZoneInfo("America/Santiago"),),
    (ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Kamchatka")),
    (ZoneInfo("America/New_York"), ZoneInfo("Pacific/Honolulu")),
]


@dataclass(frozen=True)
class Case:
    zones: tuple[ZoneInfo, ...]
    profile: Profile
    country: str | None
    sent: tuple[datetime, ...]

    def decide(self, now: datetime) -> Decision:
        return next_allowed(
            now, zones=self.zones, profile=self.profile, country=self.country, sent=self.sent
        )

    def obeys_rules(self, moment: datetime) -> bool:
        """Rules 1-4 checked directly, as an oracle independent of the search."""
        recent = [when for when in self.sent if when > moment - self.profile.cap_window]
        return len(recent) < self.profile.cap and all(
            self._open_in(moment.astimezone(zone)) for zone in self.zones
        )

    def _open_in(self, local: datetime) -> bool:
        country = self.profile.holiday_country or self.country
        quiet_from = self.profile.quiet_from.get(local.weekday(), time.max)
        return (
            self.profile.window_start <= local.time() < min(self.profile.window_end, quiet_from)
            and local.weekday() not in self.profile.weekend
            and not (country and local.date() in public_holidays(country, local.year))
        )


@st.composite
def cases(draw: st.DrawFn) -> tuple[datetime, Case]:
    now = draw(st.datetimes(datetime(2024, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC)))
    ages = draw(st.lists(st.integers(0, 10 * 24 * 60), max_size=10))
    case = Case(
        zones=draw(st.sampled_from(ZONE_SETS)),
        profile=draw(st.sampled_from([PROFILES[name] for name in sorted(PROFILES)])),
        country=draw(st.sampled_from(["US", "DE", "IL", "RU", "AU", "XX", None])),
        sent=tuple(now - timedelta(minutes=age) for age in ages),
    )
    return now, case


def _minutes_between(start: datetime, end: datetime, count: int) -> list[datetime]:
    """Up to `count` minute-aligned moments in [start, end), always including the last one."""
    first = start.replace(second=0, microsecond=0)
    first += timedelta(minutes=1) if first < start else timedelta(0)
    last = (end - timedelta(microseconds=1)).replace(second=0, microsecond=0)
    if last < first:
        return []
    step = (last - first) / count
    spread = {(first + step * index).replace(second=0, microsecond=0) for index in range(count)}
    return sorted(moment for moment in spread | {last} if moment >= start)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_moment_found_is_allowed_and_the_earliest(drawn: tuple[datetime, Case]) -> None:
    now, case = drawn

    decision = case.decide(now)

    assert decision.at >= now
    assert decision.allowed == (decision.at == now)
    assert case.decide(decision.at) == allowed(decision.at)
    assert not any(
        case.decide(moment).allowed for moment in _minutes_between(now, decision.at, 24)
    )
