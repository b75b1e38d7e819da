"""The hand-off to legal: only a person confirms it, and never before the letter's deadline
(COMPLIANCE rule 17).

When the deadline of a final warning letter passes with nothing agreed since, staff are
asked in Slack (an escalation of its own). On confirmation the case file is written for
the lawyers (JSON and a PDF dossier: the customer, invoices, payments, every contact and
its delivery, the transcript, offers, agreements, letters and the audit trail), the
case's stage becomes legal, and all contact stops.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot._authority import Authority
from bot._callbacks import queue_billing_event
from bot._cases import CLOSED
from bot._contact import EMAIL, TELEGRAM
from bot._decisions import Ruling, StaffDecision
from bot._errors import NotFound
from bot._escalations import StaffHours, close_escalations, escalate
from bot._ladder import CASE
from bot._letters import deadline_moment
from bot._model import Case, CaseStage, CaseStatus, EscalationReason, Letter
from bot._render import case_rows
from bot._settings import Settings
from bot.ports import AuditRecord, CaseView, Clock, SendResult, Store, Tx

__all__ = [
    "CASE_FILE",
    "KEEP",
    "LEGAL",
    "CaseFileRenderer",
    "Handoff",
    "ask_for_handoff",
    "case_file",
]

logger = logging.getLogger(__name__)

LEGAL = "legal"  # the decision that hands the case over
KEEP = "keep"  # the decision that keeps it in pre-legal
CASE_FILE = "case_file"  # the outbox template of the case file sent to the legal webhook
LEGAL_CHANNEL = "legal"

CaseFileRenderer = Callable[[dict[str, Any]], bytes]


async def ask_for_handoff(
    tx: Tx, case: Case, letter_id: int, *, now: datetime, hours: StaffHours
) -> SendResult:
    """The letter's deadline passed: ask staff to confirm the hand-off, unless settled."""
    found = await tx.get_letter(letter_id)
    if found is None or not case.is_open or case.stage is not CaseStage.PRE_LEGAL:
        return SendResult(f"not needed:{case.id}")
    letter = found[0]
    if await _agreed_since(tx, case, letter):
        return SendResult(f"agreed:{case.id}")
    why = f"the letter's deadline {letter.deadline.isoformat()} passed with nothing agreed"
    escalation = await escalate(
        tx,
        case,
        EscalationReason.LEGAL_HANDOFF,
        now=now,
        actor="deadline",
        why=why,
        hours=hours,
        detail={"letter": letter.id},
        pause=False,
    )
    return SendResult(f"escalation:{escalation.id}")


class Handoff:
    """A person's decision on a case whose letter went unanswered."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        authority: Authority,
        *,
        render: CaseFileRenderer,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._authority = authority
        self._render = render

    async def confirm(
        self, escalation_id: int, *, by: str, groups: Collection[str] = ()
    ) -> StaffDecision:
        """Hand the case to legal: the case file written, the stage legal, contact stopped."""
        return await self._decide(escalation_id, LEGAL, by=by, groups=groups)

    async def keep(
        self, escalation_id: int, *, by: str, groups: Collection[str] = ()
    ) -> StaffDecision:
        """Keep the case in pre-legal: its offers stay open."""
        return await self._decide(escalation_id, KEEP, by=by, groups=groups)

    async def _decide(
        self, escalation_id: int, decision: str, *, by: str, groups: Collection[str]
    ) -> StaffDecision:
        tier = self._authority.tier_of(by, groups)
        if tier is None:
            return StaffDecision(Ruling.NO_TIER)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None or escalation.reason is not EscalationReason.LEGAL_HANDOFF:
                return StaffDecision(Ruling.UNKNOWN)
            case = await tx.get_case(escalation.case_id)
            letters = [] if case is None else await tx.letters_of(case.id)
            if not escalation.is_open or case is None or not letters:
                return StaffDecision(Ruling.ALREADY, escalation)
            refused = await self._refusal(tx, case, letters[-1], now=now, decision=decision)
            if refused is not None:
                return StaffDecision(refused, escalation, tier)
            if not await tx.decide_escalation(escalation_id, by=by, decision=decision, at=now):
                return StaffDecision(Ruling.ALREADY, await tx.get_escalation(escalation_id))
            if decision == LEGAL:
                await self._hand_over(tx, case, by=by, now=now)
            else:
                why = "kept in pre-legal after the letter's deadline, decided in Slack"
                await tx.audit(AuditRecord(now, by, "kept", why, case.id, case.customer_id))
            decided = await tx.get_escalation(escalation_id)
        logger.info("case=%d %s by user=%s", case.id, decision, by)
        if decision == LEGAL:
            await self.write_case_file(case.id, by=by)
        return StaffDecision(Ruling.DECIDED, decided, tier)

    async def _refusal(
        self, tx: Tx, case: Case, letter: Letter, *, now: datetime, decision: str
    ) -> Ruling | None:
        """Why the hand-off may not happen now (rule 17), server-side whatever was clicked."""
        if not case.is_open or case.stage is not CaseStage.PRE_LEGAL:
            return Ruling.ALREADY
        if decision != LEGAL:
            return None
        customer = await tx.get_customer(case.customer_id)
        zone = (customer.timezone if customer else None) or self._settings.default_timezone
        if now < deadline_moment(letter.deadline, ZoneInfo(zone)):
            return Ruling.TOO_EARLY
        if await _agreed_since(tx, case, letter):
            return Ruling.SETTLED
        return None

    async def _hand_over(self, tx: Tx, case: Case, *, by: str, now: datetime) -> None:
        for channel in (TELEGRAM, EMAIL, CASE):
            await tx.cancel_queued_on_case(case.id, channel=channel, claimed=channel == CASE)
        await tx.update_case(
            case.id, status=CaseStatus.CLOSED, closed_at=now, stage=CaseStage.LEGAL, stage_at=now
        )
        await close_escalations(tx, case.id, now=now, by=by, decision=CLOSED)
        why = "handed to legal, confirmed in Slack after the letter's deadline"
        await tx.audit(AuditRecord(now, by, "legal", why, case.id, case.customer_id))
        await queue_billing_event(
            tx,
            kind="handed_to_legal",
            key=str(case.id),
            customer_id=case.customer_id,
            case_id=case.id,
            now=now,
            body={"stage": CaseStage.LEGAL.value},
        )

    def folder_of(self, case_id: int) -> Path:
        """Where the case file of `case_id` is written."""
        return self._settings.legal_export_dir / f"case-{case_id}"

    async def write_case_file(self, case_id: int, *, by: str) -> Path:
        """Write the case file (JSON and PDF) to the export folder, and record their hashes.

        Called on confirmation, and by `settle case-file` to write it again.
        """
        now = self._clock.now()
        document = await case_file(self._store, case_id, by=by, now=now)
        folder = self.folder_of(case_id)
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            f"case-{case_id}.json": json.dumps(document, ensure_ascii=False, indent=2).encode(),
            f"case-{case_id}.pdf": self._render(document),
        }
        for name, data in files.items():
            (folder / name).write_bytes(data)
        digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        customer_id = str(document["customer"]["id"])
        async with self._store.transaction() as tx:
            record = AuditRecord(
                now, by, "case file", f"written to {folder}", case_id, customer_id, digests
            )
            await tx.audit(record)
            if self._settings.legal_webhook_url:
                await tx.enqueue(
                    customer_id=customer_id,
                    case_id=case_id,
                    channel=LEGAL_CHANNEL,
                    template=CASE_FILE,
                    params={"case": case_id, "file": str(folder / f"case-{case_id}.json")},
                    due_at=now,
                    dedupe_key=f"case:{case_id}:case-file:{now.isoformat()}",
                )
        logger.info("case=%d case file written to %s", case_id, folder)
        return folder


async def case_file(store: Store, case_id: int, *, by: str, now: datetime) -> dict[str, Any]:
    """Everything held about a case, as the lawyers receive it.

    Raises:
        NotFound: if there is no such case.
    """
    view = await store.case_view(case_id)
    if view is None:
        raise NotFound("case", str(case_id))
    async with store.transaction() as tx:
        return await _case_file(tx, view, by=by, now=now)


async def _case_file(tx: Tx, view: CaseView, *, by: str, now: datetime) -> dict[str, Any]:
    case_id = view.case.id
    [row] = case_rows([view], full=True)
    customer = view.customer
    payments = []
    for invoice in view.invoices:
        for payment in await tx.received_for(invoice.id):
            payments.append(
                {
                    "id": payment.payment_id,
                    "invoice": invoice.id,
                    "amount": None if payment.amount is None else str(payment.amount.to_decimal()),
                    "received_at": payment.received_at.isoformat(),
                }
            )
    transcript = [
        {"at": line.at.isoformat(), "direction": line.direction, "text": line.text}
        for line in await tx.transcript_of(customer.id)
        if line.case_id in (None, case_id)
    ]
    offers = [
        {
            "escalation": e.id,
            "reason": e.reason.value,
            "asked": None if e.proposal is None else e.proposal.to_json(),
            "offered": None if e.offer is None else e.offer.to_json(),
            "answer": None if e.offer_state is None else e.offer_state.value,
            "decision": e.decision,
            "decided_by": e.decided_by,
        }
        for e in await tx.escalations_of(case_id)
    ]
    letters = [
        {
            "id": letter.id,
            "sha256": letter.sha256,
            "deadline": letter.deadline.isoformat(),
            "sent_at": letter.created_at.isoformat(),
            "enabled_by": letter.enabled_by,
            "language": letter.language,
        }
        for letter in await tx.letters_of(case_id)
    ]
    return {
        "case": {key: value for key, value in row.items() if key not in _LISTS},
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "phone": customer.phone,
            "email": customer.email,
            "country": customer.country,
            "language": customer.language,
        },
        "invoices": row["invoices"],
        "payments": payments,
        "contacts": row["contacts"],
        "transcript": transcript,
        "offers": offers,
        "agreements": row["agreements"],
        "letters": letters,
        "audit": row["history"],
        "handed_over": {"at": now.isoformat(), "confirmed_by": by},
    }


async def _agreed_since(tx: Tx, case: Case, letter: Letter) -> bool:
    agreements = await tx.agreements_of(case.id)
    return any(agreement.accepted_at >= letter.created_at for agreement in agreements)


_LISTS = frozenset({"invoices", "contacts", "history", "agreements"})
