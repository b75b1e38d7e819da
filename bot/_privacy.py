"""Personal data and retention: what a backend offers, and the purge `settle serve` runs."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from bot._audit_chain import ChainReport
from bot._settings import Settings
from bot.ports import Clock

__all__ = ["Records", "purge_expired"]

logger = logging.getLogger(__name__)


@runtime_checkable
class Records(Protocol):
    """Record keeping a backend offers besides the `Store` port (COMPLIANCE rules 18, 19)."""

    async def export_customer(self, customer_id: str) -> dict[str, Any] | None: ...

    async def erase_customer(self, customer_id: str, *, by: str) -> Any: ...

    async def purge(self, *, before: Any) -> Any: ...

    async def verify_audit(self) -> ChainReport: ...


async def purge_expired(records: Records, settings: Settings, clock: Clock) -> Any:
    """Purge what is older than the retention period; log one line with the counts."""
    started = time.perf_counter()
    before = clock.now() - timedelta(days=settings.audit_retention_days)
    result = await records.purge(before=before)
    logger.info(
        "purge cases=%d audit_records=%d transcript_lines=%d messages=%d event_payloads=%d "
        "duration_ms=%.1f",
        result.cases,
        result.audit_records,
        result.transcript_lines,
        result.messages,
        result.event_payloads,
        (time.perf_counter() - started) * 1000,
    )
    return result
