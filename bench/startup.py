"""`python -m bench.startup`: `settle serve` from spawn to ready, and its idle memory.

The baseline is a bare Python process importing the same libraries the service runs on,
timed from spawn to exit with its peak RSS, in the same run. `settle serve` runs on a new
SQLite file against the Bot API emulator (a process of its own); it is ready when
`GET /healthz` answers, which uvicorn does only once the app's start-up has finished
(migrations, the bot, the outbox worker). Its idle RSS is read after it has been left
alone for `--idle` seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._campaign import Emulator, Server

# What `settle serve` imports from outside the project, as one statement.
LIBRARIES = (
    "import aiosqlite, babel.numbers, httpx, phonenumbers, holidays, prometheus_client, "
    "pydantic_settings, slack_bolt.async_app, starlette.applications, telegram.ext, uvicorn"
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="starts of each, the median kept")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds left alone")
    return parser.parse_args()


def bare_import() -> dict[str, float]:
    """Seconds from spawn to exit, and peak RSS in MB, of a process importing LIBRARIES."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", LIBRARIES])  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the bare import failed with status {status}")
    return {"seconds": time.perf_counter() - started, "rss_mb": usage.ru_maxrss / 1024}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for process {pid}")


def serve_once(emulator: Emulator, *, idle: float) -> dict[str, float]:
    """Seconds from spawn to a healthy `settle serve`, and its RSS in MB after `idle`."""
    with tempfile.TemporaryDirectory(prefix="settle-startup-") as name:
        folder = Path(name)
        started = time.perf_counter()
        server = Server.start(folder, emulator, log=folder / "serve.log")
        ready = time.perf_counter() - started
        try:
            time.sleep(idle)
            rss = _rss_mb(server.process.pid)
        finally:
            server.stop()
    return {"seconds": ready, "rss_mb": rss}


def measure(*, runs: int, idle: float) -> dict[str, Any]:
    """The median of `runs` starts of each, bare import first (it warms the file cache)."""
    bare = [bare_import() for _ in range(runs)]
    emulator = Emulator.start(per_second=30, chat_interval=1.0)
    try:
        served = [serve_once(emulator, idle=idle) for _ in range(runs)]
    finally:
        emulator.stop()

    def median(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(row[key] for row in rows), 3)

    return {
        "runs": runs,
        "ready_seconds": median(served, "seconds"),
        "idle_rss_mb": round(median(served, "rss_mb"), 1),
        "bare_import_seconds": median(bare, "seconds"),
        "bare_import_rss_mb": round(median(bare, "rss_mb"), 1),
        "ready_ratio": round(median(served, "seconds") / median(bare, "seconds"), 2),
    }


def main() -> None:
    args = _arguments()
    result = measure(runs=args.runs, idle=args.idle)
    for key, value in result.items():
        print(f"{key:<22}{value}")


if __name__ == "__main__":
    main()
