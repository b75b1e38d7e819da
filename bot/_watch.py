"""Watching agreements: remind the day before a payment, notice what was paid, and break
an agreement whose payment is late by more than the grace period (the case resumes).

What a customer has paid under an agreement is read from the case itself: what was owed
when agreed less what is still due, and all of it once the case closed paid. Instalments
are paid in order, so a payment covers the earliest; the last one paid keeps the agreement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot._agreements import Agreement
from bot._callbacks import agreement_payload, queue_billing_event
from bot._contact import TELEGRAM
from bot._escalations import StaffHours, escalate
from bot._ladder import schedule_ladder
from bot._model import Case, CaseStatus, Customer, EscalationReason
from bot._policy import candidate_zones, next_allowed
from bot._respite import ADVICE, OPEN_ENDED, end_advice_pause
from bot._settings import Settings
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = ["BROKEN", "REMINDER", "WatchResult", "watch_agreements"]

logger = logging.getLogger(__name__)

REMINDER = "agreement_reminder"
BROKEN = "agreement_broken"


@dataclass(slots=True)
class WatchResult:
    reminded: list[str] = field(default_factory=list)
    paid: list[str] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    unpaused: list[int] = field(default_factory=list)


async def watch_agreements(store: Store, clock: Clock, settings: Settings) -> WatchResult:
    """One pass over every agreement with payments still expected."""
    result = WatchResult()
    now = clock.now()
    async with store.transaction() as tx:
        for agreement in await tx.live_agreements():
            case = await tx.get_case(agreement.case_id)
            customer = await tx.get_customer(agreement.customer_id)
            if case is None or customer is None:
                continue
            today = now.astimezone(ZoneInfo(customer.timezone or settings.default_timezone))
            await _Watch(tx, agreement, case, customer, now, settings, result).run(today.date())
        for case in await tx.pauses_over(now):
            if case.paused_for == ADVICE:
                await end_advice_pause(tx, case, now=now, ladder=settings.outreach.ladder)
            else:
                await _unpause(tx, case, now, settings.outreach.hours)
            result.unpaused.append(case.id)
    if result.reminded or result.broken:
        logger.info(
            "agreements watched reminded=%d paid=%d broken=%s",
            len(result.reminded),
            len(result.paid),
            result.broken,
        )
    return result


async def _unpause(tx: Tx, case: Case, now: datetime, hours: StaffHours) -> None:
    """ "I already paid", and no payment came in the pause: staff look into it."""
    await tx.set_paused_until(case.id, None)
    why = "customer said they paid; no payment arrived during the pause"
    not_seen = EscalationReason.PAYMENT_NOT_SEEN
    await escalate(tx, case, not_seen, now=now, actor="watch", why=why, hours=hours)


# How far ahead a reminder may be queued, so that a quiet day before a payment moves the
# reminder earlier, not past the payment.
_LOOK_AHEAD = timedelta(days=7)


def reminder_moment(due_on: date, zone: ZoneInfo, *, at: time) -> datetime:
    """The day before a payment at `at` local time, in UTC (it stays local across DST)."""
    local = datetime.combine(due_on - timedelta(days=1), at, tzinfo=zone)
    return local.astimezone(UTC)


_QUIET = frozenset(
    {CaseStatus.OPTED_OUT, CaseStatus.ESCALATED, CaseStatus.PAUSED, CaseStatus.CLOSED}
)


class _Watch:
    def __init__(
        self,
        tx: Tx,
        agreement: Agreement,
        case: Case,
        customer: Customer,
        now: datetime,
        settings: Settings,
        result: WatchResult,
    ) -> None:
        self.tx = tx
        self.agreement = agreement
        self.case = case
        self.customer = customer
        self.now = now
        self.grace = timedelta(days=settings.agreement_grace_days)
        self.settings = settings
        self.zone = ZoneInfo(customer.timezone or settings.default_timezone)
        self.reminder_at = settings.reminder_time
        self.result = result

    def _paid_so_far(self) -> int:
        due = 0 if self.case.amount_due is None else self.case.amount_due.minor
        # Counted from what was owed when agreed: a write-off is not a payment.
        owed = (self.agreement.owed or self.agreement.total).minor
        return (
            min(self.agreement.total.minor, max(0, owed - due))
            if self.case.is_open
            else self.agreement.total.minor
        )

    async def run(self, today: date) -> None:
        assert self.agreement.id is not None
        paid = self._paid_so_far()
        covered = 0
        for item in self.agreement.items:
            covered += item.amount.minor
            key = f"{self.agreement.id}:{item.number}"
            if covered <= paid:
                if not await self.tx.set_item_status(self.agreement.id, item.number, "paid"):
                    continue
                # A reminder queued ahead of a weekend is not needed any more.
                await self.tx.cancel_contact(f"agreement:{key}:reminder")
                self.result.paid.append(key)
                if item.number == len(self.agreement.items):
                    await self._keep()
            elif today > item.due_on + self.grace:
                if not self._in_respite(today):
                    await self._break(item.number)
                return
            elif today >= item.due_on - _LOOK_AHEAD:
                await self._remind(item.number, key)
                return
            else:
                return

    def _params(self, number: int) -> dict[str, object]:
        """What the message says: which payment, how much, by when, in which language."""
        item = self.agreement.items[number - 1]
        return {
            "agreement": self.agreement.id,
            "kind": self.agreement.kind.value,
            "number": number,
            "amount_minor": item.amount.minor,
            "currency": item.amount.currency,
            "due_on": item.due_on.isoformat(),
            "locale": self.customer.language or self.agreement.locale,
        }

    def _reminder_time(self, due_on: date) -> datetime:
        """The day before at the reminder time, or the latest earlier day the policy allows.

        A payment due on a Monday is reminded on the Friday before rather than held past it.
        """
        zones = candidate_zones(self.customer, default_zone=self.settings.default_timezone)
        profile = self.settings.profile_for(self.customer.country)
        for back in range(_LOOK_AHEAD.days):
            moment = reminder_moment(due_on - timedelta(days=back), self.zone, at=self.reminder_at)
            # A time already passed today means "now", if now is allowed.
            moment = max(moment, self.now)
            country = self.customer.country
            if next_allowed(moment, zones=zones, profile=profile, country=country).allowed:
                return moment
            if moment == self.now:
                break
        return reminder_moment(due_on, self.zone, at=self.reminder_at)

    def _in_respite(self, today: date) -> bool:
        """Breathing space or a debt-advice pause: a late payment breaks nothing (rules 11, 12).

        The agreement is looked at again when the respite is over, with its grace counted
        from the payment's date as before.
        """
        until = self.customer.breathing_space_until
        if until is not None and (until >= OPEN_ENDED or today <= until):
            return True
        return self.case.paused_for == ADVICE and self.case.paused_until is not None

    @property
    def _quiet(self) -> bool:
        """No automated message: opted out, disputed or in hardship (rules 6, 9, 10), paused."""
        return self.case.status in _QUIET

    async def _remind(self, number: int, key: str) -> None:
        if self._quiet:
            return
        due_on = self.agreement.items[number - 1].due_on
        when = self._reminder_time(due_on)
        queued = await self.tx.enqueue(
            customer_id=self.customer.id,
            case_id=self.case.id,
            channel=TELEGRAM,
            template=REMINDER,
            params=self._params(number),
            due_at=max(self.now, when),
            dedupe_key=f"agreement:{key}:reminder",
        )
        if queued is not None:
            self.result.reminded.append(key)

    async def _keep(self) -> None:
        """Every payment made: the agreement is kept, a recovery supervisors count."""
        kind, agreement_id = self.agreement.kind, self.agreement.id
        assert agreement_id is not None
        reason = f"{kind} kept: all {len(self.agreement.items)} payment(s) made"
        detail = {"agreement": agreement_id, "kind": kind.value}
        await self.tx.audit(
            AuditRecord(self.now, "watch", "kept", reason, self.case.id, self.customer.id, detail)
        )
        self.result.kept.append(agreement_id)

    async def _break(self, number: int) -> None:
        assert self.agreement.id is not None
        await self.tx.set_item_status(self.agreement.id, number, "missed")
        if not self._quiet:
            await self.tx.update_case(self.case.id, status=CaseStatus.CONTACTING)
        reason = f"{self.agreement.kind} broken: payment {number} not made within the grace period"
        detail = {"agreement": self.agreement.id, "number": number}
        await self.tx.audit(
            AuditRecord(
                self.now, "watch", "broken", reason, self.case.id, self.customer.id, detail
            )
        )
        if not self._quiet:
            await self._tell_broken(number)
            # The follow-ups start again, counted from the day the agreement broke.
            round_key = f"broken:{self.agreement.id}"
            ladder = self.settings.outreach.ladder
            await schedule_ladder(self.tx, self.case, ladder, start=self.now, round_key=round_key)
        # Staff are told; the bot goes on with the case meanwhile (no pause, no SLA alert).
        await escalate(
            self.tx,
            self.case,
            EscalationReason.BROKEN_AGREEMENT,
            now=self.now,
            actor="watch",
            why=reason,
            hours=self.settings.outreach.hours,
            detail=detail,
            pause=False,
            alert=False,
        )
        await queue_billing_event(
            self.tx,
            kind=f"{self.agreement.kind}_broken",
            key=str(self.agreement.id),
            customer_id=self.customer.id,
            case_id=self.case.id,
            now=self.now,
            body=agreement_payload(self.agreement),
        )
        self.result.broken.append(self.agreement.id)

    async def _tell_broken(self, number: int) -> None:
        await self.tx.enqueue(
            customer_id=self.customer.id,
            case_id=self.case.id,
            channel=TELEGRAM,
            template=BROKEN,
            params=self._params(number),
            due_at=self.now,
            dedupe_key=f"agreement:{self.agreement.id}:broken",
        )
