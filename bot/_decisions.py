"""Staff decisions on escalations, within their authority, and the offers they send.

Approving an escalation that carries the customer's own terms (`Escalation.proposal`)
offers those terms to the customer; a counter-offer offers other terms. Either way the
clicker's tier must allow the terms (`bot._authority`), and only the first decision
counts (a conditional update). The offer reaches the customer through the outbox; their
answer, an agreement or a refusal, is reported in the escalation's thread.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot._authority import Authority, Breach, Tier
from bot._escalations import SLACK
from bot._model import CaseStatus, Escalation
from bot._offers import Offer
from bot._takeover import tell_customer
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = [
    "APPROVE",
    "COUNTER",
    "OFFER_ANSWERED",
    "REJECT",
    "STAFF_DECLINED",
    "STAFF_OFFER",
    "Decisions",
    "Ruling",
    "StaffDecision",
    "report_answer",
]

logger = logging.getLogger(__name__)

APPROVE = "approve"
REJECT = "reject"
COUNTER = "counter"
# Outbox templates: the offer and the refusal the customer reads, the answer staff read.
STAFF_OFFER = "staff_offer"
STAFF_DECLINED = "staff_declined"
OFFER_ANSWERED = "offer_answered"


class Ruling(enum.StrEnum):
    """What became of a click."""

    DECIDED = "decided"  # this decision counts
    ALREADY = "already decided"  # someone decided first
    NO_TIER = "no tier"  # the clicker is in no authority tier
    ABOVE_TIER = "above tier"  # the terms need a higher tier than the clicker's
    UNKNOWN = "unknown"  # no such escalation
    TOO_EARLY = "before the deadline"  # a hand-off to legal before the letter's deadline
    SETTLED = "settled since"  # a hand-off, though an agreement came after the letter


@dataclass(frozen=True, slots=True)
class StaffDecision:
    """A decision's result, with what the answer to the clicker needs."""

    ruling: Ruling
    escalation: Escalation | None = None
    tier: Tier | None = None  # the clicker's
    needed: Tier | None = None  # the lowest tier allowing the terms; None if none does
    breaches: tuple[Breach, ...] = field(default_factory=tuple)

    @property
    def counted(self) -> bool:
        return self.ruling is Ruling.DECIDED


class Decisions:
    """Approve, reject, counter and send up, as staff in an authority tier."""

    def __init__(self, store: Store, clock: Clock, authority: Authority) -> None:
        self._store = store
        self._clock = clock
        self.authority = authority

    def check(
        self, user: str, groups: Collection[str], offer: Offer | None
    ) -> StaffDecision | None:
        """Why `user` may not agree `offer`, or None when they may."""
        tier = self.authority.tier_of(user, groups)
        if tier is None:
            return StaffDecision(Ruling.NO_TIER)
        breaches = tuple(tier.breaches(offer)) if offer is not None else ()
        if breaches:
            assert offer is not None
            needed = self.authority.needed_for(offer)
            return StaffDecision(Ruling.ABOVE_TIER, tier=tier, needed=needed, breaches=breaches)
        return None

    async def decide(
        self,
        escalation_id: int,
        decision: str,
        *,
        by: str,
        groups: Collection[str] = (),
        offer: Offer | None = None,
        note: str | None = None,
    ) -> StaffDecision:
        """Record `decision` (approve, reject or counter, with `offer`) if it is the first.

        Approving an escalation with a proposal offers the proposal; countering offers
        `offer`. The customer is told through the outbox in the same transaction.
        """
        now = self._clock.now()
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None:
                return StaffDecision(Ruling.UNKNOWN)
            if not escalation.is_open:
                return StaffDecision(Ruling.ALREADY, escalation)
            terms = offer if decision == COUNTER else None
            if decision == APPROVE:
                terms = escalation.proposal
            refused = self.check(by, groups, terms)
            if refused is not None:
                return StaffDecision(
                    refused.ruling, escalation, refused.tier, refused.needed, refused.breaches
                )
            if not await tx.decide_escalation(
                escalation_id, by=by, decision=decision, at=now, offer=terms
            ):
                decided = await tx.get_escalation(escalation_id)
                return StaffDecision(Ruling.ALREADY, decided)
            tier = self.authority.tier_of(by, groups)
            detail = {
                "escalation": escalation_id,
                "decision": decision,
                "channel": "slack",
                "tier": tier.name if tier else None,
                "offer": terms.to_json() if terms else None,
                "note": note,
            }
            detail = {key: value for key, value in detail.items() if value is not None}
            why = f"{decision} escalation {escalation_id} ({escalation.reason}) in Slack"
            case_id, customer_id = escalation.case_id, escalation.customer_id
            await tx.audit(AuditRecord(now, by, "decided", why, case_id, customer_id, detail))
            decided = await tx.get_escalation(escalation_id)
            assert decided is not None  # the update just found it
            if terms is not None:
                await tx.update_case(case_id, status=CaseStatus.CONTACTING)
                offered: dict[str, Any] = {"offer": terms.to_json()}
                await tell_customer(tx, decided, STAFF_OFFER, offered, now, key="offer")
            elif escalation.proposal is not None:
                await tx.update_case(case_id, status=CaseStatus.CONTACTING)
                asked: dict[str, Any] = {"count": escalation.proposal.count}
                await tell_customer(tx, decided, STAFF_DECLINED, asked, now, key="declined")
        logger.info(
            "escalation=%d %s by user=%s offer=%s", escalation_id, decision, by, bool(terms)
        )
        return StaffDecision(Ruling.DECIDED, decided, tier)

    async def send_up(
        self, escalation_id: int, *, by: str, groups: Collection[str]
    ) -> StaffDecision:
        """Mark the escalation for the tier its terms need (or the next tier up)."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None:
                return StaffDecision(Ruling.UNKNOWN)
            if not escalation.is_open:
                return StaffDecision(Ruling.ALREADY, escalation)
            mine = self.authority.tier_of(by, groups)
            needed = None
            if escalation.proposal is not None:
                needed = self.authority.needed_for(escalation.proposal)
            if needed is None and mine is not None:
                needed = self.authority.above(mine)
            if needed is None:
                return StaffDecision(Ruling.ABOVE_TIER, escalation, mine)
            await tx.send_up(escalation_id, tier=needed.name)
            why = f"sent escalation {escalation_id} up to tier {needed.name}"
            detail = {"escalation": escalation_id, "tier": needed.name}
            record = AuditRecord(
                now, by, "sent up", why, escalation.case_id, escalation.customer_id, detail
            )
            await tx.audit(record)
            sent = await tx.get_escalation(escalation_id)
        logger.info("escalation=%d sent up to tier=%s by user=%s", escalation_id, needed, by)
        return StaffDecision(Ruling.DECIDED, sent, mine, needed)


async def report_answer(
    tx: Tx, escalation: Escalation, *, accepted: bool, now: datetime, agreement: int | None
) -> None:
    """Queue the customer's answer to an offer for the escalation's thread."""
    await tx.enqueue(
        customer_id=escalation.customer_id,
        case_id=escalation.case_id,
        channel=SLACK,
        template=OFFER_ANSWERED,
        params={"escalation": escalation.id, "accepted": accepted, "agreement": agreement},
        due_at=now,
        dedupe_key=f"escalation:{escalation.id}:answer",
    )
