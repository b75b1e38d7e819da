"""Billing's side in the sandbox: events from the console's form, signed as billing signs
them; billing's pages the bot's links open; the callbacks billing would receive."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request

from bot import InvalidInput, parse_currency
from bot.ports import CaseView
from handlers.billing import sign_canonical
from handlers.sandbox._sandbox import Sandbox

__all__ = ["BillingForm", "Form", "FormError", "post_event", "read_form"]

# A posted form's fields; the console's forms hold no files and repeat no field.
Form = dict[str, str]


class FormError(Exception):
    """A console form field that cannot be used; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class BillingForm:
    """What the billing pane's form says about the event to send."""

    customer: str
    type: str
    reason: str
    amount: str
    currency: str
    invoice: str
    last4: str = "1881"

    def event(self, sandbox: Sandbox, case: CaseView | None) -> dict[str, Any]:
        """The canonical event, at the sandbox's time; `FormError` naming a bad field."""
        if not self.customer:
            raise FormError("customer", "pick a customer")
        now = sandbox.clock.now()
        event: dict[str, Any] = {
            "id": f"console-{int(time.time())}-{sandbox.next_id()}",
            "type": self.type,
            "occurred_at": now.isoformat(),
            "customer": {"id": self.customer},
        }
        currency = self._currency(case)
        invoice = self.invoice or (
            case.case.invoice_ids[-1] if case and case.case.invoice_ids else ""
        )
        if self.type in ("payment_failed", "payment_method_updated", "payment_method_expiring"):
            method: dict[str, Any] = {"kind": "card", "last4": self.last4}
            if self.type == "payment_failed":
                method["reason"] = self.reason
            if self.type == "payment_method_expiring":
                method["expires_on"] = (now + timedelta(days=10)).date().isoformat()
            event["payment_method"] = method
        if self.type in ("payment_received", "payment_reversed"):
            amount = self._amount(required=True)
            event["payment"] = {"id": f"py-{event['id']}", "amount": amount, "currency": currency}
            if invoice:
                event["invoice"] = {"id": invoice}
        if self.type in ("invoice_overdue", "invoice_issued"):
            days = 45 if self.type == "invoice_overdue" else 0
            issued = (now - timedelta(days=days)).date()
            event["invoice"] = {
                "id": self.invoice or f"INV-{event['id']}",
                "amount": self._amount(required=True),
                "currency": currency,
                "issued_on": issued.isoformat(),
                "due_on": (issued + timedelta(days=30)).isoformat(),
            }
        if self.type == "collection_stage_changed":
            event["stage"] = "pre-legal"
        return event

    def _amount(self, *, required: bool) -> str:
        text = self.amount.strip()
        if not text and required:
            raise FormError("amount", "required for this event; e.g. 120.00")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise FormError("amount", f"{text!r} is not an amount; e.g. 120.00") from None
        if value <= 0:
            raise FormError("amount", "must be more than zero")
        return text

    def _currency(self, case: CaseView | None) -> str:
        if not self.currency.strip():
            if case is not None and case.case.amount_due is not None:
                return case.case.amount_due.currency
            if case is not None and case.invoices:
                return case.invoices[0].amount.currency
            return "USD"
        try:
            return parse_currency(self.currency.strip())
        except InvalidInput as error:
            raise FormError("currency", error.message) from None


async def post_event(origin: str, secret: str, event: dict[str, Any]) -> httpx.Response:
    """POST the event to `/billing/events`, signed as billing signs it (README)."""
    body = json.dumps(event).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Settle-Timestamp": str(stamp),
        "X-Settle-Signature": sign_canonical(body, secret, stamp),
    }
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.post(f"{origin}/billing/events", content=body, headers=headers)


async def read_form(request: Request) -> Form:
    """The fields of an `application/x-www-form-urlencoded` body, as browsers post them."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))
