"""POST /billing/stripe through the real app: every published sample, signatures, cases."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import CaseStatus, CaseType, Money, Reason, Settings
from tests.conftest import FixedClock
from tests.handlers.billing.test_webhooks_harness import (
    Harness,
    body_of,
    stripe_header,
    stripe_kind,
    stripe_sample,
    stripe_sample_paths,
)

KINDS = [stripe_kind(path) for path in stripe_sample_paths()]

# What each sample is answered with when it is the first thing Settle hears.
FIRST_OUTCOME: dict[str, str] = {
    "charge.dispute.created": "unmatched",  # the charge was never registered
    "charge.failed": "unmatched",  # no customer, unknown payment method
    "customer.source.expiring": "unmatched",  # no customer, unknown source
    "customer.source.updated": "ignored",
    "customer.subscription.deleted": "ignored",
    "customer.subscription.updated": "ignored",
    "invoice.paid": "applied",
    "invoice.payment_action_required": "applied",
    "invoice.payment_failed": "applied",
    "invoice.upcoming": "ignored",
    "invoice.updated": "ignored",
    "mandate.updated": "ignored",
    "payment_intent.payment_failed": "unmatched",  # no customer, unknown payment method
    "payment_intent.requires_action": "ignored",
    "payment_method.attached": "ignored",
    "setup_intent.setup_failed": "ignored",
}

CUSTOMER = "cus_00000000000000"
INVOICE = "in_000000000000000000000000"
CARD = "pm_000000000000000000000000"


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    async with Harness.running(settings, clock) as harness:
        yield harness


async def register_card(hook: Harness, customer: str = "C-CARD") -> None:
    """What the billing system tells Settle first: this customer pays with that card."""
    response = await hook.canonical(
        {
            "id": f"register-{CARD}",
            "type": "payment_method_updated",
            # Older than every Stripe sample (2022-03-26), so the failure is the newer fact.
            "occurred_at": "2022-01-01T00:00:00+00:00",
            "customer": {"id": customer},
            "payment_method": {"kind": "card", "reference": CARD},
        }
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"


def test_every_sample_has_an_expected_outcome() -> None:
    assert sorted(FIRST_OUTCOME) == KINDS


# Signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_signed_sample_is_accepted(hook: Harness, kind: str) -> None:
    response = await hook.stripe(stripe_sample(kind))

    assert response.status_code == 200
    assert response.json()["id"] == f"evt_{kind}"
    assert response.json()["outcome"] == FIRST_OUTCOME[kind]
    stored = await hook.runtime.store.list_events()
    expected = [] if FIRST_OUTCOME[kind] == "ignored" else [("stripe", f"evt_{kind}")]
    assert [(e.source, e.source_id) for e in stored] == expected


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"Stripe-Signature": stripe_header(body, "whsec_someone_else")}


def _tampered(body: bytes) -> tuple[bytes, dict[str, str]]:
    header = stripe_header(body)
    envelope = json.loads(body)
    envelope["data"]["object"]["customer"] = "cus_attacker"
    return body_of(envelope), {"Stripe-Signature": header}


def _missing(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {}


def _stale(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"Stripe-Signature": stripe_header(body, at=int(time.time()) - 301)}


def _no_v1(body: bytes) -> tuple[bytes, dict[str, str]]:
    # The right secret, but only under the v0 scheme: Stripe verifies v1 alone.
    v1 = stripe_header(body)
    return body, {"Stripe-Signature": v1.replace("v1=", "v0=")}


def _not_ascii(body: bytes) -> tuple[bytes, dict[str, Any]]:
    header = stripe_header(body).replace("v1=", "v1=é").encode("latin-1")
    return body, {"Stripe-Signature": header}


BAD = {
    "non-ascii-header": _not_ascii,
    "wrong-secret": _wrong_secret,
    "tampered-body": _tampered,
    "missing-header": _missing,
    "stale-timestamp": _stale,
    "no-v1-scheme": _no_v1,
}


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("kind", KINDS)
async def test_badly_signed_sample_is_refused(hook: Harness, kind: str, bad: str) -> None:
    before = await hook.counts()
    body, headers = BAD[bad](body_of(stripe_sample(kind)))

    response = await hook.client.post("/billing/stripe", content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["field"] == "Stripe-Signature"
    assert await hook.counts() == before
    refused = await hook.metric(
        "settle_billing_events_rejected_total", source="stripe", field="Stripe-Signature"
    )
    assert refused == 1.0


async def test_signature_within_tolerance_is_accepted(hook: Harness) -> None:
    response = await hook.stripe(
        stripe_sample("invoice.payment_failed"), at=int(time.time()) - 250
    )

    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"


# Cases -------------------------------------------------------------------------------------


async def test_invoice_payment_failed_opens_type_a_case(hook: Harness) -> None:
    response = await hook.stripe(stripe_sample("invoice.payment_failed"))

    assert response.status_code == 200
    assert response.json() == {
        "id": "evt_invoice.payment_failed",
        "outcome": "applied",
        "opened": [1],
        "closed": [],
        "updated": [],
    }
    [view] = await hook.runtime.store.list_cases()
    assert view.case.id == 1
    assert view.case.type is CaseType.A
    assert view.case.reason is Reason.CARD_DECLINED
    assert view.case.customer_id == CUSTOMER
    assert view.case.is_open
    assert view.case.invoice_ids == (INVOICE,)
    assert view.case.amount_due == Money(2000, "USD")
    assert view.case.why["event"] == "evt_invoice.payment_failed"
    assert view.case.opened_at == hook.runtime.clock.now()


async def test_invoice_payment_action_required_asks_for_authentication(hook: Harness) -> None:
    response = await hook.stripe(stripe_sample("invoice.payment_action_required"))

    assert response.status_code == 200
    assert response.json()["opened"] == [1]
    [view] = await hook.runtime.store.list_cases()
    assert (view.case.type, view.case.reason) == (CaseType.A, Reason.AUTHENTICATION_REQUIRED)
    assert view.case.customer_id == CUSTOMER


@pytest.mark.parametrize("kind", ["charge.failed", "payment_intent.payment_failed"])
async def test_failure_without_customer_is_unmatched_until_card_is_known(
    hook: Harness, kind: str
) -> None:
    response = await hook.stripe(stripe_sample(kind))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unmatched"
    assert await hook.runtime.store.list_cases() == []
    [stored] = await hook.runtime.store.list_events(outcome="unmatched")
    assert (stored.source, stored.source_id, stored.customer_id) == ("stripe", f"evt_{kind}", None)


@pytest.mark.parametrize("kind", ["charge.failed", "payment_intent.payment_failed"])
async def test_failure_on_registered_card_opens_card_declined_case(
    hook: Harness, kind: str
) -> None:
    await register_card(hook)

    response = await hook.stripe(stripe_sample(kind))

    assert response.status_code == 200
    assert response.json() == {
        "id": f"evt_{kind}",
        "outcome": "applied",
        "opened": [1],
        "closed": [],
        "updated": [],
    }
    [view] = await hook.runtime.store.list_cases()
    # generic_decline: told to the customer as a plain declined card.
    assert (view.case.type, view.case.reason) == (CaseType.A, Reason.CARD_DECLINED)
    assert view.case.customer_id == "C-CARD"
    assert view.case.why["payment_method"] == CARD
    method = await _method(hook, CARD)
    assert method is not None
    assert (method.status, method.last4, method.customer_id) == ("failed", "0002", "C-CARD")


async def _method(hook: Harness, reference: str) -> Any:
    async with hook.runtime.store.transaction() as tx:
        return await tx.get_payment_method(reference)


async def test_registration_newer_than_failure_makes_it_stale(hook: Harness) -> None:
    """Order safety: a card registered after the decline outranks the older decline."""
    response = await hook.canonical(
        {
            "id": "register-late",
            "type": "payment_method_updated",
            "occurred_at": "2024-01-01T00:00:00+00:00",
            "customer": {"id": "C-CARD"},
            "payment_method": {"kind": "card", "reference": CARD},
        }
    )
    assert response.json()["outcome"] == "applied"

    response = await hook.stripe(stripe_sample("charge.failed"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "stale"
    assert await hook.runtime.store.list_cases() == []


async def test_invoice_paid_after_failure_closes_the_case(hook: Harness) -> None:
    failed = await hook.stripe(stripe_sample("invoice.payment_failed"))
    [case_id] = failed.json()["opened"]

    paid = await hook.stripe(stripe_sample("invoice.paid"))

    assert paid.status_code == 200
    assert paid.json() == {
        "id": "evt_invoice.paid",
        "outcome": "applied",
        "opened": [],
        "closed": [case_id],
        "updated": [],
    }
    [view] = await hook.runtime.store.list_cases()
    assert view.case.status is CaseStatus.CLOSED
    assert view.case.closed_at == hook.runtime.clock.now()
    assert await hook.runtime.store.list_cases(open_only=True) == []
    [invoice] = view.invoices
    assert invoice.amount_due == Money(0, "USD")


async def test_failure_arriving_after_payment_opens_nothing(hook: Harness) -> None:
    """The samples' paid invoice is newer than its failure: a late failure is stale."""
    await hook.stripe(stripe_sample("invoice.paid"))

    response = await hook.stripe(stripe_sample("invoice.payment_failed"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "stale"
    assert await hook.runtime.store.list_cases() == []


async def test_action_required_then_failure_share_one_case(hook: Harness) -> None:
    first = await hook.stripe(stripe_sample("invoice.payment_action_required"))
    second = await hook.stripe(stripe_sample("invoice.payment_failed"))

    assert first.json()["opened"] == [1]
    assert second.json()["opened"] == []
    assert second.json()["updated"] == [1]
    [view] = await hook.runtime.store.list_cases()
    assert view.case.reason is Reason.CARD_DECLINED  # the newest fact about the card


# Idempotency -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_second_delivery_changes_nothing(hook: Harness, kind: str) -> None:
    await register_card(hook)
    envelope = stripe_sample(kind)
    first = await hook.stripe(envelope)
    assert first.status_code == 200
    before = await hook.counts()

    second = await hook.stripe(envelope)

    assert second.status_code == 200
    if FIRST_OUTCOME[kind] == "ignored":
        # Never stored, so nothing to find a duplicate of: ignored again.
        assert second.json() == {"id": f"evt_{kind}", "outcome": "ignored"}
    else:
        assert second.json() == {
            "id": f"evt_{kind}",
            "outcome": "duplicate",
            "opened": [],
            "closed": [],
            "updated": [],
        }
    assert await hook.counts() == before
    assert before["billing_events"] == (1 if FIRST_OUTCOME[kind] == "ignored" else 2)
