"""Care messages sent through the outbox: a method fixed, a payment due tomorrow, an
agreement broken. Each ends with a person and the way to stop (COMPLIANCE rule 5)."""

from __future__ import annotations

from datetime import date

from bot import AgreementKind, Money
from messages import _care_texts as c
from messages import _screen_texts as s
from messages import _texts as t
from messages._catalog import translate
from messages._format import date_in_text, money_in_text
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale

__all__ = ["agreement_broken", "agreement_reminder", "method_updated"]


def _footer(language: str, *, menu: bool = False) -> tuple[tuple[Button, ...], ...]:
    rows = [(Button(translate(s.MENU_BUTTON, language), action="menu::0"),)] if menu else []
    rows.append((Button(translate(t.PERSON_BUTTON, language), action=Action.PERSON),))
    rows.append((Button(translate(t.STOP_BUTTON, language), action=Action.STOP),))
    return tuple(rows)


def method_updated(*, owed: bool, locale: str) -> Rendered:
    """Thanks for fixing the payment method; a retry follows when money is still due."""
    language = normalize_locale(locale)
    text = translate(c.METHOD_UPDATED_OWED if owed else c.METHOD_UPDATED_DONE, language)
    return Rendered(text, _footer(language))


def _values(amount: Money, due_on: date, locale: str, language: str) -> dict[str, str]:
    return {
        "amount": money_in_text(amount, locale, language),
        "date": date_in_text(due_on, locale, language),
    }


def agreement_reminder(
    kind: AgreementKind, *, number: int, amount: Money, due_on: date, locale: str
) -> Rendered:
    """The day before a payment under a plan or a promise."""
    language = normalize_locale(locale)
    message = c.REMINDER_PLAN if kind is AgreementKind.PLAN else c.REMINDER_PROMISE
    values = _values(amount, due_on, locale, language)
    return Rendered(
        translate(message, language).format(number=number, **values), _footer(language)
    )


def agreement_broken(
    kind: AgreementKind, *, number: int, amount: Money, due_on: date, locale: str
) -> Rendered:
    """A payment missed beyond the grace period, said kindly, with the way forward."""
    language = normalize_locale(locale)
    message = c.BROKEN_PLAN if kind is AgreementKind.PLAN else c.BROKEN_PROMISE
    values = _values(amount, due_on, locale, language)
    text = translate(message, language).format(number=number, **values)
    return Rendered(text, _footer(language, menu=True))
