"""The first message of a case, for every reason."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from bot import Money, Reason
from messages import Action, Button, Rendered, first_contact

UPDATE_URL = "https://pay.example.test/update/abc"
PAY_URL = "https://pay.example.test/pay/abc"
AMOUNT = Money(123450, "USD")
DUE_ON = date(2024, 3, 1)
CONFIDENTIAL = [reason for reason in Reason if reason.is_confidential]


def _contact(
    reason: Reason,
    *,
    amount_due: Money | None = AMOUNT,
    due_on: date | None = DUE_ON,
    update_url: str | None = UPDATE_URL,
    pay_url: str | None = PAY_URL,
    locale: str = "en_US",
    invoice_count: int = 1,
) -> Rendered:
    return first_contact(
        reason,
        amount_due=amount_due,
        due_on=due_on,
        update_url=update_url,
        pay_url=pay_url,
        locale=locale,
        invoice_count=invoice_count,
    )


def _render(reason: Reason, **overrides: Any) -> str:
    return _contact(reason, **overrides).text


_OFFERING = {Reason.SUBSTANTIAL_OVERDUE, Reason.INSUFFICIENT_FUNDS}


@pytest.mark.parametrize("reason", [r for r in Reason if r not in _OFFERING])
def test_first_contact_offers_the_four_buttons_when_both_links_are_given(reason: Reason) -> None:
    rendered = _contact(reason)

    assert rendered.all_buttons == (
        Button("Update payment method", url=UPDATE_URL),
        Button("Pay now", url=PAY_URL),
        Button("Talk to a person", action=Action.PERSON),
        Button("Stop messages", action=Action.STOP),
    )


def test_overdue_invoice_also_offers_a_plan_a_date_and_already_paid() -> None:
    rendered = _contact(Reason.SUBSTANTIAL_OVERDUE)

    assert [(b.text, b.action) for b in rendered.all_buttons[2:]] == [
        ("Choose a payment plan", "plans::0"),
        ("Promise a date", "promises::0"),
        ("I already paid", "paid::0"),
        ("Talk to a person", "escalate:person:0"),
        ("Stop messages", "stop::0"),
    ]


def test_insufficient_funds_offers_a_date_button() -> None:
    rendered = _contact(Reason.INSUFFICIENT_FUNDS)

    assert [b.text for b in rendered.all_buttons[2:]] == [
        "Promise a date",
        "Talk to a person",
        "Stop messages",
    ]


@pytest.mark.parametrize("reason", [r for r in Reason if r not in _OFFERING])
def test_first_contact_without_links_still_offers_a_person_and_the_opt_out(reason: Reason) -> None:
    rendered = _contact(reason, update_url=None, pay_url=None)

    assert [b.action for b in rendered.all_buttons] == [Action.PERSON, Action.STOP]


def test_first_contact_offers_only_the_links_given() -> None:
    rendered = _contact(Reason.EXPIRED_CARD, update_url=None)

    assert [b.text for b in rendered.all_buttons] == [
        "Pay now",
        "Talk to a person",
        "Stop messages",
    ]


def test_first_contact_puts_one_button_a_row() -> None:
    rendered = _contact(Reason.EXPIRED_CARD)

    assert [len(row) for row in rendered.buttons] == [1, 1, 1, 1]


@pytest.mark.parametrize("reason", CONFIDENTIAL)
def test_confidential_reason_never_says_why(reason: Reason) -> None:
    text = _render(reason)

    assert re.findall(r"lost|stolen|fraud|pick ?up|police", text, re.IGNORECASE) == []


@pytest.mark.parametrize("reason", CONFIDENTIAL)
def test_confidential_reason_reads_as_a_declined_card(reason: Reason) -> None:
    assert _render(reason) == _render(Reason.CARD_DECLINED)


@pytest.mark.parametrize("reason", list(Reason))
def test_first_contact_shows_amount_and_due_date_for_the_locale(reason: Reason) -> None:
    text = _render(reason)

    assert ("$1,234.50" in text, "Mar 1, 2024" in text) == (True, True)


def test_first_contact_formats_the_amount_in_the_customers_locale() -> None:
    text = _render(Reason.CARD_DECLINED, amount_due=Money(123450, "EUR"), locale="en_IE")

    assert "Amount due: €1,234.50" in text.splitlines()


def test_first_contact_leaves_out_unknown_facts() -> None:
    text = _render(Reason.EXPIRED_CARD, amount_due=None, due_on=None)

    assert ("Amount due" in text, "Due date" in text) == (False, False)


def test_expiring_card_says_soon_and_shows_the_next_payment() -> None:
    text = _render(Reason.EXPIRING)

    assert text.splitlines()[:4] == [
        "Hello! The card on your account expires soon. Updating it now keeps your payments "
        "running smoothly.",
        "",
        "Next payment: $1,234.50",
        "Next payment date: Mar 1, 2024",
    ]


def test_expired_card_renders_in_full() -> None:
    assert _render(Reason.EXPIRED_CARD) == (
        "Hello! The card on your account has expired, so your latest payment didn't go through."
        "\n\nAmount due: $1,234.50\nDue date: Mar 1, 2024"
        "\n\nYou can update your payment method or pay now with the buttons below. "
        "It only takes a minute."
    )


def test_insufficient_funds_offers_a_later_date() -> None:
    assert "a later date that suits you" in _render(Reason.INSUFFICIENT_FUNDS)


def test_insufficient_funds_never_names_the_balance() -> None:
    text = _render(Reason.INSUFFICIENT_FUNDS)

    assert re.findall(r"insufficient|funds|balance|afford", text, re.IGNORECASE) == []


@pytest.mark.parametrize(
    "reason",
    [
        Reason.BANK_ACCOUNT_CLOSED,
        Reason.BANK_ACCOUNT_CHANGED,
        Reason.MANDATE_CANCELLED,
        Reason.MANDATE_FAILED,
        Reason.MANDATE_EXPIRED,
    ],
)
def test_bank_change_reads_as_a_service_not_a_debt(reason: Reason) -> None:
    headline = _render(reason).split("\n\n")[0]

    assert re.findall(r"\b(debt|owe|owed|overdue|late|missed|arrears)\b", headline, re.I) == []


def test_substantial_overdue_offers_a_plan() -> None:
    assert "work out a plan together" in _render(Reason.SUBSTANTIAL_OVERDUE)


@pytest.mark.parametrize(
    ("count", "opening"),
    [
        (1, "Hello! A friendly note: an invoice on your account is past its due date."),
        (3, "Hello! A friendly note: 3 invoices on your account are past their due date."),
    ],
)
def test_substantial_overdue_counts_the_invoices(count: int, opening: str) -> None:
    text = _render(Reason.SUBSTANTIAL_OVERDUE, invoice_count=count)

    assert text.startswith(opening)


@pytest.mark.parametrize(
    ("update_url", "pay_url", "step"),
    [
        (UPDATE_URL, None, "You can update your payment method with the button below."),
        (None, PAY_URL, "You can pay securely with the button below."),
        (None, None, "Reply here or tap Talk to a person, and we'll help you sort it out."),
    ],
)
def test_next_step_matches_the_links_given(
    update_url: str | None, pay_url: str | None, step: str
) -> None:
    text = _render(Reason.CARD_DECLINED, update_url=update_url, pay_url=pay_url)

    assert step in text


def test_a_headline_that_invites_a_reply_gets_no_second_invitation() -> None:
    text = _render(Reason.INSUFFICIENT_FUNDS, update_url=None, pay_url=None)

    assert text.count("Talk to a person") == 1


def test_first_contact_speaks_english_until_a_catalogue_exists() -> None:
    assert _render(Reason.CARD_DECLINED, locale="fa-IR").startswith("Hello!")


def test_english_text_for_a_right_to_left_locale_gets_no_isolates() -> None:
    text = _render(Reason.CARD_DECLINED, locale="fa-IR")

    assert "Amount due: $1,234.50\nDue date: Mar 1, 2024" in text


@pytest.mark.parametrize("reason", list(Reason))
def test_english_text_holds_no_direction_isolates(reason: Reason) -> None:
    assert re.findall("[\u2066-\u2069]", _render(reason)) == []


@pytest.mark.parametrize(("locale", "opening"), [("he-IL", "שלום!"), ("ru-RU", "Здравствуйте!")])
def test_first_contact_speaks_the_customers_language_once_its_catalogue_exists(
    locale: str, opening: str
) -> None:
    assert _render(Reason.CARD_DECLINED, locale=locale).startswith(opening)


def test_locale_without_a_catalogue_formats_in_the_text_language() -> None:
    from datetime import date

    from bot import Money, Reason
    from messages import first_contact

    rendered = first_contact(
        Reason.EXPIRED_CARD,
        amount_due=Money(41290, "EUR"),
        due_on=date(2024, 2, 15),
        update_url=None,
        pay_url=None,
        locale="de_DE",
    )

    assert "Amount due: €412.90\nDue date: Feb 15, 2024" in rendered.text
