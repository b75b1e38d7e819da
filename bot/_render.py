"""Cases as operators read them in the terminal: a table, a detail page, or JSON."""

from __future__ import annotations

from typing import Any

from bot._agreements import Agreement
from bot.ports import CaseView

__all__ = ["case_detail", "case_rows", "case_table"]


def case_rows(views: list[CaseView], *, full: bool = False) -> list[dict[str, Any]]:
    """Cases as JSON-ready dictionaries; `full` adds invoices, contacts and history."""
    return [_row(view, full=full) for view in views]


def _row(view: CaseView, *, full: bool) -> dict[str, Any]:
    case = view.case
    row: dict[str, Any] = {
        "id": case.id,
        "customer": case.customer_id,
        "type": case.type.value,
        "stage": case.stage.value,
        "status": case.status.value,
        "reason": case.reason.value,
        "amount_due": None if case.amount_due is None else str(case.amount_due.to_decimal()),
        "currency": None if case.amount_due is None else case.amount_due.currency,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": None if case.closed_at is None else case.closed_at.isoformat(),
        "why": case.why,
    }
    if full:
        row["invoices"] = [_invoice(invoice) for invoice in view.invoices]
        row["contacts"] = [_contact(contact) for contact in view.contacts]
        row["history"] = [_audit(record) for record in view.audit]
        row["agreements"] = [_agreement(agreement) for agreement in view.agreements]
        row["channel"] = (
            None
            if view.channel is None
            else {
                "channel": view.channel.channel,
                "linked_at": view.channel.linked_at.isoformat(),
                "reachable": view.channel.reachable,
            }
        )
    return row


def _invoice(invoice: Any) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "amount": str(invoice.amount.to_decimal()),
        "amount_due": str(invoice.amount_due.to_decimal()),
        "currency": invoice.amount.currency,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "status": invoice.status.value,
    }


def _contact(contact: Any) -> dict[str, Any]:
    return {
        "id": contact.id,
        "channel": contact.channel,
        "template": contact.template,
        "status": contact.status.value,
        "due_at": contact.due_at.isoformat(),
        "sent_at": None if contact.sent_at is None else contact.sent_at.isoformat(),
        "attempts": contact.attempts,
        "error": contact.last_error,
    }


def _agreement(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "kind": agreement.kind.value,
        "total": str(agreement.total.to_decimal()),
        "currency": agreement.total.currency,
        "accepted_at": agreement.accepted_at.isoformat(),
        "channel": agreement.channel,
        "locale": agreement.locale,
        "terms_version": agreement.terms_version,
        "terms_hash": agreement.terms_hash,
        "items": [
            {
                "number": i.number,
                "due_on": i.due_on.isoformat(),
                "amount": str(i.amount.to_decimal()),
            }
            for i in agreement.items
        ],
        "terms_text": agreement.terms_text,
    }


def _audit(record: Any) -> dict[str, Any]:
    return {
        "at": record.at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "reason": record.reason,
        "detail": record.detail,
    }


_COLUMNS = ("id", "customer", "type", "status", "reason", "amount_due", "currency", "opened_at")


def case_table(views: list[CaseView]) -> str:
    """A fixed-width table of cases, one line each."""
    if not views:
        return "no cases"
    rows = [
        [*(_cell(row[name]) for name in _COLUMNS), _why(row["why"])] for row in case_rows(views)
    ]
    header = [*(name.replace("_", " ") for name in _COLUMNS), "why"]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True))
        for line in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


# The facts that say most about why a case was opened, in the order they are shown.
_WHY_KEYS = ("invoice", "ratio", "median", "event", "payment_method")


def _why(why: dict[str, Any]) -> str:
    """The case's reasons in one short cell; `settle case ID` shows them all."""
    shown = [f"{key}={why[key]}" for key in _WHY_KEYS if key in why]
    return " ".join(shown) or "-"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text[:19] if len(text) > 19 and "T" in text else text


def case_detail(view: CaseView) -> str:
    """One case on a page: what it is, why it was opened, its invoices and history."""
    row = _row(view, full=True)
    due = "-" if row["amount_due"] is None else f"{row['amount_due']} {row['currency']}"
    lines = [
        f"case {row['id']}  type {row['type']}  {row['stage']}  status: {row['status']}",
        f"customer {row['customer']}  reason {row['reason']}  amount due {due}",
        f"opened {row['opened_at']}"
        + (f"  closed {row['closed_at']}" if row["closed_at"] else ""),
        "why: " + ", ".join(f"{key}={value}" for key, value in sorted(row["why"].items())),
        "channel: "
        + (
            "none yet"
            if row["channel"] is None
            else f"{row['channel']['channel']} (reachable: {row['channel']['reachable']})"
        ),
        "invoices:",
        *(
            f"  {i['id']}  {i['amount_due']}/{i['amount']} {i['currency']}"
            f"  issued {i['issued_on']}  due {i['due_on']}  {i['status']}"
            for i in row["invoices"]
        ),
        "contacts:",
        *(
            f"  {c['due_at'][:19]}  {c['channel']}  {c['template']}  {c['status']}"
            f"  attempts {c['attempts']}"
            for c in row["contacts"]
        ),
        "agreements:",
        *(
            f"  {a['id']}  {a['kind']}  {a['total']} {a['currency']}"
            f"  accepted {a['accepted_at'][:19]}  in {len(a['items'])} payment(s),"
            f" first due {a['items'][0]['due_on']}"
            for a in row["agreements"]
        ),
        "history:",
        *(f"  {a['at'][:19]}  {a['actor']}  {a['action']}: {a['reason']}" for a in row["history"]),
    ]
    return "\n".join(lines)
