"""The real app behind an in-process HTTP client, with signing helpers for the three endpoints.

Other `test_webhooks_*` modules import `Harness` and the sample loaders from here. The
runtime is built and started by hand: `httpx.ASGITransport` does not run the lifespan.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot import Settings
from bot.app import Runtime, create_app
from handlers.billing import sign_canonical
from tests.conftest import FixedClock, load_json, shared

CANONICAL_SECRET = "canonical-secret"
STRIPE_SECRET = "whsec_test"
GOCARDLESS_SECRET = "gc-secret"

# Every table a billing request could write to, as `Store.counts()` names them.
TABLES = ("customers", "payment_methods", "payments", "invoices", "billing_events", "cases")


def body_of(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def stripe_header(body: bytes, secret: str = STRIPE_SECRET, *, at: int | None = None) -> str:
    """`Stripe-Signature` as Stripe builds it: t=<unix>,v1=<hmac of "t.body">."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def gocardless_header(body: bytes, secret: str = GOCARDLESS_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def canonical_headers(
    body: bytes, secret: str = CANONICAL_SECRET, *, at: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    return {
        "X-Settle-Timestamp": str(stamp),
        "X-Settle-Signature": sign_canonical(body, secret, stamp),
        "Content-Type": "application/json",
    }


# Samples ----------------------------------------------------------------------------------


def stripe_sample_paths() -> list[Path]:
    return sorted(shared("stripe").glob("srm_*.json"))


def stripe_kind(path: Path) -> str:
    return path.stem.removeprefix("srm_")


def stripe_sample(kind: str) -> dict[str, Any]:
    """A published Stripe envelope with the unique id a real delivery would have."""
    envelope: dict[str, Any] = load_json("stripe", f"srm_{kind}.json")
    envelope["id"] = f"evt_{kind}"
    return envelope


def gocardless_samples() -> dict[str, dict[str, Any]]:
    """Every published GoCardless event by sample name; colliding ids made unique."""
    raw: dict[str, Any] = load_json("gocardless", "gocardless_webhook_samples.json")
    events = {name: copy.deepcopy(sample["events"]) for name, sample in raw.items()}
    seen = Counter(event["id"] for event in events.values())
    for name, event in events.items():
        if seen[event["id"]] > 1:
            event["id"] = f"{event['id']}-{name}"
    return events


def gocardless_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


# The app ----------------------------------------------------------------------------------


class Harness:
    """A started runtime, its app, and a client that signs what it sends."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
        runtime = Runtime.build(settings, clock=clock)
        await runtime.start()
        try:
            transport = httpx.ASGITransport(app=create_app(runtime))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield cls(runtime, client)
        finally:
            await runtime.stop()

    async def canonical(
        self, value: Any, *, secret: str = CANONICAL_SECRET, at: int | None = None
    ) -> httpx.Response:
        body = body_of(value)
        headers = canonical_headers(body, secret, at=at)
        return await self.client.post("/billing/events", content=body, headers=headers)

    async def stripe(
        self, value: Any, *, secret: str = STRIPE_SECRET, at: int | None = None
    ) -> httpx.Response:
        body = body_of(value)
        headers = {"Stripe-Signature": stripe_header(body, secret, at=at)}
        return await self.client.post("/billing/stripe", content=body, headers=headers)

    async def gocardless(self, body: bytes, *, secret: str = GOCARDLESS_SECRET) -> httpx.Response:
        headers = {"Webhook-Signature": gocardless_header(body, secret)}
        return await self.client.post("/billing/gocardless", content=body, headers=headers)

    async def counts(self) -> dict[str, int]:
        return await self.runtime.store.counts()

    async def metric(self, name: str, **labels: str) -> float:
        """A sample's value from `GET /metrics`; 0.0 when the series does not exist yet."""
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return float(sample.value)
        return 0.0


async def test_harness_serves_health_and_metrics(settings: Settings, clock: FixedClock) -> None:
    async with Harness.running(settings, clock) as hook:
        health = await hook.client.get("/healthz")
        metrics = await hook.client.get("/metrics")

        assert health.status_code == 200
        assert health.json() == {"status": "ok", "cases": 0}
        assert metrics.status_code == 200
        assert set(TABLES) <= set(await hook.counts())


def test_samples_are_all_there() -> None:
    assert len(stripe_sample_paths()) == 16
    events = gocardless_samples()
    assert len(events) == 15
    assert len({event["id"] for event in events.values()}) == 15
