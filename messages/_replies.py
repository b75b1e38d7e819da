"""Replies inside a conversation: linking, opting out, asking for a person, errors.

Replies to an unlinked chat say nothing about any account (COMPLIANCE rule 7).
"""

from __future__ import annotations

from messages import _texts as t
from messages._catalog import translate
from messages._layout import Action, Button, Rendered
from messages._locale import normalize_locale

__all__ = [
    "apology",
    "hello_unlinked",
    "not_linked",
    "nothing_due",
    "person_requested",
    "stopped",
    "token_invalid",
    "welcome_linked",
]


def _plain(message: str, locale: str) -> Rendered:
    return Rendered(translate(message, normalize_locale(locale)))


def welcome_linked(*, locale: str) -> Rendered:
    """The chat is now linked to the customer; from here on it may be contacted."""
    language = normalize_locale(locale)
    person = Button(translate(t.PERSON_BUTTON, language), action=Action.PERSON)
    stop = Button(translate(t.STOP_BUTTON, language), action=Action.STOP)
    return Rendered(translate(t.WELCOME_LINKED, language), ((person,), (stop,)))


def token_invalid(*, locale: str) -> Rendered:
    """A link token that is unknown, used or expired; which one is not said."""
    return _plain(t.TOKEN_INVALID, locale)


def not_linked(*, locale: str) -> Rendered:
    """An unlinked chat wrote: no account detail until the personal link is opened."""
    return _plain(t.NOT_LINKED, locale)


def hello_unlinked(*, locale: str) -> Rendered:
    """A bare /start from a chat that is not linked."""
    return _plain(t.HELLO_UNLINKED, locale)


def stopped(*, locale: str) -> Rendered:
    """The one confirmation after an opt-out, saying how to resume (COMPLIANCE rule 6)."""
    return _plain(t.STOPPED, locale)


def person_requested(*, locale: str) -> Rendered:
    """A person from the team will answer in this chat."""
    return _plain(t.PERSON_REQUESTED, locale)


def apology(*, locale: str) -> Rendered:
    """Something broke while handling the customer's message."""
    return _plain(t.APOLOGY, locale)


def nothing_due(*, locale: str) -> Rendered:
    """A linked customer asks what they owe and nothing is due."""
    return _plain(t.NOTHING_DUE, locale)
