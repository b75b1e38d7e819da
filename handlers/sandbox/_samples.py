"""The sample data a new sandbox starts with: an export of invoices, then billing events.

The customers are invented. Types A and C in English, Hebrew, Russian and Arabic, a card
about to expire, a reversed payment (a case for staff from the start) and a partial payment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot import Ingest, Settings, parse_event
from bot.ports import Clock, Store
from handlers.billing import Mapping, import_file

__all__ = ["SampleSummary", "load_samples", "sample_file"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SampleSummary:
    invoices: int
    events: int
    cases: int


def sample_file(name: str) -> Path:
    """A file of the sandbox's data folder."""
    return Path(str(resources.files("handlers.sandbox").joinpath("data", name)))


async def load_samples(store: Store, settings: Settings, clock: Clock) -> SampleSummary:
    """Import the sample export as of the clock's day, then apply the sample events."""
    mapping = Mapping.load(sample_file("invoices.toml"))
    imported = await import_file(
        store,
        settings,
        clock,
        sample_file("invoices.csv"),
        mapping,
        as_of=clock.now().date(),
        show_progress=False,
    )
    ingest = Ingest(store, clock, settings)
    lines = sample_file("events.jsonl").read_text(encoding="utf-8").splitlines()
    for line in filter(None, lines):
        body = json.dumps(json.loads(line))
        await ingest.accept("canonical", parse_event(body), body)
    cases = len(await store.list_cases())
    logger.info(
        "sandbox samples loaded invoices=%d events=%d cases=%d", imported.rows, len(lines), cases
    )
    return SampleSummary(imported.rows, len(lines), cases)
