"""The book sweep: judge every overdue invoice and open type C cases where substantial.

One streaming pass over the invoices, ordered by customer and issue date, keeps
each customer's history in memory only while that customer is being read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot._cases import open_or_attach
from bot._contact import Outreach
from bot._model import CaseType, Invoice, InvoiceStatus, Reason
from bot._settings import Settings
from bot._triage import HISTORY, Verdict, judge
from bot.ports import Clock, Store

__all__ = ["SweepResult", "sweep"]

logger = logging.getLogger(__name__)

_CHUNK = 500  # cases opened per transaction


@dataclass(slots=True)
class SweepResult:
    aged: int = 0
    overdue: int = 0
    substantial: int = 0
    opened: list[int] = field(default_factory=list)
    attached: int = 0


async def sweep(
    store: Store,
    settings: Settings,
    clock: Clock,
    *,
    today: date,
    actor: str,
    context: dict[str, str] | None = None,
) -> SweepResult:
    """Age open invoices past their due date, then open or extend type C cases.

    Every substantial overdue invoice not yet in a case is judged; `today` is the date
    the book stands on (an import's as-of date, or the wall clock's).
    """
    result = SweepResult()
    chosen: list[tuple[Invoice, Verdict]] = []
    aged: list[str] = []
    history: list[Invoice] = []
    seen = 0
    async for invoice, in_case in store.iter_book():
        if history and history[0].customer_id != invoice.customer_id:
            history = []
        seen += 1
        if invoice.status is InvoiceStatus.OPEN and invoice.due_on < today:
            aged.append(invoice.id)
            invoice = replace(invoice, status=InvoiceStatus.OVERDUE)
        overdue = invoice.status is InvoiceStatus.OVERDUE and invoice.amount_due.minor > 0
        verdict = _judge(invoice, history, settings) if overdue and not in_case else None
        history.append(invoice)
        result.overdue += overdue
        if verdict is not None and verdict.substantial:
            chosen.append((invoice, verdict))
    for start in range(0, len(aged), _CHUNK * 10):
        await store.mark_overdue(aged[start : start + _CHUNK * 10])
    result.aged = len(aged)
    result.substantial = len(chosen)
    for start in range(0, len(chosen), _CHUNK):
        batch = chosen[start : start + _CHUNK]
        await _open(store, batch, clock.now(), actor, context, result, settings.outreach)
    logger.info(
        "sweep invoices=%d aged=%d overdue=%d substantial=%d opened=%d",
        seen,
        result.aged,
        result.overdue,
        result.substantial,
        len(result.opened),
    )
    return result


def _judge(invoice: Invoice, history: list[Invoice], settings: Settings) -> Verdict:
    """The verdict on an overdue invoice, against the customer's earlier invoices."""
    currency = invoice.amount.currency
    # History is ordered by issue date then id; only strictly earlier issue dates count.
    prior = [
        earlier.amount.minor
        for earlier in reversed(history)
        if earlier.issued_on < invoice.issued_on and earlier.amount.currency == currency
    ][:HISTORY]
    return judge(
        invoice.amount,
        prior,
        ratio=settings.substantial_ratio,
        min_amount=settings.min_substantial.get(currency),
    )


async def _open(
    store: Store,
    chosen: list[tuple[Invoice, Verdict]],
    now: datetime,
    actor: str,
    context: dict[str, str] | None,
    result: SweepResult,
    outreach: Outreach,
) -> None:
    async with store.transaction() as tx:
        for invoice, verdict in chosen:
            why = {"invoice": invoice.id, **verdict.as_why(), **(context or {})}
            case, opened = await open_or_attach(
                tx,
                customer_id=invoice.customer_id,
                case_type=CaseType.C,
                reason=Reason.SUBSTANTIAL_OVERDUE,
                why=why,
                invoice=invoice,
                now=now,
                actor=actor,
                outreach=outreach,
            )
            if opened:
                result.opened.append(case.id)
            else:
                result.attached += 1
