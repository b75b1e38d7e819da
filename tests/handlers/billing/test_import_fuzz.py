"""Arbitrary `settle import` files: every row is imported or reported with its line, never
a crash and never half a row; a file that cannot be read at all is refused as a whole.

Each example writes one file (CSV or JSON Lines) of rows near a valid export, with fields
replaced by hostile text, bytes that are not UTF-8, truncated lines and extra columns,
imports it into a fresh database, and checks what was stored against what was reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from bot import Ingest, InvalidInput, Settings
from handlers.billing import Mapping, import_collection_list, import_file
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.fuzzing import FUZZ
from tests.handlers.billing.test_webhooks_fuzz import amounts, currencies, iso_dates

COLUMNS = ["customer_id", "invoice_id", "amount", "currency", "issued_on", "due_on", "name"]
_VALID = {
    "customer_id": "C-1",
    "invoice_id": "INV-1",
    "amount": "412.90",
    "currency": "USD",
    "issued_on": "2024-01-01",
    "due_on": "2024-01-31",
    "name": "Dana",
}
_hostile = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", '"', '""', "\x00", "\n", "\r\n", "=1+1", "\u202e", "😀" * 3]),
    amounts,
    currencies,
    iso_dates,
)


@st.composite
def rows(draw: st.DrawFn, serial: int) -> dict[str, str]:
    row = dict(_VALID) | {"invoice_id": f"INV-{serial}", "customer_id": f"C-{serial % 3}"}
    for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=3)):
        row[column] = draw(_hostile)
    return row


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(draw(st.permutations(COLUMNS)) if draw(st.booleans()) else COLUMNS)
    lines = [out.getvalue().encode()]
    for serial in range(draw(st.integers(0, 8))):
        out = io.StringIO()
        row = draw(rows(serial))
        values = [row[c] for c in COLUMNS] + draw(st.lists(st.text(max_size=3), max_size=1))
        csv.writer(out).writerow(values)
        line = out.getvalue().encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 5)) == 0:
            line = line[: draw(st.integers(0, len(line)))]  # truncated
        if draw(st.integers(0, 5)) == 0:
            line = line.replace(b"a", b"\xff\xfe", 1)  # not UTF-8
        lines.append(line)
    return b"".join(lines)


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    lines = []
    for serial in range(draw(st.integers(0, 8))):
        choice = draw(st.integers(0, 6))
        if choice == 0:
            lines.append(draw(st.binary(max_size=40)))
        elif choice == 1:
            lines.append(json.dumps(draw(st.lists(st.integers(), max_size=2))).encode())
        else:
            lines.append(json.dumps(draw(rows(serial))).encode())
    return b"\n".join(lines)


files = st.one_of(
    st.tuples(st.just("csv"), csv_files()),
    st.tuples(st.just("csv"), csv_files()),
    st.tuples(st.just("jsonl"), jsonl_files()),
    st.tuples(st.just("csv"), st.binary(max_size=200)),
)


def _stored(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    ids = {invoice for (invoice,) in db.execute("SELECT id FROM invoices")}
    db.close()
    return ids


@FUZZ
@given(file=files)
async def test_import_reports_every_bad_row_and_stores_only_whole_rows(
    settings: Settings, tmp_path_factory: Any, file: tuple[str, bytes]
) -> None:
    kind, content = file
    folder = tmp_path_factory.mktemp("import")
    path = folder / f"export.{kind}"
    path.write_bytes(content)
    clock = FixedClock(datetime(2024, 3, 4, 19, 0, tzinfo=UTC))
    store = await SqliteStore.open(folder / "settle.db", clock)
    try:
        summary = await import_file(
            store, settings, clock, path, Mapping.load(None), show_progress=False
        )
    except InvalidInput as error:
        refused: InvalidInput | None = error
    else:
        refused = None
    finally:
        await store.close()
    if refused is not None:
        event(f"{kind}: file refused ({refused.field})")
        assert (refused.field, _stored(folder / "settle.db")) == ("FILE", set())
        return

    event(f"{kind}: {(summary.failed and 'some rows reported') or 'all rows imported'}")
    assert summary.rows == summary.imported + summary.failed + summary.superseded
    assert all(error.line >= 1 and error.message for error in summary.errors)
    stored = _stored(folder / "settle.db")
    assert len(stored) <= summary.imported
    # Line numbers as the reader counts them: newline-free CSV lines end only at CR or LF.
    lines = re.split(r"\r\n|\r|\n", content.decode("utf-8", "replace"))
    for error in summary.errors:
        if error.line <= len(lines):
            # A reported row left nothing: its invoice id is stored only if another line of
            # the file holds it too.
            mentioned = {i for i in stored if i in lines[error.line - 1]}
            elsewhere = {
                i for n, t in enumerate(lines, 1) if n != error.line for i in stored if i in t
            }
            assert mentioned <= elsewhere


# Collection lists (`settle import --collection-list`) -------------------------------------

LIST_COLUMNS = ["customer_id", "amount_owed", "currency", "days_overdue", "reference", "name"]
_LIST_ROW = {
    "customer_id": "C-1",
    "amount_owed": "1200.00",
    "currency": "USD",
    "days_overdue": "90",
    "reference": "D-1",
    "name": "Dana",
}


@st.composite
def collection_lists(draw: st.DrawFn) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(LIST_COLUMNS)
    lines = [out.getvalue().encode()]
    for serial in range(draw(st.integers(0, 6))):
        row = _LIST_ROW | {"customer_id": f"C-{serial}", "reference": f"D-{serial}"}
        for column in draw(st.lists(st.sampled_from(LIST_COLUMNS), max_size=3)):
            row[column] = draw(_hostile)
        out = io.StringIO()
        csv.writer(out).writerow([row[c] for c in LIST_COLUMNS])
        line = out.getvalue().encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 5)) == 0:
            line = line.replace(b"a", b"\xff", 1)  # not UTF-8
        lines.append(line)
    return b"".join(lines)


@FUZZ
@given(content=st.one_of(collection_lists(), st.binary(max_size=200)))
async def test_collection_list_reports_every_bad_row_and_stores_only_whole_rows(
    settings: Settings, tmp_path_factory: Any, content: bytes
) -> None:
    folder = tmp_path_factory.mktemp("list")
    path = folder / "list.csv"
    path.write_bytes(content)
    clock = FixedClock(datetime(2024, 3, 4, 19, 0, tzinfo=UTC))
    store = await SqliteStore.open(folder / "settle.db", clock)
    try:
        summary = await import_collection_list(Ingest(store, clock, settings), clock, path)
    except InvalidInput as error:
        refused: InvalidInput | None = error
    else:
        refused = None
    finally:
        counts = await store.counts()
        await store.close()
    if refused is not None:
        event(f"list refused ({refused.field})")
        assert (refused.field, counts["billing_events"]) == ("FILE", 0)
        return

    reported = "no rows" if not summary.rows else "some rows reported" if summary.errors else ""
    event(f"list: {reported or 'all rows imported'}")
    assert summary.rows == summary.moved + summary.unchanged + len(summary.errors)
    assert all(line >= 1 and message for line, message in summary.errors)
    # A row naming the same debt as an earlier one is the same event: stored once.
    assert summary.moved <= counts["billing_events"] <= summary.moved + summary.unchanged
