"""Respite from collection: breathing space and the debt-advice pause (COMPLIANCE 11, 12).

Breathing space (the Debt Respite Scheme, SI 2020/1311, England and Wales) is a fact
billing states about a customer: while it runs, no message asking for payment reaches
them. A flag from billing is an explicit instruction, so it is honoured under every
contact profile, not only `uk`. The debt-advice pause (FCA CONC 7.3) is a case state: the
customer said a debt adviser is helping, and nothing automated goes to them for 30 days.

Both are holds, never drops: the outbox reschedules what they hold, and the contact
policy (window, quiet days, cap) still applies when they end.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot._cases import METHOD_UPDATED
from bot._contact import FIRST_CONTACT, FOLLOW_UP_MESSAGE
from bot._ladder import Ladder, schedule_ladder
from bot._model import Case, CaseStatus, Contact, Customer
from bot.ports import AuditRecord, Tx

__all__ = [
    "ADVICE",
    "ADVICE_PAUSE",
    "BREATHING_SPACE",
    "OPEN_ENDED",
    "PAID",
    "advice_hold",
    "breathing_space_hold",
    "end_advice_pause",
    "is_payment_request",
    "pause_for_advice",
    "respite_hold",
    "set_breathing_space",
]

logger = logging.getLogger(__name__)

# Rule names as `settle outbox` shows them, and the reasons a case is paused.
BREATHING_SPACE = "breathing space"
ADVICE = "debt advice"
PAID = "paid"

# Rule 12: 30 days for the adviser to work with the customer.
ADVICE_PAUSE = timedelta(days=30)
# A mental-health crisis space lasts for the treatment plus 30 days: its end is unknown
# until billing says, so it is stored as the last representable day.
OPEN_ENDED = date.max
# How often a message held by an open-ended space is looked at again.
_RECHECK = timedelta(days=1)

# The outbox templates that ask for payment: the first message and its follow-ups, the
# reminders and broken-agreement messages of plans and promises. `method_updated` asks
# for nothing, but announces a new charge when something is still owed. The agreement
# templates are `bot._watch.REMINDER` and `BROKEN` (that module needs this one).
_PAYMENT_REQUESTS = frozenset(
    {FIRST_CONTACT, FOLLOW_UP_MESSAGE, "agreement_reminder", "agreement_broken"}
)
_QUIET = frozenset({CaseStatus.ESCALATED, CaseStatus.OPTED_OUT, CaseStatus.CLOSED})


def respite_hold(
    customer: Customer,
    contact: Contact,
    cases: Iterable[Case],
    *,
    zones: Sequence[ZoneInfo],
    now: datetime,
) -> tuple[str, datetime] | None:
    """The respite rule holding a message to the customer, and until when; None if none."""
    advice = advice_hold(cases, now)
    if advice is not None:
        return ADVICE, advice
    space = breathing_space_hold(customer, contact, zones=zones, now=now)
    return None if space is None else (BREATHING_SPACE, space)


def is_payment_request(contact: Contact) -> bool:
    """Whether the message asks the customer for payment (held in breathing space)."""
    if contact.template == METHOD_UPDATED:
        return bool(contact.params.get("owed"))
    return contact.template in _PAYMENT_REQUESTS


def breathing_space_hold(
    customer: Customer, contact: Contact, *, zones: Sequence[ZoneInfo], now: datetime
) -> datetime | None:
    """Until when a payment request waits: the start of the day after the space ends.

    The day after is taken in every candidate zone and the latest wins, so that no zone
    still has the last day of the space when the message goes.
    """
    until = customer.breathing_space_until
    if until is None or not is_payment_request(contact):
        return None
    if until >= OPEN_ENDED:
        return now + _RECHECK
    after = until + timedelta(days=1)
    release = max(datetime.combine(after, time(0), tzinfo=zone) for zone in zones)
    release = release.astimezone(UTC)
    return release if now < release else None


def advice_hold(cases: Iterable[Case], now: datetime) -> datetime | None:
    """Until when any message to the customer waits: the end of a debt-advice pause."""
    ends = [
        case.paused_until
        for case in cases
        if case.paused_for == ADVICE and case.paused_until is not None and case.paused_until > now
    ]
    return max(ends, default=None)


async def pause_for_advice(tx: Tx, customer: Customer, *, now: datetime) -> list[int]:
    """Pause every open case of the customer for 30 days; the ids paused.

    A case already with staff (escalated) or opted out keeps its status: a person or the
    customer's own stop already holds automation there, and the pause must not undo it.
    """
    paused = []
    until = now + ADVICE_PAUSE
    for case in await tx.open_cases_of(customer.id):
        if case.status in _QUIET:
            continue
        await tx.set_paused_until(case.id, until, reason=ADVICE)
        await tx.update_case(case.id, status=CaseStatus.PAUSED)
        reason = "customer says a debt adviser is helping; contact paused for 30 days"
        record = AuditRecord(now, "customer", "debt advice", reason, case.id, customer.id)
        await tx.audit(record)
        paused.append(case.id)
    logger.info("debt-advice pause customer=%s cases=%s", customer.id, paused)
    return paused


async def end_advice_pause(tx: Tx, case: Case, *, now: datetime, ladder: Ladder) -> None:
    """The 30 days are over: the case resumes where it was, and the follow-ups start again."""
    await tx.set_paused_until(case.id, None)
    agreed = any(a.case_id == case.id for a in await tx.live_agreements())
    status = CaseStatus.AGREED if agreed else CaseStatus.CONTACTING
    await tx.update_case(case.id, status=status)
    reason = f"debt-advice pause over; case resumes as {status}"
    await tx.audit(AuditRecord(now, "watch", "resumed", reason, case.id, case.customer_id))
    if status is CaseStatus.CONTACTING:
        round_key = f"advice:{now.date().isoformat()}"
        resumed = await tx.get_case(case.id) or case
        await schedule_ladder(tx, resumed, ladder, start=now, round_key=round_key)


async def set_breathing_space(
    tx: Tx, customer: Customer, until: date | None, *, now: datetime, actor: str
) -> bool:
    """Record a breathing space billing started, moved or ended; whether anything changed.

    Messages it held are made due again, so that an end brought forward releases them and
    a later end holds them to the new date.
    """
    if customer.breathing_space_until == until:
        return False
    await tx.set_breathing_space(customer.id, until)
    released = await tx.release_held(customer.id, rule=BREATHING_SPACE, now=now)
    if until is None:
        reason = "breathing space ended"
    elif until >= OPEN_ENDED:
        reason = "breathing space until billing gives the end (mental health crisis)"
    else:
        reason = f"breathing space until {until.isoformat()}"
    detail = {"until": None if until is None else until.isoformat(), "released": released}
    await tx.audit(AuditRecord(now, actor, BREATHING_SPACE, reason, None, customer.id, detail))
    logger.info("breathing space customer=%s until=%s", customer.id, until)
    return True
