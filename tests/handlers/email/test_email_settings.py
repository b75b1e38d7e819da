"""The email settings: the sender address is checked at start, and email is off without it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot import Settings


@pytest.mark.parametrize("value", ["billing@settle.example", "Settle <billing@settle.example>"])
def test_sender_address_is_accepted(value: str) -> None:
    assert Settings(_env_file=None, email_from=value).email_from == value  # type: ignore[call-arg]


@pytest.mark.parametrize("value", ["billing", "billing@", "@settle.example", "a b@settle.example"])
def test_bad_sender_address_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValidationError, match=r"SETTLE_EMAIL_FROM .* is not an email address"):
        Settings(_env_file=None, email_from=value)  # type: ignore[call-arg]


def test_empty_sender_address_turns_email_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETTLE_EMAIL_FROM", "")

    assert Settings(_env_file=None).email_from is None  # type: ignore[call-arg]


def test_unknown_security_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETTLE_SMTP_SECURITY", "ssl")

    with pytest.raises(ValidationError, match="smtp_security"):
        Settings(_env_file=None)  # type: ignore[call-arg]
