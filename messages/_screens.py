"""The conversation's views as words and buttons, in the customer's language."""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale

from bot import (
    Agreement,
    AgreementKind,
    CaseStage,
    CaseType,
    Instalment,
    Money,
    Offer,
    PaymentPlan,
    Screen,
    View,
    button_data,
)
from messages import _care_texts as c
from messages import _prelegal_texts as p
from messages import _screen_texts as s
from messages import _staff_texts as st
from messages import _texts as t
from messages._catalog import translate, translate_plural
from messages._format import date_in_text, money_in_text
from messages._layout import Button, Rendered
from messages._locale import normalize_locale
from messages._prelegal import offer_label, offer_lines
from messages._replies import not_linked, nothing_due, person_requested, stopped

__all__ = ["TERMS_VERSION", "render_terms", "render_view"]

TERMS_VERSION = "terms-2026-12-1"

Rows = tuple[tuple[Button, ...], ...]


def render_view(
    view: View, *, locale: str, update_url: str | None = None, pay_url: str | None = None
) -> Rendered:
    """Words and buttons of a view; buttons carry the conversation's version.

    `update_url` and `pay_url` are single-use links for the menu's link buttons.
    """
    return _Screen(view, locale, update_url=update_url, pay_url=pay_url).render()


def render_terms(
    kind: AgreementKind,
    total: Money,
    items: tuple[Instalment, ...],
    locale: str,
    *,
    offer: Offer | None = None,
) -> tuple[str, str]:
    """The terms of an agreement as the customer reads them, and their version; an `offer`
    adds what it lets off and the commitment it asks for."""
    language = normalize_locale(locale)
    if kind is AgreementKind.PROMISE:
        head = translate(s.TERMS_PROMISE, language).format(
            amount=money_in_text(total, locale, language),
            date=date_in_text(items[0].due_on, locale, language),
        )
        return head, TERMS_VERSION
    head = translate(s.TERMS_PLAN, language).format(amount=money_in_text(total, locale, language))
    lines = [head, *_plan_lines(items, locale, language)]
    if offer is not None:
        lines += offer_lines(offer, locale=locale)
    return "\n".join(lines), TERMS_VERSION


def _plan_lines(items: tuple[Instalment, ...], locale: str, language: str) -> list[str]:
    line = translate(s.PLAN_LINE, language)
    return [
        line.format(
            number=i.number,
            date=date_in_text(i.due_on, locale, language),
            amount=money_in_text(i.amount, locale, language),
        )
        for i in items
    ]


class _Screen:
    def __init__(
        self, view: View, locale: str, *, update_url: str | None, pay_url: str | None
    ) -> None:
        self.view = view
        self.locale = locale
        self.language = normalize_locale(locale)
        self.update_url = update_url
        self.pay_url = pay_url

    def text(self, message: str, **values: str) -> str:
        return translate(message, self.language).format(**values)

    def button(self, label: str, action: str, arg: str = "") -> Button:
        return Button(
            translate(label, self.language), action=button_data(action, self.view.version, arg)
        )

    def money(self, money: Money) -> str:
        return money_in_text(money, self.locale, self.language)

    def render(self) -> Rendered:
        simple = _SIMPLE.get(self.view.screen)
        if simple is not None:
            return simple(locale=self.locale)
        render: Callable[[_Screen], Rendered] = getattr(_Screen, f"_{self.view.screen.value}")
        return render(self)

    # The footer every screen ends with: a person, and the way to stop (COMPLIANCE rule 5).
    def footer(self) -> Rows:
        return (
            (self.button(t.PERSON_BUTTON, "escalate", "person"),),
            (self.button(t.STOP_BUTTON, "stop"),),
        )

    def _menu(self) -> Rendered:
        case = self.view.case
        due = None if case is None else case.amount_due
        owed = due is not None and due.minor > 0
        text = (
            self.text(s.MENU_OWED, amount=self.money(due))
            if due is not None and owed
            else self.text(s.MENU_NOTHING_OWED)
        )
        rows: list[tuple[Button, ...]] = [*self._links()]
        if owed and case is not None and case.stage is CaseStage.PRE_LEGAL:
            rows.append((self.button(p.OFFERS_BUTTON, "offers"),))
        if case is not None and case.type is CaseType.A:
            rows.append((self.button(c.RETRY_BUTTON, "retry"),))
        if owed:
            rows += self._ways_to_settle()
        if self.view.forbearance:
            rows.append((self.button(s.ADVICE_BUTTON, "advice"),))
            rows.append((self.button(s.ADVISER_BUTTON, "adviser"),))
        if case is not None and case.type is CaseType.C:
            rows.append((self.button(s.DISPUTE_BUTTON, "escalate", "dispute"),))
        rows.append((self.button(s.HARDSHIP_BUTTON, "escalate", "hardship"),))
        rows.append((self.button(c.LANGUAGE_BUTTON, "languages"),))
        return Rendered(text, (*rows, *self.footer()))

    def _ways_to_settle(self) -> list[tuple[Button, ...]]:
        """A plan, a date and "paid"; under the `uk` profile every forbearance option
        (COMPLIANCE rule 13): a reduced plan, a deferral and a token payment."""
        if not self.view.forbearance:
            return [
                (self.button(s.PLAN_BUTTON, "plans"),),
                (self.button(s.PROMISE_BUTTON, "promises"),),
                (self.button(s.PAID_BUTTON, "paid"),),
            ]
        return [
            (self.button(s.REDUCED_PLAN_BUTTON, "plans"),),
            (self.button(s.DEFERRAL_BUTTON, "promises"),),
            (self.button(s.TOKEN_BUTTON, "token"),),
            (self.button(s.PAID_BUTTON, "paid"),),
        ]

    def _advice(self) -> Rendered:
        rows = (
            (self.button(s.ADVISER_BUTTON, "adviser"),),
            (self.button(s.BACK_BUTTON, "menu"),),
        )
        return Rendered(self.text(s.ADVICE), (*rows, *self.footer()))

    def _advice_noted(self) -> Rendered:
        return Rendered(self.text(s.ADVICE_NOTED), self.footer())

    def _small_payment(self) -> Rendered:
        token = self.view.token
        assert token is not None
        pay = translate(t.PAY_BUTTON, self.language)
        links = ((Button(pay, url=self.pay_url),),) if self.pay_url else ()
        return Rendered(
            self.text(s.SMALL_PAYMENT, amount=self.money(token)), (*links, *self.stop_only())
        )

    def _links(self) -> list[tuple[Button, ...]]:
        rows: list[tuple[Button, ...]] = []
        if self.update_url:
            rows.append((Button(translate(t.UPDATE_BUTTON, self.language), url=self.update_url),))
        if self.pay_url:
            rows.append((Button(translate(t.PAY_BUTTON, self.language), url=self.pay_url),))
        return rows

    def _languages(self) -> Rendered:
        rows = tuple(
            (
                Button(
                    _endonym(code),
                    action=button_data("language", self.view.version, code),
                ),
            )
            for code in self.view.languages
        )
        return Rendered(self.text(c.LANGUAGES), (*rows, *self.footer()))

    def _retry_requested(self) -> Rendered:
        return Rendered(self.text(c.RETRY_REQUESTED), self.footer())

    def _plans(self) -> Rendered:
        total = self.view.plans[0].total
        rows = tuple((self._plan_option(plan),) for plan in self.view.plans)
        more = (self.button(st.MORE_TIME_BUTTON, "more"),)
        back = (more, (self.button(s.BACK_BUTTON, "menu"),))
        return Rendered(
            self.text(s.PLANS, amount=self.money(total)), (*rows, *back, *self.footer())
        )

    def _plan_option(self, plan: PaymentPlan) -> Button:
        label = translate_plural(s.PLAN_OPTION, plan.count, self.language).format(
            count=plan.count, amount=self.money(plan.instalments[0].amount)
        )
        return Button(label, action=button_data("plan", self.view.version, str(plan.count)))

    def _no_plans(self) -> Rendered:
        return Rendered(self.text(s.NO_PLANS), self.footer())

    def _plan(self) -> Rendered:
        plan = self.view.plan
        assert plan is not None
        lines = [
            self.text(s.PLAN_HEADER, amount=self.money(plan.total)),
            *_plan_lines(plan.instalments, self.locale, self.language),
            "",
            self.text(s.PLAN_CONFIRM),
        ]
        rows = (
            (self.button(s.AGREE_BUTTON, "agree", "plan"),),
            (self.button(s.BACK_BUTTON, "plans"),),
        )
        return Rendered("\n".join(lines), (*rows, *self.footer()))

    def _offers(self) -> Rendered:
        """The stage's offers, a plan beside them (COMPLIANCE rule 14), and the customer's own."""
        case = self.view.case
        assert case is not None
        assert case.amount_due is not None
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    offer_label(offer, locale=self.locale),
                    action=button_data("pick", self.view.version, offer.source),
                ),
            )
            for offer in self.view.offers
        ]
        rows.append((self.button(s.PLAN_BUTTON, "plans"),))
        rows.append((self.button(p.PROPOSE_BUTTON, "propose"),))
        rows.append((self.button(s.BACK_BUTTON, "menu"),))
        if self.view.offers:
            text = self.text(p.OFFERS, amount=self.money(case.amount_due))
        else:
            text = self.text(p.NO_OFFERS)
        return Rendered(text, (*rows, *self.footer()))

    def _offer_terms(self) -> Rendered:
        offer = self.view.offer
        assert offer is not None
        lines = [
            self.text(p.OFFER_TERMS, amount=self.money(offer.total)),
            *_plan_lines(offer.plan().instalments, self.locale, self.language),
            *offer_lines(offer, locale=self.locale),
            "",
            self.text(p.OFFER_CONFIRM),
        ]
        rows = (
            (self.button(s.AGREE_BUTTON, "agree", "offer"),),
            (self.button(s.BACK_BUTTON, "offers"),),
        )
        return Rendered("\n".join(lines), (*rows, *self.footer()))

    def _propose(self) -> Rendered:
        rows = ((self.button(s.BACK_BUTTON, "offers"),),)
        return Rendered(self.text(p.PROPOSE, most=str(self.view.most)), (*rows, *self.footer()))

    def _plan_count(self) -> Rendered:
        options = tuple(
            Button(str(count), action=button_data("count", self.view.version, str(count)))
            for count in self.view.counts
        )
        rows = (options,) if options else ()
        back = ((self.button(s.BACK_BUTTON, "plans"),),)
        text = self.text(st.ASK_COUNT, most=str(self.view.most))
        return Rendered(text, (*rows, *back, *self.footer()))

    def _plan_requested(self) -> Rendered:
        plan = self.view.plan
        assert plan is not None
        text = translate_plural(st.PLAN_REQUESTED, plan.count, self.language).format(
            count=plan.count, amount=self.money(plan.instalments[0].amount)
        )
        return Rendered(text, self.stop_only())

    def _offer_declined(self) -> Rendered:
        rows = ((self.button(s.MENU_BUTTON, "menu"),),)
        return Rendered(self.text(st.OFFER_DECLINED), (*rows, *self.footer()))

    def _plan_agreed(self) -> Rendered:
        return Rendered(self.text(s.PLAN_AGREED), self.footer())

    def _promises(self) -> Rendered:
        case = self.view.case
        assert case is not None and case.amount_due is not None  # noqa: PT018
        labels = {"3d": s.PROMISE_IN_3_DAYS, "7d": s.PROMISE_IN_A_WEEK, "eom": s.PROMISE_MONTH_END}
        rows = tuple(
            (
                Button(
                    self.text(labels[key], date=date_in_text(day, self.locale, self.language)),
                    action=button_data("promise", self.view.version, key),
                ),
            )
            for key, day in self.view.promise_dates
        )
        back = ((self.button(s.BACK_BUTTON, "menu"),),)
        text = self.text(s.PROMISES, amount=self.money(case.amount_due))
        if self.view.last_promise_day is not None:
            last = date_in_text(self.view.last_promise_day, self.locale, self.language)
            text = "\n\n".join([text, self.text(s.PROMISE_TYPE_DATE, date=last)])
        return Rendered(text, (*rows, *back, *self.footer()))

    def _promise(self) -> Rendered:
        item = self.view.promise
        assert item is not None
        text = self.text(s.PROMISE, amount=self.money(item.amount), date=self._day(item))
        text = "\n\n".join([text, self.text(s.PROMISE_PART)])
        rows = (
            (self.button(s.AGREE_BUTTON, "agree", "promise"),),
            (self.button(s.BACK_BUTTON, "promises"),),
        )
        return Rendered(text, (*rows, *self.footer()))

    def _day(self, item: Instalment) -> str:
        return date_in_text(item.due_on, self.locale, self.language)

    def _promise_made(self) -> Rendered:
        agreement = self.view.agreement
        assert agreement is not None
        item = agreement.items[0]
        text = self.text(s.PROMISE_MADE, amount=self.money(item.amount), date=self._day(item))
        return Rendered(text, self.footer())

    def _already_agreed(self) -> Rendered:
        agreement = self.view.agreement
        assert agreement is not None
        return Rendered(
            "\n\n".join([self.text(s.ALREADY_AGREED), _terms_of(agreement, self.locale)]),
            self.footer(),
        )

    def _ask_paid_date(self) -> Rendered:
        rows = (
            (
                self.button(s.TODAY_BUTTON, "paid_on", "today"),
                self.button(s.YESTERDAY_BUTTON, "paid_on", "yesterday"),
            ),
            (self.button(s.BACK_BUTTON, "menu"),),
        )
        return Rendered(self.text(s.ASK_PAID_DATE), (*rows, *self.footer()))

    def _ask_paid_reference(self) -> Rendered:
        return Rendered(self.text(s.ASK_PAID_REFERENCE), self.footer())

    def _paid_noted(self) -> Rendered:
        return Rendered(self.text(s.PAID_NOTED), self.footer())

    def _escalated(self) -> Rendered:
        reason = self.view.escalation
        if reason == "dispute":
            return Rendered(self.text(s.ESCALATED_DISPUTE), self.stop_only())
        if reason == "hardship":
            return Rendered(self.text(s.ESCALATED_HARDSHIP), self.stop_only())
        plain = person_requested(locale=self.locale)
        return Rendered(plain.text, self.stop_only())

    def stop_only(self) -> Rows:
        return ((self.button(t.STOP_BUTTON, "stop"),),)

    def _stale(self) -> Rendered:
        return self._before_current(s.STALE)

    def _misunderstood(self) -> Rendered:
        return self._before_current(s.MISUNDERSTOOD)

    def _before_current(self, message: str) -> Rendered:
        current = self.view.current
        assert current is not None
        shown = render_view(
            current, locale=self.locale, update_url=self.update_url, pay_url=self.pay_url
        )
        return Rendered("\n\n".join([self.text(message), shown.text]), shown.buttons)

    def _offer_person(self) -> Rendered:
        rows = ((self.button(s.MENU_BUTTON, "menu"),),)
        return Rendered(self.text(s.OFFER_PERSON), (*self.footer()[:1], *rows, *self.footer()[1:]))


def _endonym(code: str) -> str:
    """A language's name in itself ("עברית", "Русский"): the way to find your own."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def _terms_of(agreement: Agreement, locale: str) -> str:
    return render_terms(agreement.kind, agreement.total, agreement.items, locale)[0]


_SIMPLE: dict[Screen, Callable[..., Rendered]] = {
    Screen.NOT_LINKED: not_linked,
    Screen.NOTHING_DUE: nothing_due,
    Screen.STOPPED: stopped,
}
