"""`settle import` on the real accounts-receivable export and on broken files."""

from __future__ import annotations

import csv
import json
import statistics
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot import CaseType, InvalidInput, Settings
from handlers.billing import Mapping, import_file
from storage import SqliteStore
from tests.conftest import FixedClock, shared

ROOT = Path(__file__).resolve().parents[3]
AR_MAPPING = ROOT / "examples" / "accounts-receivable.toml"
AS_OF = date(2013, 6, 1)


def _day(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def expected_type_c(path: Path, as_of: date) -> dict[str, set[str]]:
    """The rule, computed separately from the product: customer -> selected invoices."""
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    by_customer: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_customer.setdefault(row["customerID"], []).append(row)
    chosen: dict[str, set[str]] = {}
    for customer, invoices in by_customer.items():
        for row in invoices:
            issued, due = _day(row["InvoiceDate"]), _day(row["DueDate"])
            settled = _day(row["SettledDate"]) if row["SettledDate"] else None
            if not (issued <= as_of and (settled is None or settled > as_of) and due < as_of):
                continue
            earlier = sorted(
                (r for r in invoices if _day(r["InvoiceDate"]) < issued),
                key=lambda r: (_day(r["InvoiceDate"]), r["invoiceNumber"]),
            )[-12:]
            if len(earlier) < 3:
                continue
            typical = statistics.median(Decimal(r["InvoiceAmount"]) for r in earlier)
            if Decimal(row["InvoiceAmount"]) >= Decimal("1.5") * typical:
                chosen.setdefault(customer, set()).add(row["invoiceNumber"])
    return chosen


async def _import(store: SqliteStore, settings: Settings, clock: FixedClock, path: Path) -> object:
    return await import_file(
        store, settings, clock, path, Mapping.load(AR_MAPPING), as_of=AS_OF, show_progress=False
    )


async def test_ar_export_imports_every_row(
    store: SqliteStore, settings: Settings, clock: FixedClock
) -> None:
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")

    summary = await _import(store, settings, clock, path)

    counts = await store.counts()
    assert (summary.rows, summary.imported, summary.failed) == (2466, 2466, 0)  # type: ignore[attr-defined]
    assert (counts["invoices"], counts["customers"]) == (2466, 100)


async def test_ar_export_opens_type_c_cases_exactly_where_the_rule_selects(
    store: SqliteStore, settings: Settings, clock: FixedClock
) -> None:
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")
    expected = expected_type_c(path, AS_OF)

    await _import(store, settings, clock, path)

    views = await store.list_cases()
    opened = {v.case.customer_id: set(v.case.invoice_ids) for v in views}
    assert all(v.case.type is CaseType.C for v in views)
    assert opened == expected
    assert len(expected) >= 1


async def test_ar_case_records_the_median_and_ratio_it_was_judged_by(
    store: SqliteStore, settings: Settings, clock: FixedClock
) -> None:
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")

    await _import(store, settings, clock, path)

    why = (await store.list_cases())[0].case.why
    assert (sorted(why), why["as_of"]) == (
        ["as_of", "invoice", "median", "prior_invoices", "ratio", "rule", "threshold"],
        "2013-06-01",
    )
    assert Decimal(why["ratio"]) >= Decimal("1.5")


async def test_reimporting_the_same_export_changes_nothing(
    store: SqliteStore, settings: Settings, clock: FixedClock
) -> None:
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")
    await _import(store, settings, clock, path)
    before = await store.counts()

    summary = await _import(store, settings, clock, path)

    assert (summary.written, summary.unchanged, summary.cases_opened) == (0, 2466, 0)  # type: ignore[attr-defined]
    assert await store.counts() == before


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_bad_rows_are_reported_by_line_and_the_rest_imports(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "export.csv",
        [
            "customer_id,invoice_id,amount,currency,issued_on,due_on",
            "C1,I1,10.00,EUR,2024-01-01,2024-01-31",
            "C1,I2,12.345,EUR,2024-02-01,2024-02-28",
            "C1,I3,10.00,XXZ,2024-03-01,2024-03-31",
            "C1,I4,10.00,EUR,2024-13-01,2024-03-31",
            "C1,I5,10.00,EUR",
            ",I6,10.00,EUR,2024-01-01,2024-01-31",
            "C1,I7,10.00,EUR,2024-05-01,2024-04-01",
        ],
    )

    summary = await import_file(store, settings, clock, path, Mapping.load(None))

    assert (summary.imported, summary.failed) == (1, 6)
    assert [(e.line, e.message.split(":")[0]) for e in summary.errors] == [
        (3, "amount"),
        (4, "currency"),
        (5, "issued_on"),
        (6, "expected 6 columns, found 4"),
        (7, "customer_id"),
        (8, "due_on"),
    ]


async def test_customer_details_are_checked_as_the_webhook_checks_them(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    head = "customer_id,invoice_id,amount,currency,issued_on,due_on,"
    path = _write(
        tmp_path / "export.csv",
        [
            head + "timezone,locale,email,phone",
            "C1,I1,10.00,EUR,2024-01-01,2024-01-31,Europe/Berlin,de_DE,c1@example.com,+4930123456",
            "C2,I2,10.00,EUR,2024-01-01,2024-01-31,Mars/Base,,,",
            "C3,I3,10.00,EUR,2024-01-01,2024-01-31,,xx_YY,,",
            "C4,I4,10.00,EUR,2024-01-01,2024-01-31,,,not-an-email,",
            "C5,I5,10.00,EUR,2024-01-01,2024-01-31,,,,12345",
        ],
    )

    summary = await import_file(store, settings, clock, path, Mapping.load(None))

    assert (summary.imported, summary.failed) == (1, 4)
    assert [(e.line, e.message.split(":")[0]) for e in summary.errors] == [
        (3, "timezone"),
        (4, "locale"),
        (5, "email"),
        (6, "phone"),
    ]


async def test_jsonl_export_with_flag_mapping_and_currency(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    rows = [
        {
            "cust": "C9",
            "number": "N1",
            "total": "1000",
            "issued": "2024-01-01",
            "due": "2024-01-31",
        },
        "not an object",
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    mapping = Mapping.load(
        None,
        overrides={
            "customer_id": "cust",
            "invoice_id": "number",
            "amount": "total",
            "issued_on": "issued",
            "due_on": "due",
        },
    ).with_currency("JPY")

    summary = await import_file(store, settings, clock, path, mapping)

    invoice = (await store.list_cases(), await _invoice(store, "N1"))[1]
    assert (summary.imported, summary.failed) == (1, 2)
    assert (invoice.amount.minor, invoice.amount.currency) == (1000, "JPY")


async def _invoice(store: SqliteStore, invoice_id: str) -> object:
    async with store.transaction() as tx:
        return await tx.get_invoice(invoice_id)


async def test_missing_required_column_is_refused_before_any_row(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = _write(tmp_path / "x.csv", ["customer_id,amount", "C1,10"])

    with pytest.raises(InvalidInput, match="invoice_id"):
        await import_file(store, settings, clock, path, Mapping.load(None).with_currency("USD"))

    assert (await store.counts())["invoices"] == 0


async def test_undecodable_row_is_reported_and_the_rest_imports(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(
        b"customer_id,invoice_id,amount,issued_on,due_on,name\n"
        b"C1,I1,10.00,2024-01-01,2024-01-31,Ann\n"
        b"C2,I2,10.00,2024-01-01,2024-01-31,Jos\xe9\n"
        b"C3,I3,10.00,2024-01-01,2024-01-31,Bo\n"
    )
    mapping = Mapping.load(None).with_currency("EUR")

    summary = await import_file(store, settings, clock, path, mapping)

    assert (summary.imported, [(e.line, e.message) for e in summary.errors]) == (
        2,
        [(3, "name: not UTF-8 text; save the export as UTF-8")],
    )


async def test_utf16_file_is_refused_as_not_utf8(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("customer_id,invoice_id,amount,issued_on,due_on\n", encoding="utf-16")

    with pytest.raises(InvalidInput, match="not UTF-8"):
        await import_file(store, settings, clock, path, Mapping.load(None).with_currency("EUR"))


async def test_as_of_after_today_is_refused(
    store: SqliteStore, settings: Settings, clock: FixedClock
) -> None:
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")

    with pytest.raises(InvalidInput, match="--as-of"):
        await import_file(
            store, settings, clock, path, Mapping.load(AR_MAPPING), as_of=date(2099, 1, 1)
        )

    assert (await store.counts())["invoices"] == 0


async def test_invoice_of_another_customer_in_the_same_file_is_a_row_error(
    store: SqliteStore, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "clash.csv",
        [
            "customer_id,invoice_id,amount,currency,issued_on,due_on",
            "C1,I1,10.00,EUR,2024-01-01,2024-01-31",
            "C2,I1,12.00,EUR,2024-01-01,2024-01-31",
        ],
    )

    summary = await import_file(store, settings, clock, path, Mapping.load(None))

    assert (summary.imported, summary.failed) == (1, 1)
    assert summary.errors[0].message == "invoice_id: I1 belongs to customer C1 (line 2), not C2"
