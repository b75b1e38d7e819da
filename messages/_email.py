"""Emails: the first touch of a customer whose chat is not linked, and any message as a fallback.

An email says what the Telegram message says (the same headline and facts), in a plain
text part and an HTML part with the same content; links stand in for buttons, and every
email ends with the link to stop messages (COMPLIANCE rule 5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import Money, Reason
from messages import _email_texts as e
from messages import _texts as t
from messages._catalog import translate
from messages._contact import _facts, _headline
from messages._html import html_button, html_document, html_footer, html_paragraph, safe_url
from messages._layout import Button, Rendered
from messages._locale import normalize_locale, resolve_locale

__all__ = [
    "EmailText",
    "email_from_rendered",
    "email_subject",
    "first_contact_email",
    "rendered_from_params",
    "rendered_to_params",
]

# Headlines whose chat wording ("reply here", "tap Talk to a person") has an email version.
_OWN_HEADLINES: Mapping[Reason, str] = {
    Reason.INSUFFICIENT_FUNDS: e.INSUFFICIENT_FUNDS,
    Reason.PAYMENT_STOPPED: e.PAYMENT_STOPPED,
}

_SUBJECTS: Mapping[Reason, str] = {
    Reason.EXPIRING: e.SUBJECT_EXPIRING,
    Reason.BANK_ACCOUNT_CLOSED: e.SUBJECT_METHOD,
    Reason.BANK_ACCOUNT_CHANGED: e.SUBJECT_METHOD,
    Reason.MANDATE_CANCELLED: e.SUBJECT_METHOD,
    Reason.MANDATE_FAILED: e.SUBJECT_METHOD,
    Reason.MANDATE_EXPIRED: e.SUBJECT_METHOD,
    Reason.SUBSTANTIAL_OVERDUE: e.SUBJECT_OVERDUE,
}


@dataclass(frozen=True, slots=True)
class EmailText:
    """An email's words: the subject, the plain-text part and the HTML part."""

    subject: str
    text: str
    html: str
    language: str  # the catalogue language, for Content-Language


@dataclass(frozen=True, slots=True)
class _Link:
    """A link drawn as a button in HTML and written out in plain text."""

    label: str
    url: str


_Block = str | _Link


def email_subject(reason: Reason | None, *, locale: str) -> str:
    """The subject of an email about a case opened for `reason`; a general one without."""
    if reason is None:
        return translate(e.SUBJECT_ACCOUNT, normalize_locale(locale))
    return translate(_SUBJECTS.get(reason, e.SUBJECT_PAYMENT), normalize_locale(locale))


def first_contact_email(
    reason: Reason,
    *,
    amount_due: Money | None,
    due_on: date | None,
    chat_url: str,
    optout_url: str,
    update_url: str | None,
    pay_url: str | None,
    locale: str,
    invoice_count: int = 1,
    follow_up: bool = False,
) -> EmailText:
    """The email that opens a case for a customer the bot cannot write to yet.

    A `follow_up` says the same again, opened by a line that it is a second note.
    """
    language = normalize_locale(locale)
    # As in `first_contact`: numbers and dates follow the words when the locale has none.
    if not resolve_locale(locale).startswith(language):
        locale = language
    blocks: list[_Block] = [
        translate(t.FOLLOW_UP_LEAD, language) if follow_up else "",
        _email_headline(reason, invoice_count, language),
        _facts(reason, amount_due, due_on, locale, language),
        _next_step(update_url, pay_url, language),
    ]
    if update_url:
        blocks.append(_Link(translate(t.UPDATE_BUTTON, language), update_url))
    if pay_url:
        blocks.append(_Link(translate(t.PAY_BUTTON, language), pay_url))
    if reason is Reason.SUBSTANTIAL_OVERDUE:
        blocks.append(translate(e.PLAN_OFFER, language))
    blocks += _chat(chat_url, language)
    return _email(email_subject(reason, locale=language), blocks, optout_url, language)


def email_from_rendered(
    rendered: Rendered,
    *,
    subject: str,
    optout_url: str,
    locale: str,
    chat_url: str | None = None,
) -> EmailText:
    """A chat message as an email: link buttons become links; chat-only buttons are dropped."""
    language = normalize_locale(locale)
    blocks: list[_Block] = list(rendered.text.split("\n\n"))
    blocks += [_Link(b.text, b.url) for b in rendered.all_buttons if b.url is not None]
    if chat_url is not None:
        blocks += _chat(chat_url, language)
    return _email(subject, blocks, optout_url, language)


def rendered_to_params(rendered: Rendered) -> dict[str, Any]:
    """A message as JSON-able outbox params, to be sent later as an email."""
    rows = [[_button_params(button) for button in row] for row in rendered.buttons]
    return {"text": rendered.text, "buttons": rows}


def rendered_from_params(params: Mapping[str, Any]) -> Rendered:
    """The inverse of `rendered_to_params`."""
    rows = tuple(
        tuple(Button(str(b["text"]), url=b.get("url"), action=b.get("action")) for b in row)
        for row in params.get("buttons", ())
    )
    return Rendered(str(params["text"]), rows)


def _button_params(button: Button) -> dict[str, str]:
    if button.url is not None:
        return {"text": button.text, "url": button.url}
    return {"text": button.text, "action": str(button.action)}


def _email_headline(reason: Reason, invoice_count: int, language: str) -> str:
    told = Reason.CARD_DECLINED if reason.is_confidential else reason
    own = _OWN_HEADLINES.get(told)
    return translate(own, language) if own else _headline(reason, invoice_count, language)


def _next_step(update_url: str | None, pay_url: str | None, language: str) -> str:
    if update_url and pay_url:
        return translate(e.UPDATE_OR_PAY_STEP, language)
    if update_url:
        return translate(e.UPDATE_STEP, language)
    return translate(e.PAY_STEP, language) if pay_url else ""


def _chat(chat_url: str, language: str) -> list[_Block]:
    invite = translate(e.CHAT_INVITE, language)
    return [invite, _Link(translate(e.CHAT_BUTTON, language), chat_url)]


def _email(subject: str, blocks: Sequence[_Block], optout_url: str, language: str) -> EmailText:
    kept = [block for block in blocks if block]
    footer = translate(e.FOOTER, language)
    stop = _Link(translate(t.STOP_BUTTON, language), optout_url)
    return EmailText(
        subject=subject,
        text=_plain(kept, footer, stop),
        html=_html(subject, kept, footer, stop, language),
        language=language,
    )


def _plain(blocks: Iterable[_Block], footer: str, stop: _Link) -> str:
    """Paragraphs apart, links written out, and the footer after a signature line (RFC 3676)."""
    parts = [_plain_block(block) for block in blocks]
    return "\n\n".join(parts) + f"\n\n-- \n{footer}\n{_plain_block(stop)}\n"


def _plain_block(block: _Block) -> str:
    return block if isinstance(block, str) else f"{block.label}: {safe_url(block.url)}"


def _html(subject: str, blocks: Iterable[_Block], footer: str, stop: _Link, language: str) -> str:
    body = [
        html_paragraph(block) if isinstance(block, str) else html_button(block.label, block.url)
        for block in blocks
    ]
    body.append(html_footer(footer, stop.label, stop.url))
    return html_document(subject, "\n".join(body), language=language)
