"""The book sweep: judge every overdue invoice and open type C cases where substantial.

Set-based: one UPDATE ages the book, and only the overdue invoices no case holds
are read back, each with its customer's recent amounts, so the sweep's cost follows
the overdue invoices rather than the size of the book.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from bot._cases import open_or_attach
from bot._contact import Outreach
from bot._model import CaseType, Invoice, Reason
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
    result.aged = await store.age_book(today)
    result.overdue = await store.count_overdue()
    chosen: list[tuple[Invoice, Verdict]] = []
    judged = 0
    async for invoice, prior in store.unjudged_overdue(history=HISTORY):
        judged += 1
        verdict = _judge(invoice, prior, settings)
        if verdict.substantial:
            chosen.append((invoice, verdict))
    result.substantial = len(chosen)
    for start in range(0, len(chosen), _CHUNK):
        batch = chosen[start : start + _CHUNK]
        await _open(store, batch, clock.now(), actor, context, result, settings.outreach)
    logger.info(
        "sweep aged=%d overdue=%d judged=%d substantial=%d opened=%d",
        result.aged,
        result.overdue,
        judged,
        result.substantial,
        len(result.opened),
    )
    return result


def _judge(invoice: Invoice, prior: list[int], settings: Settings) -> Verdict:
    """The verdict on an overdue invoice, against the customer's earlier invoices."""
    currency = invoice.amount.currency
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
