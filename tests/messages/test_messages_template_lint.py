"""Every template, for every reason and language, passes the wording lint (rules 5, 14, 15)."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator
from datetime import date

import pytest

from bot import Catalogue, Money, Reason
from messages import (
    FORBIDDEN_PHRASES,
    Action,
    Rendered,
    agreement_copy_caption,
    apology,
    catalogue_languages,
    first_contact,
    forbidden_phrases,
    hello_unlinked,
    is_stop_word,
    letter_caption,
    not_linked,
    nothing_due,
    person_requested,
    pre_legal_notice,
    retention_offer,
    stopped,
    token_invalid,
    welcome_linked,
)

LINKS = [None, "https://pay.example.test/x"]
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
# The opt-out button in each catalogue language (COMPLIANCE rule 5).
STOP_LABELS = {
    "ar": "إيقاف الرسائل",
    "en": "Stop messages",
    "he": "הפסקת הודעות",
    "ru": "Отписаться от сообщений",
}


def _outbound(locale: str) -> Iterator[tuple[str, Rendered]]:
    """Every message sent without the customer writing first, with each mix of links."""
    for reason, update_url, pay_url in itertools.product(Reason, LINKS, LINKS):
        yield (
            reason.value,
            first_contact(
                reason,
                amount_due=Money(41290, "ILS"),
                due_on=None,
                update_url=update_url,
                pay_url=pay_url,
                locale=locale,
                invoice_count=2,
            ),
        )
    yield "welcome_linked", welcome_linked(locale=locale)
    amount = Money(41290, "ILS")
    for owed in (amount, None):
        yield f"pre_legal_notice[{owed}]", pre_legal_notice(owed, locale=locale)
    for entry in Catalogue.default().offer:
        offer = entry.terms(amount, today=date(2024, 3, 4))
        yield f"retention_offer[{entry.key}]", retention_offer(offer, locale=locale)
    yield "letter_caption", letter_caption(amount, locale=locale)
    yield "agreement_copy_caption", agreement_copy_caption(locale=locale)


def _every_template(locale: str) -> Iterator[tuple[str, Rendered]]:
    yield from _outbound(locale)
    for reply in REPLIES:
        yield reply.__name__, reply(locale=locale)


def _words(rendered: Rendered) -> str:
    return "\n".join([rendered.text, *(button.text for button in rendered.all_buttons)])


@pytest.mark.parametrize("language", sorted(catalogue_languages()))
def test_no_template_uses_pressure_or_legal_wording(language: str) -> None:
    found = {name: forbidden_phrases(_words(r)) for name, r in _every_template(language)}

    assert {name: phrases for name, phrases in found.items() if phrases} == {}


@pytest.mark.parametrize("language", sorted(catalogue_languages()))
def test_every_outbound_template_offers_stop_messages(language: str) -> None:
    missing = [
        name
        for name, rendered in _outbound(language)
        if Action.STOP not in [button.action for button in rendered.all_buttons]
    ]

    assert missing == []


def test_every_catalogue_language_has_its_stop_label_listed() -> None:
    assert set(STOP_LABELS) == catalogue_languages()


@pytest.mark.parametrize(("language", "label"), sorted(STOP_LABELS.items()))
def test_every_outbound_template_labels_the_opt_out_in_its_language(
    language: str, label: str
) -> None:
    mislabelled = {
        name: texts
        for name, rendered in _outbound(language)
        if (texts := [b.text for b in rendered.all_buttons if b.action == Action.STOP]) != [label]
    }

    assert mislabelled == {}


@pytest.mark.parametrize("label", sorted(STOP_LABELS.values()))
def test_typing_the_opt_out_label_is_a_stop_word(label: str) -> None:
    assert is_stop_word(label)


@pytest.mark.parametrize("script", ["LATIN", "HEBREW", "CYRILLIC", "ARABIC"])
def test_forbidden_phrases_cover_each_script_of_the_catalogues(script: str) -> None:
    scripts = {unicodedata.name(phrase[0]).split()[0] for phrase in FORBIDDEN_PHRASES}

    assert script in scripts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our lawyer will contact you.", ["lawyer"]),
        ("We may take LEGAL ACTION.", ["legal action"]),
        ("See you in court", ["court"]),
        ("Why not borrow to pay?", ["borrow"]),
        ("You could be sued.", ["sue"]),
        ("Last chance: pay immediately", ["last chance", "immediately"]),
        ("Lawyers and courts", ["lawyer", "court"]),
        ("עורך הדין שלנו ייצור איתכם קשר", ["עורך דין"]),
        ("נפנה לבית המשפט", ["בית משפט"]),
        ("ננקוט צעדים משפטיים", ["משפטיים"]),
        ("קחו הלוואה ושלמו מיד", ["הלוואה", "מיד"]),
        ("Наш юрист свяжется с вами", ["юрист"]),
        ("Мы обратимся в суд", ["суд"]),
        ("Возьмите займ или кредитную карту", ["займ"]),
        ("Оплатите немедленно", ["немедленно"]),
        ("سيتواصل معك محامينا", ["محام"]),
        ("سنلجأ إلى المحكمة", ["محكمة"]),
        ("سنتخذ إجراءاتٍ قانونيّة", ["قانوني"]),
        ("يمكنك اقتراض المبلغ", ["اقتراض"]),
    ],
)
def test_forbidden_phrases_finds_pressure_and_threats(text: str, expected: list[str]) -> None:
    assert forbidden_phrases(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A courtesy note",
        "Please pursue the issue",
        "Your latest payment",
        "Tap below",
        "תמיד אפשר לשלם",
        "מידע על מידת החשבון",
        "Это займёт всего минуту",
        "Мы поможем искать решение",
        "الحساب البنكي الذي نخصم منه مدفوعاتك",
        "محصلة الأمر",
    ],
)
def test_forbidden_phrases_ignores_innocent_words(text: str) -> None:
    assert forbidden_phrases(text) == []
