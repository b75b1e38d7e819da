from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[2]


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^# ((?:SETTLE_|TELEGRAM_|SLACK_)[A-Z0-9_]+)=", text, re.MULTILINE))


def _declared() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias.choices[0] if alias else f"SETTLE_{name.upper()}")  # type: ignore[union-attr]
    return names


def test_env_example_lists_every_setting() -> None:
    assert _documented() == _declared()


def test_env_example_shows_the_defaults() -> None:
    text = (ROOT / ".env.example").read_text()
    shown = dict(re.findall(r"^# (SETTLE_[A-Z0-9_]+)=(.*)$", text, re.MULTILINE))
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]

    for name, value in shown.items():
        actual = getattr(defaults, name.removeprefix("SETTLE_").lower())
        assert str(actual or "") == value, name


def test_minimum_amounts_are_read_per_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETTLE_SUBSTANTIAL_MIN_AMOUNT", "usd=500, JPY=40000")

    amounts = Settings(_env_file=None).min_substantial  # type: ignore[call-arg]

    assert {code: money.minor for code, money in amounts.items()} == {"USD": 50000, "JPY": 40000}


@pytest.mark.parametrize("value", ["USD=5.001", "USD=abc", "XXZ=5", "USD"])
def test_bad_minimum_amount_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SETTLE_SUBSTANTIAL_MIN_AMOUNT", value)

    with pytest.raises(ValidationError, match="substantial_min_amount"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["follow_up_file", "plan_policy_file", "billing_callback_url"])
def test_an_empty_value_means_not_set(name: str) -> None:
    settings = Settings(_env_file=None, **{name: ""})  # type: ignore[call-arg]

    assert getattr(settings, name) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("public_url", ""),
        ("public_url", "not a url"),
        ("public_url", "ftp://settle.example"),
        ("billing_callback_url", "billing.example/cb"),
        ("update_payment_url", "https://billing.example/card"),
        ("pay_now_url", "pay?token={token}"),
    ],
)
def test_a_url_that_cannot_work_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **{name: value})  # type: ignore[call-arg]

    assert raised.value.errors()[0]["loc"] == (name,)


def test_a_follow_up_file_that_is_not_text_names_the_setting(tmp_path: Path) -> None:
    from bot._ladder import Ladder

    binary = tmp_path / "ladder.toml"
    binary.write_bytes(b"\xff\xfe[[ladder]]")

    with pytest.raises(ConfigurationError, match="SETTLE_FOLLOW_UP_FILE: cannot read"):
        Ladder.load(binary)
