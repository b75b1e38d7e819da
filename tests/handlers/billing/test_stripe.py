"""Stripe webhooks: real signatures, every published sample, decline codes, hostile input."""

from __future__ import annotations

import copy
import csv
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import BillingEvent, ConfigurationError, EventRejected, EventType, Reason
from bot._events import check_event
from handlers.billing import (
    decline_reason,
    lookup_decline_code,
    translate_stripe,
    verify_stripe,
)

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "stripe"
CSV = Path(__file__).resolve().parents[3] / "handlers" / "billing" / "stripe_decline_codes.csv"
SECRET = "whsec_test_secret"

# What each published sample becomes: the canonical type, or None when Settle ignores it.
EXPECTED: dict[str, EventType | None] = {
    "charge.dispute.created": EventType.PAYMENT_REVERSED,
    "charge.failed": EventType.PAYMENT_FAILED,
    "customer.source.expiring": EventType.PAYMENT_METHOD_EXPIRING,
    "customer.source.updated": None,
    "customer.subscription.deleted": None,
    "customer.subscription.updated": None,
    "invoice.paid": EventType.PAYMENT_RECEIVED,
    "invoice.payment_action_required": EventType.PAYMENT_FAILED,
    "invoice.payment_failed": EventType.PAYMENT_FAILED,
    "invoice.upcoming": None,
    "invoice.updated": None,
    "mandate.updated": None,
    "payment_intent.payment_failed": EventType.PAYMENT_FAILED,
    "payment_intent.requires_action": None,
    "payment_method.attached": None,
    "setup_intent.setup_failed": None,
}


def sample(kind: str) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((DATA / f"srm_{kind}.json").read_text())
    return envelope


def sign(body: bytes, secret: str = SECRET, *, at: int | None = None) -> str:
    """A Stripe-Signature header built the way Stripe builds it."""
    stamp = int(time.time()) if at is None else at
    signed = f"{stamp}.".encode() + body
    return f"t={stamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def translated(envelope: dict[str, Any]) -> BillingEvent:
    event = translate_stripe(envelope)
    assert event is not None
    return event


def test_every_published_sample_is_covered() -> None:
    names = sorted(p.name.removeprefix("srm_").removesuffix(".json") for p in DATA.glob("srm_*"))

    assert names == sorted(EXPECTED)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_signed_sample_translates_to_expected_type(kind: str) -> None:
    body = (DATA / f"srm_{kind}.json").read_bytes()

    event = translate_stripe(verify_stripe(body, sign(body), SECRET))

    assert (event and event.type) == EXPECTED[kind]


@pytest.mark.parametrize("kind", [k for k, v in EXPECTED.items() if v is not None])
def test_translated_sample_passes_the_core_check(kind: str) -> None:
    event = translated(sample(kind))

    assert check_event(event) == event


def test_event_keeps_stripe_id_and_time() -> None:
    envelope = sample("invoice.payment_failed")
    envelope["id"] = "evt_unique_1"

    event = translated(envelope)

    assert (event.id, event.occurred_at) == (
        "evt_unique_1",
        datetime(2022, 3, 26, 18, 40, 9, tzinfo=UTC),
    )


def test_invoice_payment_failed_carries_invoice_in_major_units() -> None:
    invoice = translated(sample("invoice.payment_failed")).invoice

    assert invoice is not None
    assert invoice.model_dump() == {
        "id": "in_000000000000000000000000",
        "amount": "20.00",
        "amount_due": "20.00",
        "currency": "USD",
        "issued_on": date(2022, 3, 26),
        "due_on": date(2022, 3, 26),
    }


@pytest.mark.parametrize(("currency", "expected"), [("jpy", "2000"), ("kwd", "2.000")])
def test_amount_uses_the_currency_exponent(currency: str, expected: str) -> None:
    envelope = sample("invoice.payment_failed")
    envelope["data"]["object"]["currency"] = currency

    invoice = translated(envelope).invoice

    assert invoice is not None
    assert (invoice.amount, invoice.currency) == (expected, currency.upper())


def test_invoice_due_date_becomes_due_on() -> None:
    envelope = sample("invoice.payment_failed")
    envelope["data"]["object"]["due_date"] = 1649116799  # 2022-04-04 23:59:59 UTC

    invoice = translated(envelope).invoice

    assert invoice is not None
    assert invoice.due_on == date(2022, 4, 4)


def test_invoice_payment_failed_without_embedded_charge_is_a_declined_card() -> None:
    method = translated(sample("invoice.payment_failed")).payment_method

    assert method is not None
    assert method.reason == Reason.CARD_DECLINED


def test_invoice_payment_failed_reads_reason_from_embedded_charge() -> None:
    envelope = sample("invoice.payment_failed")
    charge = sample("charge.failed")["data"]["object"]
    charge["outcome"]["reason"] = "insufficient_funds"
    envelope["data"]["object"]["charge"] = charge

    method = translated(envelope).payment_method

    assert method is not None
    expected = (Reason.INSUFFICIENT_FUNDS, "pm_000000000000000000000000", "0002")
    assert (method.reason, method.reference, method.last4) == expected


def test_payment_action_required_asks_for_authentication() -> None:
    method = translated(sample("invoice.payment_action_required")).payment_method

    assert method is not None
    assert method.reason == Reason.AUTHENTICATION_REQUIRED


def test_invoice_paid_is_a_payment_of_the_amount_paid() -> None:
    event = translated(sample("invoice.paid"))

    assert event.payment is not None
    assert event.invoice is not None
    assert event.payment.model_dump() == {
        "id": "ch_000000000000000000000000",
        "amount": "20.00",
        "currency": "USD",
    }
    assert (event.invoice.amount, event.invoice.amount_due) == ("20.00", "0.00")


def test_marked_uncollectible_is_an_overdue_invoice() -> None:
    envelope = sample("invoice.payment_failed")
    envelope["type"] = "invoice.marked_uncollectible"

    event = check_event(translated(envelope))

    assert event.customer is not None
    assert (event.type, event.customer.id) == (EventType.INVOICE_OVERDUE, "cus_00000000000000")


def test_charge_failed_without_customer_names_the_payment_method() -> None:
    event = translated(sample("charge.failed"))

    assert event.customer is None
    assert event.payment_method is not None
    assert event.payment_method.model_dump(exclude_none=True) == {
        "kind": "card",
        "reason": Reason.CARD_DECLINED,
        "reference": "pm_000000000000000000000000",
        "last4": "0002",
    }


def test_charge_failed_prefers_a_specific_failure_code() -> None:
    envelope = sample("charge.failed")
    envelope["data"]["object"]["outcome"] = {"reason": "highest_risk_level"}
    envelope["data"]["object"]["failure_code"] = "expired_card"

    method = translated(envelope).payment_method

    assert method is not None
    assert method.reason == Reason.EXPIRED_CARD


def test_charge_refunded_reverses_the_refunded_amount() -> None:
    envelope = sample("charge.failed")
    envelope["type"] = "charge.refunded"
    envelope["data"]["object"]["amount_refunded"] = 1250

    event = check_event(translated(envelope))

    assert event.payment is not None
    assert (event.type, event.payment.id, event.payment.amount) == (
        EventType.PAYMENT_REVERSED,
        "ch_000000000000000000000000",
        "12.50",
    )


def test_a_second_refund_of_a_charge_reverses_only_its_own_amount() -> None:
    envelope = sample("charge.failed")
    envelope["type"] = "charge.refunded"
    envelope["data"]["object"]["amount_refunded"] = 2000  # 12.50 earlier, 7.50 now
    envelope["data"]["previous_attributes"] = {"amount_refunded": 1250, "refunds": {}}

    event = check_event(translated(envelope))

    assert event.payment is not None
    assert event.payment.amount == "7.50"


def test_a_refund_total_that_did_not_grow_is_refused_naming_the_field() -> None:
    envelope = sample("charge.failed")
    envelope["type"] = "charge.refunded"
    envelope["data"]["object"]["amount_refunded"] = 1250
    envelope["data"]["previous_attributes"] = {"amount_refunded": 1250}

    with pytest.raises(EventRejected) as raised:
        translated(envelope)

    assert raised.value.field == "data.object.amount_refunded"


def test_dispute_reverses_the_disputed_amount_of_its_charge() -> None:
    payment = translated(sample("charge.dispute.created")).payment

    assert payment is not None
    assert (payment.id, payment.amount, payment.currency) == (
        "ch_000000000000000000000000",
        "1.00",
        "USD",
    )


def test_payment_intent_failed_reads_last_payment_error() -> None:
    method = translated(sample("payment_intent.payment_failed")).payment_method

    assert method is not None
    expected = (Reason.CARD_DECLINED, "pm_000000000000000000000000", "0002", "card")
    assert (method.reason, method.reference, method.last4, method.kind) == expected


def test_payment_intent_failed_with_lost_card_is_confidential() -> None:
    envelope = sample("payment_intent.payment_failed")
    envelope["data"]["object"]["last_payment_error"]["decline_code"] = "lost_card"

    method = translated(envelope).payment_method

    assert method is not None
    assert method.reason is not None
    assert (method.reason, method.reason.is_confidential) == (Reason.LOST_CARD, True)


def test_expiring_bank_source_has_no_expiry_date() -> None:
    method = translated(sample("customer.source.expiring")).payment_method

    assert method is not None
    expected = ("ach_credit_transfer", "src_00000000000000", None)
    assert (method.kind, method.reference, method.expires_on) == expected


def test_expiring_card_expires_on_last_day_of_its_month() -> None:
    envelope = sample("customer.source.updated")
    envelope["type"] = "customer.source.expiring"
    envelope["data"]["object"]["exp_month"] = 2
    envelope["data"]["object"]["exp_year"] = 2024

    event = translated(envelope)

    assert event.payment_method is not None
    assert event.customer is not None
    assert (event.payment_method.expires_on, event.payment_method.last4) == (
        date(2024, 2, 29),
        "4242",
    )
    assert event.customer.id == "cus_00000000000000"


def test_automatically_updated_card_reports_the_new_expiry() -> None:
    envelope = sample("payment_method.attached")
    envelope["type"] = "payment_method.automatically_updated"

    event = check_event(translated(envelope))

    assert event.payment_method is not None
    assert (event.type, event.payment_method.expires_on) == (
        EventType.PAYMENT_METHOD_UPDATED,
        date(2023, 3, 31),
    )


def test_expanded_customer_object_gives_its_id() -> None:
    envelope = sample("invoice.payment_failed")
    envelope["data"]["object"]["customer"] = {"id": "cus_expanded", "object": "customer"}

    customer = translated(envelope).customer

    assert customer is not None
    assert customer.id == "cus_expanded"


# Malformed events ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "path", "value", "field"),
    [
        ("invoice.payment_failed", ("created",), "yesterday", "created"),
        ("invoice.payment_failed", ("data", "object", "created"), "x", "data.object.created"),
        ("invoice.payment_failed", ("data", "object", "currency"), "xxz", "data.object.currency"),
        (
            "invoice.payment_failed",
            ("data", "object", "amount_due"),
            20.5,
            "data.object.amount_due",
        ),
        ("charge.dispute.created", ("data", "object", "charge"), None, "data.object.charge"),
        ("charge.failed", ("data", "object", "customer"), {"id": 7}, "data.object.customer.id"),
        ("payment_method.attached", ("data",), [], "data"),
    ],
)
def test_malformed_field_is_rejected_by_name(
    kind: str, path: tuple[str, ...], value: object, field: str
) -> None:
    envelope = sample(kind)
    if kind == "payment_method.attached":
        envelope["type"] = "payment_method.automatically_updated"
    target = envelope
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    with pytest.raises(EventRejected) as caught:
        translate_stripe(envelope)

    assert caught.value.field == field


def test_unknown_type_is_ignored() -> None:
    assert translate_stripe({"id": "evt_1", "type": "customer.created"}) is None


# Signatures ---------------------------------------------------------------------------------


def test_verify_returns_the_parsed_event() -> None:
    body = (DATA / "srm_charge.failed.json").read_bytes()

    assert verify_stripe(body, sign(body), SECRET) == json.loads(body)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1,v1=zz",
        "v1=abc",
        "garbage",
        "t=1,v1=é",
    ],
)
def test_bad_signature_header_is_rejected(header: str | None) -> None:
    body = b'{"id": "evt_1", "type": "charge.failed"}'

    with pytest.raises(EventRejected) as caught:
        verify_stripe(body, header, SECRET)

    assert caught.value.field == "Stripe-Signature"


def test_signature_with_wrong_secret_is_rejected() -> None:
    body = (DATA / "srm_charge.failed.json").read_bytes()

    with pytest.raises(EventRejected, match="Stripe-Signature"):
        verify_stripe(body, sign(body, "whsec_other"), SECRET)


def test_tampered_body_is_rejected() -> None:
    body = (DATA / "srm_charge.failed.json").read_bytes()
    header = sign(body)

    with pytest.raises(EventRejected, match="Stripe-Signature"):
        verify_stripe(body.replace(b"2000", b"9000"), header, SECRET)


def test_stale_signature_is_rejected() -> None:
    body = (DATA / "srm_charge.failed.json").read_bytes()
    header = sign(body, at=int(time.time()) - 301)

    with pytest.raises(EventRejected, match="Stripe-Signature"):
        verify_stripe(body, header, SECRET)


def test_stale_signature_passes_within_a_wider_tolerance() -> None:
    body = (DATA / "srm_charge.failed.json").read_bytes()
    header = sign(body, at=int(time.time()) - 301)

    assert verify_stripe(body, header, SECRET, tolerance=600)["type"] == "charge.failed"


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"id": "evt_1"}', b'{"type": "x"}', b"\xff\xfe"]
)
def test_signed_body_that_is_no_stripe_event_is_rejected(body: bytes) -> None:
    with pytest.raises(EventRejected) as caught:
        verify_stripe(body, sign(body), SECRET)

    assert caught.value.field == "body"


# Decline codes ------------------------------------------------------------------------------


def csv_rows() -> list[dict[str, str]]:
    with CSV.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def csv_codes() -> list[tuple[str, str]]:
    """Each code with its "show real reason" column; one row may list several codes."""
    rows = csv_rows()
    return [
        (c, r["show_real_reason_to_customer"])
        for r in rows
        for c in r["decline_code"].split(" / ")
    ]


def test_package_csv_is_the_shared_one() -> None:
    shared = DATA / "stripe_decline_codes_own_words.csv"

    assert CSV.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


@pytest.mark.parametrize(("code", "shown"), csv_codes())
def test_confidential_reason_matches_the_csv(code: str, shown: str) -> None:
    assert decline_reason(code).is_confidential == shown.startswith("NO -")


@pytest.mark.parametrize(("code", "shown"), csv_codes())
def test_every_csv_code_has_a_record(code: str, shown: str) -> None:
    record = lookup_decline_code(code)

    assert record is not None
    assert (record.code, record.show_real_reason) == (code, shown.startswith("yes"))


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("expired_card", Reason.EXPIRED_CARD),
        ("insufficient_funds", Reason.INSUFFICIENT_FUNDS),
        ("card_velocity_exceeded", Reason.INSUFFICIENT_FUNDS),
        ("withdrawal_count_limit_exceeded", Reason.INSUFFICIENT_FUNDS),
        ("lost_card", Reason.LOST_CARD),
        ("stolen_card", Reason.STOLEN_CARD),
        ("fraudulent", Reason.FRAUDULENT),
        ("merchant_blacklist", Reason.FRAUDULENT),
        ("pickup_card", Reason.PICKUP_CARD),
        ("authentication_required", Reason.AUTHENTICATION_REQUIRED),
        ("invalid_cvc", Reason.INCORRECT_DETAILS),
        ("invalid_expiry_year", Reason.INCORRECT_DETAILS),
        ("incorrect_zip", Reason.INCORRECT_DETAILS),
        ("invalid_account", Reason.INCORRECT_DETAILS),
        ("call_issuer", Reason.CONTACT_BANK),
        ("restricted_card", Reason.CONTACT_BANK),
        ("security_violation", Reason.CONTACT_BANK),
        ("try_again_later", Reason.TEMPORARY_FAILURE),
        ("issuer_not_available", Reason.TEMPORARY_FAILURE),
        ("stop_payment_order", Reason.PAYMENT_STOPPED),
        ("revocation_of_authorization", Reason.PAYMENT_STOPPED),
        ("generic_decline", Reason.CARD_DECLINED),
        ("do_not_honor", Reason.CARD_DECLINED),
        ("card_declined", Reason.CARD_DECLINED),
        ("no_such_code", Reason.CARD_DECLINED),
        (None, Reason.CARD_DECLINED),
    ],
)
def test_decline_code_maps_to_reason(code: str | None, reason: Reason) -> None:
    assert decline_reason(code) == reason


def test_unknown_decline_code_has_no_record() -> None:
    assert lookup_decline_code("no_such_code") is None


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
# Field names the translators read, so that arbitrary objects reach deep code paths.
KEYS = st.sampled_from(
    [
        "id",
        "object",
        "customer",
        "currency",
        "amount",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "amount_refunded",
        "total",
        "created",
        "due_date",
        "charge",
        "payment_intent",
        "payment_method",
        "payment_method_details",
        "source",
        "outcome",
        "failure_code",
        "last_payment_error",
        "type",
        "card",
        "last4",
        "exp_month",
        "exp_year",
        "decline_code",
        "code",
        "reason",
    ]
)
ENVELOPES = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("evt_1"), JSON),
        "type": st.sampled_from(
            [*sorted(EXPECTED), "charge.refunded", "invoice.marked_uncollectible"]
        ),
        "created": st.one_of(st.integers(), JSON),
        "data": st.fixed_dictionaries({"object": st.dictionaries(KEYS, JSON, max_size=8)}),
    }
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document."""
    found = [prefix] if prefix else []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, inner in items:
        found.extend(paths(inner, (*prefix, key)))
    return found


SAMPLES = [sample(kind) for kind in sorted(EXPECTED)]


@st.composite
def mutated_samples(draw: st.DrawFn) -> dict[str, Any]:
    """A published sample with one value anywhere inside replaced by arbitrary JSON."""
    envelope = copy.deepcopy(draw(st.sampled_from(SAMPLES)))
    envelope["type"] = draw(st.sampled_from([envelope["type"], "charge.refunded"]))
    path = draw(st.sampled_from(paths(envelope)))
    target = envelope
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(JSON)
    return envelope


def outcome(envelope: dict[str, Any]) -> BillingEvent | None:
    try:
        return translate_stripe(envelope)
    except EventRejected:
        return None


@given(ENVELOPES)
def test_arbitrary_envelope_translates_or_is_rejected(envelope: dict[str, Any]) -> None:
    event = outcome(envelope)

    assert event is None or isinstance(event, BillingEvent)


@given(mutated_samples())
def test_mutated_sample_translates_or_is_rejected(envelope: dict[str, Any]) -> None:
    event = outcome(envelope)

    assert event is None or check_event(event) == event


@given(st.dictionaries(st.text(max_size=8), JSON, max_size=5))
def test_any_dict_translates_or_is_rejected(envelope: dict[str, Any]) -> None:
    event = outcome(envelope)

    assert event is None or isinstance(event, BillingEvent)


def test_empty_secret_is_a_configuration_error() -> None:
    body = b'{"id": "evt_1", "type": "charge.failed"}'

    with pytest.raises(ConfigurationError, match="SETTLE_STRIPE_WEBHOOK_SECRET"):
        verify_stripe(body, sign(body), "")
