"""Hypothesis settings shared by the fuzz tests of every inbound edge.

In CI the examples are derandomized (a fixed seed: the same inputs every run) and their
number is the suite's budget. `SETTLE_FUZZ_EXAMPLES=5000 pytest -k fuzz` hunts longer, on
fresh random inputs, and `--hypothesis-show-statistics` reports what each test tried.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["FUZZ", "FUZZ_EXAMPLES"]

_HUNT = os.environ.get("SETTLE_FUZZ_EXAMPLES")
FUZZ_EXAMPLES = int(_HUNT or "60")

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=_HUNT is None,
    database=None if _HUNT is None else settings.default.database,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
