from __future__ import annotations

import json
from typing import Any

import pytest

from bot import CaseStatus, CaseType, EventRejected, Reason, Settings, parse_event
from bot._ingest import Ingest, Outcome
from storage import SqliteStore
from tests.conftest import FixedClock


def event(kind: str, event_id: str, at: str = "2024-03-01T09:00:00+00:00", **parts: Any) -> str:
    body = {"id": event_id, "type": kind, "occurred_at": at, **parts}
    return json.dumps(body)


CUSTOMER = {"id": "C-1", "locale": "en_US", "country": "US"}
CARD_EXPIRED = {"kind": "card", "reason": "expired_card", "last4": "4242"}


def invoice(
    invoice_id: str, amount: str, *, due: str | None = None, **dates: str
) -> dict[str, Any]:
    part = {"id": invoice_id, "amount": amount, "currency": "USD"}
    part["issued_on"] = dates.get("issued_on", "2024-01-01")
    part["due_on"] = dates.get("due_on", "2024-01-31")
    if due is not None:
        part["amount_due"] = due
    return part


@pytest.fixture
def ingest(store: SqliteStore, clock: FixedClock, settings: Settings) -> Ingest:
    return Ingest(store, clock, settings)


async def accept(ingest: Ingest, body: str) -> Any:
    return await ingest.accept("canonical", parse_event(body), body)


async def test_failed_payment_opens_type_a_case_with_reason(
    ingest: Ingest, store: SqliteStore
) -> None:
    body = event("payment_failed", "e1", customer=CUSTOMER, payment_method=CARD_EXPIRED)

    result = await accept(ingest, body)

    cases = await store.list_cases()
    assert result.outcome is Outcome.APPLIED
    assert [(v.case.type, v.case.reason, v.case.status) for v in cases] == [
        (CaseType.A, Reason.EXPIRED_CARD, CaseStatus.NO_CHANNEL)
    ]


async def test_repeated_event_changes_nothing(ingest: Ingest, store: SqliteStore) -> None:
    body = event("payment_failed", "e1", customer=CUSTOMER, payment_method=CARD_EXPIRED)
    await accept(ingest, body)
    before = await store.counts()

    result = await accept(ingest, body)

    assert result.outcome is Outcome.DUPLICATE
    assert await store.counts() == before


async def test_late_failure_after_payment_opens_nothing(
    ingest: Ingest, store: SqliteStore
) -> None:
    paid = event(
        "payment_received",
        "paid",
        at="2024-03-02T10:00:00+00:00",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00", due="0"),
        payment={"id": "PAY-1", "amount": "100.00", "currency": "USD"},
    )
    failed = event(
        "payment_failed",
        "failed",
        at="2024-03-02T09:00:00+00:00",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment_method=CARD_EXPIRED,
    )
    await accept(ingest, paid)

    result = await accept(ingest, failed)

    assert result.outcome is Outcome.STALE
    assert await store.list_cases() == []


async def test_full_payment_closes_case_and_partial_keeps_it_open(
    ingest: Ingest, store: SqliteStore
) -> None:
    failed = event(
        "payment_failed",
        "f",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment_method=CARD_EXPIRED,
    )
    await accept(ingest, failed)
    part = {"id": "P1", "amount": "40.00", "currency": "USD"}
    rest = {"id": "P2", "amount": "60.00", "currency": "USD"}

    await accept(
        ingest,
        event("payment_received", "p1", "2024-03-02T00:00:00Z", customer=CUSTOMER, payment=part),
    )
    after_partial = (await store.list_cases())[0].case
    await accept(
        ingest,
        event("payment_received", "p2", "2024-03-03T00:00:00Z", customer=CUSTOMER, payment=rest),
    )
    after_full = (await store.list_cases())[0].case

    assert (after_partial.is_open, str(after_partial.amount_due)) == (True, "60.00 USD")
    assert (after_full.is_open, after_full.status) == (False, CaseStatus.CLOSED)


async def test_substantial_overdue_invoice_opens_type_c_with_median(
    ingest: Ingest, store: SqliteStore
) -> None:
    for n, amount in enumerate(["10.00", "20.00", "30.00"], start=1):
        issued = {"issued_on": f"2023-0{n}-01", "due_on": f"2023-0{n}-15"}
        body = event(
            "invoice_issued",
            f"i{n}",
            customer=CUSTOMER,
            invoice=invoice(f"I{n}", amount, **issued),
        )
        await accept(ingest, body)
    big = invoice("I9", "30.00", issued_on="2024-01-01", due_on="2024-01-31")

    result = await accept(ingest, event("invoice_overdue", "o9", customer=CUSTOMER, invoice=big))

    view = (await store.list_cases())[0]
    assert result.opened == [view.case.id]
    assert (view.case.type, view.case.why["median"], view.case.why["ratio"]) == (
        CaseType.C,
        "20",
        "1.50",
    )


async def test_failure_older_than_the_method_update_opens_nothing(
    ingest: Ingest, store: SqliteStore
) -> None:
    method = {"kind": "card", "reference": "pm_1"}
    updated = event(
        "payment_method_updated",
        "u",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        payment_method=method,
    )
    failed = event(
        "payment_failed",
        "f",
        "2024-03-01T00:00:00Z",
        customer=CUSTOMER,
        payment_method={**method, "reason": "expired_card"},
    )
    await accept(ingest, updated)

    result = await accept(ingest, failed)

    assert (result.outcome, await store.list_cases()) == (Outcome.STALE, [])


@pytest.mark.parametrize(("expires_on", "opens"), [("2024-03-10", True), ("2024-05-01", False)])
async def test_expiring_method_opens_a_case_only_within_the_notice_period(
    ingest: Ingest, store: SqliteStore, expires_on: str, opens: bool
) -> None:
    body = event(
        "payment_method_expiring",
        "x",
        customer=CUSTOMER,
        payment_method={"kind": "card", "expires_on": expires_on},
    )

    await accept(ingest, body)

    reasons = [v.case.reason for v in await store.list_cases()]
    assert reasons == ([Reason.EXPIRING] if opens else [])


async def test_method_update_closes_a_type_a_case_with_nothing_due(
    ingest: Ingest, store: SqliteStore
) -> None:
    method = {"kind": "card", "reference": "pm_1"}
    expiring = event(
        "payment_method_expiring",
        "x",
        customer=CUSTOMER,
        payment_method={**method, "expires_on": "2024-03-10"},
    )
    updated = event(
        "payment_method_updated",
        "u",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        payment_method=method,
    )
    await accept(ingest, expiring)

    result = await accept(ingest, updated)

    case = (await store.list_cases())[0].case
    assert (result.closed, case.status) == ([case.id], CaseStatus.CLOSED)


async def test_provider_payment_is_traced_through_its_registration(
    ingest: Ingest, store: SqliteStore
) -> None:
    register = event(
        "invoice_issued",
        "r",
        "2024-01-01T00:00:00Z",
        customer=CUSTOMER,
        invoice=invoice("INV-5", "80.00"),
        payment={"id": "PM9"},
        payment_method={"kind": "direct_debit", "reference": "MD9"},
    )
    failed = event(
        "payment_failed",
        "f",
        payment={"id": "PM9"},
        payment_method={"kind": "direct_debit", "reason": "insufficient_funds"},
    )
    await accept(ingest, register)

    result = await accept(ingest, failed)

    view = (await store.list_cases())[0]
    assert result.customer_id == "C-1"
    assert (view.case.reason, view.case.invoice_ids) == (Reason.INSUFFICIENT_FUNDS, ("INV-5",))


async def test_unknown_mandate_is_stored_unmatched_and_opens_nothing(
    ingest: Ingest, store: SqliteStore
) -> None:
    failed = event(
        "payment_failed",
        "f",
        payment_method={"kind": "direct_debit", "reference": "MD0", "reason": "mandate_cancelled"},
    )

    result = await accept(ingest, failed)

    unmatched = await store.list_events(outcome="unmatched")
    assert (result.outcome, [(e.source_id, e.detail) for e in unmatched]) == (
        Outcome.UNMATCHED,
        [("f", "payment method MD0")],
    )
    assert await store.list_cases() == []


PAID_IN_FULL = {"id": "P-41", "amount": "100.00", "currency": "USD"}


async def test_payment_naming_the_invoice_with_its_amounts_lowers_what_is_due(
    ingest: Ingest, store: SqliteStore
) -> None:
    failed = event(
        "payment_failed",
        "f",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment_method=CARD_EXPIRED,
    )
    paid = event(
        "payment_received",
        "p",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment=PAID_IN_FULL,
    )
    await accept(ingest, failed)

    result = await accept(ingest, paid)

    case = (await store.list_cases())[0].case
    assert (result.closed, case.status, str(case.amount_due)) == (
        [case.id],
        CaseStatus.CLOSED,
        "0.00 USD",
    )


async def test_failure_older_than_a_payment_for_an_unknown_invoice_opens_nothing(
    ingest: Ingest, store: SqliteStore
) -> None:
    paid = event(
        "payment_received",
        "p",
        "2024-03-02T10:00:00Z",
        customer=CUSTOMER,
        invoice={"id": "INV-9"},
        payment=PAID_IN_FULL,
    )
    failed = event(
        "payment_failed",
        "f",
        "2024-03-02T09:00:00Z",
        customer=CUSTOMER,
        invoice=invoice("INV-9", "100.00"),
        payment_method=CARD_EXPIRED,
    )
    await accept(ingest, paid)

    result = await accept(ingest, failed)

    assert (result.outcome, await store.list_cases()) == (Outcome.STALE, [])


async def test_payment_in_another_currency_is_refused_naming_the_field(
    ingest: Ingest, store: SqliteStore
) -> None:
    failed = event(
        "payment_failed",
        "f",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment_method=CARD_EXPIRED,
    )
    paid = event(
        "payment_received",
        "p",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        invoice={"id": "INV-1"},
        payment={**PAID_IN_FULL, "currency": "EUR"},
    )
    await accept(ingest, failed)
    before = await store.counts()

    with pytest.raises(EventRejected, match=r"payment\.currency"):
        await accept(ingest, paid)

    assert await store.counts() == before


async def test_closed_bank_account_stays_the_reason_after_a_later_funds_failure(
    ingest: Ingest, store: SqliteStore
) -> None:
    closed = event(
        "payment_failed",
        "m",
        customer=CUSTOMER,
        payment_method={"kind": "direct_debit", "reason": "bank_account_closed"},
    )
    funds = event(
        "payment_failed",
        "p",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        payment_method={"kind": "direct_debit", "reason": "insufficient_funds"},
    )
    await accept(ingest, closed)

    await accept(ingest, funds)

    assert (await store.list_cases())[0].case.reason is Reason.BANK_ACCOUNT_CLOSED


async def test_method_fixed_with_money_due_thanks_the_customer_and_asks_billing_to_retry(
    ingest: Ingest, store: SqliteStore, clock: FixedClock
) -> None:
    from bot.ports import ChannelLink

    method = {"kind": "card", "reference": "pm_1"}
    failed = event(
        "payment_failed",
        "f",
        customer=CUSTOMER,
        invoice=invoice("INV-1", "100.00"),
        payment_method={**method, "reason": "expired_card"},
    )
    updated = event(
        "payment_method_updated",
        "u",
        "2024-03-02T00:00:00Z",
        customer=CUSTOMER,
        payment_method=method,
    )
    await accept(ingest, failed)
    async with store.transaction() as tx:
        await tx.link_channel(ChannelLink("C-1", "telegram", "42", clock.now()))

    await accept(ingest, updated)

    sent = [(c.channel, c.template) for c in await store.list_contacts()]
    assert ("telegram", "method_updated") in sent
    assert ("billing", "retry_requested") in sent
    assert (await store.list_cases())[0].case.is_open


@pytest.mark.parametrize(("said", "stored"), [(True, True), (False, False), (None, None)])
async def test_marketing_consent_is_kept_as_billing_said_it(
    ingest: Ingest, store: SqliteStore, said: bool | None, stored: bool | None
) -> None:
    customer = CUSTOMER | ({} if said is None else {"marketing_consent": said})
    await accept(ingest, event("customer_updated", "u1", customer=customer))

    async with store.transaction() as tx:
        found = await tx.get_customer("C-1")

    assert found is not None
    assert found.marketing_consent is stored


async def test_a_later_event_without_consent_keeps_the_consent_recorded(
    ingest: Ingest, store: SqliteStore
) -> None:
    await accept(
        ingest, event("customer_updated", "u1", customer=CUSTOMER | {"marketing_consent": True})
    )
    await accept(ingest, event("customer_updated", "u2", customer=CUSTOMER))

    async with store.transaction() as tx:
        found = await tx.get_customer("C-1")

    assert found is not None
    assert found.marketing_consent is True


async def test_consent_that_is_not_a_boolean_is_refused_naming_the_field(ingest: Ingest) -> None:
    body = event("customer_updated", "u1", customer=CUSTOMER | {"marketing_consent": "yes"})

    with pytest.raises(EventRejected) as raised:
        await accept(ingest, body)

    assert raised.value.field == "customer.marketing_consent"


async def test_an_invoice_of_one_customer_is_refused_for_another(
    ingest: Ingest, store: SqliteStore
) -> None:
    await accept(
        ingest,
        event("invoice_issued", "i1", customer=CUSTOMER, invoice=invoice("INV-1", "100.00")),
    )
    before = await store.counts()
    other = CUSTOMER | {"id": "C-2"}

    with pytest.raises(EventRejected) as raised:
        await accept(
            ingest,
            event("invoice_issued", "i2", customer=other, invoice=invoice("INV-1", "100.00")),
        )

    assert (raised.value.field, raised.value.message) == (
        "invoice.id",
        "invoice INV-1 belongs to customer C-1",
    )
    assert await store.counts() == before


async def test_an_invoice_keeps_its_currency(ingest: Ingest, store: SqliteStore) -> None:
    await accept(
        ingest,
        event("invoice_issued", "i1", customer=CUSTOMER, invoice=invoice("INV-1", "100.00")),
    )
    in_yen = invoice("INV-1", "100") | {"currency": "JPY"}

    with pytest.raises(EventRejected) as raised:
        await accept(ingest, event("invoice_issued", "i2", customer=CUSTOMER, invoice=in_yen))

    assert raised.value.field == "invoice.currency"


async def test_a_payment_method_of_one_customer_is_refused_for_another(ingest: Ingest) -> None:
    card = CARD_EXPIRED | {"reference": "pm_1"}
    await accept(ingest, event("payment_failed", "f1", customer=CUSTOMER, payment_method=card))

    other = CUSTOMER | {"id": "C-2"}

    with pytest.raises(EventRejected) as raised:
        await accept(ingest, event("payment_failed", "f2", customer=other, payment_method=card))

    assert raised.value.field == "payment_method.reference"
