"""`settle import`: stream an export into storage in batches, then triage the book."""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot import InvalidInput, Settings, sweep
from bot.ports import Clock, ImportedInvoice, Store
from handlers.billing._files import Mapping, RowError, as_of_moment, read_rows

__all__ = ["ImportSummary", "import_file"]

logger = logging.getLogger(__name__)

BATCH = 20_000  # rows a transaction: fewer commits rewrite fewer index pages
KEPT_ERRORS = 1_000  # the first errors are kept for the report; the rest are counted


@dataclass(slots=True)
class ImportSummary:
    rows: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    superseded: int = 0
    errors: list[RowError] = field(default_factory=list)
    overdue: int = 0
    substantial: int = 0
    cases_opened: int = 0
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.written + self.unchanged

    def fail(self, error: RowError) -> None:
        self.failed += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(error)


async def import_file(
    store: Store,
    settings: Settings,
    clock: Clock,
    path: Path,
    mapping: Mapping,
    *,
    kind: str | None = None,
    as_of: date | None = None,
    show_progress: bool | None = None,
) -> ImportSummary:
    """Import `path` (CSV or JSON Lines); bad rows are reported, the rest are stored."""
    started = time.perf_counter()
    today = clock.now().date()
    if as_of is not None and as_of > today:
        msg = f"{as_of} is after today ({today}); an export replays only as it stood in the past"
        raise InvalidInput("--as-of", msg)
    kind = kind or _kind(path)
    fact_at = as_of_moment(as_of) if as_of else clock.now()
    summary = ImportSummary()
    try:
        # Undecodable bytes survive as surrogates, so that their row alone is refused.
        stream = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as error:
        raise InvalidInput("FILE", f"cannot open {path}: {error.strerror}") from None
    with stream, _progress(path, show_progress) as bar, _fewer_collections():
        lines = _CountedLines(stream, bar)
        rows = read_rows(lines, mapping, kind=kind, as_of=as_of, today=today, fact_at=fact_at)
        await _store_batches(store, rows, summary)
    context = {"as_of": as_of.isoformat()} if as_of else None
    result = await sweep(
        store, settings, clock, today=as_of or today, actor="import", context=context
    )
    summary.overdue, summary.substantial = result.overdue, result.substantial
    summary.cases_opened = len(result.opened)
    summary.seconds = time.perf_counter() - started
    logger.info(
        "import file=%s rows=%d written=%d unchanged=%d failed=%d cases_opened=%d seconds=%.1f",
        path.name,
        summary.rows,
        summary.written,
        summary.unchanged,
        summary.failed,
        summary.cases_opened,
        summary.seconds,
    )
    return summary


async def _store_batches(
    store: Store, rows: Iterator[ImportedInvoice | RowError], summary: ImportSummary
) -> None:
    """Store rows in batches of BATCH, one transaction each; bad rows are counted."""
    batch: dict[str, ImportedInvoice] = {}
    for row in rows:
        summary.rows += 1
        error = row if isinstance(row, RowError) else _clash(batch, row)
        if error is not None:
            summary.fail(error)
            continue
        assert isinstance(row, ImportedInvoice)
        # Within a batch a later row for an invoice replaces the earlier one.
        summary.superseded += row.invoice.id in batch
        batch[row.invoice.id] = row
        if len(batch) >= BATCH:
            await _flush(store, list(batch.values()), summary)
            batch = {}
    await _flush(store, list(batch.values()), summary)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often while rows stream through.

    Each row makes a handful of objects that die with their batch, none in a cycle; with
    the collector's default thresholds it walks every tracked object again and again, a
    tenth of an import's time. What lived before is frozen out of its walks meanwhile.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _clash(batch: dict[str, ImportedInvoice], row: ImportedInvoice) -> RowError | None:
    earlier = batch.get(row.invoice.id)
    if earlier is None or earlier.customer.id == row.customer.id:
        return None
    msg = (
        f"invoice_id: {row.invoice.id} belongs to customer {earlier.customer.id} "
        f"(line {earlier.line}), not {row.customer.id}"
    )
    return RowError(row.line, msg)


async def _flush(store: Store, batch: list[ImportedInvoice], summary: ImportSummary) -> None:
    if not batch:
        return
    result = await store.import_invoices(batch)
    summary.written += result.written
    summary.unchanged += result.unchanged
    for row, owner in result.conflicts:
        msg = f"invoice_id: {row.invoice.id} belongs to customer {owner}, not {row.customer.id}"
        summary.fail(RowError(row.line, msg))


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    msg = f"cannot tell the format of {path.name!r}; use --format csv or --format jsonl"
    raise InvalidInput("--format", msg)


def _progress(path: Path, show: bool | None) -> tqdm[Any]:
    # disable=None lets tqdm hide itself when stderr is not a terminal.
    disable = None if show is None else not show
    total = path.stat().st_size if path.exists() else None
    return tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=disable)


class _CountedLines:
    """A line iterator over a text stream that moves the progress bar as it goes."""

    def __init__(self, stream: TextIO, bar: tqdm[Any]) -> None:
        self._stream = stream
        self._bar = bar
        self._pending = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._stream)
        self._pending += len(line)
        if self._pending >= 1 << 20:
            self._bar.update(self._pending)
            self._pending = 0
        return line
