"""The pages behind the opt-out link of an email: the question, the confirmation, a dead link.

Opening the link only asks: mail scanners open every link they see, so stopping takes a
press of a button that POSTs (RFC 8058 one-click clients POST the same address).
"""

from __future__ import annotations

from messages import _email_texts as e
from messages import _texts as t
from messages._catalog import translate
from messages._html import html_document, html_form_button, html_paragraph
from messages._locale import normalize_locale

__all__ = ["optout_ask_page", "optout_done_page", "optout_gone_page"]


def optout_ask_page(*, locale: str, action_url: str) -> str:
    """Whether to stop messages, with a button that POSTs to `action_url`."""
    language = normalize_locale(locale)
    title = translate(t.STOP_BUTTON, language)
    body = html_paragraph(translate(e.OPTOUT_ASK, language)) + html_form_button(title, action_url)
    return html_document(title, body, language=language)


def optout_done_page(*, locale: str) -> str:
    """Messages are stopped."""
    return _page(e.OPTOUT_DONE, locale)


def optout_gone_page(*, locale: str) -> str:
    """A link that is unknown, used or expired; which one cannot be told apart."""
    return _page(e.OPTOUT_GONE, locale)


def _page(message: str, locale: str) -> str:
    language = normalize_locale(locale)
    title = translate(t.STOP_BUTTON, language)
    return html_document(title, html_paragraph(translate(message, language)), language=language)
