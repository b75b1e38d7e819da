"""What a customer reads while a member of staff talks with them in place of the bot.

Every message ends with the way to stop (COMPLIANCE rule 5); staff's own words go out as
they wrote them, untranslated.
"""

from __future__ import annotations

from messages import _screen_texts as s
from messages import _staff_texts as st
from messages import _texts as t
from messages._catalog import translate
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale

__all__ = ["staff_joined", "staff_left", "staff_said"]


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


def _stop(language: str) -> tuple[tuple[Button, ...], ...]:
    return ((Button(translate(t.STOP_BUTTON, language), action=Action.STOP),),)
