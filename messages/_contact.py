"""The first message of a case, worded by the reason it was opened for.

A payment method that fails is often no fault of the customer (a stolen card, a
change of bank), so these messages read as a service, not a debt; reasons told
in confidence read as a plain declined card (`Reason.is_confidential`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot import Money, Reason
from messages import _screen_texts as st
from messages import _texts as t
from messages._catalog import translate, translate_plural
from messages._format import date_in_text, money_in_text
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale, resolve_locale

__all__ = ["contact_buttons", "first_contact"]

_HEADLINES: Mapping[Reason, str] = {
    Reason.EXPIRED_CARD: t.EXPIRED_CARD,
    Reason.EXPIRING: t.EXPIRING_CARD,
    Reason.CARD_DECLINED: t.CARD_DECLINED,
    Reason.INSUFFICIENT_FUNDS: t.INSUFFICIENT_FUNDS,
    Reason.AUTHENTICATION_REQUIRED: t.AUTHENTICATION_REQUIRED,
    Reason.INCORRECT_DETAILS: t.INCORRECT_DETAILS,
    Reason.CONTACT_BANK: t.CONTACT_BANK,
    Reason.TEMPORARY_FAILURE: t.TEMPORARY_FAILURE,
    Reason.PAYMENT_STOPPED: t.PAYMENT_STOPPED,
    Reason.BANK_ACCOUNT_CLOSED: t.BANK_ACCOUNT_CLOSED,
    Reason.BANK_ACCOUNT_CHANGED: t.BANK_ACCOUNT_CHANGED,
    Reason.MANDATE_CANCELLED: t.MANDATE_ENDED,
    Reason.MANDATE_FAILED: t.MANDATE_ENDED,
    Reason.MANDATE_EXPIRED: t.MANDATE_ENDED,
    Reason.OTHER: t.PAYMENT_FAILED,
}

# Their headline already invites a reply, so a bare "talk to us" step would repeat it.
_INVITES_REPLY = frozenset(
    {Reason.INSUFFICIENT_FUNDS, Reason.PAYMENT_STOPPED, Reason.SUBSTANTIAL_OVERDUE}
)


def first_contact(
    reason: Reason,
    *,
    amount_due: Money | None,
    due_on: date | None,
    update_url: str | None,
    pay_url: str | None,
    locale: str,
    invoice_count: int = 1,
    follow_up: bool = False,
) -> Rendered:
    """The message that opens a case; `invoice_count` counts overdue invoices (type C).

    A `follow_up` says the same again, opened by a line that it is a second note.
    """
    language = normalize_locale(locale)
    # Numbers and dates follow the text's language when the locale's own language has no
    # catalogue: a Persian date inside English text would read as a mix of both.
    if not resolve_locale(locale).startswith(language):
        locale = language
    paragraphs = [
        _headline(reason, invoice_count, language),
        _facts(reason, amount_due, due_on, locale, language),
        _next_step(reason, update_url, pay_url, language),
    ]
    if reason is Reason.SUBSTANTIAL_OVERDUE:
        paragraphs.append(translate(t.PLAN_OFFER, language))
    if follow_up:
        paragraphs.insert(0, translate(t.FOLLOW_UP_LEAD, language))

    text = "\n\n".join(p for p in paragraphs if p)
    offers = _offers(reason) if amount_due is not None and amount_due.minor > 0 else ()
    return Rendered(text, contact_buttons(update_url, pay_url, language, offers=offers))


def _offers(reason: Reason) -> tuple[tuple[str, Action], ...]:
    """The ways to settle a first message offers beside paying: a plan, a date, "paid"."""
    if reason is Reason.SUBSTANTIAL_OVERDUE:
        return (
            (st.PLAN_BUTTON, Action.PLANS),
            (st.PROMISE_BUTTON, Action.PROMISES),
            (st.PAID_BUTTON, Action.PAID),
        )
    if reason is Reason.INSUFFICIENT_FUNDS:
        # A later date, not a debt conversation (issue: insufficient funds offers a date).
        return ((st.PROMISE_BUTTON, Action.PROMISES),)
    return ()


def _headline(reason: Reason, invoice_count: int, language: str) -> str:
    if reason is Reason.SUBSTANTIAL_OVERDUE:
        text = translate_plural(t.INVOICES_OVERDUE, invoice_count, language)
        return text.format(count=invoice_count)
    told = Reason.CARD_DECLINED if reason.is_confidential else reason
    return translate(_HEADLINES[told], language)


def _facts(
    reason: Reason, amount: Money | None, day: date | None, locale: str, language: str
) -> str:
    """Amount and date in the customer's locale, isolated when the text reads right to left."""
    upcoming = reason is Reason.EXPIRING
    lines = []
    if amount is not None:
        label = t.NEXT_AMOUNT if upcoming else t.AMOUNT_DUE
        shown = money_in_text(amount, locale, language)
        lines.append(translate(label, language).format(amount=shown))
    if day is not None:
        label = t.NEXT_DATE if upcoming else t.DUE_DATE
        shown = date_in_text(day, locale, language)
        lines.append(translate(label, language).format(date=shown))
    return "\n".join(lines)


def _next_step(reason: Reason, update_url: str | None, pay_url: str | None, language: str) -> str:
    if update_url and pay_url:
        return translate(t.UPDATE_OR_PAY_STEP, language)
    if update_url:
        return translate(t.UPDATE_STEP, language)
    if pay_url:
        return translate(t.PAY_STEP, language)
    return "" if reason in _INVITES_REPLY else translate(t.PERSON_STEP, language)


def contact_buttons(
    update_url: str | None,
    pay_url: str | None,
    language: str,
    *,
    offers: tuple[tuple[str, Action], ...] = (),
) -> tuple[tuple[Button, ...], ...]:
    """One button a row: the links, the offers, a person, then the opt-out (rule 5)."""
    rows: list[tuple[Button, ...]] = []
    if update_url:
        rows.append((Button(translate(t.UPDATE_BUTTON, language), url=update_url),))
    if pay_url:
        rows.append((Button(translate(t.PAY_BUTTON, language), url=pay_url),))
    rows.extend((Button(translate(label, language), action=action),) for label, action in offers)
    rows.append((Button(translate(t.PERSON_BUTTON, language), action=Action.PERSON),))
    rows.append((Button(translate(t.STOP_BUTTON, language), action=Action.STOP),))
    return tuple(rows)
