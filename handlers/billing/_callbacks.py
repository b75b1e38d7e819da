"""The `billing` channel: outbound events POSTed to the billing system, signed.

The body is signed like inbound canonical events (`X-Settle-Timestamp`, and
`X-Settle-Signature: sha256=<hex>` over "<timestamp>.<body>"), and carries the event id
as `Idempotency-Key`. Any answer but a 2xx is retried by the outbox with backoff.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from bot import Contact, RateLimited
from bot.ports import SendResult
from handlers.billing._webhooks import sign_canonical

__all__ = ["BillingCallbackSender", "CaseFileSender"]


class BillingCallbackSender:
    """Implements the outbox's `Sender` port for billing callbacks."""

    channel = "billing"
    needs_chat = False
    reaches_customer = False

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._secret = secret
        self._client = client

    async def send(self, contact: Contact) -> SendResult:
        body = self.body(contact)
        sent_at = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Settle-Timestamp": str(sent_at),
            "X-Settle-Signature": sign_canonical(body, self._secret, sent_at),
            "Idempotency-Key": str(contact.params.get("id", contact.id)),
        }
        response = await self._client.post(self._url, content=body, headers=headers)
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            raise RateLimited(_retry_after(response.headers.get("retry-after")))
        response.raise_for_status()
        return SendResult(f"http-{response.status_code}")

    def body(self, contact: Contact) -> bytes:
        return json.dumps(contact.params, separators=(",", ":"), sort_keys=True).encode()


class CaseFileSender(BillingCallbackSender):
    """Sends the case file of a case handed to legal to SETTLE_LEGAL_WEBHOOK_URL, signed
    like the billing callbacks; the body is the JSON file written for the lawyers."""

    channel = "legal"

    def body(self, contact: Contact) -> bytes:
        return Path(str(contact.params["file"])).read_bytes()


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date); 30 when absent."""
    if value is None:
        return 30.0
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 30.0
