"""`python -m bench --quick` runs end to end, so that the benchmarks keep working.

Its figures are not checked here: on a shared machine they say little in a small run.
What is checked is that every measure ran and reported what the table needs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_quick_benchmark_runs_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"

    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    [imported] = results["import"]
    assert (imported["rows"], imported["reimport"]["rows"]) == (10_000, 10_000)
    assert results["triage"]["customers"] == 2_000
    assert sorted(results["conversation"]) == ["64", "8"]
    assert all(c["settle"]["updates"] > 0 for c in results["conversation"].values())
    assert (results["campaign"]["delivered"], results["campaign"]["lost"]) == (150, 0)
    assert results["approval"]["approvals"] == 20
    assert results["startup"]["ready_seconds"] > 0
    for number in "1234567":
        assert any(line.startswith(number + " ") for line in done.stdout.splitlines())
