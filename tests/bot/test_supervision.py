"""The supervisors' report: recoveries counted from audit records, the queue in bands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import (
    CaseStage,
    CaseType,
    DeskReport,
    Escalation,
    EscalationReason,
    Recoveries,
    WaitingEscalation,
)
from bot.ports import AuditRecord

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _record(action: str, reason: str, kind: str | None = None) -> AuditRecord:
    detail = {"kind": kind} if kind else None
    return AuditRecord(NOW, "watch", action, reason, 1, "C-1", detail)


def _waiting(number: int, waited: timedelta, *, who: str | None = None) -> WaitingEscalation:
    escalation = Escalation(
        number,
        number,
        f"C-{number}",
        EscalationReason.PERSON,
        opened_at=NOW - waited,
        due_by=NOW - waited + timedelta(hours=2),
        assignee=who,
    )
    return WaitingEscalation(escalation, CaseStage.PRE_COLLECTION, CaseType.C)


def _report(*waiting: WaitingEscalation) -> DeskReport:
    return DeskReport(NOW, NOW, NOW, waiting, Recoveries())


def test_recoveries_tell_a_payment_from_a_fixed_method_and_a_plan_from_a_promise() -> None:
    records = [
        _record("closed", "paid in full"),
        _record("closed", "payment method updated; nothing due"),
        _record("agreed", "customer accepted a plan of USD 300.00 in 3 payment(s)", "plan"),
        _record("agreed", "customer accepted a promise of USD 300.00 in 1 payment(s)"),
        _record("kept", "promise kept: all 1 payment(s) made", "promise"),
        _record("kept", "plan kept: all 3 payment(s) made", "plan"),
        _record("broken", "plan broken: payment 2 not made within the grace period"),
    ]

    counted = Recoveries.count(records)

    assert counted == Recoveries(
        paid=1, fixed=1, plans=1, promises=1, kept=1, plans_completed=1, broken=1
    )
    assert counted.closed == 2


def test_age_bands_put_an_hour_exactly_in_the_second_band() -> None:
    report = _report(_waiting(1, timedelta(minutes=59)), _waiting(2, timedelta(hours=1)))

    assert report.by_age()[:2] == [("under 1 hour", 1), ("1 to 4 hours", 1)]


def test_past_sla_is_the_deadline_reached() -> None:
    on_time, late = _waiting(1, timedelta(hours=1)), _waiting(2, timedelta(hours=2))

    assert _report(on_time, late).past_sla == (late,)


def test_queues_rank_staff_by_length_and_put_the_unassigned_last() -> None:
    report = _report(
        _waiting(1, timedelta(hours=1)),
        _waiting(2, timedelta(hours=1), who="U-BEN"),
        _waiting(3, timedelta(hours=1), who="U-ANA"),
        _waiting(4, timedelta(hours=1), who="U-BEN"),
        _waiting(5, timedelta(hours=1)),
        _waiting(6, timedelta(hours=1)),
    )

    assert report.queues() == [("U-BEN", 2), ("U-ANA", 1), (None, 3)]
