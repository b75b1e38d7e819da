"""The pre-legal stage's documents for the customer, as PDFs in their language: the final
warning letter and the copy of an agreement."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot import Agreement, LetterFacts, Money
from messages import _prelegal_texts as p
from messages._catalog import translate, translate_plural
from messages._format import format_date, format_money
from messages._locale import normalize_locale, resolve_locale
from messages._pdf import Document

__all__ = ["render_agreement_copy", "render_letter"]


def render_letter(facts: LetterFacts) -> bytes:
    """The final warning letter: the debt by invoice, what was tried, the deadline, how to
    settle (a link and its QR code) and what happens after the deadline."""
    language = normalize_locale(facts.locale)
    locale = _locale(facts.locale, language)
    title = translate(p.LETTER_TITLE, language)
    created = datetime.combine(facts.written_on, time(), tzinfo=UTC)
    doc = Document(language, title=title, created=created)

    def say(text: str, **values: str) -> str:
        return translate(text, language).format(**values)

    def money(amount: Money) -> str:
        return format_money(amount, locale)

    def day(value: date) -> str:
        return format_date(value, locale)

    doc.heading(title)
    doc.small(say(p.LETTER_DATE, date=day(facts.written_on)))
    doc.small(say(p.LETTER_CUSTOMER, customer=facts.customer_id))
    doc.paragraph("")
    greeting = say(p.LETTER_GREETING, name=facts.name) if facts.name else None
    doc.paragraph(greeting or say(p.LETTER_GREETING_ANONYMOUS))
    doc.paragraph(say(p.LETTER_OWED, total=money(facts.total)))
    headers = [say(p.LETTER_INVOICE), say(p.LETTER_ISSUED), say(p.LETTER_DUE)]
    rows = [[i.id, day(i.issued_on), day(i.due_on), money(i.amount_due)] for i in facts.invoices]
    doc.table([*headers, say(p.LETTER_AMOUNT)], rows)
    if facts.first_contact is not None and facts.contacts:
        tried = translate_plural(p.LETTER_TRIED, facts.contacts, language)
        doc.paragraph(tried.format(count=facts.contacts, date=day(facts.first_contact)))
    deadline = day(facts.deadline)
    doc.paragraph(say(p.LETTER_DEADLINE, deadline=deadline), bold=True)
    doc.paragraph(say(p.LETTER_HOW))
    doc.small(facts.link)
    doc.qr(facts.link)
    doc.paragraph(say(p.LETTER_NEXT_STEP, deadline=deadline))
    doc.paragraph(say(p.LETTER_HELP))
    doc.paragraph(say(p.LETTER_SIGNATURE), bold=True)
    return doc.output()


def render_agreement_copy(agreement: Agreement, *, locale: str) -> bytes:
    """The agreement's terms word for word, when they were agreed, and their fingerprint."""
    language = normalize_locale(locale)
    locale = _locale(locale, language)
    title = translate(p.COPY_TITLE, language)
    doc = Document(language, title=title, created=agreement.accepted_at)
    doc.heading(title)
    agreed = format_date(agreement.accepted_at.date(), locale)
    doc.paragraph(translate(p.COPY_AGREED, language).format(date=agreed))
    for line in agreement.terms_text.splitlines():
        doc.paragraph(line)
    reference = translate(p.COPY_REFERENCE, language).format(
        number=agreement.id, hash=agreement.terms_hash
    )
    doc.small(reference)
    return doc.output()


def _locale(locale: str, language: str) -> str:
    """Numbers and dates follow the text's language when the locale's has no catalogue."""
    return locale if resolve_locale(locale).startswith(language) else language
