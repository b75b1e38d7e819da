"""Escalations: one per case while it waits, a deadline in working hours, one decision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import CaseStatus, CaseType, Customer, Reason
from bot._escalations import StaffHours, escalate
from bot._model import Case, EscalationReason
from storage import SqliteStore
from tests.conftest import FixedClock

JERUSALEM = ZoneInfo("Asia/Jerusalem")


@pytest.mark.parametrize(
    ("opened", "deadline"),
    [
        (datetime(2024, 3, 4, 10, 0, tzinfo=UTC), datetime(2024, 3, 4, 12, 0, tzinfo=UTC)),
        # Late in the day: the rest runs on from the next morning.
        (datetime(2024, 3, 4, 16, 0, tzinfo=UTC), datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        # Friday afternoon to Monday morning.
        (datetime(2024, 3, 8, 16, 30, tzinfo=UTC), datetime(2024, 3, 11, 10, 30, tzinfo=UTC)),
        # Opened at night or on a weekend: the clock starts at 09:00 on the next working day.
        (datetime(2024, 3, 4, 22, 0, tzinfo=UTC), datetime(2024, 3, 5, 11, 0, tzinfo=UTC)),
        (datetime(2024, 3, 9, 12, 0, tzinfo=UTC), datetime(2024, 3, 11, 11, 0, tzinfo=UTC)),
    ],
)
def test_the_deadline_counts_working_hours_only(opened: datetime, deadline: datetime) -> None:
    assert StaffHours().deadline(opened) == deadline


def test_working_hours_are_the_staffs_own_local_hours() -> None:
    hours = StaffHours(sla=timedelta(hours=3), zone="Asia/Jerusalem")
    opened = datetime(2024, 3, 4, 15, 0, tzinfo=JERUSALEM)

    assert hours.deadline(opened) == datetime(2024, 3, 5, 10, 0, tzinfo=JERUSALEM)


async def _case(store: SqliteStore, clock: FixedClock) -> Case:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
        return await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.A,
            reason=Reason.CARD_DECLINED,
            status=CaseStatus.CONTACTING,
            opened_at=clock.now(),
            why={},
        )


async def test_a_case_waiting_for_staff_keeps_one_escalation_and_one_post(
    store: SqliteStore, clock: FixedClock
) -> None:
    case = await _case(store, clock)
    async with store.transaction() as tx:
        first = await escalate(
            tx,
            case,
            EscalationReason.DISPUTE,
            now=clock.now(),
            actor="customer",
            why="customer disputes the debt",
            request="I never ordered this",
        )
        second = await escalate(
            tx, case, EscalationReason.PERSON, now=clock.now(), actor="customer", why="again"
        )

    view = await store.case_view(case.id)
    assert view is not None
    assert second == first
    assert (first.reason, first.request, first.due_by) == (
        EscalationReason.DISPUTE,
        "I never ordered this",
        StaffHours().deadline(clock.now()),
    )
    assert view.case.status is CaseStatus.ESCALATED
    assert [(c.channel, c.template, c.params, c.due_at) for c in view.contacts] == [
        ("slack", "escalation", {"escalation": first.id}, clock.now()),
        ("slack", "sla_alert", {"escalation": first.id, "while": ["escalated"]}, first.due_by),
    ]
    assert [a.reason for a in view.audit if a.action == "escalated"] == [
        "customer disputes the debt",
        "again",
    ]


async def test_the_first_of_two_decisions_at_once_wins(
    store: SqliteStore, clock: FixedClock
) -> None:
    case = await _case(store, clock)
    async with store.transaction() as tx:
        escalation = await escalate(
            tx, case, EscalationReason.HARDSHIP, now=clock.now(), actor="customer", why="lost job"
        )

    async def decide(who: str) -> bool:
        async with store.transaction() as tx:
            return await tx.decide_escalation(
                escalation.id, by=who, decision="approved", at=clock.now()
            )

    results = await asyncio.gather(decide("U-ANA"), decide("U-BEN"))
    async with store.transaction() as tx:
        decided = await tx.get_escalation(escalation.id)
        waiting = await tx.open_escalation_of(case.id)

    assert sorted(results) == [False, True]
    assert decided is not None
    assert decided.decided_by == ("U-ANA" if results[0] else "U-BEN")
    assert waiting is None
