"""`python -m bench`: import speed and peak memory against a plain executemany baseline.

Every figure is a ratio against a baseline measured in the same run on the same data,
because absolute times on a shared machine drift between runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._data import write_export

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "examples" / "accounts-receivable.toml"


def _baseline(path: Path, db: Path) -> float:
    """Rows per second of a bare executemany of the same rows in one transaction."""
    started = time.perf_counter()
    connection = sqlite3.connect(db)
    connection.execute(
        "CREATE TABLE invoices (id TEXT PRIMARY KEY, customer_id TEXT, currency TEXT, amount "
        "INTEGER, amount_due INTEGER, issued_on TEXT, due_on TEXT, status TEXT, fact_at TEXT)"
    )
    with path.open(newline="") as stream:
        reader = csv.DictReader(stream)
        rows = (
            (
                r["invoiceNumber"],
                r["customerID"],
                "USD",
                r["InvoiceAmount"],
                r["InvoiceAmount"],
                r["InvoiceDate"],
                r["DueDate"],
                "open",
                "",
            )
            for r in reader
        )
        with connection:
            connection.executemany("INSERT INTO invoices VALUES (?,?,?,?,?,?,?,?,?)", rows)
        count = connection.execute("SELECT count(*) FROM invoices").fetchone()[0]
    connection.close()
    return float(count) / (time.perf_counter() - started)


def _settle_import(path: Path, db: Path) -> dict[str, Any]:
    """Run `settle import` in a child process; its rows per second and peak RSS."""
    env = {**os.environ, "SETTLE_DATABASE_URL": f"sqlite:///{db}", "SETTLE_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "import",
        str(path),
        "--mapping",
        str(MAPPING),
        "--as-of",
        "2013-06-01",
        "--no-progress",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if status != 0:
        raise SystemExit(f"settle import failed ({status}): {output}")
    rows = int(output.split(" rows:")[0])
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "summary": output.strip(),
    }


def _import_case(rows: int, folder: Path) -> dict[str, Any]:
    export = write_export(folder / f"ar-{rows}.csv", rows)
    baseline = _baseline(export, folder / f"baseline-{rows}.db")
    first = _settle_import(export, folder / f"settle-{rows}.db")
    again = _settle_import(export, folder / f"settle-{rows}.db")
    return {
        "rows": rows,
        "baseline_rows_per_second": round(baseline),
        "import": first,
        "import_ratio": round(first["rows_per_second"] / baseline, 3),
        "reimport": again,
        "reimport_ratio": round(again["rows_per_second"] / first["rows_per_second"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--out", type=Path, default=Path("bench/out/results.json"))
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [100_000, 1_000_000]
    with tempfile.TemporaryDirectory() as temp:
        results = [_import_case(rows, Path(temp)) for rows in sizes]
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    print(f"machine: {machine}")
    print(
        f"{'rows':>10} {'baseline r/s':>13} {'import r/s':>11} {'ratio':>6} "
        f"{'peak MB':>8} {'reimport r/s':>13} {'ratio':>6} {'peak MB':>8}"
    )
    for r in results:
        print(
            f"{r['rows']:>10} {r['baseline_rows_per_second']:>13} "
            f"{r['import']['rows_per_second']:>11} {r['import_ratio']:>6} "
            f"{r['import']['peak_rss_mb']:>8} {r['reimport']['rows_per_second']:>13} "
            f"{r['reimport_ratio']:>6} {r['reimport']['peak_rss_mb']:>8}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "import": results}, indent=2))
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
