"""`python -m bench`: Settle measured against baselines taken in the same run, one table.

Import speed and peak memory against a plain executemany, the re-import against the
first, the daily triage against a bare median pass, conversation throughput against a
bare python-telegram-bot handler, a campaign against the configured rate, the staff
approval round trip, and start-up against a bare import of the same libraries.

Every figure is a ratio against a baseline measured in the same run on the same data,
because absolute times on a shared machine drift between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


def _campaign(messages: int) -> dict[str, Any]:
    from bench import campaign

    args = argparse.Namespace(messages=messages, rate=30, retry_after=2)
    with tempfile.TemporaryDirectory(prefix="settle-campaign-") as temp:
        run = campaign.run(args, Path(temp))
    return campaign.figures(args, run)


def _approval(approvals: int) -> dict[str, Any]:
    from bench import approval

    args = argparse.Namespace(approvals=approvals, spacing=50.0)
    with tempfile.TemporaryDirectory(prefix="settle-approval-") as temp:
        return approval.run(args, Path(temp))


def _triage(rows: int, customers: int) -> dict[str, Any]:
    from bench import triage

    with tempfile.TemporaryDirectory(prefix="settle-triage-") as temp:
        return triage.measure(triage.build_book(Path(temp), rows=rows, customers=customers))


def _conversation(updates: int, chats: int) -> dict[str, Any]:
    from bench import conversation

    with tempfile.TemporaryDirectory(prefix="settle-conversation-") as temp:
        return asyncio.run(
            conversation.measure(Path(temp), chats=chats, updates=updates, in_flight=[8, 64])
        )


def _startup(runs: int, idle: float) -> dict[str, Any]:
    from bench import startup

    return startup.measure(runs=runs, idle=idle)


@dataclass(frozen=True)
class Sizes:
    """How much each measure does."""

    imports: tuple[int, ...]
    triage: tuple[int, int]  # invoices, customers
    conversation: tuple[int, int]  # updates per run, chats
    campaign: int
    approvals: int
    startup: tuple[int, float]  # starts, idle seconds


FULL = Sizes((100_000, 1_000_000), (1_000_000, 100_000), (3000, 2000), 10_000, 500, (5, 5.0))
# About a minute in all: CI runs it so that the suite keeps working, not for its figures.
QUICK = Sizes((10_000,), (20_000, 2_000), (160, 160), 150, 20, (1, 1.0))


def _rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(#, what, figure, baseline, target) for the table."""
    rows: list[tuple[str, str, str, str, str]] = []
    for r in results["import"]:
        rows.append(
            (
                "1",
                f"import {r['rows']:,} rows",
                f"{r['import']['rows_per_second']:,} rows/s, {r['import']['peak_rss_mb']} MB",
                f"{r['baseline_rows_per_second']:,} rows/s: ratio {r['import_ratio']}",
                "ratio >= 0.5, RSS < 300 MB",
            )
        )
        rows.append(
            (
                "2",
                f"import {r['rows']:,} rows again",
                f"{r['reimport']['rows_per_second']:,} rows/s",
                f"first import: ratio {r['reimport_ratio']}",
                "ratio >= 1.0",
            )
        )
    t = results["triage"]
    rows.append(
        (
            "3",
            f"daily triage, {t['customers']:,} customers",
            f"{t['sweep_seconds']} s",
            f"bare medians {t['baseline_seconds']} s: ratio {t['ratio']}",
            "ratio <= 2.0",
        )
    )
    for n, c in results["conversation"].items():
        s = c["settle"]
        rows.append(
            (
                "4",
                f"conversation, {n} in flight",
                f"{s['per_second']}/s, p99 {s['p99_ms']} ms",
                f"bare bot {c['baseline']['per_second']}/s: ratio {c['ratio']} "
                f"(sending Settle's answer {c['same_reply']['per_second']}/s: "
                f"ratio {c['ratio_same_reply']})",
                "ratio >= 0.7; p99 < 50 ms at 8",
            )
        )
    c = results["campaign"]
    rows.append(
        (
            "5",
            f"campaign of {c['messages']:,}",
            f"{c['rate']} msg/s, {c['lost']} lost, {c['duplicates']} duplicated",
            f"configured {c['configured']}/s: ratio {c['rate_ratio']}",
            "ratio >= 0.95, no sender 429",
        )
    )
    a = results["approval"]
    rows.append(
        (
            "6",
            f"staff approval, {a['approvals']} clicks",
            f"median {a['median_ms']} ms, p99 {a['p99_ms']} ms",
            "-",
            "median < 50 ms, p99 < 200 ms",
        )
    )
    u = results["startup"]
    rows.append(
        (
            "7",
            "settle serve start-up",
            f"ready {u['ready_seconds']} s, idle {u['idle_rss_mb']} MB",
            f"bare imports {u['bare_import_seconds']} s, {u['bare_import_rss_mb']} MB",
            "ready < 2 s, idle < 120 MB",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--out", type=Path, default=Path("bench/out/results.json"))
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as temp:
        _say("import")
        results["import"] = [_import_case(rows, Path(temp)) for rows in sizes.imports]
    _say("triage")
    results["triage"] = _triage(*sizes.triage)
    _say("conversation")
    results["conversation"] = _conversation(*sizes.conversation)
    _say("campaign")
    results["campaign"] = _campaign(sizes.campaign)
    _say("approval")
    results["approval"] = _approval(sizes.approvals)
    _say("startup")
    results["startup"] = _startup(*sizes.startup)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(f"machine: {machine}")
    table = [("#", "what", "figure", "baseline in the same run", "target"), *_rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, **results}, indent=2) + "\n")
    print(f"figures written to {args.out}")


def _say(what: str) -> None:
    print(f"measuring {what} ...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
