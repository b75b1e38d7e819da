"""File imports: CSV and JSON Lines exports from a billing system.

A mapping names, for each field Settle reads, the column that holds it, and
gives defaults (a currency for a file that has none) and the date format.
Rows are validated one by one: a bad row is reported with its line number and
the rest imports. The file is streamed, so memory stays flat however long it is.
"""

from __future__ import annotations

import csv
import json
import logging
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import Customer, InvalidInput, Invoice, InvoiceStatus, Money, parse_currency
from bot._events import check_contact
from bot.ports import ImportedInvoice

__all__ = ["FIELDS", "Mapping", "RowError", "as_of_moment", "read_rows", "undecodable"]

logger = logging.getLogger(__name__)

# Fields Settle reads from an export; the first five are required.
REQUIRED = ("customer_id", "invoice_id", "amount", "issued_on", "due_on")
OPTIONAL = (
    "amount_due",
    "currency",
    "settled_on",
    "name",
    "phone",
    "email",
    "locale",
    "timezone",
    "country",
)
FIELDS = REQUIRED + OPTIONAL
_KEPT_CUSTOMERS = 100_000


@dataclass(frozen=True, slots=True)
class Mapping:
    """Which column holds each field, defaults for absent ones, and the date format."""

    columns: dict[str, str] = field(default_factory=lambda: {name: name for name in FIELDS})
    defaults: dict[str, str] = field(default_factory=dict)
    date_format: str = "%Y-%m-%d"

    @classmethod
    def load(cls, path: Path | None, *, overrides: dict[str, str] | None = None) -> Mapping:
        """Read a TOML mapping file (see examples/); `overrides` are field=column pairs."""
        raw: dict[str, Any] = {}
        if path is not None:
            try:
                raw = tomllib.loads(path.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as error:
                raise InvalidInput("--mapping", f"cannot read {path}: {error}") from None
        columns = {name: name for name in FIELDS} | dict(raw.get("columns", {}))
        columns |= overrides or {}
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            expected = ", ".join(FIELDS)
            raise InvalidInput(
                "--mapping", f"unknown fields {unknown}; expected some of {expected}"
            )
        defaults = {str(k): str(v) for k, v in raw.get("defaults", {}).items()}
        if "currency" in defaults:
            defaults["currency"] = parse_currency(defaults["currency"], field="defaults.currency")
        date_format = str(raw.get("formats", {}).get("date", "%Y-%m-%d"))
        return cls(columns, defaults, date_format)

    def with_date_format(self, date_format: str | None) -> Mapping:
        if date_format is None:
            return self
        return Mapping(self.columns, self.defaults, date_format)

    def with_currency(self, currency: str | None) -> Mapping:
        if currency is None:
            return self
        code = parse_currency(currency, field="--currency")
        return Mapping(self.columns, self.defaults | {"currency": code}, self.date_format)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


def read_rows(
    stream: Iterable[str],
    mapping: Mapping,
    *,
    kind: str,
    as_of: date | None,
    today: date,
    fact_at: datetime,
) -> Iterator[ImportedInvoice | RowError]:
    """Validated rows of an export, or the error of each row that fails."""
    parse = _RowParser(mapping, as_of=as_of, today=today, fact_at=fact_at)
    records = _csv_records(stream, mapping) if kind == "csv" else _jsonl_records(stream, mapping)
    for line, record in records:
        if isinstance(record, RowError):
            yield record
            continue
        try:
            yield parse(line, record)
        except InvalidInput as error:
            yield RowError(line, str(error))


def undecodable(text: str) -> bool:
    """Whether the text holds bytes that were not UTF-8 (kept as lone surrogates)."""
    return not text.isascii() and any("\udc80" <= char <= "\udcff" for char in text)


def _csv_records(
    stream: Iterable[str], mapping: Mapping
) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise InvalidInput("FILE", "the file is empty; expected a header row")
    header = [name.strip().lstrip("\ufeff") for name in header]
    if any(undecodable(name) or "\x00" in name for name in header):
        raise InvalidInput("FILE", "the header is not UTF-8 text; save the export as UTF-8")
    missing = [
        f"{name} (column {mapping.columns[name]!r})"
        for name in REQUIRED
        if mapping.columns[name] not in header
    ]
    if missing:
        raise InvalidInput("FILE", f"header lacks required columns: {', '.join(missing)}")
    wanted = [(name, header.index(col)) for name, col in mapping.columns.items() if col in header]
    width = len(header)
    for values in reader:
        line = reader.line_num
        if not values or values == [""]:
            continue
        if len(values) != width:
            yield line, RowError(line, f"expected {width} columns, found {len(values)}")
            continue
        yield line, {name: values[index] for name, index in wanted}


def _jsonl_records(
    stream: Iterable[str], mapping: Mapping
) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield line, RowError(line, f"malformed JSON: {error.msg}")
            continue
        if not isinstance(value, dict):
            yield line, RowError(line, "expected a JSON object")
            continue
        yield (
            line,
            {
                name: "" if value[column] is None else str(value[column])
                for name, column in mapping.columns.items()
                if column in value
            },
        )


class _RowParser:
    """Turns one mapped record into an invoice as it stood on the as-of date."""

    def __init__(
        self, mapping: Mapping, *, as_of: date | None, today: date, fact_at: datetime
    ) -> None:
        self.mapping = mapping
        self.as_of = as_of
        self.today = as_of or today
        self.fact_at = fact_at
        self._date = _date_parser(mapping.date_format)
        self._customers: dict[tuple[str | None, ...], Customer] = {}

    def __call__(self, line: int, record: dict[str, str]) -> ImportedInvoice:
        for name, text in record.items():
            if undecodable(text):
                raise InvalidInput(name, "not UTF-8 text; save the export as UTF-8")
        fields = self.mapping.defaults | {k: v.strip() for k, v in record.items() if v.strip()}

        def value(name: str) -> str:
            return fields.get(name, "")

        currency = parse_currency(value("currency"), field="currency")
        amount = Money.parse(value("amount"), currency, field="amount")
        if amount.minor < 0:
            raise InvalidInput("amount", f"negative amount {value('amount')!r}")
        issued = self._day(value("issued_on"), "issued_on")
        due_on = self._day(value("due_on"), "due_on")
        if due_on < issued:
            raise InvalidInput("due_on", f"{due_on} is before issued_on {issued}")
        settled_text = value("settled_on")
        settled = self._day(settled_text, "settled_on") if settled_text else None
        due_text = value("amount_due")
        due = Money.parse(due_text, currency, field="amount_due") if due_text else amount
        if not 0 <= due.minor <= amount.minor:
            raise InvalidInput("amount_due", f"{due_text!r} is not between 0 and the amount")
        status, due = self._state(issued, due_on, settled, due)
        customer = self._customer(value)
        invoice = Invoice(
            id=_required(value("invoice_id"), "invoice_id"),
            customer_id=customer.id,
            amount=amount,
            amount_due=due,
            issued_on=issued,
            due_on=due_on,
            status=status,
            fact_at=self.fact_at,
        )
        return ImportedInvoice(customer, invoice, line)

    def _day(self, text: str, name: str) -> date:
        if not text:
            raise InvalidInput(name, "missing date")
        try:
            return self._date(text)
        except ValueError:
            fmt = self.mapping.date_format
            raise InvalidInput(name, f"date {text!r} does not match {fmt!r}") from None

    def _state(
        self, issued: date, due_on: date, settled: date | None, due: Money
    ) -> tuple[InvoiceStatus, Money]:
        """The invoice's status on the as-of date (or today)."""
        when = self.today
        if self.as_of is not None and issued > when:
            return InvoiceStatus.UPCOMING, due
        if (settled is not None and settled <= when) or due.minor == 0:
            return InvoiceStatus.PAID, Money.zero(due.currency)
        if due_on < when:
            return InvoiceStatus.OVERDUE, due
        return InvoiceStatus.OPEN, due

    def _customer(self, value: Callable[[str], str]) -> Customer:
        country = value("country").upper() or None
        if country is not None and (len(country) != 2 or not country.isalpha()):
            raise InvalidInput("country", f"{country!r} is not an ISO 3166 two-letter code")
        customer_id = _required(value("customer_id"), "customer_id")
        name, phone, email = value("name") or None, value("phone") or None, value("email") or None
        locale, timezone = value("locale") or None, value("timezone") or None
        # An export repeats each customer on every invoice: build each one once.
        key = (customer_id, country, name, phone, email, locale, timezone)
        customer = self._customers.get(key)
        if customer is None:
            if len(self._customers) >= _KEPT_CUSTOMERS:
                self._customers.clear()
            details = [
                check_contact(field, text)
                for field, text in (
                    ("phone", phone),
                    ("email", email),
                    ("locale", locale),
                    ("timezone", timezone),
                    ("country", country),
                )
            ]
            phone, email, locale, timezone, country = details
            customer = Customer(customer_id, name, phone, email, locale, timezone, country)
            self._customers[key] = customer
        return customer


def _required(text: str, name: str) -> str:
    if not text:
        raise InvalidInput(name, "missing value")
    if len(text) > 128:
        raise InvalidInput(name, "longer than 128 characters")
    return text


def _date_parser(date_format: str) -> Callable[[str], date]:
    """A cached parser: an export repeats the same few hundred dates a million times."""

    @lru_cache(maxsize=65_536)
    def parse(text: str) -> date:
        parsed: date = datetime.strptime(text, date_format).date()
        return parsed

    return parse


def as_of_moment(as_of: date) -> datetime:
    """The fact time of a replayed export: the start of its as-of date, UTC."""
    return datetime.combine(as_of, time.min, tzinfo=UTC)
