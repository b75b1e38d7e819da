"""Billing webhooks: canonical JSON, Stripe and GoCardless, as Starlette endpoints.

Each request is verified, parsed and checked before anything is stored; a
refusal is a 4xx whose JSON names the field at fault, plus a log line and a counter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import BillingEvent, EventRejected, Ingest, IngestResult, Settings, parse_event
from bot._events import check_event
from bot._metrics import Metrics
from handlers.billing._gocardless import translate_gocardless, verify_gocardless
from handlers.billing._stripe import translate_stripe, verify_stripe

__all__ = ["billing_routes", "sign_canonical", "verify_canonical"]

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[JSONResponse]]


def sign_canonical(body: bytes, secret: str, timestamp: int) -> str:
    """The `X-Settle-Signature` value for a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_canonical(
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    secret: str,
    *,
    tolerance: int,
    now: float,
) -> None:
    """Check the timestamp window and the HMAC; raise naming the header at fault."""
    if not timestamp or not timestamp.strip().isdigit() or len(timestamp.strip()) > 12:
        raise EventRejected("X-Settle-Timestamp", "missing or not unix seconds")
    sent = int(timestamp)
    if abs(now - sent) > tolerance:
        raise EventRejected("X-Settle-Timestamp", f"more than {tolerance} s from now")
    if not signature:
        raise EventRejected("X-Settle-Signature", "missing; expected sha256=<hex>")
    expected = sign_canonical(body, secret, sent)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise EventRejected("X-Settle-Signature", "does not match the body and timestamp")


class _Webhooks:
    def __init__(self, ingest: Ingest, settings: Settings, metrics: Metrics) -> None:
        self.ingest = ingest
        self.settings = settings
        self.metrics = metrics

    async def body(self, request: Request, source: str) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise EventRejected("body", f"larger than {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise EventRejected("body", f"larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def secret(self, value: Any, name: str) -> str:
        if value is None:
            raise _NotConfigured(name)
        return str(value.get_secret_value())

    async def canonical(self, request: Request) -> JSONResponse:
        body = await self.body(request, "canonical")
        secret = self.secret(self.settings.webhook_secret, "SETTLE_WEBHOOK_SECRET")
        verify_canonical(
            body,
            request.headers.get("x-settle-timestamp"),
            request.headers.get("x-settle-signature"),
            secret,
            tolerance=self.settings.webhook_tolerance_seconds,
            now=time.time(),
        )
        event = parse_event(body)
        result = await self.accept("canonical", event, body)
        return JSONResponse(_result(event, result))

    async def stripe(self, request: Request) -> JSONResponse:
        body = await self.body(request, "stripe")
        secret = self.secret(self.settings.stripe_webhook_secret, "SETTLE_STRIPE_WEBHOOK_SECRET")
        envelope = verify_stripe(
            body,
            request.headers.get("stripe-signature"),
            secret,
            tolerance=self.settings.webhook_tolerance_seconds,
        )
        event = translate_stripe(envelope)
        if event is None:
            return self.ignored("stripe", str(envelope.get("type")), str(envelope.get("id")))
        result = await self.accept("stripe", check_event(event), body)
        return JSONResponse(_result(event, result))

    async def gocardless(self, request: Request) -> JSONResponse:
        body = await self.body(request, "gocardless")
        name = "SETTLE_GOCARDLESS_WEBHOOK_SECRET"
        secret = self.secret(self.settings.gocardless_webhook_secret, name)
        raw_events = verify_gocardless(body, request.headers.get("webhook-signature"), secret)
        # Translate every event before applying any, so that a bad one stores nothing.
        translated = [(raw, _checked(translate_gocardless(raw))) for raw in raw_events]
        results = []
        for raw, event in translated:
            if event is None:
                self.metrics.ignored.labels("gocardless").inc()
                kind = f"{raw.get('resource_type')}.{raw.get('action')}"
                logger.info("gocardless event id=%s type=%s ignored", raw.get("id"), kind)
                results.append({"id": raw.get("id"), "outcome": "ignored"})
                continue
            result = await self.accept("gocardless", event, _json(raw))
            results.append(_result(event, result))
        return JSONResponse({"events": results})

    async def accept(self, source: str, event: BillingEvent, payload: bytes | str) -> IngestResult:
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        result = await self.ingest.accept(source, event, text)
        self.metrics.events.labels(source, result.outcome.value).inc()
        return result

    def ignored(self, source: str, kind: str, event_id: str) -> JSONResponse:
        self.metrics.ignored.labels(source).inc()
        logger.info("%s event id=%s type=%s ignored", source, event_id, kind)
        return JSONResponse({"id": event_id, "outcome": "ignored"})


class _NotConfigured(Exception):
    def __init__(self, setting: str) -> None:
        super().__init__(setting)
        self.setting = setting


def _checked(event: BillingEvent | None) -> BillingEvent | None:
    return None if event is None else check_event(event)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _result(event: BillingEvent, result: IngestResult) -> dict[str, Any]:
    return {
        "id": event.id,
        "outcome": result.outcome.value,
        "opened": result.opened,
        "closed": result.closed,
        "updated": result.updated,
    }


def _guard(source: str, metrics: Metrics, handler: Endpoint) -> Endpoint:
    """Turn refusals into 4xx answers that name the field; log and count them."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except EventRejected as error:
            metrics.rejected.labels(source, _INDEX.sub("[]", error.field)).inc()
            logger.warning("%s request refused field=%s: %s", source, error.field, error.message)
            status = _status(error)
            return JSONResponse(
                {"error": {"field": error.field, "message": error.message}}, status_code=status
            )
        except _NotConfigured as error:
            logger.error("%s webhook refused: %s is not set", source, error.setting)
            message = f"{error.setting} is not set on this server"
            return JSONResponse(
                {"error": {"field": error.setting, "message": message}}, status_code=503
            )

    return endpoint


_INDEX = re.compile(r"\[\d+\]")  # events[3].id and events[4].id share one metric label
_AUTH_HEADERS = frozenset(
    {"X-Settle-Timestamp", "X-Settle-Signature", "Stripe-Signature", "Webhook-Signature"}
)


def _status(error: EventRejected) -> int:
    if error.field in _AUTH_HEADERS:
        return 401
    return 413 if error.field == "body" and "larger than" in error.message else 400


def billing_routes(ingest: Ingest, settings: Settings, metrics: Metrics) -> list[Route]:
    """The three billing endpoints of DESIGN.md."""
    hooks = _Webhooks(ingest, settings, metrics)
    endpoints = {
        "canonical": ("/billing/events", hooks.canonical),
        "stripe": ("/billing/stripe", hooks.stripe),
        "gocardless": ("/billing/gocardless", hooks.gocardless),
    }
    return [
        Route(path, _guard(source, metrics, handler), methods=["POST"])
        for source, (path, handler) in endpoints.items()
    ]
