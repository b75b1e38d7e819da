"""GoCardless webhooks: signature check and translation to `BillingEvent`.

GoCardless events name a resource (a mandate, a payment) and what happened to it, with a
cause; they never carry amounts or the customer. So events here identify the customer
through the mandate (`payment_method.reference`) or the payment (`payment.id`) that Settle
registered earlier. The causes are those of GoCardless's event reference
(../shared/data/gocardless/gocardless_event_actions_schema.json).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot import (
    BillingEvent,
    ConfigurationError,
    EventRejected,
    EventType,
    Reason,
    parse_event,
)

__all__ = ["translate_gocardless", "verify_gocardless"]

logger = logging.getLogger(__name__)

_DIRECT_DEBIT = "direct_debit"

# What a mandate event means when its cause adds nothing more specific.
_MANDATE_ACTIONS = {
    "cancelled": Reason.MANDATE_CANCELLED,
    "failed": Reason.MANDATE_FAILED,
    "expired": Reason.MANDATE_EXPIRED,
    # DESIGN.md, type A: a bank change is a fact to tell the customer about, in a service tone.
    "transferred": Reason.BANK_ACCOUNT_CHANGED,
}

# Causes that say more than the mandate's action; others (invalid_bank_details,
# direct_debit_not_enabled, refer_to_payer, other, ...) keep the action's reason.
_MANDATE_CAUSES = {
    "bank_account_closed": Reason.BANK_ACCOUNT_CLOSED,
    "bank_account_transferred": Reason.BANK_ACCOUNT_CHANGED,
    "mandate_cancelled": Reason.MANDATE_CANCELLED,
    "authorisation_disputed": Reason.MANDATE_CANCELLED,
    "payment_stopped": Reason.PAYMENT_STOPPED,
    "mandate_expired": Reason.MANDATE_EXPIRED,
}

# Why a payment failed, was charged back, or was cancelled by the bank; anything else
# (other, test_failure, refund_requested, ...) is Reason.OTHER for staff to read.
_PAYMENT_CAUSES = {
    "insufficient_funds": Reason.INSUFFICIENT_FUNDS,
    "daily_payment_limit_reached": Reason.INSUFFICIENT_FUNDS,
    "refer_to_payer": Reason.CONTACT_BANK,
    "bank_declined_payment": Reason.CONTACT_BANK,
    "insufficient_payment_permissions": Reason.CONTACT_BANK,
    "account_blocked_for_any_financial_transaction": Reason.CONTACT_BANK,
    "bank_account_closed": Reason.BANK_ACCOUNT_CLOSED,
    "bank_account_transferred": Reason.BANK_ACCOUNT_CHANGED,
    "mandate_cancelled": Reason.MANDATE_CANCELLED,
    "authorisation_disputed": Reason.MANDATE_CANCELLED,
    "invalid_bank_details": Reason.MANDATE_CANCELLED,
    "direct_debit_not_enabled": Reason.MANDATE_CANCELLED,
    "initial_one_off_payment_failed": Reason.MANDATE_CANCELLED,
    "mandate_expired": Reason.MANDATE_EXPIRED,
    "payment_stopped": Reason.PAYMENT_STOPPED,
    "mandate_suspended_by_payer": Reason.PAYMENT_STOPPED,
}

# Payments the merchant cancelled on purpose: nothing for the customer to fix.
_MERCHANT_CANCELS = frozenset({"payment_cancelled", "instalment_schedule_cancelled"})

_PAYMENT_FAILURES = frozenset({"failed", "charged_back", "cancelled"})
# chargeback_cancelled: the bank reversed the chargeback, so the money is back.
_PAYMENT_COLLECTED = frozenset({"confirmed", "paid_out", "chargeback_cancelled"})


# Signature ---------------------------------------------------------------------------------


def verify_gocardless(body: bytes, signature: str | None, secret: str) -> list[dict[str, Any]]:
    """Check the `Webhook-Signature` header over the raw body and return its events."""
    if not secret:
        raise ConfigurationError("SETTLE_GOCARDLESS_WEBHOOK_SECRET is empty; set the secret")
    if not signature:
        raise EventRejected("Webhook-Signature", "missing header; GoCardless signs every webhook")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        hint = "check that the endpoint's secret matches GoCardless's"
        raise EventRejected("Webhook-Signature", f"does not match the body; {hint}")
    return _parse_events(body)


def _parse_events(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise EventRejected("body", f"malformed JSON: {error}") from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise EventRejected("body", 'expected {"events": [...]}, GoCardless\'s webhook body')

    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise EventRejected(f"events[{index}]", "expected an event object")
        if not isinstance(event.get("id"), str) or not event["id"]:
            raise EventRejected(f"events[{index}].id", "required field is missing")
    return events


# Reading events ----------------------------------------------------------------------------


def _text(obj: dict[str, Any], key: str, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    field = f"{where}.{key}" if where else key
    raise EventRejected(field, f"expected a string, got {type(value).__name__}")


def _part(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value or {}
    raise EventRejected(key, f"expected an object, got {type(value).__name__}")


def _link(links: dict[str, Any], key: str) -> str:
    value = _text(links, key, "links")
    if not value:
        raise EventRejected(f"links.{key}", "required field is missing")
    return value


def _occurred_at(event: dict[str, Any]) -> datetime:
    text = _text(event, "created_at")
    if not text:
        raise EventRejected("created_at", "required field is missing")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EventRejected("created_at", f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise EventRejected("created_at", f"{text!r} has no offset; expected UTC")
    if not 1970 <= moment.year < 2200:
        raise EventRejected("created_at", "outside 1970-01-01 to 2200-01-01")
    return moment


# Translation -------------------------------------------------------------------------------


def translate_gocardless(event: dict[str, Any]) -> BillingEvent | None:
    """The canonical event for one verified GoCardless event, or None if Settle ignores it.

    A `payment_received` from GoCardless carries `payment.id` but no amount, which
    `check_event` would refuse; it means "the registered payment was collected in full",
    and the core looks the payment up by its id.
    """
    resource = _text(event, "resource_type")
    action = _text(event, "action")
    translate = _TRANSLATORS.get(resource or "")
    cause = _text(_part(event, "details"), "cause", "details")
    parts = translate(action or "", cause or "", _part(event, "links")) if translate else None
    if parts is None:
        logger.debug("ignoring GoCardless event %s %s (%s)", resource, action, cause)
        return None

    body = {"id": event.get("id"), "occurred_at": _occurred_at(event), **parts}
    if parts["type"] is EventType.PAYMENT_RECEIVED:
        return _unchecked(body)
    return parse_event(body)


def _unchecked(body: dict[str, Any]) -> BillingEvent:
    """Validate the event's shape without the type's required parts (no amount here)."""
    try:
        return BillingEvent.model_validate(body)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise EventRejected(field, first["msg"]) from None


def _mandate(action: str, cause: str, links: dict[str, Any]) -> dict[str, Any] | None:
    if action == "reinstated":  # the mandate works again: what closes a type A case
        method = {"kind": _DIRECT_DEBIT, "reference": _link(links, "mandate")}
        return {"type": EventType.PAYMENT_METHOD_UPDATED, "payment_method": method}
    default = _MANDATE_ACTIONS.get(action)
    if default is None:
        return None

    reason = _MANDATE_CAUSES.get(cause, default)
    method = {"kind": _DIRECT_DEBIT, "reason": reason, "reference": _link(links, "mandate")}
    return {"type": EventType.PAYMENT_FAILED, "payment_method": method}


def _payment(action: str, cause: str, links: dict[str, Any]) -> dict[str, Any] | None:
    if action in _PAYMENT_COLLECTED:
        return {"type": EventType.PAYMENT_RECEIVED, "payment": {"id": _link(links, "payment")}}
    if action not in _PAYMENT_FAILURES or (action == "cancelled" and cause in _MERCHANT_CANCELS):
        return None

    method: dict[str, Any] = {"kind": _DIRECT_DEBIT}
    method["reason"] = _PAYMENT_CAUSES.get(cause, Reason.OTHER)
    method["reference"] = _text(links, "mandate", "links") or None
    payment = {"id": _link(links, "payment")}
    return {"type": EventType.PAYMENT_FAILED, "payment_method": method, "payment": payment}


# Refunds are ignored: their events carry no amount and a refund may be partial, so reading
# one as a full reversal would chase the customer for money they do not owe.
_TRANSLATORS: dict[str, Callable[[str, str, dict[str, Any]], dict[str, Any] | None]] = {
    "mandates": _mandate,
    "payments": _payment,
}
