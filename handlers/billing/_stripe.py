"""Stripe webhooks: signature check, decline codes, and translation to `BillingEvent`.

Stripe amounts are integers in the currency's minor unit and its currency codes are
lower-case; times are Unix seconds. Everything is converted at this edge so the core only
sees the canonical event of DESIGN.md.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import stripe

from bot import (
    BillingEvent,
    ConfigurationError,
    EventRejected,
    EventType,
    InvalidInput,
    Reason,
    currency_exponent,
    parse_currency,
    parse_event,
)

__all__ = [
    "DeclineCode",
    "decline_reason",
    "lookup_decline_code",
    "translate_stripe",
    "verify_stripe",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_CSV = "stripe_decline_codes.csv"  # Stripe's decline-code reference, in our words
_OBJECT = "data.object"
_BEFORE = "data.previous_attributes"
_JSON_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}

# Decline codes -----------------------------------------------------------------------------

# Codes not listed here are told to the customer as a plain declined card (generic_decline,
# do_not_honor, ...). Grouped by what the customer can do about them.
_GROUPS: dict[Reason, tuple[str, ...]] = {
    Reason.EXPIRED_CARD: ("expired_card",),
    Reason.INSUFFICIENT_FUNDS: (
        "insufficient_funds",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
    ),
    Reason.LOST_CARD: ("lost_card",),
    Reason.STOLEN_CARD: ("stolen_card",),
    Reason.FRAUDULENT: ("fraudulent", "merchant_blacklist"),
    Reason.PICKUP_CARD: ("pickup_card",),
    Reason.AUTHENTICATION_REQUIRED: ("authentication_required",),
    Reason.INCORRECT_DETAILS: (
        "incorrect_number",
        "invalid_number",
        "incorrect_cvc",
        "invalid_cvc",
        "incorrect_zip",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_account",
    ),
    Reason.CONTACT_BANK: (
        "call_issuer",
        "security_violation",
        "no_action_taken",
        "not_permitted",
        "service_not_allowed",
        "transaction_not_allowed",
        "restricted_card",
    ),
    Reason.TEMPORARY_FAILURE: (
        "issuer_not_available",
        "processing_error",
        "reenter_transaction",
        "try_again_later",
    ),
    Reason.PAYMENT_STOPPED: (
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "stop_payment_order",
    ),
}
_REASONS = {code: reason for reason, codes in _GROUPS.items() for code in codes}


@dataclass(frozen=True, slots=True)
class DeclineCode:
    """One Stripe decline code, in our words, with the reason Settle records for it."""

    code: str
    meaning: str
    retry: str
    show_real_reason: bool
    route: str
    reason: Reason


@cache
def _decline_codes() -> dict[str, DeclineCode]:
    text = resources.files("handlers.billing").joinpath(_CSV).read_text("utf-8")
    codes: dict[str, DeclineCode] = {}
    for row in csv.DictReader(io.StringIO(text)):
        # One row may name several codes that share a meaning: "incorrect_cvc / invalid_cvc".
        for code in row["decline_code"].split(" / "):
            codes[code] = DeclineCode(
                code=code,
                meaning=row["meaning_in_our_words"],
                retry=row["retry_same_card"],
                show_real_reason=row["show_real_reason_to_customer"].startswith("yes"),
                route=row["suggested_bot_route"],
                reason=_REASONS.get(code, Reason.CARD_DECLINED),
            )
    return codes


def lookup_decline_code(code: str) -> DeclineCode | None:
    """The decline code's record, or None for a code Stripe's reference does not list."""
    return _decline_codes().get(code)


def decline_reason(code: str | None) -> Reason:
    """The reason Settle records for a Stripe decline or error code."""
    known = lookup_decline_code(code) if code else None
    return known.reason if known else Reason.CARD_DECLINED


def _first_reason(*codes: str | None) -> Reason:
    """The reason of the first code Stripe's reference lists, else a declined card."""
    for code in codes:
        known = lookup_decline_code(code) if code else None
        if known:
            return known.reason
    return Reason.CARD_DECLINED


# Signature ---------------------------------------------------------------------------------


def verify_stripe(
    body: bytes, signature_header: str | None, secret: str, *, tolerance: int = 300
) -> dict[str, Any]:
    """Check the `Stripe-Signature` header over the raw body and return the parsed event."""
    if not secret:
        raise ConfigurationError("SETTLE_STRIPE_WEBHOOK_SECRET is empty; set the whsec_ secret")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise EventRejected("body", "is not UTF-8 text; Stripe sends JSON") from None
    _check_signature(text, signature_header, secret, tolerance)
    return _parse_envelope(text)


def _check_signature(text: str, header: str | None, secret: str, tolerance: int) -> None:
    if not header:
        raise EventRejected("Stripe-Signature", "missing header; Stripe signs every webhook")
    if not header.isascii():
        # hmac.compare_digest refuses non-ASCII text, so such a header can never match.
        raise EventRejected("Stripe-Signature", "malformed header; expected t=...,v1=...")
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        hint = "check the endpoint's signing secret and the server clock"
        raise EventRejected("Stripe-Signature", f"{error.user_message}; {hint}") from None


def _parse_envelope(text: str) -> dict[str, Any]:
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise EventRejected("body", f"malformed JSON: {error}") from None
    if not isinstance(envelope, dict):
        raise EventRejected("body", "expected a JSON object, the Stripe event")
    for key in ("id", "type"):
        if not isinstance(envelope.get(key), str) or not envelope[key]:
            raise EventRejected("body", f"missing {key!r}; not a Stripe event")
    return envelope


# Reading Stripe objects --------------------------------------------------------------------


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _get(obj: dict[str, Any], key: str, kind: type[_T], where: str) -> _T | None:
    """An optional field of one JSON type; any other type is rejected, naming the field."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    got = type(value).__name__
    raise EventRejected(_path(where, key), f"expected {_JSON_NAMES[kind]}, got {got}")


def _need(obj: dict[str, Any], key: str, kind: type[_T], where: str) -> _T:
    value = _get(obj, key, kind, where)
    if value is None:
        raise EventRejected(_path(where, key), "required field is missing")
    return value


def _ref(obj: dict[str, Any], key: str, where: str) -> str | None:
    """The id of a field that Stripe sends either as an id or as the expanded object."""
    value = obj.get(key)
    if isinstance(value, dict):
        return _get(value, "id", str, _path(where, key))
    return _get(obj, key, str, where)


def _expanded(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The field's object when the webhook expanded it, else None."""
    value = obj.get(key)
    return value if isinstance(value, dict) else None


def _moment(obj: dict[str, Any], key: str, where: str) -> datetime:
    seconds = _need(obj, key, int, where)
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise EventRejected(_path(where, key), f"{seconds} is not a Unix time") from None
    if not 1970 <= moment.year < 2200:
        raise EventRejected(_path(where, key), "outside 1970-01-01 to 2200-01-01")
    return moment


def _currency(obj: dict[str, Any], where: str) -> str:
    try:
        return parse_currency(obj.get("currency"), field=_path(where, "currency"))
    except InvalidInput as error:
        raise EventRejected(error.field, error.message) from None


def _major(minor: int, currency: str) -> str:
    """Stripe's minor units as a decimal string in major units: 2000 USD is "20.00"."""
    exponent = currency_exponent(currency)
    return format(Decimal(minor).scaleb(-exponent), f".{exponent}f")


def _customer(obj: dict[str, Any], where: str) -> dict[str, str] | None:
    customer_id = _ref(obj, "customer", where)
    return {"id": customer_id} if customer_id else None


def _expiry(details: dict[str, Any], where: str) -> date | None:
    """The last day of the card's expiry month, when Stripe gives one."""
    month = _get(details, "exp_month", int, where)
    year = _get(details, "exp_year", int, where)
    if month is None or year is None:
        return None
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise EventRejected(_path(where, "exp_month"), f"no such month {month}/{year}")
    return date(year, month, calendar.monthrange(year, month)[1])


def _describe(method: dict[str, Any], where: str, *, expiry: bool = False) -> dict[str, Any]:
    """Kind, last4 and (optionally) expiry of a card, source, or payment method object."""
    details: dict[str, Any] | None
    if method.get("object") == "card":
        kind, details, inner = "card", method, where
    else:
        kind = _get(method, "type", str, where) or "card"
        details, inner = _expanded(method, kind), _path(where, kind)
    facts: dict[str, Any] = {"kind": kind}
    if details is not None:
        facts["last4"] = _get(details, "last4", str, inner)
        if expiry:
            facts["expires_on"] = _expiry(details, inner)
    return facts


# Translation -------------------------------------------------------------------------------


def translate_stripe(envelope: dict[str, Any]) -> BillingEvent | None:
    """The canonical event for a verified Stripe event, or None for types Settle ignores."""
    kind = _need(envelope, "type", str, "")
    translate = _TRANSLATORS.get(kind)
    if translate is None:
        logger.debug("ignoring Stripe event type %s", kind)
        return None

    data = _need(envelope, "data", dict, "")
    obj = _need(data, "object", dict, "data")
    if kind == "charge.refunded":
        before = _get(data, "previous_attributes", dict, "data") or {}
        parts = _charge_refunded(obj, _get(before, "amount_refunded", int, _BEFORE) or 0)
    else:
        parts = translate(obj)
    event = {
        "id": _need(envelope, "id", str, ""),
        "occurred_at": _moment(envelope, "created", ""),
        **parts,
    }
    return parse_event(event)


def _invoice(obj: dict[str, Any]) -> dict[str, Any]:
    """The invoice part; Stripe's amount_due is what this invoice asks for."""
    currency = _currency(obj, _OBJECT)
    amount = _get(obj, "amount_due", int, _OBJECT)
    if amount is None:
        amount = _need(obj, "total", int, _OBJECT)
    remaining = _get(obj, "amount_remaining", int, _OBJECT)
    if remaining is None:  # API versions before amount_remaining existed
        remaining = amount - (_get(obj, "amount_paid", int, _OBJECT) or 0)

    issued_on = _moment(obj, "created", _OBJECT).date()
    has_due_date = _get(obj, "due_date", int, _OBJECT) is not None
    due_on = _moment(obj, "due_date", _OBJECT).date() if has_due_date else issued_on
    return {
        "id": _need(obj, "id", str, _OBJECT),
        "amount": _major(amount, currency),
        "amount_due": _major(remaining, currency),
        "currency": currency,
        "issued_on": issued_on,
        "due_on": due_on,
    }


def _invoice_method(obj: dict[str, Any]) -> dict[str, Any]:
    """The failed method of an invoice: from its charge or payment intent when expanded."""
    charge = _expanded(obj, "charge")
    if charge is not None:
        return _charge_method(charge, _path(_OBJECT, "charge"))
    intent = _expanded(obj, "payment_intent")
    if intent is not None:
        return _intent_method(intent, _path(_OBJECT, "payment_intent"))
    method = _expanded(obj, "default_payment_method")
    facts = _describe(method, _path(_OBJECT, "default_payment_method")) if method else {}
    reference = _ref(obj, "default_payment_method", _OBJECT)
    return {**facts, "reference": reference, "reason": Reason.CARD_DECLINED}


def _invoice_payment_failed(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": EventType.PAYMENT_FAILED,
        "customer": _customer(obj, _OBJECT),
        "invoice": _invoice(obj),
        "payment_method": _invoice_method(obj),
    }


def _invoice_action_required(obj: dict[str, Any]) -> dict[str, Any]:
    # The issuer asks for 3-D Secure: whatever the charge says, the customer must act.
    parts = _invoice_payment_failed(obj)
    parts["payment_method"]["reason"] = Reason.AUTHENTICATION_REQUIRED
    return parts


def _invoice_paid(obj: dict[str, Any]) -> dict[str, Any]:
    invoice = _invoice(obj)
    currency = invoice["currency"]
    invoice["amount_due"] = _major(0, currency)
    # The charge id is the payment's id in later refunds and disputes too.
    payment_id = _ref(obj, "charge", _OBJECT) or _ref(obj, "payment_intent", _OBJECT)
    paid = _need(obj, "amount_paid", int, _OBJECT)
    return {
        "type": EventType.PAYMENT_RECEIVED,
        "customer": _customer(obj, _OBJECT),
        "invoice": invoice,
        "payment": {
            "id": payment_id or invoice["id"],
            "amount": _major(paid, currency),
            "currency": currency,
        },
    }


def _invoice_uncollectible(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": EventType.INVOICE_OVERDUE,
        "customer": _customer(obj, _OBJECT),
        "invoice": _invoice(obj),
    }


def _charge_method(charge: dict[str, Any], where: str) -> dict[str, Any]:
    details = _expanded(charge, "payment_method_details")
    source = _expanded(charge, "source")
    if details is not None:
        facts = _describe(details, _path(where, "payment_method_details"))
    else:
        facts = _describe(source, _path(where, "source")) if source else {}

    outcome = _get(charge, "outcome", dict, where) or {}
    reason = _first_reason(
        _get(outcome, "reason", str, _path(where, "outcome")),
        _get(charge, "failure_code", str, where),
    )
    reference = _ref(charge, "payment_method", where) or _ref(charge, "source", where)
    return {**facts, "reference": reference, "reason": reason}


def _charge_failed(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": EventType.PAYMENT_FAILED,
        "customer": _customer(obj, _OBJECT),
        "payment_method": _charge_method(obj, _OBJECT),
    }


def _charge_refunded(obj: dict[str, Any], refunded_before: int = 0) -> dict[str, Any]:
    """A refund of this much: Stripe's amount_refunded is the charge's total so far, and
    previous_attributes holds the total before this event (absent on the first refund)."""
    currency = _currency(obj, _OBJECT)
    refunded = _need(obj, "amount_refunded", int, _OBJECT) - refunded_before
    if refunded <= 0:
        msg = "must exceed previous_attributes.amount_refunded"
        raise EventRejected(_path(_OBJECT, "amount_refunded"), msg)
    return {
        "type": EventType.PAYMENT_REVERSED,
        "customer": _customer(obj, _OBJECT),
        "payment": {
            "id": _need(obj, "id", str, _OBJECT),
            "amount": _major(refunded, currency),
            "currency": currency,
        },
    }


def _dispute_created(obj: dict[str, Any]) -> dict[str, Any]:
    """A chargeback: the disputed amount of the charge is taken back."""
    currency = _currency(obj, _OBJECT)
    charge_id = _ref(obj, "charge", _OBJECT)
    if charge_id is None:
        raise EventRejected(_path(_OBJECT, "charge"), "required field is missing")
    charge = _expanded(obj, "charge")
    customer = _customer(charge, _path(_OBJECT, "charge")) if charge else None
    amount = _need(obj, "amount", int, _OBJECT)
    return {
        "type": EventType.PAYMENT_REVERSED,
        "customer": customer,
        "payment": {"id": charge_id, "amount": _major(amount, currency), "currency": currency},
    }


def _intent_method(intent: dict[str, Any], where: str) -> dict[str, Any]:
    error_where = _path(where, "last_payment_error")
    error = _get(intent, "last_payment_error", dict, where) or {}
    method = _expanded(error, "payment_method")
    if method is not None:
        facts = _describe(method, _path(error_where, "payment_method"))
        reference = _ref(error, "payment_method", error_where)
    else:
        facts, reference = {}, _ref(intent, "payment_method", where)

    reason = _first_reason(
        _get(error, "decline_code", str, error_where), _get(error, "code", str, error_where)
    )
    return {**facts, "reference": reference, "reason": reason}


def _intent_failed(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": EventType.PAYMENT_FAILED,
        "customer": _customer(obj, _OBJECT),
        "payment_method": _intent_method(obj, _OBJECT),
    }


def _method_change(kind: EventType) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A translator for a card, source or payment method whose details changed."""

    def translate(obj: dict[str, Any]) -> dict[str, Any]:
        facts = _describe(obj, _OBJECT, expiry=True)
        facts["reference"] = _need(obj, "id", str, _OBJECT)
        return {"type": kind, "customer": _customer(obj, _OBJECT), "payment_method": facts}

    return translate


_TRANSLATORS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "invoice.payment_failed": _invoice_payment_failed,
    "invoice.payment_action_required": _invoice_action_required,
    "invoice.paid": _invoice_paid,
    "invoice.marked_uncollectible": _invoice_uncollectible,
    "charge.failed": _charge_failed,
    "charge.refunded": _charge_refunded,  # with the total refunded before, see above
    "charge.dispute.created": _dispute_created,
    "payment_intent.payment_failed": _intent_failed,
    "customer.source.expiring": _method_change(EventType.PAYMENT_METHOD_EXPIRING),
    "payment_method.automatically_updated": _method_change(EventType.PAYMENT_METHOD_UPDATED),
}
