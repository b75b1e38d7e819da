"""Reconciliation of money coming back: a refund or chargeback puts the case before staff."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import CaseStatus, Money, Settings, parse_event
from bot._ingest import Ingest, Outcome
from storage import SqliteStore
from tests.conftest import FixedClock

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CUSTOMER = {"id": "C-1", "locale": "en_US", "country": "US"}
CARD = {"kind": "card", "reason": "card_declined", "last4": "4242"}


def _invoice(due: str) -> dict[str, Any]:
    return {
        "id": "INV-1",
        "amount": "120.00",
        "amount_due": due,
        "currency": "USD",
        "issued_on": "2024-02-01",
        "due_on": "2024-02-29",
    }


def _event(kind: str, event_id: str, hours: int, **parts: Any) -> str:
    at = (AT + timedelta(hours=hours)).isoformat()
    return json.dumps({"id": event_id, "type": kind, "occurred_at": at, **parts})


def _payment(amount: str, payment_id: str = "PAY-1") -> dict[str, str]:
    return {"id": payment_id, "amount": amount, "currency": "USD"}


async def _accept(ingest: Ingest, body: str) -> Any:
    return await ingest.accept("canonical", parse_event(body), body)


async def _failed_then_paid(ingest: Ingest, paid: str, due: str) -> None:
    failed = _event(
        "payment_failed",
        "f1",
        0,
        customer=CUSTOMER,
        invoice=_invoice("120.00"),
        payment_method=CARD,
    )
    await _accept(ingest, failed)
    payment = _payment(paid)
    await _accept(
        ingest,
        _event(
            "payment_received", "p1", 1, customer=CUSTOMER, invoice=_invoice(due), payment=payment
        ),
    )


def _reversal(amount: str, event_id: str = "r1", hours: int = 2) -> str:
    return _event(
        "payment_reversed",
        event_id,
        hours,
        customer=CUSTOMER,
        invoice={"id": "INV-1"},
        payment=_payment(amount),
    )


async def test_a_chargeback_reopens_the_closed_case_for_staff_with_the_amount_due_again(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    await _failed_then_paid(ingest, paid="120.00", due="0")
    [closed] = await store.list_cases()

    result = await _accept(ingest, _reversal("120.00"))

    [view] = await store.list_cases()
    assert closed.case.status is CaseStatus.CLOSED
    assert result.outcome is Outcome.APPLIED
    assert (view.case.id, view.case.status, view.case.closed_at) == (
        closed.case.id,
        CaseStatus.ESCALATED,
        None,
    )
    assert view.case.stage.value == "pre-collection"
    assert view.case.amount_due == Money(12000, "USD")
    assert [a.reason for a in view.audit if a.action == "escalated"] == [
        "payment reversed: 120.00 USD due again on invoice INV-1"
    ]


async def test_paying_again_after_a_chargeback_closes_the_case_and_its_escalation(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    await _failed_then_paid(ingest, paid="120.00", due="0")
    await _accept(ingest, _reversal("120.00"))
    [waiting] = await store.open_escalations()
    async with store.transaction() as tx:
        await tx.set_escalation_post(waiting.escalation.id, channel="C-DESK", ts="1709283600.1")
    paid = _event(
        "payment_received",
        "p2",
        3,
        customer=CUSTOMER,
        invoice=_invoice("0"),
        payment=_payment("120.00", "PAY-2"),
    )

    await _accept(ingest, paid)

    [view] = await store.list_cases()
    async with store.transaction() as tx:
        [escalation] = await tx.escalations_of(view.case.id)
    assert view.case.status is CaseStatus.CLOSED
    assert (escalation.decision, escalation.decided_at) == ("closed", clock.now())
    assert await store.open_escalations() == []  # nothing left for staff to decide
    # The post is queued once more, so that Slack shows it closed and without buttons.
    assert [(c.template, c.status.value) for c in view.contacts if c.channel == "slack"] == [
        ("escalation", "queued"),
        ("sla_alert", "queued"),
        ("escalation", "queued"),
    ]


async def test_a_refund_of_part_puts_the_open_case_before_staff(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    await _failed_then_paid(ingest, paid="50.00", due="70.00")

    await _accept(ingest, _reversal("20.00"))

    [view] = await store.list_cases()
    assert (view.case.status, view.case.amount_due) == (
        CaseStatus.ESCALATED,
        Money(9000, "USD"),
    )


async def test_the_same_reversal_twice_has_one_effect(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    await _failed_then_paid(ingest, paid="120.00", due="0")
    await _accept(ingest, _reversal("30.00"))
    before = await store.counts()

    again = await _accept(ingest, _reversal("30.00"))

    [view] = await store.list_cases()
    assert again.outcome is Outcome.DUPLICATE
    assert await store.counts() == before
    assert view.case.amount_due == Money(3000, "USD")


async def test_a_reversal_older_than_the_payment_changes_nothing(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    await _failed_then_paid(ingest, paid="120.00", due="0")

    late = await _accept(ingest, _reversal("120.00", hours=0))

    [view] = await store.list_cases()
    assert late.outcome is Outcome.STALE
    assert view.case.status is CaseStatus.CLOSED


async def test_a_reversal_on_an_invoice_no_case_covered_opens_no_case_for_staff(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    ingest = Ingest(store, clock, settings)
    paid = _event(
        "payment_received",
        "p1",
        1,
        customer=CUSTOMER,
        invoice=_invoice("0"),
        payment=_payment("120.00"),
    )
    await _accept(ingest, paid)

    await _accept(ingest, _reversal("120.00"))

    assert [v.case.status for v in await store.list_cases()] == []
