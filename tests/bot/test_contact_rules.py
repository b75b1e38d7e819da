"""The operator's contact rules file: every profile parameter can be changed or added."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import Settings
from bot._contact_rules import load_profiles
from bot._errors import ConfigurationError
from bot._policy import PROFILES, next_allowed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contact-rules.toml"
NEW_YORK = (ZoneInfo("America/New_York"),)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contact-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_is_the_built_in_rules() -> None:
    assert dict(load_profiles(EXAMPLE)) == dict(PROFILES)


def test_without_a_file_the_built_in_rules_hold() -> None:
    assert load_profiles(None) is PROFILES


def test_a_narrower_window_and_cap_change_what_is_held(tmp_path: Path) -> None:
    rules = _file(
        tmp_path,
        '[default]\nwindow_start = "09:00"\nwindow_end = "20:00"\ncap = 3\ncap_window_days = 5\n',
    )
    profile = load_profiles(rules)["default"]
    # Wednesday 2024-07-10, 08:30 in New York (EDT, UTC-4).
    early = datetime(2024, 7, 10, 12, 30, tzinfo=UTC)
    sent = [early - timedelta(days=d) for d in (1, 2, 3)]

    decision = next_allowed(early, zones=NEW_YORK, profile=profile, country="US")
    later = datetime(2024, 7, 10, 14, tzinfo=UTC)
    capped = next_allowed(later, zones=NEW_YORK, profile=profile, country="US", sent=sent)

    assert (decision.rule, decision.at) == ("window", datetime(2024, 7, 10, 13, tzinfo=UTC))
    assert capped.rule == "frequency cap"
    # The oldest of the three leaves the five-day window at 08:30 local on 2024-07-12.
    assert capped.at == datetime(2024, 7, 12, 13, tzinfo=UTC)
    assert (profile.window_end, profile.cap_window) == (time(20), timedelta(days=5))


def test_a_new_profile_starts_from_default_and_can_be_chosen_by_country(tmp_path: Path) -> None:
    rules = _file(tmp_path, '[us-ny]\nwindow_start = "09:00"\nquiet_from = { friday = "18:00" }\n')

    settings = Settings(
        _env_file=None,
        contact_rules_file=rules,
        contact_profile_overrides={"US": "us-ny"},
    )
    profile = settings.profile_for("us")

    assert profile.name == "us-ny"
    assert (profile.window_start, profile.window_end, profile.cap) == (time(9), time(21), 7)
    assert profile.quiet_from == {4: time(18)}
    assert settings.profile_for("GB") is settings.contact_profiles["uk"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[default]\nwindow_start = "25:00"\n', "default.window_start"),
        ('[default]\nweekend = ["caturday"]\n', "default.weekend"),
        ('[il]\nquiet_from = { shabbat = "14:00" }\n', "il.quiet_from"),
        ("[uk]\ncap = 0\n", "cap must be at least 1"),
        ('[default]\nwindow_start = "22:00"\n', "window_start must be before window_end"),
        ("[default]\nhours = 3\n", "default.hours"),
        ('default = "x"\n', "default: expected a table"),
        ("[default\n", "not TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_profile_and_key(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match="SETTLE_CONTACT_RULES_FILE") as error:
        load_profiles(_file(tmp_path, text))

    assert named in str(error.value)


def test_a_profile_named_in_settings_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SETTLE_CONTACT_PROFILE: unknown contact profile"):
        Settings(_env_file=None, contact_profile="us-ny")

    rules = _file(tmp_path, "[us-ny]\ncap = 3\n")
    assert Settings(_env_file=None, contact_rules_file=rules, contact_profile="us-ny")
