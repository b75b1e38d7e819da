"""The pre-legal stage's messages in the chat: the notice of the stage, a retention offer,
and the words of each offer as a button and as terms."""

from __future__ import annotations

from bot import Money, Offer
from messages import _prelegal_texts as p
from messages import _screen_texts as s
from messages import _texts as t
from messages._catalog import translate, translate_plural
from messages._format import date_in_text, money_in_text
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale, resolve_locale

__all__ = [
    "OFFERS_ACTION",
    "agreement_copy_caption",
    "letter_caption",
    "letter_email",
    "offer_label",
    "offer_lines",
    "pre_legal_notice",
    "retention_offer",
]

# The entry button of the stage's offers (version 0: it opens the flow from any message).
OFFERS_ACTION = "offers::0"


def pre_legal_notice(amount: Money | None, *, locale: str) -> Rendered:
    """The message of a case entering pre-legal: new ways to settle, no pressure."""
    language = normalize_locale(locale)
    locale = _text_locale(locale, language)
    if amount is None:
        text = translate(p.PRE_LEGAL_NOTICE_EMAIL, language)
    else:
        shown = money_in_text(amount, locale, language)
        text = translate(p.PRE_LEGAL_NOTICE, language).format(amount=shown)
    return Rendered(text, _entry_buttons(language))


def retention_offer(offer: Offer, *, locale: str) -> Rendered:
    """A retention offer sent to a customer who may receive one (COMPLIANCE rule 16)."""
    language = normalize_locale(locale)
    locale = _text_locale(locale, language)
    label = offer_label(offer, locale=locale)
    text = translate(p.RETENTION_OFFER, language).format(offer=label)
    return Rendered(text, _entry_buttons(language))


def agreement_copy_caption(*, locale: str) -> Rendered:
    """The words sent with an agreement's PDF copy."""
    language = normalize_locale(locale)
    return Rendered(translate(p.COPY_CAPTION, language), _stop(language))


def letter_caption(amount: Money, *, locale: str) -> Rendered:
    """The words sent with a final warning letter, and the ways to settle."""
    language = normalize_locale(locale)
    locale = _text_locale(locale, language)
    text = translate(p.LETTER_CAPTION, language).format(
        amount=money_in_text(amount, locale, language)
    )
    return Rendered(text, _entry_buttons(language))


def letter_email(chat_url: str, *, locale: str) -> tuple[Rendered, str]:
    """The covering note of a letter sent by email, and its subject."""
    language = normalize_locale(locale)
    text = translate(p.LETTER_EMAIL_TEXT, language).format(link=chat_url)
    return Rendered(text), translate(p.LETTER_EMAIL_SUBJECT, language)


def offer_label(offer: Offer, *, locale: str) -> str:
    """An offer in a few words: what is paid, by when or how, and what is saved."""
    language = normalize_locale(locale)
    plan = offer.plan()
    first = plan.instalments[0].amount
    if offer.count == 1:
        return translate(p.OFFER_SETTLEMENT, language).format(
            total=money_in_text(offer.total, locale, language),
            date=date_in_text(offer.first_due, locale, language),
        )
    if offer.write_off.minor > 0:
        saving = money_in_text(offer.write_off, locale, language)
        text = translate_plural(p.OFFER_SAVING, offer.count, language)
        return text.format(count=offer.count, saving=saving)
    text = translate_plural(s.PLAN_OPTION, offer.count, language)
    return text.format(count=offer.count, amount=money_in_text(first, locale, language))


def offer_lines(offer: Offer, *, locale: str) -> list[str]:
    """What an offer lets off and the commitment it asks for, one sentence each."""
    language = normalize_locale(locale)
    lines = []
    if offer.write_off.minor > 0:
        lines.append(
            translate(p.OFFER_WRITE_OFF, language).format(
                owed=money_in_text(offer.owed, locale, language),
                write_off=money_in_text(offer.write_off, locale, language),
            )
        )
    if offer.commitment_months:
        months = offer.commitment_months
        text = translate_plural(p.OFFER_COMMITMENT, months, language)
        lines.append(text.format(count=months))
    return lines


def _entry_buttons(language: str) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(translate(p.OFFERS_BUTTON, language), action=OFFERS_ACTION),),
        (Button(translate(s.PLAN_BUTTON, language), action=Action.PLANS),),
        (Button(translate(t.PERSON_BUTTON, language), action=Action.PERSON),),
        (Button(translate(t.STOP_BUTTON, language), action=Action.STOP),),
    )


def _stop(language: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(translate(t.STOP_BUTTON, language), action=Action.STOP),),)


def _text_locale(locale: str, language: str) -> str:
    """Numbers and dates follow the text's language when the locale's has no catalogue."""
    return locale if resolve_locale(locale).startswith(language) else language
