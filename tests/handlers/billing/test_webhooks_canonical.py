"""POST /billing/events through the real app: bad input is refused by field and leaves no trace."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot import CaseType, Reason, Settings
from tests.conftest import FixedClock
from tests.handlers.billing.test_webhooks_harness import (
    Harness,
    body_of,
    canonical_headers,
    gocardless_header,
    stripe_header,
)

INVOICE_ISSUED: dict[str, Any] = {
    "id": "evt-2024-000123",
    "type": "invoice_issued",
    "occurred_at": "2024-03-01T09:15:00+02:00",
    "customer": {"id": "C-1001", "name": "Dana", "locale": "he_IL", "country": "IL"},
    "invoice": {
        "id": "INV-77",
        "amount": "412.90",
        "amount_due": "412.90",
        "currency": "USD",
        "issued_on": "2024-02-01",
        "due_on": "2024-02-15",
    },
}

PAYMENT_FAILED: dict[str, Any] = {
    "id": "evt-2024-000124",
    "type": "payment_failed",
    "occurred_at": "2024-03-01T09:15:00+02:00",
    "customer": {"id": "C-1001"},
    "payment_method": {"kind": "card", "reason": "expired_card", "last4": "4242"},
}


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    async with Harness.running(settings, clock) as harness:
        yield harness


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with the dotted `path` set to `value` (or removed when value is ...)."""
    event = copy.deepcopy(base)
    *parents, last = path.split(".")
    target = event
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return event


Request = tuple[bytes, dict[str, str]]


def signed(value: Any) -> Request:
    body = body_of(value)
    return body, canonical_headers(body)


def _without(header: str) -> Callable[[], Request]:
    def build() -> Request:
        body, headers = signed(INVOICE_ISSUED)
        del headers[header]
        return body, headers

    return build


def _wrong_secret() -> Request:
    body = body_of(INVOICE_ISSUED)
    return body, canonical_headers(body, "not-the-secret")


def _tampered() -> Request:
    _, headers = signed(INVOICE_ISSUED)
    return body_of(changed(INVOICE_ISSUED, "invoice.amount_due", "0.00")), headers


def _sent_at(offset: int) -> Callable[[], Request]:
    def build() -> Request:
        body = body_of(INVOICE_ISSUED)
        return body, canonical_headers(body, at=int(time.time()) + offset)

    return build


def _stamp_not_seconds() -> Request:
    body, headers = signed(INVOICE_ISSUED)
    headers["X-Settle-Timestamp"] = "2024-03-01T09:15:00Z"
    return body, headers


def _event(value: Any) -> Callable[[], Request]:
    return lambda: signed(value)


# name: (request, status, field at fault)
BAD: dict[str, tuple[Callable[[], Request], int, str]] = {
    "malformed-json": (_event(b'{"id": "evt-1", "type": '), 400, "body"),
    "empty-body": (_event(b""), 400, "body"),
    "not-an-object": (_event([INVOICE_ISSUED]), 400, "body"),
    "missing-signature": (_without("X-Settle-Signature"), 401, "X-Settle-Signature"),
    "wrong-secret": (_wrong_secret, 401, "X-Settle-Signature"),
    "tampered-body": (_tampered, 401, "X-Settle-Signature"),
    "missing-timestamp": (_without("X-Settle-Timestamp"), 401, "X-Settle-Timestamp"),
    "stale-timestamp": (_sent_at(-301), 401, "X-Settle-Timestamp"),
    # Five seconds over: the time a request takes to arrive brings a future stamp closer.
    "future-timestamp": (_sent_at(+305), 401, "X-Settle-Timestamp"),
    "timestamp-not-seconds": (_stamp_not_seconds, 401, "X-Settle-Timestamp"),
    "unknown-type": (_event(changed(INVOICE_ISSUED, "type", "invoice_exploded")), 400, "type"),
    "missing-id": (_event(changed(INVOICE_ISSUED, "id", ...)), 400, "id"),
    "id-with-spaces": (_event(changed(INVOICE_ISSUED, "id", "evt 1")), 400, "id"),
    "naive-occurred-at": (
        _event(changed(INVOICE_ISSUED, "occurred_at", "2024-03-01T09:15:00")),
        400,
        "occurred_at",
    ),
    "missing-currency": (
        _event(changed(INVOICE_ISSUED, "invoice.currency", ...)),
        400,
        "invoice.currency",
    ),
    "missing-due-on": (
        _event(changed(INVOICE_ISSUED, "invoice.due_on", ...)),
        400,
        "invoice.due_on",
    ),
    "missing-customer": (_event(changed(INVOICE_ISSUED, "customer", ...)), 400, "customer"),
    "float-amount": (
        _event(changed(INVOICE_ISSUED, "invoice.amount", 12.5)),
        400,
        "invoice.amount",
    ),
    "integer-amount": (
        _event(changed(INVOICE_ISSUED, "invoice.amount", 12)),
        400,
        "invoice.amount",
    ),
    "three-decimals-usd": (
        _event(changed(INVOICE_ISSUED, "invoice.amount", "12.345")),
        400,
        "invoice.amount",
    ),
    "negative-amount": (
        _event(changed(INVOICE_ISSUED, "invoice.amount", "-5.00")),
        400,
        "invoice.amount",
    ),
    "due-above-amount": (
        _event(changed(INVOICE_ISSUED, "invoice.amount_due", "999.00")),
        400,
        "invoice.amount_due",
    ),
    "due-before-issue": (
        _event(changed(INVOICE_ISSUED, "invoice.due_on", "2024-01-01")),
        400,
        "invoice.due_on",
    ),
    "bad-currency": (
        _event(changed(INVOICE_ISSUED, "invoice.currency", "XXZ")),
        400,
        "invoice.currency",
    ),
    "failure-without-reason": (
        _event(changed(PAYMENT_FAILED, "payment_method.reason", ...)),
        400,
        "payment_method.reason",
    ),
    "unknown-reason": (
        _event(changed(PAYMENT_FAILED, "payment_method.reason", "bad_luck")),
        400,
        "payment_method.reason",
    ),
    "payment-amount-without-currency": (
        _event(
            {
                **PAYMENT_FAILED,
                "type": "payment_received",
                "payment": {"id": "PAY-9", "amount": "100.00"},
            }
        ),
        400,
        "payment.currency",
    ),
}


async def test_the_base_events_are_valid(hook: Harness) -> None:
    issued = await hook.canonical(INVOICE_ISSUED)
    failed = await hook.canonical(PAYMENT_FAILED)

    assert issued.status_code == 200
    assert issued.json() == {
        "id": "evt-2024-000123",
        "outcome": "applied",
        "opened": [],
        "closed": [],
        "updated": [],
    }
    assert failed.status_code == 200
    assert failed.json()["opened"] == [1]
    [view] = await hook.runtime.store.list_cases()
    assert (view.case.type, view.case.reason, view.case.customer_id) == (
        CaseType.A,
        Reason.EXPIRED_CARD,
        "C-1001",
    )


@pytest.mark.parametrize("name", sorted(BAD))
async def test_bad_request_is_refused_naming_the_field(hook: Harness, name: str) -> None:
    build, status, field = BAD[name]
    body, headers = build()
    before = await hook.counts()

    response = await hook.client.post("/billing/events", content=body, headers=headers)

    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"field", "message"}
    assert error["field"] == field
    assert isinstance(error["message"], str)
    assert error["message"]
    assert await hook.counts() == before
    refused = await hook.metric(
        "settle_billing_events_rejected_total", source="canonical", field=field
    )
    assert refused == 1.0
    accepted = await hook.metric(
        "settle_billing_events_total", source="canonical", outcome="applied"
    )
    assert accepted == 0.0


async def test_refusals_add_up_in_metrics(hook: Harness) -> None:
    for amount in (12.5, "12.345", "1,00"):
        response = await hook.canonical(changed(INVOICE_ISSUED, "invoice.amount", amount))
        assert response.status_code == 400

    refused = await hook.metric(
        "settle_billing_events_rejected_total", source="canonical", field="invoice.amount"
    )
    assert refused == 3.0


def _oversized(settings: Settings) -> bytes:
    """A valid event one byte over the limit, padded by an unknown key: only its size is bad."""
    event = {**INVOICE_ISSUED, "padding": ""}
    event["padding"] = "x" * (settings.max_body_bytes + 1 - len(body_of(event)))
    body = body_of(event)
    assert len(body) == settings.max_body_bytes + 1
    return body


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_body_over_the_limit_is_413(
    hook: Harness, settings: Settings, *, declared: bool
) -> None:
    body = _oversized(settings)
    headers = canonical_headers(body)
    before = await hook.counts()

    if declared:
        response = await hook.client.post("/billing/events", content=body, headers=headers)
    else:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 65536):
                yield body[start : start + 65536]

        response = await hook.client.post("/billing/events", content=chunks(), headers=headers)

    assert response.status_code == 413
    assert response.json()["error"]["field"] == "body"
    assert await hook.counts() == before
    refused = await hook.metric(
        "settle_billing_events_rejected_total", source="canonical", field="body"
    )
    assert refused == 1.0


async def test_body_at_the_limit_is_read(hook: Harness, settings: Settings) -> None:
    body = _oversized(settings).replace(b'x"}', b'"}')
    assert len(body) == settings.max_body_bytes

    response = await hook.canonical(body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"


@pytest.mark.parametrize("path", ["/billing/stripe", "/billing/gocardless"])
async def test_provider_body_over_the_limit_is_413(
    hook: Harness, settings: Settings, path: str
) -> None:
    body = json.dumps({"events": [], "padding": "x" * settings.max_body_bytes}).encode()
    headers = {
        "Stripe-Signature": stripe_header(body),
        "Webhook-Signature": gocardless_header(body),
    }
    before = await hook.counts()

    response = await hook.client.post(path, content=body, headers=headers)

    assert response.status_code == 413
    assert response.json()["error"]["field"] == "body"
    assert await hook.counts() == before


async def test_same_event_twice_is_a_duplicate(hook: Harness) -> None:
    first = await hook.canonical(PAYMENT_FAILED)
    before = await hook.counts()

    second = await hook.canonical(PAYMENT_FAILED)

    assert first.json()["opened"] == [1]
    assert second.status_code == 200
    assert second.json() == {
        "id": "evt-2024-000124",
        "outcome": "duplicate",
        "opened": [],
        "closed": [],
        "updated": [],
    }
    assert await hook.counts() == before
    duplicates = await hook.metric(
        "settle_billing_events_total", source="canonical", outcome="duplicate"
    )
    assert duplicates == 1.0


async def test_get_is_not_allowed(hook: Harness) -> None:
    response = await hook.client.get("/billing/events")

    assert response.status_code == 405
