"""GoCardless webhooks: real signatures, every published sample and cause, hostile input."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import BillingEvent, ConfigurationError, EventRejected, EventType, Reason
from bot._events import check_event
from handlers.billing import translate_gocardless, verify_gocardless

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gocardless"
SECRET = "gocardless_test_secret"
SAMPLES: dict[str, dict[str, Any]] = {
    name: delivery["events"]
    for name, delivery in json.loads(
        (DATA / "gocardless_webhook_samples.json").read_text()
    ).items()
}
SCHEMA: dict[str, list[dict[str, Any]]] = json.loads(
    (DATA / "gocardless_event_actions_schema.json").read_text()
)

# What each published sample becomes: (type, reason) or None when Settle ignores it.
EXPECTED: dict[str, tuple[EventType, Reason | None] | None] = {
    "billing_request_created": None,
    "creditor_updated_gocardless": None,
    "export_started_gocardless": None,
    "instalment_schedule_payment_created_api": None,
    "mandate_cancelled_bank_account_closed": (
        EventType.PAYMENT_FAILED,
        Reason.BANK_ACCOUNT_CLOSED,
    ),
    "mandate_cancelled_api": (EventType.PAYMENT_FAILED, Reason.MANDATE_CANCELLED),
    "mandate_tranferred_bank_account_transferred": (
        EventType.PAYMENT_FAILED,
        Reason.BANK_ACCOUNT_CHANGED,
    ),
    "payment_failed_bank_insufficient_funds": (
        EventType.PAYMENT_FAILED,
        Reason.INSUFFICIENT_FUNDS,
    ),
    "payment_cancelled_bank_mandate_cancelled": (
        EventType.PAYMENT_FAILED,
        Reason.MANDATE_CANCELLED,
    ),
    "payment_cancelled_api": None,
    "payment_confirmed_gocardless": (EventType.PAYMENT_RECEIVED, None),
    "payout_paid_gocardless": None,
    "refund_created_api": None,
    "scheme_identifier_activated_gocardless": None,
    "subscription_payment_created_api": None,
}


def sign(body: bytes, secret: str = SECRET) -> str:
    """The Webhook-Signature header: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def event_of(resource: str, action: str, cause: str, **links: str) -> dict[str, Any]:
    return {
        "id": "EV1",
        "created_at": "2024-03-01T09:15:00.000Z",
        "resource_type": resource,
        "action": action,
        "details": {"origin": "bank", "cause": cause},
        "links": links,
    }


def translated(event: dict[str, Any]) -> BillingEvent:
    result = translate_gocardless(event)
    assert result is not None
    return result


def test_every_published_sample_is_covered() -> None:
    assert sorted(SAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_signed_sample_translates_as_expected(name: str) -> None:
    body = delivery(SAMPLES[name])

    [event] = [translate_gocardless(e) for e in verify_gocardless(body, sign(body), SECRET)]

    payment_method = event and event.payment_method
    actual = event and (event.type, payment_method and payment_method.reason)
    assert actual == EXPECTED[name]


@pytest.mark.parametrize(
    "name",
    [n for n, v in EXPECTED.items() if v is not None and v[0] != EventType.PAYMENT_RECEIVED],
)
def test_translated_sample_passes_the_core_check(name: str) -> None:
    event = translated(SAMPLES[name])

    assert check_event(event) == event


def test_one_delivery_carries_every_sample_with_unique_ids() -> None:
    events = [dict(e, id=f"EV{i}") for i, e in enumerate(SAMPLES.values())]
    body = delivery(*events)

    assert verify_gocardless(body, sign(body), SECRET) == events


def test_mandate_closed_account_names_the_mandate() -> None:
    event = translated(SAMPLES["mandate_cancelled_bank_account_closed"])

    assert event.payment_method is not None
    assert (event.id, event.customer, event.payment_method.model_dump(exclude_none=True)) == (
        "EV123",
        None,
        {"kind": "direct_debit", "reason": Reason.BANK_ACCOUNT_CLOSED, "reference": "MD123"},
    )


def test_event_time_is_created_at() -> None:
    event = translated(SAMPLES["mandate_cancelled_bank_account_closed"])

    assert event.occurred_at == datetime(2014, 4, 8, 17, 1, 6, tzinfo=UTC)


def test_failed_payment_names_the_payment_without_amount() -> None:
    event = translated(SAMPLES["payment_failed_bank_insufficient_funds"])

    assert event.payment is not None
    assert event.payment_method is not None
    assert (event.payment.model_dump(), event.payment_method.reference) == (
        {"id": "PM123", "amount": None, "currency": None},
        None,
    )


def test_failed_payment_names_its_mandate_when_linked() -> None:
    event = translated(
        event_of("payments", "failed", "refer_to_payer", payment="PM1", mandate="MD1")
    )

    assert event.payment_method is not None
    assert (event.payment_method.reason, event.payment_method.reference) == (
        Reason.CONTACT_BANK,
        "MD1",
    )


def test_collected_payment_has_no_amount_and_passes_the_core_check() -> None:
    event = translated(SAMPLES["payment_confirmed_gocardless"])

    assert event.payment is not None
    assert (event.type, event.payment.id, event.payment.amount) == (
        EventType.PAYMENT_RECEIVED,
        "PM999",
        None,
    )
    assert check_event(event) is event


@pytest.mark.parametrize(
    ("resource", "action", "cause", "expected"),
    [
        ("mandates", "failed", "invalid_bank_details", Reason.MANDATE_FAILED),
        ("mandates", "failed", "other", Reason.MANDATE_FAILED),
        ("mandates", "cancelled", "invalid_bank_details", Reason.MANDATE_CANCELLED),
        ("mandates", "cancelled", "authorisation_disputed", Reason.MANDATE_CANCELLED),
        ("mandates", "cancelled", "payment_stopped", Reason.PAYMENT_STOPPED),
        ("mandates", "expired", "mandate_expired", Reason.MANDATE_EXPIRED),
        ("mandates", "expired", "mandate_cancelled", Reason.MANDATE_CANCELLED),
        ("mandates", "transferred", "mandate_transferred", Reason.BANK_ACCOUNT_CHANGED),
        ("payments", "failed", "refer_to_payer", Reason.CONTACT_BANK),
        ("payments", "failed", "bank_account_closed", Reason.BANK_ACCOUNT_CLOSED),
        ("payments", "failed", "mandate_cancelled", Reason.MANDATE_CANCELLED),
        ("payments", "failed", "test_failure", Reason.OTHER),
        ("payments", "charged_back", "refund_requested", Reason.OTHER),
        ("payments", "charged_back", "authorisation_disputed", Reason.MANDATE_CANCELLED),
        ("payments", "cancelled", "mandate_expired", Reason.MANDATE_EXPIRED),
    ],
)
def test_cause_maps_to_reason(resource: str, action: str, cause: str, expected: Reason) -> None:
    event = translated(event_of(resource, action, cause, mandate="MD1", payment="PM1"))

    assert event.payment_method is not None
    assert (event.type, event.payment_method.reason) == (EventType.PAYMENT_FAILED, expected)


def schema_cases(resource: str) -> list[tuple[str, str]]:
    return sorted({(a["action"], d["cause"]) for a in SCHEMA[resource] for d in a["details"]})


@pytest.mark.parametrize(("action", "cause"), schema_cases("mandates"))
def test_every_documented_mandate_event_translates_cleanly(action: str, cause: str) -> None:
    event = translate_gocardless(event_of("mandates", action, cause, mandate="MD1"))

    assert event is None or check_event(event) == event
    assert (event is not None) == (
        action in {"cancelled", "failed", "expired", "transferred", "reinstated"}
    )


@pytest.mark.parametrize(("action", "cause"), schema_cases("payments"))
def test_every_documented_payment_event_translates_cleanly(action: str, cause: str) -> None:
    event = translate_gocardless(event_of("payments", action, cause, payment="PM1"))

    if event is not None and event.type == EventType.PAYMENT_FAILED:
        assert check_event(event) == event
    acted = {
        "failed",
        "charged_back",
        "cancelled",
        "confirmed",
        "paid_out",
        "chargeback_cancelled",
    }
    merchant = cause in {"payment_cancelled", "instalment_schedule_cancelled"}
    assert (event is not None) == (action in acted and not (action == "cancelled" and merchant))


def test_reinstated_mandate_is_an_updated_payment_method() -> None:
    event = translated(event_of("mandates", "reinstated", "mandate_reinstated", mandate="MD1"))

    assert event.payment_method is not None
    assert (event.type, event.payment_method.reference) == (
        EventType.PAYMENT_METHOD_UPDATED,
        "MD1",
    )


def test_refund_is_ignored_even_with_its_payment() -> None:
    refund = event_of("refunds", "created", "payment_refunded", refund="RF1", payment="PM1")

    assert translate_gocardless(refund) is None


# Malformed events ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"links": {}}, "links.mandate"),
        ({"links": {"mandate": 5}}, "links.mandate"),
        ({"links": "MD1"}, "links"),
        ({"details": ["x"]}, "details"),
        ({"created_at": "2024-03-01T09:15:00"}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": None}, "created_at"),
        ({"id": "has space"}, "id"),
        ({"id": None}, "id"),
    ],
)
def test_malformed_field_is_rejected_by_name(change: dict[str, Any], field: str) -> None:
    event = dict(SAMPLES["mandate_cancelled_bank_account_closed"], **change)

    with pytest.raises(EventRejected) as caught:
        translate_gocardless(event)

    assert caught.value.field == field


def test_failed_payment_without_payment_link_is_rejected() -> None:
    with pytest.raises(EventRejected) as caught:
        translate_gocardless(event_of("payments", "failed", "insufficient_funds"))

    assert caught.value.field == "links.payment"


# Signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not hex", "é" * 64])
def test_bad_signature_is_rejected(signature: str | None) -> None:
    body = delivery(SAMPLES["payment_confirmed_gocardless"])

    with pytest.raises(EventRejected) as caught:
        verify_gocardless(body, signature, SECRET)

    assert caught.value.field == "Webhook-Signature"


def test_signature_with_wrong_secret_is_rejected() -> None:
    body = delivery(SAMPLES["payment_confirmed_gocardless"])

    with pytest.raises(EventRejected, match="Webhook-Signature"):
        verify_gocardless(body, sign(body, "other_secret"), SECRET)


def test_tampered_body_is_rejected() -> None:
    body = delivery(SAMPLES["payment_confirmed_gocardless"])

    with pytest.raises(EventRejected, match="Webhook-Signature"):
        verify_gocardless(body.replace(b"PM999", b"PM666"), sign(body), SECRET)


def test_upper_case_hex_signature_is_accepted() -> None:
    body = delivery(SAMPLES["payment_confirmed_gocardless"])

    assert len(verify_gocardless(body, sign(body).upper(), SECRET)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (b'{"events": {"id": "EV1"}}', "body"),
        (b'{"events": [{"id": "EV1"}, 7]}', "events[1]"),
        (
            b'{"events": [{"id": "EV1"}, {"id": "EV2"}, {"id": "EV3"}, {"action": "x"}]}',
            "events[3].id",
        ),
    ],
)
def test_signed_body_that_is_no_delivery_is_rejected(body: bytes, field: str) -> None:
    with pytest.raises(EventRejected) as caught:
        verify_gocardless(body, sign(body), SECRET)

    assert caught.value.field == field


# Hostile input ------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
LINKS = st.dictionaries(st.sampled_from(["mandate", "payment", "refund"]), JSON, max_size=3)
EVENTS = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("EV1"), JSON),
        "created_at": st.one_of(st.just("2024-03-01T09:15:00Z"), JSON),
        "resource_type": st.one_of(st.sampled_from(sorted(SCHEMA)), JSON),
        "action": st.one_of(st.sampled_from(["failed", "cancelled", "confirmed"]), JSON),
        "details": st.one_of(st.fixed_dictionaries({"cause": JSON}), JSON),
        "links": st.one_of(LINKS, JSON),
    }
)


def outcome(event: dict[str, Any]) -> BillingEvent | None:
    try:
        return translate_gocardless(event)
    except EventRejected:
        return None


@given(EVENTS)
def test_arbitrary_event_translates_or_is_rejected(event: dict[str, Any]) -> None:
    result = outcome(event)

    assert result is None or isinstance(result, BillingEvent)


@given(st.sampled_from(sorted(SAMPLES)), st.sampled_from(["id", "created_at", "links"]), JSON)
def test_mutated_sample_translates_or_is_rejected(name: str, key: str, value: Any) -> None:
    event = copy.deepcopy(SAMPLES[name])
    event[key] = value

    result = outcome(event)

    assert result is None or isinstance(result, BillingEvent)


@given(st.dictionaries(st.text(max_size=8), JSON, max_size=5))
def test_any_dict_translates_or_is_rejected(event: dict[str, Any]) -> None:
    assert outcome(event) is None or isinstance(outcome(event), BillingEvent)


@given(st.binary(max_size=64), st.text(max_size=70))
def test_any_body_and_signature_is_rejected_cleanly(body: bytes, signature: str) -> None:
    with pytest.raises(EventRejected):
        verify_gocardless(body, signature, SECRET)


def test_empty_secret_is_a_configuration_error() -> None:
    body = delivery(SAMPLES["payment_confirmed_gocardless"])

    with pytest.raises(ConfigurationError, match="SETTLE_GOCARDLESS_WEBHOOK_SECRET"):
        verify_gocardless(body, sign(body, ""), "")
