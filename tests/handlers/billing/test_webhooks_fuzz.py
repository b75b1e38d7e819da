"""Arbitrary, correctly signed input to the three billing endpoints: never a 5xx, and a
refusal (4xx) stores nothing.

Each test shares one started app across its examples (the store accumulates, as in
production); every example compares `Store.counts()` around its own request. Times and
dates span everything `datetime` holds, extreme offsets included.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot import Settings
from tests.conftest import FixedClock
from tests.fuzzing import FUZZ
from tests.handlers.billing.test_webhooks_harness import (
    Harness,
    body_of,
    gocardless_body,
    gocardless_samples,
    stripe_sample,
)

# Values ------------------------------------------------------------------------------------

_moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
_offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
iso_times = st.builds(lambda moment, zone: moment.astimezone(zone).isoformat(), _moments, _offsets)
iso_dates = st.dates().map(lambda day: day.isoformat())
amounts = st.one_of(
    st.decimals(min_value=-1000, max_value=10**16, allow_nan=False, places=3).map(str),
    st.sampled_from(["0", "0.00", "12.5", "12.345", "1e3", "1,00", " 7.00 ", "-0.00"]),
)
currencies = st.sampled_from(["USD", "usd", "JPY", "KWD", "ILS", "XXZ", "", "EURO", "XTS"])
ids = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12) | (
    st.text(max_size=3)
)
unix_seconds = st.integers(min_value=-(2**40), max_value=2**70)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    unix_seconds,
    st.floats(allow_nan=False),
    st.text(max_size=16),
    amounts,
    currencies,
    iso_dates,
    iso_times,
    ids,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, for a `...` value, delete) the dotted path, creating objects on the way."""
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if value is ...:
        target.pop(last, None)
    else:
        target[last] = value


def mutated(base: dict[str, Any], paths: list[str], values: st.SearchStrategy[Any]) -> Any:
    """`base`, under a fresh id, with up to four of `paths` replaced by drawn values or removed.

    A fresh id keeps most examples from being mere duplicates of an earlier one.
    """
    change = st.tuples(st.sampled_from(paths), st.just(...) | values)

    def apply(serial: int, changes: list[tuple[str, Any]]) -> dict[str, Any]:
        document = copy.deepcopy(base)
        document["id"] = f"{base['id']}-{serial}"
        for path, value in changes:
            _set(document, path, value)
        return document

    return st.builds(apply, st.integers(0, 10**9), st.lists(change, max_size=4))


# Canonical events --------------------------------------------------------------------------

CANONICAL_BASES = [
    {
        "id": "evt-issued",
        "type": "invoice_issued",
        "occurred_at": "2024-03-01T09:15:00+02:00",
        "customer": {"id": "C-1", "country": "IL", "locale": "he_IL"},
        "invoice": {
            "id": "INV-1",
            "amount": "412.90",
            "amount_due": "412.90",
            "currency": "USD",
            "issued_on": "2024-02-01",
            "due_on": "2024-02-15",
        },
        "payment_method": {"kind": "card", "reference": "pm_1"},
        "payment": {"id": "PAY-1"},
    },
    {
        "id": "evt-overdue",
        "type": "invoice_overdue",
        "occurred_at": "2024-03-02T09:15:00+02:00",
        "customer": {"id": "C-1"},
        "invoice": {
            "id": "INV-2",
            "amount": "5000.00",
            "currency": "USD",
            "issued_on": "2024-01-01",
            "due_on": "2024-01-31",
        },
    },
    {
        "id": "evt-failed",
        "type": "payment_failed",
        "occurred_at": "2024-03-01T09:15:00+00:00",
        "customer": {"id": "C-1"},
        "payment_method": {"kind": "card", "reason": "expired_card", "reference": "pm_1"},
    },
    {
        "id": "evt-expiring",
        "type": "payment_method_expiring",
        "occurred_at": "2024-03-01T09:15:00+00:00",
        "payment_method": {"kind": "card", "reference": "pm_1", "expires_on": "2024-03-31"},
    },
    {
        "id": "evt-received",
        "type": "payment_received",
        "occurred_at": "2024-03-03T09:15:00+00:00",
        "customer": {"id": "C-1"},
        "payment": {"id": "PAY-2", "amount": "100.00", "currency": "USD"},
    },
    {
        "id": "evt-reversed",
        "type": "payment_reversed",
        "occurred_at": "2024-03-04T09:15:00+00:00",
        "payment": {"id": "PAY-1", "amount": "10.00", "currency": "USD"},
    },
]
CANONICAL_PATHS = [
    "id",
    "type",
    "occurred_at",
    "customer",
    "customer.id",
    "customer.country",
    "customer.timezone",
    "customer.locale",
    "invoice",
    "invoice.id",
    "invoice.amount",
    "invoice.amount_due",
    "invoice.currency",
    "invoice.issued_on",
    "invoice.due_on",
    "payment_method",
    "payment_method.kind",
    "payment_method.reason",
    "payment_method.reference",
    "payment_method.last4",
    "payment_method.expires_on",
    "payment",
    "payment.id",
    "payment.amount",
    "payment.currency",
]
_canonical_fields = st.one_of(
    scalars,
    json_values,
    st.sampled_from(
        [
            *("payment_failed", "invoice_overdue", "customer_updated", "payment_method_updated"),
            *(
                "insufficient_funds",
                "card_declined",
                "bank_account_closed",
                "pm_1",
                "INV-1",
                "C-1",
            ),
        ]
    ),
)
canonical_events = st.sampled_from(CANONICAL_BASES).flatmap(
    lambda base: mutated(base, CANONICAL_PATHS, _canonical_fields)
)
# Mostly near-valid events (they reach the ingest), some arbitrary JSON and bytes.
canonical_bodies = st.one_of(
    canonical_events.map(body_of),
    canonical_events.map(body_of),
    canonical_events.map(body_of),
    json_values.map(body_of),
    st.binary(max_size=200),
)

# Stripe envelopes --------------------------------------------------------------------------

STRIPE_KINDS = [
    "invoice.payment_failed",
    "invoice.payment_action_required",
    "invoice.paid",
    "charge.failed",
    "charge.dispute.created",
    "payment_intent.payment_failed",
    "customer.source.expiring",
    "invoice.upcoming",
]
STRIPE_PATHS = [
    "id",
    "type",
    "created",
    "data",
    "data.object",
    "data.object.id",
    "data.object.object",
    "data.object.customer",
    "data.object.currency",
    "data.object.amount",
    "data.object.amount_due",
    "data.object.amount_paid",
    "data.object.amount_remaining",
    "data.object.amount_refunded",
    "data.object.total",
    "data.object.created",
    "data.object.due_date",
    "data.object.charge",
    "data.object.payment_intent",
    "data.object.default_payment_method",
    "data.object.payment_method",
    "data.object.source",
    "data.object.failure_code",
    "data.object.outcome",
    "data.object.outcome.reason",
    "data.object.payment_method_details",
    "data.object.payment_method_details.type",
    "data.object.payment_method_details.card.last4",
    "data.object.last_payment_error",
    "data.object.last_payment_error.code",
    "data.object.last_payment_error.decline_code",
    "data.object.last_payment_error.payment_method",
    "data.object.last_payment_error.payment_method.card.exp_month",
    "data.object.type",
    "data.object.exp_month",
    "data.object.exp_year",
    "data.object.last4",
]
_stripe_fields = st.one_of(
    scalars,
    json_values,
    st.sampled_from(
        [
            *("card", "cus_00000000000000", "pm_000000000000000000000000", "expired_card"),
            *("insufficient_funds", "lost_card", "authentication_required", "usd", "jpy"),
        ]
    ),
)
stripe_envelopes = st.sampled_from(STRIPE_KINDS).flatmap(
    lambda kind: mutated(stripe_sample(kind), STRIPE_PATHS, _stripe_fields)
)
stripe_bodies = st.one_of(
    stripe_envelopes.map(body_of),
    stripe_envelopes.map(body_of),
    stripe_envelopes.map(body_of),
    json_values.map(body_of),
    st.binary(max_size=200),
)

# GoCardless deliveries ---------------------------------------------------------------------

GC_SAMPLES = list(gocardless_samples().values())
GC_PATHS = [
    "id",
    "created_at",
    "resource_type",
    "action",
    "details",
    "details.cause",
    "links",
    "links.mandate",
    "links.payment",
]
_gc_fields = st.one_of(
    scalars,
    json_values,
    st.sampled_from(
        [
            *("mandates", "payments", "cancelled", "failed", "confirmed", "transferred"),
            *("reinstated", "charged_back", "bank_account_closed", "insufficient_funds"),
            *("MD123", "PM123"),
        ]
    ),
)
gc_events = st.sampled_from(GC_SAMPLES).flatmap(lambda e: mutated(e, GC_PATHS, _gc_fields))
gc_deliveries = st.lists(gc_events, min_size=1, max_size=3).map(lambda e: gocardless_body(*e))
gocardless_bodies = st.one_of(
    gc_deliveries,
    gc_deliveries,
    gc_deliveries,
    st.lists(json_values, max_size=3).map(lambda events: gocardless_body(*events)),
    json_values.map(body_of),
    st.binary(max_size=200),
)


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    """A started app that already knows the samples' customers, methods and payments."""
    async with Harness.running(settings, clock) as harness:
        for mandate in ("MD123", "MD456", "MD789", "pm_000000000000000000000000"):
            await harness.canonical(
                {
                    "id": f"register-{mandate}",
                    "type": "payment_method_updated",
                    "occurred_at": "2000-01-01T00:00:00+00:00",
                    "customer": {"id": "C-1"},
                    "payment_method": {"kind": "direct_debit", "reference": mandate},
                }
            )
        for payment in ("PM123", "PM456", "PM999"):
            event = copy.deepcopy(CANONICAL_BASES[0])
            event["id"] = f"register-{payment}"
            event["occurred_at"] = "2000-01-01T00:00:00+00:00"
            event["invoice"]["id"] = f"INV-{payment}"
            event["payment"] = {"id": payment}
            await harness.canonical(event)
        assert (await harness.counts())["billing_events"] == 7
        yield harness


async def check(hook: Harness, send: Any) -> httpx.Response:
    """Send once; never a 5xx; a 4xx names a field and leaves the store as it was."""
    before = await hook.counts()
    response: httpx.Response = await send()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.status_code in (400, 401, 413), response.text
        error = response.json()["error"]
        assert isinstance(error["field"], str)
        assert error["field"]
        assert isinstance(error["message"], str)
        assert await hook.counts() == before
    else:
        assert response.status_code == 200
    return response


@FUZZ
@given(body=canonical_bodies)
async def test_canonical_never_fails_and_refusals_store_nothing(
    hook: Harness, body: bytes
) -> None:
    response = await check(hook, lambda: hook.canonical(body))

    event(f"{response.status_code} {response.json().get('outcome', '')}")
    if response.status_code == 200:
        outcome = response.json()["outcome"]
        assert outcome in {"applied", "duplicate", "unmatched", "stale", "noted"}


@FUZZ
@given(body=stripe_bodies)
async def test_stripe_never_fails_and_refusals_store_nothing(hook: Harness, body: bytes) -> None:
    response = await check(hook, lambda: hook.stripe(body))

    event(f"{response.status_code} {response.json().get('outcome', '')}")
    if response.status_code == 200:
        outcome = response.json()["outcome"]
        assert outcome in {"applied", "duplicate", "unmatched", "stale", "noted", "ignored"}


@FUZZ
@given(body=gocardless_bodies)
async def test_gocardless_never_fails_and_refusals_store_nothing(
    hook: Harness, body: bytes
) -> None:
    response = await check(hook, lambda: hook.gocardless(body))

    if response.status_code == 200:
        results = response.json()["events"]
        for result in results:
            event(f"200 {result['outcome']}")
        assert len(results) == len(json.loads(body)["events"])


@FUZZ
@given(body=st.one_of(canonical_bodies, stripe_bodies, gocardless_bodies))
async def test_unsigned_input_is_always_401(hook: Harness, body: bytes) -> None:
    for path in ("/billing/events", "/billing/stripe", "/billing/gocardless"):
        response = await check(hook, lambda path=path: hook.client.post(path, content=body))
        # Stripe reads the body as UTF-8 before it checks the header.
        assert response.status_code == 401 or (path == "/billing/stripe" and _not_utf8(body))


def _not_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
