"""Emails and opt-out pages: the chat's words, escaped, right to left where due, stoppable."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import date
from html import unescape

import pytest

from bot import AgreementKind, Money, Reason
from messages import (
    Action,
    Button,
    EmailText,
    Rendered,
    agreement_broken,
    catalogue_languages,
    email_from_rendered,
    email_subject,
    first_contact,
    first_contact_email,
    forbidden_phrases,
    optout_ask_page,
    optout_done_page,
    optout_gone_page,
    rendered_from_params,
    rendered_to_params,
)
from messages import _texts as t
from messages._catalog import translate

LANGUAGES = sorted(catalogue_languages())
CHAT = "https://t.me/settle_test_bot?start=tok"
OPTOUT = "https://settle.example/optout/abc?lang=en"
UPDATE = "https://billing.example.com/payment-method?token=u"
PAY = "https://billing.example.com/pay?token=p"
LINKS = [None, "https://billing.example.com/x?token=1"]
HOSTILE = 'https://evil.example/"><script>alert(1)</script>'


def _email(reason: Reason, language: str, **links: str | None) -> EmailText:
    return first_contact_email(
        reason,
        amount_due=Money(41290, "ILS"),
        due_on=date(2024, 2, 15),
        chat_url=CHAT,
        optout_url=OPTOUT,
        update_url=links.get("update_url"),
        pay_url=links.get("pay_url"),
        locale=language,
        invoice_count=2,
    )


def _every_email(language: str) -> Iterator[tuple[str, EmailText]]:
    for reason, update_url, pay_url in itertools.product(Reason, LINKS, LINKS):
        yield reason.value, _email(reason, language, update_url=update_url, pay_url=pay_url)
    broken = agreement_broken(
        AgreementKind.PLAN,
        number=2,
        amount=Money(10000, "USD"),
        due_on=date(2024, 4, 1),
        locale=language,
    )
    subject = email_subject(None, locale=language)
    fallback = email_from_rendered(broken, subject=subject, optout_url=OPTOUT, locale=language)
    yield "fallback", fallback


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_carries_the_opt_out_in_both_parts(language: str) -> None:
    label = translate(t.STOP_BUTTON, language)

    missing = [
        name
        for name, email in _every_email(language)
        if f"{label}: {OPTOUT}" not in email.text
        or f'href="{OPTOUT}"' not in email.html
        or f">{label}</a>" not in email.html
    ]

    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_email_uses_pressure_or_legal_wording(language: str) -> None:
    found = {
        name: phrases
        for name, email in _every_email(language)
        if (phrases := forbidden_phrases(f"{email.subject}\n{email.text}"))
    }

    assert found == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_opt_out_pages_pass_the_wording_lint(language: str) -> None:
    pages = [
        optout_ask_page(locale=language, action_url=OPTOUT),
        optout_done_page(locale=language),
        optout_gone_page(locale=language),
    ]

    assert [forbidden_phrases(unescape(page)) for page in pages] == [[], [], []]


@pytest.mark.parametrize("language", LANGUAGES)
def test_email_states_the_facts_as_the_chat_does(language: str) -> None:
    chat = first_contact(
        Reason.EXPIRED_CARD,
        amount_due=Money(41290, "ILS"),
        due_on=date(2024, 2, 15),
        update_url=None,
        pay_url=None,
        locale=language,
    )

    email = _email(Reason.EXPIRED_CARD, language)

    assert email.text.split("\n\n")[:2] == chat.text.split("\n\n")[:2]


def test_english_first_contact_email_reads_in_full() -> None:
    email = _email(Reason.EXPIRED_CARD, "en_US", update_url=UPDATE, pay_url=PAY)

    assert email.subject == "About your latest payment"
    assert email.text == (
        "Hello! The card on your account has expired, so your latest payment didn't go "
        "through.\n\n"
        "Amount due: ₪412.90\n"
        "Due date: Feb 15, 2024\n\n"
        "You can update your payment method or pay now with the links below. It only takes "
        "a minute.\n\n"
        f"Update payment method: {UPDATE}\n\n"
        f"Pay now: {PAY}\n\n"
        "Questions, or would you rather sort it out in a chat? Continue in Telegram, where "
        "you can also reach a person from our team. The link is personal: please don't "
        "share it.\n\n"
        f"Continue in Telegram: {CHAT}\n\n"
        "-- \n"
        "You're receiving this email about your account with us. You can stop our automated "
        "messages at any time with the link below.\n"
        f"Stop messages: {OPTOUT}\n"
    )


@pytest.mark.parametrize("reason", [Reason.INSUFFICIENT_FUNDS, Reason.PAYMENT_STOPPED])
@pytest.mark.parametrize("language", LANGUAGES)
def test_email_never_asks_to_reply_here_or_tap(reason: Reason, language: str) -> None:
    chat_wording = translate(t.PERSON_BUTTON, language)

    email = _email(reason, language)

    assert chat_wording not in email.text


def test_overdue_invoices_offer_a_plan_in_the_chat() -> None:
    email = _email(Reason.SUBSTANTIAL_OVERDUE, "en")

    assert email.subject == "A friendly note about your invoice"
    assert "write to us in Telegram and we'll work out a plan together." in email.text


@pytest.mark.parametrize(
    ("reason", "subject"),
    [
        (Reason.EXPIRING, "Your card expires soon"),
        (Reason.MANDATE_CANCELLED, "About your payment method"),
        (Reason.STOLEN_CARD, "About your latest payment"),
        (None, "About your account"),
    ],
)
def test_subject_follows_the_reason(reason: Reason | None, subject: str) -> None:
    assert email_subject(reason, locale="en") == subject


@pytest.mark.parametrize("language", ["he", "ar"])
def test_hebrew_and_arabic_emails_read_right_to_left(language: str) -> None:
    html = _email(Reason.CARD_DECLINED, language).html

    assert f'<html lang="{language}" dir="rtl">' in html
    assert '<div dir="rtl"' in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_english_and_russian_emails_read_left_to_right(language: str) -> None:
    assert f'<html lang="{language}" dir="ltr">' in _email(Reason.CARD_DECLINED, language).html


def test_html_escapes_hostile_text_and_links() -> None:
    rendered = Rendered(
        'Hi <b>"there"</b> & <script>alert(1)</script>',
        ((Button("<i>Pay</i>", url=HOSTILE),),),
    )

    email = email_from_rendered(rendered, subject="<Subject>", optout_url=OPTOUT, locale="en")

    assert "<script>" not in email.html
    assert "<b>" not in email.html
    assert "<i>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert 'href="https://evil.example/&quot;&gt;&lt;script&gt;' in email.html
    assert "<title>&lt;Subject&gt;</title>" in email.html


def test_a_link_that_is_not_http_is_refused() -> None:
    rendered = Rendered("Hi", ((Button("Pay", url="javascript:alert(1)"),),))

    with pytest.raises(ValueError, match="not http or https"):
        email_from_rendered(rendered, subject="s", optout_url=OPTOUT, locale="en")


def test_fallback_keeps_links_and_drops_chat_buttons() -> None:
    rendered = Rendered(
        "First.\n\nSecond.",
        (
            (Button("Pay now", url=PAY),),
            (Button("Talk to a person", action=Action.PERSON),),
            (Button("Stop messages", action=Action.STOP),),
        ),
    )

    email = email_from_rendered(rendered, subject="s", optout_url=OPTOUT, locale="en")

    assert email.text.startswith(f"First.\n\nSecond.\n\nPay now: {PAY}\n\n-- \n")
    assert "Talk to a person" not in email.text
    assert email.text.count("Stop messages") == 1


def test_fallback_can_invite_to_the_chat() -> None:
    email = email_from_rendered(
        Rendered("Hi"), subject="s", optout_url=OPTOUT, locale="en", chat_url=CHAT
    )

    assert f"Continue in Telegram: {CHAT}" in email.text


def test_rendered_message_survives_the_outbox_params() -> None:
    rendered = first_contact(
        Reason.SUBSTANTIAL_OVERDUE,
        amount_due=Money(41290, "ILS"),
        due_on=date(2024, 2, 15),
        update_url=UPDATE,
        pay_url=PAY,
        locale="he",
    )

    params = json.loads(json.dumps(rendered_to_params(rendered)))

    assert rendered_from_params(params) == rendered


def test_opt_out_question_posts_to_the_link() -> None:
    page = optout_ask_page(locale="ru", action_url=OPTOUT)

    assert f'<form method="post" action="{OPTOUT}"' in page
    assert '<button type="submit"' in page
    assert "Отписаться от сообщений</button>" in page
