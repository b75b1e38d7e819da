"""The final warning letter (COMPLIANCE rule 15): enabled by a person in Slack, rendered in
the customer's language, kept with its hash, and sent in the chat and by email.

Its deadline is a scheduled step: when it falls due with nothing agreed since the letter,
staff are asked to confirm the hand-off to legal (`bot._handoff`); the bot never hands a
case over on its own (rule 17).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot._authority import Authority
from bot._contact import EMAIL, TELEGRAM
from bot._decisions import Ruling, StaffDecision
from bot._ladder import CASE
from bot._linking import Linking
from bot._model import Case, CaseStage, Customer, EscalationReason, Invoice, Letter
from bot._money import Money
from bot._settings import Settings
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = [
    "LETTER",
    "LETTER_DEADLINE",
    "LetterFacts",
    "LetterRenderer",
    "Letters",
    "deadline_moment",
]

logger = logging.getLogger(__name__)

# The outbox template of the letter (Telegram and email), and the step at its deadline.
LETTER = "final_letter"
LETTER_DEADLINE = "letter_deadline"
ENABLED = "letter"  # the decision on a pre-legal escalation that enables the letter


@dataclass(frozen=True, slots=True)
class LetterFacts:
    """What a letter says, gathered from the case when staff enable it."""

    case_id: int
    customer_id: str
    name: str | None
    locale: str
    invoices: tuple[Invoice, ...]  # the unpaid ones
    total: Money
    contacts: int  # messages that reached the customer before the letter
    first_contact: date | None
    deadline: date
    link: str  # where to settle: the chat
    written_on: date


LetterRenderer = Callable[[LetterFacts], bytes]


def deadline_moment(deadline: date, zone: ZoneInfo) -> datetime:
    """The first moment after the deadline day, in the customer's zone."""
    return datetime.combine(deadline + timedelta(days=1), time(), tzinfo=zone)


class Letters:
    """Enables the letter of a pre-legal case from a staff decision in Slack."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        authority: Authority,
        *,
        render: LetterRenderer,
        linking: Linking,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._authority = authority
        self._render = render
        self._linking = linking

    async def enable(
        self, escalation_id: int, *, by: str, groups: Collection[str] = ()
    ) -> StaffDecision:
        """Enable, render, keep and send the letter of the escalation's case, once."""
        tier = self._authority.tier_of(by, groups)
        if tier is None:
            return StaffDecision(Ruling.NO_TIER)
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None or escalation.reason is not EscalationReason.PRE_LEGAL:
                return StaffDecision(Ruling.UNKNOWN)
            customer_id = escalation.customer_id
        # Its own transaction: the link's token is stored as the letter is written.
        link = await self._linking.deep_link(customer_id)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            case = None if escalation is None else await tx.get_case(escalation.case_id)
            customer = await tx.get_customer(customer_id)
            if escalation is None or case is None or customer is None:
                return StaffDecision(Ruling.UNKNOWN)
            if not escalation.is_open or not _letter_may_go(case):
                return StaffDecision(Ruling.ALREADY, escalation)
            if not await tx.decide_escalation(escalation_id, by=by, decision=ENABLED, at=now):
                return StaffDecision(Ruling.ALREADY, await tx.get_escalation(escalation_id))
            facts = await self._facts(tx, case, customer, link=link, now=now)
            letter = await self._keep(tx, facts, by=by, now=now)
            await self._send(tx, case, customer, letter, facts, now=now)
            decided = await tx.get_escalation(escalation_id)
        logger.info("case=%d letter=%d enabled by user=%s", case.id, letter.id, by)
        return StaffDecision(Ruling.DECIDED, decided, tier)

    async def _facts(
        self, tx: Tx, case: Case, customer: Customer, *, link: str, now: datetime
    ) -> LetterFacts:
        zone = ZoneInfo(customer.timezone or self._settings.default_timezone)
        today = now.astimezone(zone).date()
        invoices = [await tx.get_invoice(invoice_id) for invoice_id in case.invoice_ids]
        unpaid = tuple(i for i in invoices if i is not None and i.amount_due.minor > 0)
        reached = await tx.sent_on_case(case.id, since=case.opened_at)
        assert case.amount_due is not None  # a letter is only enabled for a debt
        return LetterFacts(
            case_id=case.id,
            customer_id=customer.id,
            name=customer.name,
            locale=customer.language or self._settings.default_locale,
            invoices=unpaid,
            total=case.amount_due,
            contacts=len(reached),
            first_contact=min(reached).astimezone(zone).date() if reached else None,
            deadline=today + timedelta(days=self._settings.letter_deadline_days),
            link=link,
            written_on=today,
        )

    async def _keep(self, tx: Tx, facts: LetterFacts, *, by: str, now: datetime) -> Letter:
        pdf = self._render(facts)
        digest = hashlib.sha256(pdf).hexdigest()
        letter = await tx.insert_letter(
            case_id=facts.case_id,
            customer_id=facts.customer_id,
            language=facts.locale,
            deadline=facts.deadline,
            sha256=digest,
            pdf=pdf,
            enabled_by=by,
            created_at=now,
        )
        why = f"final warning letter enabled in Slack; deadline {facts.deadline.isoformat()}"
        detail = {"letter": letter.id, "sha256": digest, "deadline": facts.deadline.isoformat()}
        await tx.audit(
            AuditRecord(now, by, "letter", why, facts.case_id, facts.customer_id, detail)
        )
        return letter

    async def _send(
        self,
        tx: Tx,
        case: Case,
        customer: Customer,
        letter: Letter,
        facts: LetterFacts,
        *,
        now: datetime,
    ) -> None:
        params = {
            "letter": letter.id,
            "locale": facts.locale,
            "amount_minor": facts.total.minor,
            "currency": facts.total.currency,
        }
        link = await tx.channel_of(customer.id, TELEGRAM)
        if link is not None and link.reachable:
            await _queue(tx, case, TELEGRAM, params, now=now, key=f"letter:{letter.id}")
        if self._settings.email_enabled and customer.email:
            mail = params | {"to": customer.email, "link": facts.link}
            await _queue(tx, case, EMAIL, mail, now=now, key=f"letter:{letter.id}:email")
        zone = ZoneInfo(customer.timezone or self._settings.default_timezone)
        await tx.enqueue(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=CASE,
            template=LETTER_DEADLINE,
            params={"letter": letter.id},
            due_at=deadline_moment(letter.deadline, zone),
            dedupe_key=f"letter:{letter.id}:deadline",
        )


async def _queue(
    tx: Tx, case: Case, channel: str, params: dict[str, object], *, now: datetime, key: str
) -> None:
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=channel,
        template=LETTER,
        params=dict(params),
        due_at=now,
        dedupe_key=key,
    )


def _letter_may_go(case: Case) -> bool:
    owed = case.amount_due is not None and case.amount_due.minor > 0
    return case.is_open and case.stage is CaseStage.PRE_LEGAL and owed
