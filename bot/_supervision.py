"""What supervisors watch: the escalations waiting, those past their SLA, the recoveries of a
day, and each member of staff's queue, read from storage at one moment.

A recovery is read from the audit trail, where every decision is written anyway: a case
closed paid in full, a type A case closed by a payment method fixed with nothing due, a
plan agreed, a promise made, an agreement kept (its last payment made) or broken. "Today"
is the operator's day, in SETTLE_DEFAULT_TIMEZONE.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot._agreements import AgreementKind
from bot._escalations import SLACK
from bot._model import WaitingEscalation
from bot.ports import AuditRecord, Store

__all__ = ["AGE_BANDS", "DIGEST", "DeskReport", "Recoveries", "desk_report", "schedule_digest"]

# The outbox template of the daily digest, a Slack post for staff alone.
DIGEST = "desk_digest"

# How long escalations have waited, in bands: the label and the upper end of each.
AGE_BANDS: tuple[tuple[str, timedelta], ...] = (
    ("under 1 hour", timedelta(hours=1)),
    ("1 to 4 hours", timedelta(hours=4)),
    ("4 to 24 hours", timedelta(days=1)),
    ("1 to 3 days", timedelta(days=3)),
    ("over 3 days", timedelta.max),
)
_PAID_IN_FULL = "paid in full"
_ACTIONS = ("closed", "agreed", "kept", "broken")


@dataclass(frozen=True, slots=True)
class Recoveries:
    """What was recovered in a window of time, counted from the audit trail."""

    paid: int = 0  # cases closed paid in full
    fixed: int = 0  # cases closed by a payment method fixed, nothing due
    plans: int = 0  # plans agreed
    promises: int = 0  # promises to pay made
    kept: int = 0  # promises kept
    plans_completed: int = 0  # plans whose last payment was made
    broken: int = 0  # plans or promises broken

    @classmethod
    def count(cls, records: list[AuditRecord]) -> Recoveries:
        tally: Counter[str] = Counter()
        for record in records:
            tally[_recovery(record)] += 1
        return cls(
            paid=tally["paid"],
            fixed=tally["fixed"],
            plans=tally["plans"],
            promises=tally["promises"],
            kept=tally["kept"],
            plans_completed=tally["plans_completed"],
            broken=tally["broken"],
        )

    @property
    def closed(self) -> int:
        return self.paid + self.fixed


def _recovery(record: AuditRecord) -> str:
    """Which count of `Recoveries` an audit record adds to."""
    kind = str((record.detail or {}).get("kind", ""))
    if record.action == "closed":
        return "paid" if record.reason == _PAID_IN_FULL else "fixed"
    if record.action == "agreed":
        # Records written before the kind was in the detail say it in their reason.
        promise = kind == AgreementKind.PROMISE or " promise " in record.reason
        return "promises" if promise else "plans"
    if record.action == "kept":
        return "kept" if kind == AgreementKind.PROMISE else "plans_completed"
    return "broken"


@dataclass(frozen=True, slots=True)
class DeskReport:
    """The desk at `at`: what waits, and what was recovered from `since` to `until`."""

    at: datetime
    since: datetime
    until: datetime
    waiting: tuple[WaitingEscalation, ...]  # oldest first
    recoveries: Recoveries

    @property
    def past_sla(self) -> tuple[WaitingEscalation, ...]:
        return tuple(item for item in self.waiting if item.past_sla(self.at))

    def by_reason(self) -> list[tuple[str, int]]:
        return _most_first(str(item.escalation.reason) for item in self.waiting)

    def by_stage(self) -> list[tuple[str, int]]:
        return _most_first(str(item.stage) for item in self.waiting)

    def by_age(self) -> list[tuple[str, int]]:
        """Every band, the empty ones too, youngest first."""
        tally: Counter[str] = Counter(self._band(item) for item in self.waiting)
        return [(label, tally[label]) for label, _ in AGE_BANDS]

    def queues(self) -> list[tuple[str | None, int]]:
        """Escalations per member of staff, longest queue first, then (None) no one's yet."""
        tally: Counter[str | None] = Counter(item.handler for item in self.waiting)
        nobody = tally.pop(None, 0)
        ranked: list[tuple[str | None, int]] = [
            (who, count) for who, count in sorted(tally.items(), key=_longest_first)
        ]
        return [*ranked, (None, nobody)] if nobody else ranked

    def waited(self, item: WaitingEscalation) -> timedelta:
        return self.at - item.escalation.opened_at

    def _band(self, item: WaitingEscalation) -> str:
        waited = self.waited(item)
        return next(label for label, upper in AGE_BANDS if waited < upper)


async def desk_report(
    store: Store, *, now: datetime, zone: ZoneInfo, day: date | None = None
) -> DeskReport:
    """The desk now, with the recoveries of `day` (a whole day) or of today so far."""
    day = now.astimezone(zone).date() if day is None else day
    since, until = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    waiting = await store.open_escalations()
    records = await store.audit_between(since, until, actions=_ACTIONS)
    return DeskReport(now, since, until, tuple(waiting), Recoveries.count(records))


async def schedule_digest(
    store: Store, *, now: datetime, zone: ZoneInfo, at: time, channel: str
) -> int | None:
    """Queue the next daily digest, due at `at` local time and reporting the day before.

    Called every few minutes: the digest of a day is queued once (its dedupe key), so a
    restart neither skips nor repeats one. The id of the row queued, or None if it was.
    """
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), at, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    day = due.date() - timedelta(days=1)
    async with store.transaction() as tx:
        return await tx.enqueue(
            customer_id=None,
            case_id=None,
            channel=SLACK,
            template=DIGEST,
            params={"day": day.isoformat(), "channel": channel},
            due_at=due,
            dedupe_key=f"digest:{day.isoformat()}",
        )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _most_first(values: Iterable[str]) -> list[tuple[str, int]]:
    return sorted(Counter(values).items(), key=_longest_first)


def _longest_first(pair: tuple[str | None, int]) -> tuple[int, str]:
    return -pair[1], pair[0] or ""
