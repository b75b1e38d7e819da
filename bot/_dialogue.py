"""The customer's conversation about a case: the menu, plans, promises, "I already paid",
and the hand-over to a person.

State lives in storage (`ChatState`), so a restart or another worker continues where the
customer was. Every view carries the conversation's version and every button echoes it:
a button from an older message gets the current view, never a second agreement.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot._agreements import Agreement, AgreementKind
from bot._callbacks import agreement_payload, queue_billing_event
from bot._cases import request_retry
from bot._chat_state import ChatState, Step
from bot._contact import TELEGRAM
from bot._conversation import opt_out
from bot._decisions import report_answer
from bot._errors import InvalidInput
from bot._escalations import close_escalations, escalate
from bot._linking import action_links
from bot._model import Case, CaseStage, CaseStatus, CaseType, Customer, EscalationReason
from bot._money import Money, currency_exponent
from bot._offer_turn import agree_offer, pick_offer, propose, proposed, show_offers
from bot._offers import MAX_INSTALMENTS, Offer
from bot._plan_policy import PlanPolicy
from bot._plans import Instalment, PaymentPlan, build_plan
from bot._respite import PAID, pause_for_advice
from bot._retention import Catalogue
from bot._settings import Settings
from bot._views import WITH_LINKS, Intent, Screen, TermsRenderer, View, read_button
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = ["AGREED_AGAIN", "Dialogue"]

# The decision written on a broken agreement's notice when the customer agrees again.
AGREED_AGAIN = "agreed again"

logger = logging.getLogger(__name__)

PAUSE_AFTER_PAID = timedelta(days=3)
# The outbox template of an agreement's PDF copy, sent in the chat.
AGREEMENT_COPY = "agreement_copy"
PROMISE_CHOICES = ("3d", "7d", "eom")


class Dialogue:
    """Reads taps and messages against the stored conversation and answers with a view."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        policy: PlanPolicy,
        terms: TermsRenderer,
        *,
        languages: tuple[str, ...] = ("en",),
        catalogue: Catalogue | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._policy = policy
        self._terms = terms
        self._languages = languages
        self._catalogue = catalogue or Catalogue.default()

    async def menu(self, chat_id: str) -> View:
        """The menu of the customer's open case (or why there is none)."""
        async with self._store.transaction() as tx:
            turn = await _Turn.begin(tx, self, chat_id)
            return await self._linked(tx, await turn.show_menu()) if turn else _NOT_LINKED

    async def tap(self, chat_id: str, data: str, *, locale: str) -> View:
        """A button press; stale buttons get the current view."""
        async with self._store.transaction() as tx:
            turn = await _Turn.begin(tx, self, chat_id)
            if turn is None:
                return _NOT_LINKED
            return await self._linked(tx, await turn.tap(data, locale))

    async def say(self, chat_id: str, text: str, intent: Intent | None, *, locale: str) -> View:
        """A message typed by the customer, with the intent `messages` recognised in it."""
        async with self._store.transaction() as tx:
            turn = await _Turn.begin(tx, self, chat_id)
            if turn is None:
                return _NOT_LINKED
            return await self._linked(tx, await turn.say(text.strip(), intent, locale))

    async def _linked(self, tx: Tx, view: View) -> View:
        """The view with its buttons' single-use links, made in the turn's transaction."""
        shown = view if view.current is None else view.current
        if shown.screen not in WITH_LINKS or shown.case is None:
            return view
        now = self._clock.now()
        update_url, pay_url = await action_links(tx, shown.case, self._settings, now=now)
        return replace(view, update_url=update_url, pay_url=pay_url)


_NOT_LINKED = View(Screen.NOT_LINKED)


class _Turn:
    """One update handled inside one transaction."""

    def __init__(
        self, tx: Tx, dialogue: Dialogue, state: ChatState, customer: Customer, case: Case | None
    ) -> None:
        self.tx = tx
        self.d = dialogue
        self.state = state
        self.customer = customer
        self.case = case
        self.now = dialogue._clock.now()

    @classmethod
    async def begin(cls, tx: Tx, dialogue: Dialogue, chat_id: str) -> _Turn | None:
        customer, state = await tx.chat_of(TELEGRAM, chat_id)
        if customer is None:
            return None
        case = await _current_case(tx, customer.id, state)
        if state is None or state.customer_id != customer.id:
            state = ChatState(TELEGRAM, chat_id, customer.id, None, Step.MENU, 0)
        return cls(tx, dialogue, state, customer, case)

    # Moving on.

    async def _step(
        self, step: Step, data: dict[str, Any] | None = None, *, misunderstood: int = 0
    ) -> int:
        version = self.state.version + 1
        self.state = replace(
            self.state,
            case_id=self.case.id if self.case else None,
            step=step,
            version=version,
            data=data or {},
            misunderstood=misunderstood,
        )
        await self.tx.save_chat_state(self.state)
        return version

    def _today(self) -> date:
        zone = self.customer.timezone or self.d._settings.default_timezone
        return self.now.astimezone(ZoneInfo(zone)).date()

    async def show_menu(self) -> View:
        version = await self._step(Step.MENU)
        # A type A case may have nothing due yet (a card about to expire): it still has a menu.
        if self.case is None or (self.case.type is CaseType.C and not _owed(self.case)):
            return View(Screen.NOTHING_DUE, version, case=self.case)
        return View(Screen.MENU, version, case=self.case, forbearance=self._forbearance())

    def _forbearance(self) -> bool:
        """Whether the customer's profile puts every forbearance option on the menu."""
        settings = self.d._settings
        profile = settings.profile_for(self.customer.country)
        return profile.forbearance

    # Buttons.

    async def tap(self, data: str, locale: str) -> View:
        button = read_button(data)
        if button is None:
            return await self._misunderstood()
        action, arg, version = button
        if action == "stop":
            return await self._stop()
        # Buttons that open a flow work from any message, the first contact's included;
        # the ones inside a flow (a plan, "I agree") only from the latest one.
        if action not in _ENTRIES and version != self.state.version:
            return await self._stale()
        handler = _TAPS.get(action)
        if handler is None or (self.case is None and action not in _CASELESS):
            return await self._stale()
        view: View = await handler(self, arg, locale)
        return view

    async def _stale(self) -> View:
        current = await self.show_menu()
        return View(Screen.STALE, current.version, case=self.case, current=current)

    async def _plans(self, arg: str = "", locale: str = "") -> View:
        assert self.case is not None
        if (agreed := await self._agreed()) is not None:
            return agreed
        plans = self._proposals()
        if not plans:
            return View(Screen.NO_PLANS, await self._step(Step.MENU), case=self.case)
        version = await self._step(Step.PLANS)
        return View(Screen.PLANS, version, case=self.case, plans=tuple(plans))

    def _proposals(self) -> list[PaymentPlan]:
        if self.case is None or self.case.amount_due is None or not _owed(self.case):
            return []
        today = self._today()
        return self.d._policy.proposals(self.case.amount_due, self.case.type, today=today)

    async def _plan(self, arg: str, locale: str) -> View:
        chosen = next((p for p in self._proposals() if str(p.count) == arg), None)
        if chosen is None:
            return await self._stale()
        data = {"count": chosen.count, "first_due": chosen.first_due.isoformat()}
        if chosen.count > 1 and chosen.instalments[0].amount != chosen.instalments[1].amount:
            data["upfront"] = chosen.instalments[0].amount.minor
        version = await self._step(Step.PLAN, data)
        return View(Screen.PLAN, version, case=self.case, plan=chosen)

    def _stored_plan(self) -> PaymentPlan | None:
        data = self.state.data
        if self.state.step is not Step.PLAN or self.case is None or self.case.amount_due is None:
            return None
        total = self.case.amount_due
        upfront = Money(data["upfront"], total.currency) if "upfront" in data else None
        count = int(data["count"]) - (1 if upfront else 0)
        first = date.fromisoformat(data["first_due"])
        if count == 0:
            return build_plan(total, 1, first)
        return build_plan(total, count, first, upfront=upfront)

    async def _agree(self, arg: str, locale: str) -> View:
        if arg == "plan" and (plan := self._stored_plan()) is not None:
            agreement = await self._accept(
                AgreementKind.PLAN, plan.total, plan.instalments, locale
            )
            version = await self._step(Step.MENU)
            return View(Screen.PLAN_AGREED, version, case=self.case, agreement=agreement)
        if arg == "offer":
            return await agree_offer(self, locale)
        if arg == "promise" and self.state.step is Step.PROMISE and self.case is not None:
            promise = _promise_item(self.case, self.state.data)
            agreement = await self._accept(
                AgreementKind.PROMISE, promise.amount, (promise,), locale
            )
            version = await self._step(Step.MENU)
            return View(Screen.PROMISE_MADE, version, case=self.case, agreement=agreement)
        return await self._stale()

    async def _accept(
        self,
        kind: AgreementKind,
        total: Money,
        items: tuple[Instalment, ...],
        locale: str,
        *,
        owed: Money | None = None,
        offer: Offer | None = None,
    ) -> Agreement:
        assert self.case is not None
        text, terms_version = self.d._terms(kind, total, items, locale, offer=offer)
        agreement = Agreement(
            owed=owed if owed is not None and owed != total else None,
            source=offer.source or None if offer else None,
            commitment_months=offer.commitment_months if offer else 0,
            case_id=self.case.id,
            customer_id=self.customer.id,
            kind=kind,
            total=total,
            items=items,
            terms_text=text,
            terms_version=terms_version,
            locale=locale,
            channel=TELEGRAM,
            accepted_at=self.now,
        )
        agreement_id = await self.tx.insert_agreement(agreement)
        await self.tx.update_case(self.case.id, status=CaseStatus.AGREED)
        await close_escalations(
            self.tx,
            self.case.id,
            now=self.now,
            by="customer",
            decision=AGREED_AGAIN,
            reasons=frozenset({EscalationReason.BROKEN_AGREEMENT}),
        )
        detail = {
            "agreement": agreement_id,
            "kind": kind.value,
            "terms_hash": agreement.terms_hash,
        }
        reason = f"customer accepted a {kind} of {total} in {len(items)} payment(s)"
        await self.tx.audit(
            AuditRecord(
                self.now, "customer", "agreed", reason, self.case.id, self.customer.id, detail
            )
        )
        stored = replace(agreement, id=agreement_id)
        if self.case.stage is CaseStage.PRE_LEGAL:
            # A copy of what was agreed, as a PDF in the chat (the pre-legal stage's evidence).
            await self.tx.enqueue(
                customer_id=self.customer.id,
                case_id=self.case.id,
                channel=TELEGRAM,
                template=AGREEMENT_COPY,
                params={"agreement": agreement_id, "locale": locale},
                due_at=self.now,
                dedupe_key=f"agreement:{agreement_id}:copy",
            )
        await queue_billing_event(
            self.tx,
            kind=f"{kind}_agreed",
            key=str(agreement_id),
            customer_id=self.customer.id,
            case_id=self.case.id,
            now=self.now,
            body=agreement_payload(stored),
        )
        logger.info("agreement=%d case=%d kind=%s", agreement_id, self.case.id, kind)
        return stored

    async def _accept_offer(self, offer: Offer, locale: str) -> Agreement:
        """An offer agreed: its payments, what it lets off and the commitment it asks for."""
        items = offer.plan().instalments
        return await self._accept(
            AgreementKind.PLAN, offer.total, items, locale, owed=offer.owed, offer=offer
        )

    async def _agreed(self) -> View | None:
        """The agreement already in force on the case, if any: a second one is never made."""
        assert self.case is not None
        if self.case.status is not CaseStatus.AGREED:
            return None
        agreements = await self.tx.agreements_of(self.case.id)
        if not agreements:
            return None
        version = await self._step(Step.MENU)
        return View(Screen.ALREADY_AGREED, version, case=self.case, agreement=agreements[-1])

    async def _more(self, arg: str = "", locale: str = "") -> View:
        """Longer than the plans shown: how many payments the customer could manage."""
        assert self.case is not None
        if (agreed := await self._agreed()) is not None:
            return agreed
        due = self.case.amount_due
        if due is None or not _owed(self.case):
            return await self._stale()
        longest = max((plan.count for plan in self._proposals()), default=1)
        counts = tuple(n for n in _LONGER if n > longest and n <= due.minor)
        version = await self._step(Step.PLAN_COUNT)
        return View(
            Screen.PLAN_COUNT, version, case=self.case, counts=counts, most=MAX_INSTALMENTS
        )

    async def _count(self, arg: str, locale: str) -> View:
        if not arg.isdigit() or self.state.step is not Step.PLAN_COUNT:
            return await self._stale()
        return await self._ask_for(int(arg), None)

    async def _ask_for(self, count: int, text: str | None) -> View:
        """A plan of `count` payments: agreed here when the bot may, else asked of staff."""
        case = self.case
        if case is None or case.amount_due is None or not _owed(case):
            return await self._stale()
        due, today = case.amount_due, self._today()
        first = self.d._policy.first_due(due.currency, case.type, today=today)
        try:
            offer = Offer(owed=due, total=due, count=count, first_due=first)
        except InvalidInput:
            return await self._misunderstood()
        plan = offer.plan()
        broken = self.d._policy.within_authority(plan, case.type, today=today)
        if not broken:
            data = {"count": count, "first_due": first.isoformat()}
            version = await self._step(Step.PLAN, data)
            return View(Screen.PLAN, version, case=case, plan=plan)
        await escalate(
            self.tx,
            case,
            EscalationReason.PLAN_REQUEST,
            now=self.now,
            actor="customer",
            why=f"customer asks for {count} monthly payments, beyond the bot's authority",
            hours=self.d._settings.outreach.hours,
            request=text,
            detail={"count": count, "broken": broken},
            proposal=offer,
        )
        version = await self._step(Step.MENU)
        return View(Screen.PLAN_REQUESTED, version, case=case, plan=plan)

    async def _offer(self, arg: str, locale: str) -> View:
        """The customer's answer to terms staff offered: an agreement, or set aside."""
        answer, _, number = arg.partition("-")
        if answer not in {"yes", "no"} or not number.isdigit():
            return await self._stale()
        escalation = await self.tx.get_escalation(int(number))
        if escalation is None or escalation.customer_id != self.customer.id:
            return await self._stale()
        case = await self.tx.get_case(escalation.case_id)
        offer = escalation.offer
        if case is None or not case.is_open or offer is None:
            return await self._stale()
        self.case = case
        accepted = answer == "yes"
        if not await self.tx.answer_offer(escalation.id, accepted=accepted):
            return await self._agreed() or await self._stale()
        if not accepted:
            why = f"customer declined the offer of escalation {escalation.id}"
            detail = {"escalation": escalation.id}
            await self.tx.audit(
                AuditRecord(
                    self.now, "customer", "declined", why, case.id, case.customer_id, detail
                )
            )
            await report_answer(self.tx, escalation, accepted=False, now=self.now, agreement=None)
            return View(Screen.OFFER_DECLINED, await self._step(Step.MENU), case=case)
        agreement = await self._accept_offer(offer, locale)
        await report_answer(
            self.tx, escalation, accepted=True, now=self.now, agreement=agreement.id
        )
        version = await self._step(Step.MENU)
        return View(Screen.PLAN_AGREED, version, case=case, agreement=agreement)

    async def _promises(self, arg: str = "", locale: str = "") -> View:
        assert self.case is not None
        if (agreed := await self._agreed()) is not None:
            return agreed
        if not _owed(self.case):
            # A type A case before any debt (a card expiring) has no amount to promise.
            return await self._stale()
        today = self._today()
        last = self._last_promise_day()
        dates = tuple(
            (key, day) for key in PROMISE_CHOICES if (day := _promise_date(key, today)) <= last
        )
        version = await self._step(Step.PROMISES)
        return View(
            Screen.PROMISES, version, case=self.case, promise_dates=dates, last_promise_day=last
        )

    def _last_promise_day(self) -> date:
        return self._today() + timedelta(days=self.d._settings.promise_max_days)

    async def _promise_on(self, day: date) -> View:
        """A date the customer typed for a promise, inside the allowed window."""
        if not self._today() < day <= self._last_promise_day() or self.case is None:
            return await self._misunderstood()
        version = await self._step(Step.PROMISE, {"due_on": day.isoformat()})
        item = _promise_item(self.case, self.state.data)
        return View(Screen.PROMISE, version, case=self.case, promise=item)

    async def _promise_part(self, amount: Money) -> View:
        """A smaller amount the customer typed for the promise on the table."""
        assert self.case is not None
        due = self.case.amount_due
        if due is None or amount.currency != due.currency or not 0 < amount.minor < due.minor:
            return await self._misunderstood()
        data = {**self.state.data, "amount_minor": amount.minor}
        version = await self._step(Step.PROMISE, data)
        item = _promise_item(self.case, self.state.data)
        return View(Screen.PROMISE, version, case=self.case, promise=item)

    async def _promise(self, arg: str, locale: str) -> View:
        if arg not in PROMISE_CHOICES or self.case is None:
            return await self._stale()
        day = _promise_date(arg, self._today())
        version = await self._step(Step.PROMISE, {"due_on": day.isoformat()})
        item = _promise_item(self.case, self.state.data)
        return View(Screen.PROMISE, version, case=self.case, promise=item)

    async def _paid(self, arg: str = "", locale: str = "") -> View:
        version = await self._step(Step.PAID_DATE)
        return View(Screen.ASK_PAID_DATE, version, case=self.case)

    async def _paid_on(self, arg: str, locale: str) -> View:
        today = self._today()
        days = {"today": today, "yesterday": today - timedelta(days=1)}
        if arg not in days:
            return await self._stale()
        return await self._ask_reference(days[arg])

    async def _ask_reference(self, day: date) -> View:
        version = await self._step(Step.PAID_REFERENCE, {"paid_on": day.isoformat()})
        return View(Screen.ASK_PAID_REFERENCE, version, case=self.case)

    async def _note_paid(self, reference: str) -> View:
        assert self.case is not None
        until = self.now + PAUSE_AFTER_PAID
        await self.tx.set_paused_until(self.case.id, until, reason=PAID)
        await self.tx.update_case(self.case.id, status=CaseStatus.PAUSED)
        detail = {"paid_on": self.state.data.get("paid_on"), "reference": reference[:64]}
        await self.tx.audit(
            AuditRecord(
                self.now,
                "customer",
                "says paid",
                "contact paused for 3 days",
                self.case.id,
                self.customer.id,
                detail,
            )
        )
        version = await self._step(Step.MENU)
        return View(Screen.PAID_NOTED, version, case=self.case)

    async def _escalate(self, arg: str, locale: str = "", text: str | None = None) -> View:
        reason = arg if arg in {"dispute", "hardship", "person"} else "person"
        if self.case is not None:
            detail = {"said": text[:500]} if text else None
            await escalate(
                self.tx,
                self.case,
                EscalationReason(reason),
                now=self.now,
                actor="customer",
                why=_ESCALATIONS[reason],
                hours=self.d._settings.outreach.hours,
                request=text,
                detail=detail,
            )
        logger.info("escalated customer=%s reason=%s", self.customer.id, reason)
        version = await self._step(Step.MENU)
        return View(Screen.ESCALATED, version, case=self.case, escalation=reason)

    async def _token(self, arg: str = "", locale: str = "") -> View:
        """A small payment now, and staff review the case (COMPLIANCE rule 13)."""
        if self.case is None or self.case.amount_due is None or not _owed(self.case):
            return await self._stale()
        token = self._token_amount(self.case.amount_due)
        await escalate(
            self.tx,
            self.case,
            EscalationReason.SMALL_PAYMENT,
            now=self.now,
            actor="customer",
            why=_ESCALATIONS["token"],
            hours=self.d._settings.outreach.hours,
            detail={"token_minor": token.minor, "currency": token.currency},
        )
        logger.info("escalated customer=%s reason=token", self.customer.id)
        version = await self._step(Step.MENU)
        return View(Screen.SMALL_PAYMENT, version, case=self.case, token=token)

    def _token_amount(self, due: Money) -> Money:
        """The plan policy's smallest instalment, or what is due when that is less."""
        assert self.case is not None
        terms = self.d._policy.terms_for(due.currency, self.case.type)
        minor = int(terms.min_instalment.scaleb(currency_exponent(due.currency)))
        return Money(min(minor, due.minor), due.currency)

    async def _advice(self, arg: str = "", locale: str = "") -> View:
        """Where to find free debt advice, and the way to say an adviser is helping."""
        version = await self._step(Step.MENU)
        return View(Screen.ADVICE, version, case=self.case)

    async def _adviser(self, arg: str = "", locale: str = "") -> View:
        """A debt adviser is helping: every open case pauses for 30 days (rule 12)."""
        await pause_for_advice(self.tx, self.customer, now=self.now)
        version = await self._step(Step.MENU)
        return View(Screen.ADVICE_NOTED, version, case=self.case)

    async def _stop(self) -> View:
        await opt_out(self.tx, self.customer.id, now=self.now)
        version = await self._step(Step.MENU)
        return View(Screen.STOPPED, version, case=self.case)

    async def _languages(self, arg: str = "", locale: str = "") -> View:
        version = await self._step(Step.MENU)
        return View(Screen.LANGUAGES, version, case=self.case, languages=self.d._languages)

    async def _language(self, arg: str, locale: str) -> View:
        if arg not in self.d._languages:
            return await self._stale()
        await self.tx.set_chosen_locale(self.customer.id, arg)
        logger.info("language customer=%s language=%s", self.customer.id, arg)
        return await self.show_menu()

    async def _retry(self, arg: str = "", locale: str = "") -> View:
        assert self.case is not None
        await request_retry(self.tx, self.case, now=self.now, actor="customer")
        version = await self._step(Step.MENU)
        return View(Screen.RETRY_REQUESTED, version, case=self.case)

    async def _menu(self, arg: str = "", locale: str = "") -> View:
        return await self.show_menu()

    # Typed messages.

    async def say(self, text: str, intent: Intent | None, locale: str) -> View:
        if intent is Intent.STOP:
            return await self._stop()
        if self.state.step is Step.PAID_DATE and intent is None:
            day = _read_date(text, self._today())
            return await self._ask_reference(day) if day else await self._misunderstood()
        if self.state.step is Step.PAID_REFERENCE and intent is None and self.case is not None:
            return await self._note_paid(text)
        if self.state.step is Step.PROPOSE and intent not in _ESCALATING:
            answer = await proposed(self, text)
            if answer is not None:
                return answer
        if self.state.step is Step.PLAN_COUNT and intent not in _ESCALATING:
            count = _typed_count(text)
            if count is not None:
                return await self._ask_for(count, text)
        if intent is None and (typed := await self._typed(text)) is not None:
            return typed
        if intent in _ESCALATING:
            return await self._escalate(intent.value, locale, text)
        if intent is Intent.ADVICE:
            return await self._adviser()
        if intent is Intent.LANGUAGE:
            return await self._languages()
        if self.case is None:
            return await self.show_menu()
        handler = _INTENTS.get(intent) if intent else None
        if handler is None:
            return await self._misunderstood()
        view: View = await handler(self, "", locale)
        return view

    async def _typed(self, text: str) -> View | None:
        """A date or an amount typed while choosing or confirming a promise."""
        if self.state.step is Step.PROMISES and (day := _typed_date(text)) is not None:
            return await self._promise_on(day)
        due = self.case.amount_due if self.case else None
        if self.state.step is Step.PROMISE and due is not None:
            amount = _typed_amount(text, due.currency)
            if amount is not None:
                return await self._promise_part(amount)
        return None

    async def _misunderstood(self) -> View:
        count = self.state.misunderstood + 1
        current = await self.show_menu()
        self.state = replace(self.state, misunderstood=count)
        await self.tx.save_chat_state(self.state)
        screen = Screen.OFFER_PERSON if count >= 2 else Screen.MISUNDERSTOOD
        return View(screen, current.version, case=self.case, current=current)


_ESCALATIONS = {
    "dispute": "customer disputes the debt",
    "hardship": "customer reports hardship",
    "person": "customer asked for a person",
    "token": "customer offers a token payment; staff to review",
}
_ESCALATING = {Intent.DISPUTE, Intent.HARDSHIP, Intent.PERSON}
_CASELESS = frozenset({"menu", "languages", "language", "advice", "adviser"})
_ENTRIES = frozenset(
    {
        "menu",
        "plans",
        "promises",
        "paid",
        "escalate",
        "retry",
        "languages",
        "language",
        "token",
        "advice",
        "adviser",
        "offer",  # staff's offer arrives whatever the chat was doing
        "offers",
        "propose",
    }
)
# Longer plans offered as buttons once the customer says the ones shown are too short.
_LONGER = (9, 12, 18, 24, 36)

_TAPS: dict[str, Callable[[_Turn, str, str], Any]] = {
    "menu": _Turn._menu,
    "plans": _Turn._plans,
    "plan": _Turn._plan,
    "agree": _Turn._agree,
    "promises": _Turn._promises,
    "promise": _Turn._promise,
    "paid": _Turn._paid,
    "paid_on": _Turn._paid_on,
    "escalate": _Turn._escalate,
    "retry": _Turn._retry,
    "languages": _Turn._languages,
    "language": _Turn._language,
    "token": _Turn._token,
    "advice": _Turn._advice,
    "adviser": _Turn._adviser,
    "more": _Turn._more,
    "count": _Turn._count,
    "offer": _Turn._offer,
    "offers": show_offers,
    "pick": pick_offer,
    "propose": propose,
}

_INTENTS: dict[Intent, Callable[[_Turn, str, str], Any]] = {
    Intent.PLAN: _Turn._plans,
    Intent.PROMISE: _Turn._promises,
    Intent.PAID: _Turn._paid,
    Intent.PAY: _Turn._menu,
    Intent.HELP: _Turn._menu,
    Intent.LANGUAGE: _Turn._languages,
}


async def _current_case(tx: Tx, customer_id: str, state: ChatState | None) -> Case | None:
    """The case the conversation is about: the one it was on, else the newest open one."""
    cases = await tx.open_cases_of(customer_id)
    if state is not None and state.case_id is not None:
        for case in cases:
            if case.id == state.case_id:
                return case
    return cases[-1] if cases else None


def _owed(case: Case) -> bool:
    return case.amount_due is not None and case.amount_due.minor > 0


def _promise_date(key: str, today: date) -> date:
    """The date of a quick choice: in 3 days, in a week, or the end of the month."""
    if key == "3d":
        return today + timedelta(days=3)
    if key == "7d":
        return today + timedelta(days=7)
    end = _month_end(today)
    # Within 3 days of the month's end, "end of the month" means the next one.
    return end if (end - today).days >= 3 else _month_end(end + timedelta(days=1))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _promise_item(case: Case, data: dict[str, Any]) -> Instalment:
    """The promise on the table: the full amount due, or the part the customer typed."""
    assert case.amount_due is not None  # a case with a promise has an amount due
    amount = case.amount_due
    if "amount_minor" in data:
        amount = Money(int(data["amount_minor"]), amount.currency)
    return Instalment(1, date.fromisoformat(data["due_on"]), amount)


def _read_date(text: str, today: date) -> date | None:
    """A past payment date as customers type it: 2024-03-01, 1.3.2024, 1/3/2024."""
    found = _typed_date(text)
    return found if found and today - timedelta(days=366) <= found <= today else None


def _typed_date(text: str) -> date | None:
    """A date typed year first (2024-03-01) or day first (1.3.2024, 1/3/2024)."""
    cleaned = text.strip().replace(".", "/").replace("-", "/")
    parts = cleaned.split("/")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    year, month, day = numbers if len(parts[0]) == 4 else (numbers[2], numbers[1], numbers[0])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _typed_amount(text: str, currency: str) -> Money | None:
    """An amount as customers type it ("100", "100.50", "100,50", "1 000"), or None."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if cleaned.count(".") > 1:
        return None
    try:
        return Money.parse(cleaned, currency)
    except InvalidInput:
        return None


def _typed_count(text: str) -> int | None:
    """A number of payments typed on its own or with words ("12", "12 months")."""
    found = re.findall(r"\d+", text)
    return int(found[0]) if len(found) == 1 and len(found[0]) <= 3 else None
