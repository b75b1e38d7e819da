"""The case file for lawyers as a PDF dossier, in English (the JSON beside it is the data).

It shows what the JSON holds, section by section: the case and the customer, invoices and
payments, every contact and its delivery, the conversation, offers, agreements, letters and
the audit trail. Customers' own words keep their script; right-to-left lines are shaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from messages._pdf import Document

__all__ = ["render_case_file"]

_INVOICE = ("id", "issued_on", "due_on", "amount", "amount_due", "currency", "status")
_CONTACT = ("id", "channel", "template", "status", "sent_at", "attempts")


def render_case_file(document: dict[str, Any]) -> bytes:
    """The dossier of a case file made by `bot._handoff.case_file`."""
    case, customer = document["case"], document["customer"]
    handed = document["handed_over"]
    created = datetime.fromisoformat(handed["at"]).astimezone(UTC)
    doc = Document("en", title=f"Case file {case['id']}", created=created)
    doc.heading(f"Case file {case['id']}: customer {customer['id']}")
    doc.small(f"Handed over to legal at {handed['at']}, confirmed by {handed['confirmed_by']}.")
    doc.paragraph("")
    _section(doc, "The case", [_facts(case)])
    _section(doc, "The customer", [_facts(customer)])
    _table(doc, "Invoices", document["invoices"], _INVOICE)
    _table(doc, "Payments", document["payments"], ("id", "invoice", "amount", "received_at"))
    _table(doc, "Contacts and their delivery", document["contacts"], _CONTACT)
    lines = [
        f"{line['at']} {line['direction']}: {line['text']}" for line in document["transcript"]
    ]
    _section(doc, "The conversation", lines)
    offers = [
        f"Escalation {o['escalation']} ({o['reason']}): asked {_terms(o['asked'])}; offered "
        f"{_terms(o['offered'])}; {o['decision'] or 'undecided'} by {o['decided_by'] or '-'}; "
        f"answer {o['answer'] or '-'}"
        for o in document["offers"]
    ]
    _section(doc, "Escalations and offers", offers)
    agreements = [
        f"Agreement {a['id']}, {a['kind']} of {a['total']} {a['currency']}, accepted "
        f"{a['accepted_at']} in {a['channel']} ({a['locale']}), SHA-256 {a['terms_hash']}:\n"
        f"{a['terms_text']}"
        for a in document["agreements"]
    ]
    _section(doc, "Agreements, word for word", agreements)
    letters = [
        f"Letter {letter['id']} sent {letter['sent_at']} in {letter['language']}, deadline "
        f"{letter['deadline']}, enabled by {letter['enabled_by']}, SHA-256 {letter['sha256']}"
        for letter in document["letters"]
    ]
    _section(doc, "Letters", letters)
    audit = [f"{r['at']} {r['actor']} {r['action']}: {r['reason']}" for r in document["audit"]]
    _section(doc, "Audit trail", audit)
    return doc.output()


def _section(doc: Document, title: str, lines: list[str]) -> None:
    doc.paragraph(title, bold=True, size=12)
    for line in lines or ["None."]:
        doc.paragraph(line, size=9)


def _table(doc: Document, title: str, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    doc.paragraph(title, bold=True, size=12)
    if not rows:
        doc.paragraph("None.", size=9)
        return
    doc.table(list(keys), [[_text(row.get(key)) for key in keys] for row in rows])


def _facts(values: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {_text(value)}" for key, value in values.items())


def _terms(offer: dict[str, Any] | None) -> str:
    if not offer:
        return "-"
    paid = f"{offer['total_minor']} of {offer['owed_minor']} (minor units of {offer['currency']})"
    return f"{paid} in {offer['count']} payment(s) from {offer['first_due']}"


def _text(value: Any) -> str:
    return "-" if value is None else str(value)
