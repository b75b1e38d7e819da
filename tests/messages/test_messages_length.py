"""Every message fits Telegram: text, button labels and button data, in every language.

Telegram refuses a message whose text is empty or over 4096 characters, counted in UTF-16
code units (Bot API, sendMessage), and button data over 64 bytes (InlineKeyboardButton);
a button label is kept within 64 characters so that it reads on a phone. Each view of the
conversation, each first contact and each care message is rendered here with the longest
realistic values: amounts of millions of dinars, six payments and the policy's ceiling of
instalments, late dates, large conversation versions, and the stale and misunderstood
wrappers around every view.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot import (
    Agreement,
    AgreementKind,
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Instalment,
    Money,
    Offer,
    PaymentPlan,
    Reason,
    Screen,
    Settings,
    View,
    build_plan,
    upfront_share,
)
from bot._linking import new_token
from bot._plan_policy import MAX_INSTALMENTS
from bot._retention import Catalogue
from messages import (
    Button,
    Rendered,
    agreement_broken,
    agreement_reminder,
    apology,
    catalogue_languages,
    first_contact,
    hello_unlinked,
    method_updated,
    not_linked,
    nothing_due,
    person_requested,
    render_terms,
    render_view,
    staff_declined,
    staff_offer,
    stopped,
    token_invalid,
    welcome_linked,
)

MAX_TEXT = 4096  # UTF-16 code units
MAX_LABEL = 64  # characters, counted as UTF-16 code units like the text
MAX_DATA = 64  # bytes of UTF-8

# The customers' locales of each catalogue language, with their own digits and dates.
LOCALES = ["en_US", "en_GB", "he_IL", "ru_RU", "ar_EG", "ar_SA", "ar_KW"]
AMOUNTS = {
    # Millions of a three-decimal currency, and of the common two-decimal ones.
    "KWD": Money(9_999_999_999, "KWD"),
    "USD": Money(999_999_999, "USD"),
    "ILS": Money(999_999_999, "ILS"),
    "RUB": Money(999_999_999, "RUB"),
    "EGP": Money(999_999_999, "EGP"),
    # The largest amount a billing event can carry: 15 digits, here with 3 decimals.
    "KWD-max": Money(10**18 - 1, "KWD"),
}
TODAY = date(2024, 9, 30)
FIRST_DUE = TODAY + timedelta(days=7)
# A conversation long past its first steps, and an outreach message's version 0.
VERSIONS = (999_999_999, 0)
OPENED = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
TOKEN = new_token()
UPDATE_URL = Settings.model_fields["update_payment_url"].default.replace("{token}", TOKEN)
PAY_URL = Settings.model_fields["pay_now_url"].default.replace("{token}", TOKEN)
REPLIES = [
    apology,
    hello_unlinked,
    not_linked,
    nothing_due,
    person_requested,
    stopped,
    token_invalid,
    welcome_linked,
]
WRAPPERS = (Screen.STALE, Screen.MISUNDERSTOOD, Screen.OFFER_PERSON)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _problems(name: str, rendered: Rendered) -> list[str]:
    """What Telegram would refuse, or a phone would cut, in one rendered message."""
    found = []
    if not rendered.text or _utf16(rendered.text) > MAX_TEXT:
        found.append(f"{name}: text of {_utf16(rendered.text)} UTF-16 units")
    for button in rendered.all_buttons:
        if not button.text or _utf16(button.text) > MAX_LABEL:
            found.append(f"{name}: label {button.text!r} of {_utf16(button.text)} units")
        if button.action is not None and len(button.action.encode()) > MAX_DATA:
            found.append(f"{name}: data {button.action!r} of {len(button.action.encode())} bytes")
    return found


def _case(kind: CaseType, reason: Reason, due: Money | None) -> Case:
    return Case(
        id=999_999,
        customer_id="C-" + "9" * 40,
        type=kind,
        stage=CaseStage.PRE_COLLECTION,
        status=CaseStatus.CONTACTING,
        reason=reason,
        opened_at=OPENED,
        closed_at=None,
        amount_due=due,
        invoice_ids=tuple(f"INV-{n}" for n in range(12)),
    )


def _offered(total: Money, most: int) -> tuple[PaymentPlan, ...]:
    """The plans offered, one for each count from 2 to `most` payments."""
    return tuple(build_plan(total, count, FIRST_DUE) for count in range(2, most + 1))


def _plans(total: Money) -> list[PaymentPlan]:
    """Plans of 2 to 6 payments, six after an upfront share, and the policy's ceiling."""
    plans = list(_offered(total, 6))
    plans.append(build_plan(total, 5, FIRST_DUE, upfront=upfront_share(total, Decimal(20))))
    plans.append(build_plan(total, MAX_INSTALMENTS, FIRST_DUE))
    return plans


def _agreement(kind: AgreementKind, total: Money, items: tuple[Instalment, ...]) -> Agreement:
    terms, version = render_terms(kind, total, items, "en_US")
    return Agreement(
        case_id=999_999,
        customer_id="C-1",
        kind=kind,
        total=total,
        items=items,
        terms_text=terms,
        terms_version=version,
        locale="en_US",
        channel="telegram",
        accepted_at=OPENED,
    )


def _base_views(amount: Money, version: int) -> Iterator[tuple[str, View]]:
    """Every view the conversation shows, with the cases it shows them for."""
    owed_a = _case(CaseType.A, Reason.EXPIRED_CARD, amount)
    expiring = _case(CaseType.A, Reason.EXPIRING, None)
    owed_c = _case(CaseType.C, Reason.SUBSTANTIAL_OVERDUE, amount)
    settled_c = _case(CaseType.C, Reason.SUBSTANTIAL_OVERDUE, Money.zero(amount.currency))
    plans = _plans(amount)
    part = Money(amount.minor // 3, amount.currency)
    promise = Instalment(1, TODAY + timedelta(days=30), amount)
    promised = _agreement(AgreementKind.PROMISE, amount, (promise,))
    yield "not_linked", View(Screen.NOT_LINKED, version)
    yield "nothing_due", View(Screen.NOTHING_DUE, version, case=settled_c)
    for name, case in [("a", owed_a), ("expiring", expiring), ("c", owed_c), ("none", None)]:
        yield f"menu[{name}]", View(Screen.MENU, version, case=case)
        # The `uk` profile's menu, with every forbearance option (COMPLIANCE rule 13).
        yield f"menu[{name} uk]", View(Screen.MENU, version, case=case, forbearance=True)
    for case, most in itertools.product((owed_a, owed_c), (6, MAX_INSTALMENTS)):
        offered = _offered(amount, most)
        yield f"plans[{case.type} {most}]", View(Screen.PLANS, version, case=case, plans=offered)
    yield "no_plans", View(Screen.NO_PLANS, version, case=owed_c)
    for plan in plans:
        yield f"plan[{plan.count}]", View(Screen.PLAN, version, case=owed_c, plan=plan)
        agreed = _agreement(AgreementKind.PLAN, amount, plan.instalments)
        yield (
            f"plan_agreed[{plan.count}]",
            View(Screen.PLAN_AGREED, version, case=owed_c, agreement=agreed),
        )
        yield (
            f"already_agreed[plan {plan.count}]",
            View(Screen.ALREADY_AGREED, version, case=owed_c, agreement=agreed),
        )
    dates = (
        ("3d", TODAY + timedelta(days=3)),
        ("7d", TODAY + timedelta(days=7)),
        ("eom", date(2024, 10, 31)),
    )
    last = TODAY + timedelta(days=30)
    for case in (owed_a, owed_c):
        yield (
            f"promises[{case.type}]",
            View(Screen.PROMISES, version, case=case, promise_dates=dates, last_promise_day=last),
        )
    yield "promises[no window]", View(Screen.PROMISES, version, case=owed_c, promise_dates=dates)
    for item in (promise, Instalment(1, promise.due_on, part)):
        yield "promise", View(Screen.PROMISE, version, case=owed_c, promise=item)
    yield "promise_made", View(Screen.PROMISE_MADE, version, case=owed_c, agreement=promised)
    yield (
        "already_agreed[promise]",
        View(Screen.ALREADY_AGREED, version, case=owed_c, agreement=promised),
    )
    yield "ask_paid_date", View(Screen.ASK_PAID_DATE, version, case=owed_c)
    yield "ask_paid_reference", View(Screen.ASK_PAID_REFERENCE, version, case=owed_c)
    yield "paid_noted", View(Screen.PAID_NOTED, version, case=owed_c)
    for reason in ("dispute", "hardship", "person"):
        yield (
            f"escalated[{reason}]",
            View(Screen.ESCALATED, version, case=owed_c, escalation=reason),
        )
    yield "stopped", View(Screen.STOPPED, version, case=owed_c)
    languages = tuple(sorted(catalogue_languages()))
    yield "languages", View(Screen.LANGUAGES, version, case=owed_a, languages=languages)
    yield "retry_requested", View(Screen.RETRY_REQUESTED, version, case=owed_a)
    yield "advice", View(Screen.ADVICE, version, case=owed_c)
    yield "advice_noted", View(Screen.ADVICE_NOTED, version, case=owed_c)
    yield "small_payment", View(Screen.SMALL_PAYMENT, version, case=owed_c, token=amount)
    for counts in ((), (9, 12, 18, 24, 36)):
        yield (
            f"plan_count[{len(counts)}]",
            View(Screen.PLAN_COUNT, version, case=owed_c, counts=counts, most=MAX_INSTALMENTS),
        )
    for plan in plans:
        yield (
            f"plan_requested[{plan.count}]",
            View(Screen.PLAN_REQUESTED, version, case=owed_c, plan=plan),
        )
    yield "offer_declined", View(Screen.OFFER_DECLINED, version, case=owed_c)
    yield from _pre_legal_views(amount, version)


def _pre_legal_views(amount: Money, version: int) -> Iterator[tuple[str, View]]:
    """The pre-legal stage's screens, with every offer of the built-in catalogue."""
    case = replace(
        _case(CaseType.C, Reason.SUBSTANTIAL_OVERDUE, amount), stage=CaseStage.PRE_LEGAL
    )
    offers = tuple(entry.terms(amount, today=TODAY) for entry in Catalogue.default().offer)
    yield "menu[pre-legal]", View(Screen.MENU, version, case=case)
    for shown in (offers, ()):
        yield f"offers[{len(shown)}]", View(Screen.OFFERS, version, case=case, offers=shown)
    for offer in offers:
        yield (
            f"offer_terms[{offer.source}]",
            View(Screen.OFFER_TERMS, version, case=case, offer=offer, plan=offer.plan()),
        )
    yield "propose", View(Screen.PROPOSE, version, case=case, most=MAX_INSTALMENTS)


def _views(amount: Money, version: int) -> Iterator[tuple[str, View]]:
    """The views, then each inside the stale, misunderstood and offer-a-person wrappers."""
    base = list(_base_views(amount, version))
    yield from base
    for (name, current), screen in itertools.product(base, WRAPPERS):
        yield f"{screen}({name})", View(screen, version, case=current.case, current=current)


def _rendered_views(locale: str, amount: Money) -> Iterator[tuple[str, Rendered]]:
    for version, links in itertools.product(VERSIONS, [(None, None), (UPDATE_URL, PAY_URL)]):
        update_url, pay_url = links
        for name, view in _views(amount, version):
            rendered = render_view(view, locale=locale, update_url=update_url, pay_url=pay_url)
            yield f"{name} v{version} links={bool(update_url)}", rendered


def _first_contacts(locale: str, amount: Money) -> Iterator[tuple[str, Rendered]]:
    links = [None, UPDATE_URL]
    pays = [None, PAY_URL]
    for reason, update_url, pay_url, due, day, count in itertools.product(
        Reason, links, pays, [None, amount], [None, TODAY], [1, 2, 11, 100, 999]
    ):
        rendered = first_contact(
            reason,
            amount_due=due,
            due_on=day,
            update_url=update_url,
            pay_url=pay_url,
            locale=locale,
            invoice_count=count,
        )
        yield f"first_contact[{reason}, {count} invoices]", rendered


def _care(locale: str, amount: Money) -> Iterator[tuple[str, Rendered]]:
    for owed in (True, False):
        yield f"method_updated[owed={owed}]", method_updated(owed=owed, locale=locale)
    for kind, number in itertools.product(AgreementKind, [1, 6, MAX_INSTALMENTS]):
        for render in (agreement_reminder, agreement_broken):
            rendered = render(kind, number=number, amount=amount, due_on=TODAY, locale=locale)
            yield f"{render.__name__}[{kind} {number}]", rendered
    for reply in REPLIES:
        yield reply.__name__, reply(locale=locale)
    for count, share in itertools.product([1, 6, MAX_INSTALMENTS], [1, 2]):
        total = Money(amount.minor // share, amount.currency)
        offer = Offer(owed=amount, total=total, count=count, first_due=TODAY)
        yield f"staff_offer[{count}, 1/{share}]", staff_offer(offer, 999_999_999, locale=locale)
        yield f"staff_declined[{count}]", staff_declined(count, locale=locale)


def test_the_views_cover_every_screen() -> None:
    shown = {view.screen for _, view in _views(AMOUNTS["KWD"], 1)}

    assert shown == set(Screen)


def test_the_plans_include_six_payments_and_the_policys_ceiling() -> None:
    counts = [plan.count for plan in _plans(AMOUNTS["KWD"])]

    assert {6, MAX_INSTALMENTS} <= set(counts)


def test_the_longest_amount_is_written_out_whole() -> None:
    text = render_view(
        View(Screen.MENU, 1, case=_case(CaseType.C, Reason.OTHER, AMOUNTS["KWD"])),
        locale="en_US",
    ).text

    assert "9,999,999.999" in text


@pytest.mark.parametrize("currency", sorted(AMOUNTS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_conversation_view_fits_telegram(locale: str, currency: str) -> None:
    found = [
        problem
        for name, rendered in _rendered_views(locale, AMOUNTS[currency])
        for problem in _problems(name, rendered)
    ]

    assert found == []


@pytest.mark.parametrize("currency", sorted(AMOUNTS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_first_contact_fits_telegram(locale: str, currency: str) -> None:
    found = [
        problem
        for name, rendered in _first_contacts(locale, AMOUNTS[currency])
        for problem in _problems(name, rendered)
    ]

    assert found == []


@pytest.mark.parametrize("currency", sorted(AMOUNTS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_care_message_and_reply_fits_telegram(locale: str, currency: str) -> None:
    found = [
        problem
        for name, rendered in _care(locale, AMOUNTS[currency])
        for problem in _problems(name, rendered)
    ]

    assert found == []


def test_the_check_catches_what_telegram_refuses() -> None:
    too_long = Rendered("𝄞" * 2049, ((Button("x" * 65, action="a" * 64),),))

    assert _problems("probe", too_long) == [
        "probe: text of 4098 UTF-16 units",
        f"probe: label {'x' * 65!r} of 65 units",
    ]
