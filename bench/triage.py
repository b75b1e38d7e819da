"""`python -m bench.triage`: the daily triage over a large book against a bare median pass.

A generated export (`--rows` invoices of `--customers` customers, shaped like the
accounts-receivable sample) is imported as of one day; the benchmark is the next day's
sweep, the one `settle serve` runs daily: open invoices that fell due are aged, and every
overdue invoice no case holds yet is judged against its customer's recent invoices.

The baseline, in the same process on the same database file, is a bare Python pass that
reads every invoice and computes each customer's median amount.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench._data import write_export

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "examples" / "accounts-receivable.toml"
IMPORTED_ON = date(2013, 5, 31)
SWEPT_ON = date(2013, 6, 1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.triage", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    return parser.parse_args()


def build_book(folder: Path, *, rows: int, customers: int) -> Path:
    """An SQLite book of `rows` invoices imported as of IMPORTED_ON; its path."""
    export = write_export(folder / "book.csv", rows, per_customer=max(1, rows // customers))
    db = folder / "book.db"
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{db}", "SETTLE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "bot.cli", "import", str(export), "--mapping", str(MAPPING)]
    command += ["--as-of", IMPORTED_ON.isoformat(), "--no-progress"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    export.unlink()
    return db


def bare_medians(db: Path) -> tuple[float, int]:
    """Seconds of a bare pass computing each customer's median amount; customers seen."""
    started = time.perf_counter()
    amounts: defaultdict[str, list[int]] = defaultdict(list)
    connection = sqlite3.connect(db)
    try:
        for customer, amount in connection.execute("SELECT customer_id, amount FROM invoices"):
            amounts[customer].append(amount)
    finally:
        connection.close()
    medians = {customer: statistics.median(values) for customer, values in amounts.items()}
    return time.perf_counter() - started, len(medians)


async def _sweep(db: Path) -> tuple[float, dict[str, Any]]:
    from bot import Settings, SystemClock, sweep
    from storage import open_store

    settings = Settings(database_url=f"sqlite:///{db}", _env_file=None)
    store = await open_store(settings, SystemClock())
    try:
        started = time.perf_counter()
        result = await sweep(store, settings, _At(SWEPT_ON), today=SWEPT_ON, actor="bench")
        seconds = time.perf_counter() - started
    finally:
        await store.close()
    summary = {"aged": result.aged, "overdue": result.overdue, "opened": len(result.opened)}
    return seconds, summary


class _At:
    """The clock of the sweep's day, at noon UTC."""

    def __init__(self, day: date) -> None:
        self._moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)

    def now(self) -> datetime:
        return self._moment


def measure(db: Path) -> dict[str, Any]:
    """The baseline, then the sweep, on the same file."""
    baseline, customers = bare_medians(db)
    seconds, summary = asyncio.run(_sweep(db))
    return {
        "customers": customers,
        "baseline_seconds": round(baseline, 3),
        "sweep_seconds": round(seconds, 3),
        "ratio": round(seconds / baseline, 2),
        **summary,
    }


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="settle-triage-") as name:
        print(f"importing {args.rows:,} invoices of {args.customers:,} customers", flush=True)
        db = build_book(Path(name), rows=args.rows, customers=args.customers)
        result = measure(db)
    for key, value in result.items():
        print(f"{key:<18}{value}")


if __name__ == "__main__":
    main()
