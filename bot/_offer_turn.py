"""The pre-legal stage in the conversation: the offers a customer qualifies for, one offer's
terms to agree, and the customer's own proposal.

These are taps and messages of `bot._dialogue`'s turn, kept here by sub-feature. Inside the
chat the customer asked to see offers, so retention promotions may be shown (COMPLIANCE
rule 16); a payment plan is always on the screen beside a lump sum (rule 14). An offer
staff must approve, or a proposal beyond the bot's limits, goes to Slack as a plan request.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from bot._chat_state import Step
from bot._errors import InvalidInput
from bot._escalations import escalate
from bot._model import Case, CaseStage, EscalationReason
from bot._money import Money
from bot._offers import MAX_INSTALMENTS, Offer
from bot._views import Screen, View

if TYPE_CHECKING:
    from bot._dialogue import _Turn

__all__ = ["agree_offer", "pick_offer", "propose", "proposed", "show_offers"]


async def show_offers(turn: _Turn, arg: str = "", locale: str = "") -> View:
    """What this customer qualifies for now, each as its own button."""
    case = turn.case
    if case is None or case.stage is not CaseStage.PRE_LEGAL or not _owed(case):
        return await turn._stale()
    if (agreed := await turn._agreed()) is not None:
        return agreed
    offers = tuple(await _available(turn, case))
    version = await turn._step(Step.MENU)
    return View(Screen.OFFERS, version, case=case, offers=offers)


async def pick_offer(turn: _Turn, arg: str, locale: str) -> View:
    """One offer of the catalogue: its terms to agree, or a request to staff."""
    case = turn.case
    if case is None or case.stage is not CaseStage.PRE_LEGAL or not _owed(case):
        return await turn._stale()
    entry = turn.d._catalogue.named(arg)
    offers = {offer.source: offer for offer in await _available(turn, case)}
    if entry is None or arg not in offers:
        return await turn._stale()
    offer = offers[arg]
    if entry.authority == "staff":
        why = f"customer chose offer {entry.key}, which staff approve"
        return await _ask_staff(turn, case, offer, why=why, text=None)
    return await _terms(turn, case, offer)


async def agree_offer(turn: _Turn, locale: str) -> View:
    """ "I agree" under an offer's terms: the agreement, as shown."""
    case = turn.case
    if case is None or turn.state.step is not Step.OFFER or "offer" not in turn.state.data:
        return await turn._stale()
    offer = Offer.from_json(turn.state.data["offer"])
    if case.amount_due is None or offer.owed != case.amount_due:
        return await turn._stale()  # what is owed changed since the terms were shown
    agreement = await turn._accept_offer(offer, locale)
    version = await turn._step(Step.MENU)
    return View(Screen.PLAN_AGREED, version, case=case, agreement=agreement)


async def propose(turn: _Turn, arg: str = "", locale: str = "") -> View:
    """Ask the customer for their own amount and number of payments."""
    case = turn.case
    if case is None or case.stage is not CaseStage.PRE_LEGAL or not _owed(case):
        return await turn._stale()
    version = await turn._step(Step.PROPOSE)
    return View(Screen.PROPOSE, version, case=case, most=MAX_INSTALMENTS)


async def proposed(turn: _Turn, text: str) -> View | None:
    """What the customer typed as a proposal, or None if it is not one."""
    case = turn.case
    if case is None or case.amount_due is None or not _owed(case):
        return None
    read = _typed_proposal(text, case.amount_due.currency)
    if read is None:
        return None
    amount, count = read
    due, today = case.amount_due, turn._today()
    first = turn.d._policy.first_due(due.currency, case.type, today=today)
    try:
        offer = Offer(owed=due, total=amount, count=count, first_due=first)
    except InvalidInput:
        return await turn._misunderstood()
    if turn.d._catalogue.bot.allows(offer):
        return await _terms(turn, case, offer)
    why = f"customer proposes {amount} in {count} payment(s), beyond the bot's authority"
    return await _ask_staff(turn, case, offer, why=why, text=text)


async def _available(turn: _Turn, case: Case) -> list[Offer]:
    assert case.amount_due is not None
    since = await turn.tx.customer_since(case.customer_id)
    today = turn._today()
    tenure = 0 if since is None else _months(since, today)
    entries = turn.d._catalogue.available(
        case.amount_due, case.stage, tenure_months=tenure, marketing=True
    )
    offers = []
    for entry in entries:
        try:
            offers.append(entry.terms(case.amount_due, today=today))
        except InvalidInput:
            continue  # the debt is too small to split this way
    return offers


async def _terms(turn: _Turn, case: Case, offer: Offer) -> View:
    version = await turn._step(Step.OFFER, {"offer": offer.to_json()})
    return View(Screen.OFFER_TERMS, version, case=case, offer=offer, plan=offer.plan())


async def _ask_staff(turn: _Turn, case: Case, offer: Offer, *, why: str, text: str | None) -> View:
    await escalate(
        turn.tx,
        case,
        EscalationReason.PLAN_REQUEST,
        now=turn.now,
        actor="customer",
        why=why,
        hours=turn.d._settings.outreach.hours,
        request=text,
        detail={"offer": offer.to_json()},
        proposal=offer,
    )
    version = await turn._step(Step.MENU)
    return View(Screen.PLAN_REQUESTED, version, case=case, plan=offer.plan(), offer=offer)


# "200 in 4", "200.50 over 6 months", "I can pay 150": an amount, then maybe a count.
_NUMBER = re.compile(r"\d+(?:[.,]\d{1,3})?")


def _typed_proposal(text: str, currency: str) -> tuple[Money, int] | None:
    numbers = _NUMBER.findall(text)
    if not 1 <= len(numbers) <= 2:
        return None
    try:
        amount = Money.parse(numbers[0].replace(",", "."), currency)
    except InvalidInput:
        return None
    count = int(numbers[1]) if len(numbers) == 2 and numbers[1].isdigit() else 1
    return amount, count


def _months(since: date, today: date) -> int:
    return max(0, (today.year - since.year) * 12 + today.month - since.month)


def _owed(case: Case) -> bool:
    return case.amount_due is not None and case.amount_due.minor > 0
