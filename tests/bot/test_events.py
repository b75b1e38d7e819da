"""The canonical event: what is refused, and the field each refusal names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import EventRejected, parse_event
from handlers.billing import verify_canonical

BASE: dict[str, Any] = {
    "id": "e1",
    "type": "payment_failed",
    "occurred_at": "2024-03-01T09:15:00+02:00",
    "customer": {"id": "C-1"},
    "payment_method": {"kind": "card", "reason": "expired_card"},
}


def _with(path: str, value: object) -> str:
    body = json.loads(json.dumps(BASE))
    target = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return json.dumps(body)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("payment_method.reason", "substantial_overdue", "payment_method.reason"),
        ("payment_method.reason", "payment_method_expiring", "payment_method.reason"),
        ("customer.timezone", "Mars/Base", "customer.timezone"),
        ("customer.locale", "xx_YY", "customer.locale"),
        ("occurred_at", "1969-12-31T23:59:59+00:00", "occurred_at"),
        ("occurred_at", "2300-01-01T00:00:00+00:00", "occurred_at"),
        ("customer.country", "ISR", "customer.country"),
        ("customer.country", "ZZ", "customer.country"),
        ("customer.email", "not-an-email", "customer.email"),
        ("customer.email", "a@b.example\r\nBcc: evil@x.example", "customer.email"),
        ("customer.email", "two@one.example,three@one.example", "customer.email"),
        ("customer.phone", "12345", "customer.phone"),
        ("customer.phone", "+1 23", "customer.phone"),
    ],
)
def test_refusal_names_the_field(path: str, value: object, field: str) -> None:
    with pytest.raises(EventRejected) as refused:
        parse_event(_with(path, value))

    assert refused.value.field == field


def test_an_amount_message_reads_as_words_not_a_pattern() -> None:
    body = json.dumps(
        {
            **BASE,
            "type": "payment_received",
            "payment": {"id": "P1", "amount": "1,00", "currency": "USD"},
        }
    )

    with pytest.raises(EventRejected) as refused:
        parse_event(body)

    assert (refused.value.field, refused.value.message) == (
        "payment.amount",
        "malformed amount '1,00'; expected a decimal string like '412.90'",
    )


def test_a_timestamp_of_400_digits_is_refused_naming_the_header() -> None:
    with pytest.raises(EventRejected) as refused:
        verify_canonical(b"{}", "9" * 400, "sha256=00", "s", tolerance=300, now=1e9)

    assert refused.value.field == "X-Settle-Timestamp"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("customer.email", "dana.levi+bills@company.example"),
        ("customer.email", "δοκιμή@παράδειγμα.δοκιμή"),
        ("customer.phone", "+972 54-123-4567"),
        ("customer.phone", "+16175550142"),
        ("customer.country", "il"),
    ],
)
def test_good_contact_details_are_kept(path: str, value: str) -> None:
    event = parse_event(_with(path, value))

    assert event.customer is not None
    assert getattr(event.customer, path.split(".")[1]).upper() == value.upper()
