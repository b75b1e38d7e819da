"""POST /billing/gocardless through the real app: every published sample, signatures, cases."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import CaseStatus, CaseType, Money, Reason, Settings
from tests.conftest import FixedClock
from tests.handlers.billing.test_webhooks_harness import (
    Harness,
    gocardless_body,
    gocardless_header,
    gocardless_samples,
)

SAMPLES = gocardless_samples()
NAMES = sorted(SAMPLES)

# What each sample is answered with when it is the first thing Settle hears.
FIRST_OUTCOME: dict[str, str] = {
    "billing_request_created": "ignored",
    "creditor_updated_gocardless": "ignored",
    "export_started_gocardless": "ignored",
    "instalment_schedule_payment_created_api": "ignored",
    "mandate_cancelled_api": "unmatched",
    "mandate_cancelled_bank_account_closed": "unmatched",
    "mandate_tranferred_bank_account_transferred": "unmatched",
    "payment_cancelled_api": "ignored",  # the merchant cancelled it: nothing to fix
    "payment_cancelled_bank_mandate_cancelled": "unmatched",
    "payment_confirmed_gocardless": "unmatched",
    "payment_failed_bank_insufficient_funds": "unmatched",
    "payout_paid_gocardless": "ignored",
    "refund_created_api": "ignored",
    "scheme_identifier_activated_gocardless": "ignored",
    "subscription_payment_created_api": "ignored",
}

# Failures, the registration that makes their mandate or payment known, and the reason.
MANDATE_FAILURES = {
    "mandate_cancelled_bank_account_closed": ("MD123", Reason.BANK_ACCOUNT_CLOSED),
    "mandate_cancelled_api": ("MD456", Reason.MANDATE_CANCELLED),
    "mandate_tranferred_bank_account_transferred": ("MD789", Reason.BANK_ACCOUNT_CHANGED),
}
PAYMENT_FAILURES = {
    "payment_failed_bank_insufficient_funds": ("PM123", Reason.INSUFFICIENT_FUNDS),
    "payment_cancelled_bank_mandate_cancelled": ("PM456", Reason.MANDATE_CANCELLED),
}
# Older than every sample's created_at (2014-04-08), so the failures are the newer facts.
REGISTERED_AT = "2014-03-01T09:00:00+00:00"
CUSTOMER = "C-GC"


def event(name: str, **changes: Any) -> dict[str, Any]:
    found = copy.deepcopy(SAMPLES[name])
    found.update(changes)
    return found


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    async with Harness.running(settings, clock) as harness:
        yield harness


async def register_mandate(hook: Harness, mandate: str) -> None:
    """The billing system tells Settle which customer pays by this mandate."""
    response = await hook.canonical(
        {
            "id": f"register-{mandate}",
            "type": "payment_method_updated",
            "occurred_at": REGISTERED_AT,
            "customer": {"id": CUSTOMER},
            "payment_method": {"kind": "direct_debit", "reference": mandate},
        }
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"


async def register_payment(hook: Harness, payment: str, mandate: str = "MD123") -> None:
    """The billing system issues an invoice to be collected by this GoCardless payment."""
    response = await hook.canonical(
        {
            "id": f"register-{payment}",
            "type": "invoice_issued",
            "occurred_at": REGISTERED_AT,
            "customer": {"id": CUSTOMER},
            "invoice": {
                "id": f"INV-{payment}",
                "amount": "20.00",
                "currency": "GBP",
                "issued_on": "2014-03-01",
                "due_on": "2014-04-08",
            },
            "payment_method": {"kind": "direct_debit", "reference": mandate},
            "payment": {"id": payment},
        }
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"


async def register_everything(hook: Harness) -> None:
    for mandate, _ in MANDATE_FAILURES.values():
        await register_mandate(hook, mandate)
    for payment in ("PM123", "PM456", "PM999"):
        await register_payment(hook, payment)


def test_every_sample_has_an_expected_outcome() -> None:
    assert sorted(FIRST_OUTCOME) == NAMES


# Signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
async def test_signed_sample_is_accepted(hook: Harness, name: str) -> None:
    response = await hook.gocardless(gocardless_body(SAMPLES[name]))

    assert response.status_code == 200
    [result] = response.json()["events"]
    assert result["id"] == SAMPLES[name]["id"]
    assert result["outcome"] == FIRST_OUTCOME[name]
    assert await hook.runtime.store.list_cases() == []


@pytest.mark.parametrize("bad", ["wrong-secret", "tampered-body", "missing-header", "garbage"])
@pytest.mark.parametrize("name", NAMES)
async def test_badly_signed_sample_is_refused(hook: Harness, name: str, bad: str) -> None:
    body = gocardless_body(SAMPLES[name])
    headers: dict[str, Any] = {
        "wrong-secret": {"Webhook-Signature": gocardless_header(body, "not-the-secret")},
        "tampered-body": {"Webhook-Signature": gocardless_header(body)},
        "missing-header": {},
        "garbage": {"Webhook-Signature": "sha256=é".encode("latin-1")},
    }[bad]
    if bad == "tampered-body":
        body = body.replace(b'"links": {', b'"links": {"mandate": "MD-attacker", ')
    before = await hook.counts()

    response = await hook.client.post("/billing/gocardless", content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["field"] == "Webhook-Signature"
    assert await hook.counts() == before
    refused = await hook.metric(
        "settle_billing_events_rejected_total", source="gocardless", field="Webhook-Signature"
    )
    assert refused == 1.0


# Before and after registration --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MANDATE_FAILURES) + sorted(PAYMENT_FAILURES))
async def test_failure_before_registration_is_stored_unmatched(hook: Harness, name: str) -> None:
    response = await hook.gocardless(gocardless_body(SAMPLES[name]))

    assert response.status_code == 200
    assert response.json()["events"][0]["outcome"] == "unmatched"
    [stored] = await hook.runtime.store.list_events(outcome="unmatched")
    assert (stored.source, stored.source_id, stored.customer_id) == (
        "gocardless",
        SAMPLES[name]["id"],
        None,
    )
    assert json.loads(stored.payload) == SAMPLES[name]
    counts = await hook.counts()
    assert (counts["cases"], counts["customers"], counts["audit_records"]) == (0, 0, 0)


@pytest.mark.parametrize("name", sorted(MANDATE_FAILURES))
async def test_mandate_failure_opens_type_a_case(hook: Harness, name: str) -> None:
    mandate, reason = MANDATE_FAILURES[name]
    await register_mandate(hook, mandate)

    response = await hook.gocardless(gocardless_body(SAMPLES[name]))

    assert response.status_code == 200
    assert response.json() == {
        "events": [
            {
                "id": SAMPLES[name]["id"],
                "outcome": "applied",
                "opened": [1],
                "closed": [],
                "updated": [],
            }
        ]
    }
    [view] = await hook.runtime.store.list_cases()
    assert (view.case.type, view.case.reason) == (CaseType.A, reason)
    assert view.case.customer_id == CUSTOMER
    assert view.case.why["payment_method"] == mandate
    assert view.case.invoice_ids == ()


def test_reasons_carry_the_names_staff_read() -> None:
    assert Reason.BANK_ACCOUNT_CLOSED.value == "bank_account_closed"
    assert Reason.INSUFFICIENT_FUNDS.value == "insufficient_funds"
    assert Reason.BANK_ACCOUNT_CHANGED.value == "bank_account_transferred"


@pytest.mark.parametrize("name", sorted(PAYMENT_FAILURES))
async def test_payment_failure_opens_type_a_case_on_its_invoice(hook: Harness, name: str) -> None:
    payment, reason = PAYMENT_FAILURES[name]
    await register_payment(hook, payment)

    response = await hook.gocardless(gocardless_body(SAMPLES[name]))

    assert response.status_code == 200
    [result] = response.json()["events"]
    assert (result["outcome"], result["opened"]) == ("applied", [1])
    [view] = await hook.runtime.store.list_cases()
    assert (view.case.type, view.case.reason) == (CaseType.A, reason)
    assert view.case.customer_id == CUSTOMER
    assert view.case.invoice_ids == (f"INV-{payment}",)
    assert view.case.amount_due == Money(2000, "GBP")


async def test_payment_collected_after_failure_closes_the_case(hook: Harness) -> None:
    await register_payment(hook, "PM123")
    failed = await hook.gocardless(
        gocardless_body(SAMPLES["payment_failed_bank_insufficient_funds"])
    )
    [case_id] = failed.json()["events"][0]["opened"]
    # GoCardless retries the payment; a day later it is confirmed.
    confirmed = event(
        "payment_confirmed_gocardless",
        created_at="2014-04-09T17:01:06.000Z",
        links={"payment": "PM123"},
    )

    response = await hook.gocardless(gocardless_body(confirmed))

    [result] = response.json()["events"]
    assert (result["outcome"], result["closed"]) == ("applied", [case_id])
    [view] = await hook.runtime.store.list_cases()
    assert view.case.status is CaseStatus.CLOSED
    assert view.invoices[0].amount_due == Money(0, "GBP")


async def test_every_sample_in_one_delivery_after_registration(hook: Harness) -> None:
    await register_everything(hook)

    response = await hook.gocardless(gocardless_body(*(SAMPLES[name] for name in NAMES)))

    assert response.status_code == 200
    outcomes = {
        name: r["outcome"] for name, r in zip(NAMES, response.json()["events"], strict=True)
    }
    expected = {name: "ignored" for name in NAMES if FIRST_OUTCOME[name] == "ignored"}
    expected.update({name: "applied" for name in NAMES if name not in expected})
    assert outcomes == expected
    # One customer, one open type A case, whatever number of failures it heard of.
    [view] = await hook.runtime.store.list_cases()
    assert (view.case.type, view.case.customer_id) == (CaseType.A, CUSTOMER)
    assert view.case.is_open  # PM999 confirmed its own invoice, not the failed ones
    assert view.case.invoice_ids == ("INV-PM123", "INV-PM456")


# Idempotency -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
async def test_second_delivery_changes_nothing(hook: Harness, name: str) -> None:
    await register_everything(hook)
    body = gocardless_body(SAMPLES[name])
    first = await hook.gocardless(body)
    assert first.status_code == 200
    before = await hook.counts()

    second = await hook.gocardless(body)

    assert second.status_code == 200
    [result] = second.json()["events"]
    if FIRST_OUTCOME[name] == "ignored":
        assert result == {"id": SAMPLES[name]["id"], "outcome": "ignored"}
    else:
        assert first.json()["events"][0]["outcome"] == "applied"
        assert result == {
            "id": SAMPLES[name]["id"],
            "outcome": "duplicate",
            "opened": [],
            "closed": [],
            "updated": [],
        }
    assert await hook.counts() == before


async def test_same_event_twice_in_one_delivery_counts_once(hook: Harness) -> None:
    await register_mandate(hook, "MD123")
    sample = SAMPLES["mandate_cancelled_bank_account_closed"]

    response = await hook.gocardless(gocardless_body(sample, sample))

    assert [r["outcome"] for r in response.json()["events"]] == ["applied", "duplicate"]
    assert len(await hook.runtime.store.list_cases()) == 1
    assert (await hook.counts())["billing_events"] == 2  # the registration and the event
