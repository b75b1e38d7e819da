"""What a customer reads while a member of staff talks with them in place of the bot.

Every message ends with the way to stop (COMPLIANCE rule 5); staff's own words go out as
they wrote them, untranslated.
"""

from __future__ import annotations

from bot import Offer, button_data
from messages import _screen_texts as s
from messages import _staff_texts as st
from messages import _texts as t
from messages._catalog import translate, translate_plural
from messages._format import date_in_text, money_in_text
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale

__all__ = ["staff_declined", "staff_joined", "staff_left", "staff_offer", "staff_said"]


def staff_joined(name: str | None, *, locale: str) -> Rendered:
    """A person of the team joins the chat; `name` is their first name, if known."""
    language = normalize_locale(locale)
    who = name or translate(st.A_COLLEAGUE, language)
    text = translate(st.STAFF_JOINED, language).format(name=who)
    return Rendered(text, _stop(language))


def staff_left(*, locale: str) -> Rendered:
    """The person has handed the chat back to the bot."""
    language = normalize_locale(locale)
    menu = (Button(translate(s.MENU_BUTTON, language), action="menu::0"),)
    return Rendered(translate(st.STAFF_LEFT, language), (menu, *_stop(language)))


def staff_said(text: str, *, locale: str) -> Rendered:
    """A message staff wrote, as they wrote it."""
    return Rendered(text, _stop(normalize_locale(locale)))


def staff_offer(offer: Offer, escalation_id: int, *, locale: str) -> Rendered:
    """Terms staff agreed for the customer, every payment shown, to accept or decline."""
    language = normalize_locale(locale)
    plan = offer.plan()
    lines = [
        translate(st.STAFF_OFFER, language).format(
            amount=money_in_text(plan.total, locale, language)
        )
    ]
    line = translate(s.PLAN_LINE, language)
    lines += [
        line.format(
            number=item.number,
            date=date_in_text(item.due_on, locale, language),
            amount=money_in_text(item.amount, locale, language),
        )
        for item in plan.instalments
    ]
    lines.append("")
    if offer.write_off.minor > 0:
        let_off = translate(st.STAFF_OFFER_WRITE_OFF, language).format(
            write_off=money_in_text(offer.write_off, locale, language),
            owed=money_in_text(offer.owed, locale, language),
        )
        lines.append(let_off)
    lines.append(translate(st.STAFF_OFFER_CONFIRM, language))
    rows = (
        (Button(translate(st.ACCEPT_BUTTON, language), action=_answer("yes", escalation_id)),),
        (Button(translate(st.DECLINE_BUTTON, language), action=_answer("no", escalation_id)),),
    )
    return Rendered("\n".join(lines), (*rows, *_stop(language)))


def staff_declined(count: int, *, locale: str) -> Rendered:
    """Staff could not agree the `count` payments the customer asked for."""
    language = normalize_locale(locale)
    text = translate_plural(st.STAFF_DECLINED, count, language).format(count=count)
    rows = (
        (Button(translate(s.PLAN_BUTTON, language), action=Action.PLANS),),
        (Button(translate(s.MENU_BUTTON, language), action="menu::0"),),
        (Button(translate(t.PERSON_BUTTON, language), action=Action.PERSON),),
    )
    return Rendered(text, (*rows, *_stop(language)))


def _answer(answer: str, escalation_id: int) -> str:
    # An entry action (version 0): the offer arrives whatever the chat was doing.
    return button_data("offer", 0, f"{answer}-{escalation_id}")


def _stop(language: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(translate(t.STOP_BUTTON, language), action=Action.STOP),),)
