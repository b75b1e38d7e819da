"""`GET /healthz`, `/readyz` and `/metrics`, the request log line, and the separate address."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest

from bot import Settings
from bot.app import Runtime, create_app
from tests.conftest import FixedClock, served
from tests.handlers.billing.test_webhooks_harness import Harness


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    async with Harness.running(settings, clock) as harness:
        yield harness


def _with_email(settings: Settings, **extra: object) -> Settings:
    return settings.model_copy(update={"email_from": "care@example.com", **extra})


async def test_readyz_is_not_ready_without_a_channel_to_customers(hook: Harness) -> None:
    response = await hook.client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "telegram": "not configured",
            "email": "not configured",
            "slack": "not configured",
        },
    }


async def test_readyz_is_ready_with_email_and_a_current_schema(
    settings: Settings, clock: FixedClock
) -> None:
    async with Harness.running(_with_email(settings), clock) as hook:
        response = await hook.client.get("/readyz")

    assert (response.status_code, response.json()["status"]) == (200, "ready")


async def test_readyz_names_a_schema_behind_the_code(
    settings: Settings, clock: FixedClock
) -> None:
    async with Harness.running(_with_email(settings), clock) as hook:
        assert settings.sqlite_path is not None
        db = sqlite3.connect(settings.sqlite_path)
        db.execute(
            "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM "
            "schema_migrations)"
        )
        db.commit()
        db.close()
        response = await hook.client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].endswith(": run settle migrate")


async def test_metrics_carry_cases_outbox_escalations_and_latency(hook: Harness) -> None:
    await hook.canonical(
        {
            "id": "evt-1",
            "type": "payment_failed",
            "occurred_at": "2024-03-04T09:00:00+00:00",
            "customer": {"id": "C-1"},
            "payment_method": {"kind": "card", "reason": "expired_card", "reference": "pm_1"},
        }
    )

    cases = await hook.metric("settle_cases", type="A", stage="pre-collection", state="open")
    waiting = await hook.metric("settle_escalations_waiting")
    latency = await hook.metric(
        "settle_request_seconds_count", route="/billing/events", method="POST", status="200"
    )

    assert (cases, waiting, latency) == (1.0, 0.0, 1.0)


async def test_every_request_is_one_log_line_without_the_token_in_its_path(
    hook: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="handlers.health"):
        await hook.client.get("/optout/secret-token-value")

    [line] = [r.getMessage() for r in caplog.records if r.name == "handlers.health"]
    assert re.fullmatch(
        r"request method=GET route=/optout/\{token\} status=\d{3} duration_ms=[\d.]+", line
    )


async def test_health_and_metrics_can_live_on_an_address_of_their_own(
    settings: Settings, clock: FixedClock
) -> None:
    runtime = Runtime.build(_with_email(settings, metrics_port=0), clock=clock)
    app = create_app(runtime)

    async with served(app) as port, httpx.AsyncClient() as client:
        assert runtime._side is not None
        side = f"http://127.0.0.1:{runtime._side.port}"
        public = f"http://127.0.0.1:{port}"
        answers = [
            (await client.get(f"{public}/metrics")).status_code,
            (await client.get(f"{public}/readyz")).status_code,
            (await client.get(f"{side}/metrics")).status_code,
            (await client.get(f"{side}/readyz")).status_code,
        ]

    assert answers == [404, 404, 200, 200]


async def test_readyz_names_a_database_that_does_not_answer(
    settings: Settings, clock: FixedClock
) -> None:
    async with Harness.running(_with_email(settings), clock) as hook:
        await hook.runtime.store.close()
        response = await hook.client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["database"], checks["migrations"]) == ("unreachable: RuntimeError", "unknown")
