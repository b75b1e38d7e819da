from __future__ import annotations

import json
from datetime import date

from bot import CaseType, Ingest, InvoiceStatus, Settings, parse_event, sweep
from storage import SqliteStore
from tests.conftest import FixedClock


async def _issue(ingest: Ingest, number: int, amount: str, issued: str, due: str) -> None:
    body = json.dumps(
        {
            "id": f"e{number}",
            "type": "invoice_issued",
            "occurred_at": f"{issued}T08:00:00Z",
            "customer": {"id": "C-1"},
            "invoice": {
                "id": f"I{number}",
                "amount": amount,
                "currency": "EUR",
                "issued_on": issued,
                "due_on": due,
            },
        }
    )
    await ingest.accept("canonical", parse_event(body), body)


async def _book(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    ingest = Ingest(store, clock, settings)
    for n, month in enumerate(("01", "02", "03"), start=1):
        await _issue(ingest, n, "10.00", f"2024-{month}-01", f"2024-{month}-20")
    await _issue(ingest, 4, "40.00", "2024-04-01", "2024-04-20")


async def test_open_invoices_past_due_become_overdue_and_are_triaged(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _book(store, clock, settings)

    result = await sweep(store, settings, clock, today=date(2024, 4, 21), actor="triage")

    views = await store.list_cases()
    assert (result.aged, result.overdue, len(result.opened)) == (4, 4, 1)
    assert [(v.case.type, v.case.invoice_ids) for v in views] == [(CaseType.C, ("I4",))]
    assert all(i.status is InvoiceStatus.OVERDUE for i in views[0].invoices)


async def test_nothing_ages_before_the_due_date(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _book(store, clock, settings)

    result = await sweep(store, settings, clock, today=date(2024, 1, 20), actor="triage")

    assert (result.aged, result.opened) == (0, [])


async def test_a_second_sweep_opens_nothing_new(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _book(store, clock, settings)
    await sweep(store, settings, clock, today=date(2024, 4, 21), actor="triage")
    before = await store.counts()

    again = await sweep(store, settings, clock, today=date(2024, 4, 22), actor="triage")

    assert (again.aged, again.opened, await store.counts()) == (0, [], before)
