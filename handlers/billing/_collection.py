"""A collection centre's list of debts handed to the pre-legal stage, imported from CSV.

Each row names a customer, the amount owed, its currency and the age of the debt in days
(and may carry a reference and the customer's details). It becomes a canonical
`collection_stage_changed` event, ingested as a webhook's would be: checked field by field,
idempotent (importing the list again changes nothing), and applied in its own transaction,
so that a bad row is reported by line and field while the others go in.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot import EventRejected, Ingest, InvalidInput, parse_event
from bot.ports import Clock
from handlers.billing._files import undecodable

__all__ = ["COLLECTION_FIELDS", "CollectionSummary", "import_collection_list"]

logger = logging.getLogger(__name__)

COLLECTION_FIELDS = ("customer_id", "amount_owed", "currency", "days_overdue")
_DETAILS = ("name", "phone", "email", "locale", "timezone", "country")
_SOURCE = "collection-list"
# The canonical event's fields, named as the list's fields in errors.
_COLUMN_OF = {
    "customer.id": "customer_id",
    "invoice.amount": "amount_owed",
    "invoice.amount_due": "amount_owed",
    "invoice.currency": "currency",
    "invoice.id": "reference",
} | {f"customer.{name}": name for name in _DETAILS}


@dataclass(slots=True)
class CollectionSummary:
    """What an import of a collection list did, row by row."""

    rows: int = 0
    moved: int = 0  # rows that moved a case to pre-legal or opened one there
    unchanged: int = 0  # rows seen before, or whose case was already there or with staff
    errors: list[tuple[int, str]] = field(default_factory=list)


async def import_collection_list(
    ingest: Ingest,
    clock: Clock,
    path: Path,
    *,
    columns: dict[str, str] | None = None,
    as_of: date | None = None,
) -> CollectionSummary:
    """Hand every row's debt to the pre-legal stage; `columns` maps field=column."""
    names = {name: name for name in (*COLLECTION_FIELDS, "reference", *_DETAILS)}
    names |= columns or {}
    today = as_of or clock.now().date()
    summary = CollectionSummary()
    for line, record in _records(path):
        summary.rows += 1
        try:
            body = _event(record, names, today=today, at=clock.now().isoformat())
            result = await ingest.accept(_SOURCE, parse_event(body), body)
        except EventRejected as error:
            name = _COLUMN_OF.get(error.field, error.field)
            summary.errors.append((line, f"{names.get(name, name)}: {error.message}"))
            continue
        if result.opened or result.updated:
            summary.moved += 1
        else:
            summary.unchanged += 1
        logger.debug("collection list line=%d outcome=%s", line, result.outcome)
    logger.info(
        "collection list %s rows=%d moved=%d failed=%d",
        path.name,
        summary.rows,
        summary.moved,
        len(summary.errors),
    )
    return summary


def _records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        # Undecodable bytes survive as surrogates, so that their row alone is refused.
        source = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as error:
        raise InvalidInput("FILE", f"cannot open {path}: {error.strerror}") from None
    with source:
        reader = csv.DictReader(source)
        for record in reader:
            values = {key: (value or "").strip() for key, value in record.items() if key}
            yield reader.line_num, values


def _event(record: dict[str, str], names: dict[str, str], *, today: date, at: str) -> str:
    """The row as a canonical event; `EventRejected` names the field of a bad value."""
    values = {name: record.get(column, "") for name, column in names.items()}
    for name, value in values.items():
        if undecodable(value):
            raise EventRejected(name, "not UTF-8 text; save the list as UTF-8")
    for name in COLLECTION_FIELDS:
        if not values[name]:
            raise EventRejected(name, f"required; column {names[name]!r} is empty or missing")
    days = values["days_overdue"]
    if not days.isdigit() or int(days) > 36_500:
        raise EventRejected("days_overdue", f"expected a whole number of days, got {days!r}")
    due_on = today - timedelta(days=int(days))
    reference = values["reference"] or f"debt-{values['customer_id']}"
    customer: dict[str, Any] = {"id": values["customer_id"]}
    customer |= {name: values[name] for name in _DETAILS if values[name]}
    event = {
        "id": f"{reference}:{values['amount_owed']}:{values['currency']}",
        "type": "collection_stage_changed",
        "occurred_at": at,
        "stage": "pre-legal",
        "customer": customer,
        "invoice": {
            "id": reference,
            "amount": values["amount_owed"],
            "amount_due": values["amount_owed"],
            "currency": values["currency"],
            "issued_on": due_on.isoformat(),
            "due_on": due_on.isoformat(),
        },
    }
    return json.dumps(event)
