"""Health, readiness and metrics endpoints, and the per-request log line and latency.

`GET /healthz` answers while the process lives and its storage answers; `GET /readyz`
says whether it should get traffic: the database reachable, its schema current, and a
channel to reach customers configured and running. Both, with `GET /metrics`, can be
served on an address of their own (`SETTLE_METRICS_PORT`), away from the public port.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot._metrics import Metrics, Snapshot
from bot.ports import Store

__all__ = ["OK", "Observed", "RequestLog", "health_routes", "route_of"]

logger = logging.getLogger(__name__)

OK = "ok"


@runtime_checkable
class Observed(Protocol):
    """What a backend tells the gauges and the readiness check."""

    async def snapshot(self) -> Snapshot: ...

    async def schema_state(self) -> tuple[int, int]: ...


def health_routes(
    store: Store, metrics: Metrics, channels: Callable[[], dict[str, str]]
) -> list[Route]:
    """`/healthz`, `/readyz` and `/metrics`; `channels` names each channel's state."""

    async def healthz(request: Request) -> JSONResponse:
        counts = await store.counts()
        return JSONResponse({"status": OK, "cases": counts["cases"]})

    async def readyz(request: Request) -> JSONResponse:
        checks = {**await _storage(store), **channels()}
        customers = any(checks.get(name) == OK for name in ("telegram", "email"))
        ready = checks["database"] == OK and checks["migrations"] == OK and customers
        status = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(status, status_code=200 if ready else 503)

    async def metrics_page(request: Request) -> Response:
        if isinstance(store, Observed):
            metrics.observe(await store.snapshot())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics_page)]


async def _storage(store: Store) -> dict[str, str]:
    """Whether the database answers and its schema is the one this code ships; a cheap read
    (the schema's version), as orchestrators ask every few seconds."""
    try:
        if not isinstance(store, Observed):
            await store.counts()
            return {"database": OK, "migrations": OK}
        applied, shipped = await store.schema_state()
    except Exception as error:
        logger.warning("readiness: database unreachable (%s)", type(error).__name__)
        unknown = f"unreachable: {type(error).__name__}"
        return {"database": unknown, "migrations": "unknown"}
    if applied != shipped:
        return {
            "database": OK,
            "migrations": f"schema {applied}, expected {shipped}: run settle migrate",
        }
    return {"database": OK, "migrations": OK}


# Paths carrying a secret or an id are logged and labelled by their route, never in full.
_PREFIXES = {"/optout/": "/optout/{token}"}


def route_of(path: str, known: frozenset[str]) -> str:
    """The label of a request's path: its route, never a token it carries."""
    if path in known:
        return path
    for prefix, route in _PREFIXES.items():
        if path.startswith(prefix):
            return route
    return "other"


class RequestLog:
    """One INFO line and one latency observation per HTTP request, by route and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.known = known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route, method = route_of(scope["path"], self.known), scope["method"]
        self.metrics.requests.labels(route, method, str(status)).observe(seconds)
        logger.info(
            "request method=%s route=%s status=%d duration_ms=%.1f",
            method,
            route,
            status,
            seconds * 1000,
        )
