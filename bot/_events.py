"""The canonical billing event (DESIGN.md) and its validation.

Every source (the canonical webhook, Stripe, GoCardless, file imports) is
translated into a `BillingEvent` at the edge; the core sees nothing else.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from bot._errors import EventRejected, InvalidInput
from bot._model import Reason
from bot._money import Money, parse_currency

__all__ = [
    "BillingEvent",
    "EventCustomer",
    "EventInvoice",
    "EventPayment",
    "EventPaymentMethod",
    "EventType",
    "check_event",
    "occurred_before",
    "parse_event",
]

_Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
_Text = Annotated[str, Field(max_length=256)]


def _currency(value: str) -> str:
    try:
        return parse_currency(value)
    except InvalidInput as error:
        raise ValueError(error.message) from None


_Currency = Annotated[str, AfterValidator(_currency)]


def _amount(value: str) -> str:
    if not _AMOUNT.fullmatch(value):
        raise ValueError(f"malformed amount {value!r}; expected a decimal string like '412.90'")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
    return value


def _locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {value!r}; expected e.g. 'en_US' or 'he'") from None
    return value


def _email(value: str) -> str:
    """One address that can go in a To: header: no display name, no line breaks."""
    if any(c.isspace() for c in value) or value.count("@") != 1:
        raise ValueError("expected one email address, e.g. dana@example.com")
    local, domain = value.split("@")
    if not local or "." not in domain.strip(".") or domain.startswith("."):
        raise ValueError("expected one email address, e.g. dana@example.com")
    return value


def _phone(value: str) -> str:
    """A number in international form (E.164 with or without spacing), such as +972..."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("expected an international number starting with +") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("expected an international number starting with +")
    return value


def _country(value: str) -> str:
    code = value.upper()
    if code not in _TERRITORIES:
        raise ValueError(f"unknown country {value!r}; expected an ISO 3166 code such as IL")
    return code


# ISO 3166-1 alpha-2 codes as CLDR knows them (numeric region codes such as 001 left out).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "ZZ"})
_TERRITORIES = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if code.isalpha() and code not in _NOT_COUNTRIES
)

_CONTACT_CHECKS = {
    "phone": _phone,
    "email": _email,
    "locale": _locale,
    "timezone": _zone,
    "country": _country,
}


def check_contact(field: str, value: str | None) -> str | None:
    """A customer detail from a file checked as the webhook checks it; `InvalidInput` names
    the field. Empty is absent."""
    if not value:
        return None
    try:
        return _CONTACT_CHECKS[field](value)
    except ValueError as error:
        raise InvalidInput(field, str(error)) from None


_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
_Amount = Annotated[str, AfterValidator(_amount)]


class EventType(enum.StrEnum):
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_METHOD_EXPIRING = "payment_method_expiring"
    PAYMENT_METHOD_UPDATED = "payment_method_updated"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_OVERDUE = "invoice_overdue"
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_REVERSED = "payment_reversed"
    CUSTOMER_UPDATED = "customer_updated"
    COLLECTION_STAGE_CHANGED = "collection_stage_changed"


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class EventCustomer(_Part):
    id: _Id
    name: _Text | None = None
    phone: Annotated[str, Field(max_length=32), AfterValidator(_phone)] | None = None
    email: Annotated[str, Field(max_length=254), AfterValidator(_email)] | None = None
    locale: Annotated[str, Field(max_length=35), AfterValidator(_locale)] | None = None
    timezone: Annotated[str, Field(max_length=64), AfterValidator(_zone)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$"), AfterValidator(_country)] | None = (
        None
    )
    marketing_consent: StrictBool | None = None
    # COMPLIANCE rule 11: the last day of a breathing space; "open" while a mental-health
    # crisis space has no known end; null ends it; absent leaves it as it was.
    breathing_space_until: date | Literal["open"] | None = None

    def breathing_space(self) -> tuple[bool, date | None]:
        """Whether the event says anything about breathing space, and the last day if so."""
        if "breathing_space_until" not in self.model_fields_set:
            return False, None
        value = self.breathing_space_until
        return True, (date.max if value == "open" else value)


class EventInvoice(_Part):
    id: _Id
    amount: _Amount | None = None
    amount_due: _Amount | None = None
    currency: _Currency | None = None
    issued_on: date | None = None
    due_on: date | None = None


class EventPaymentMethod(_Part):
    kind: Annotated[str, Field(min_length=1, max_length=32)] = "card"
    reason: Reason | None = None
    reference: _Id | None = None
    last4: Annotated[str, Field(pattern=r"^\d{2,4}$")] | None = None
    expires_on: date | None = None


class EventPayment(_Part):
    """A payment; with only `id` it registers a provider's payment for later events."""

    id: _Id
    amount: _Amount | None = None
    currency: _Currency | None = None


class BillingEvent(_Part):
    """One fact from billing, in the canonical shape of DESIGN.md."""

    id: _Id
    type: EventType
    occurred_at: AwareDatetime
    customer: EventCustomer | None = None
    invoice: EventInvoice | None = None
    payment_method: EventPaymentMethod | None = None
    payment: EventPayment | None = None
    # collection_stage_changed: the stage billing hands the customer's debt to.
    stage: Literal["pre-legal"] | None = None

    def invoice_amounts(self) -> tuple[Money, Money] | None:
        """The invoice's amount and amount due, checked against its currency."""
        if self.invoice is None or self.invoice.amount is None:
            return None
        currency = self.invoice.currency
        if currency is None:
            raise EventRejected("invoice.currency", "required with invoice.amount")
        amount = _money(self.invoice.amount, currency, "invoice.amount")
        due_text = self.invoice.amount_due
        due = amount if due_text is None else _money(due_text, currency, "invoice.amount_due")
        return amount, due

    def payment_amount(self) -> Money | None:
        payment = self.payment
        if payment is None or payment.amount is None:
            return None
        if payment.currency is None:
            raise EventRejected("payment.currency", "required with payment.amount")
        return _money(payment.amount, payment.currency, "payment.amount")


def _money(text: str, currency: str, field: str) -> Money:
    try:
        money = Money.parse(text, currency, field=field)
    except InvalidInput as error:
        raise EventRejected(field, error.message) from None
    if money.minor < 0:
        raise EventRejected(field, f"negative amount {text!r}; amounts are never below zero")
    return money


_INVOICE_FIELDS = (
    "customer",
    "invoice",
    "invoice.amount",
    "invoice.currency",
    "invoice.issued_on",
    "invoice.due_on",
)

# What each type needs beyond the envelope; DESIGN.md: "only the parts a type needs".
_REQUIRED: dict[EventType, tuple[str, ...]] = {
    EventType.PAYMENT_FAILED: ("payment_method", "payment_method.reason"),
    EventType.PAYMENT_METHOD_EXPIRING: ("payment_method",),
    EventType.PAYMENT_METHOD_UPDATED: ("payment_method",),
    EventType.INVOICE_ISSUED: _INVOICE_FIELDS,
    EventType.INVOICE_OVERDUE: _INVOICE_FIELDS,
    EventType.PAYMENT_RECEIVED: ("payment",),
    EventType.PAYMENT_REVERSED: ("payment", "payment.amount", "payment.currency"),
    EventType.CUSTOMER_UPDATED: ("customer",),
    EventType.COLLECTION_STAGE_CHANGED: ("customer", "stage"),
}


# Times and dates outside these bounds are typing errors, not billing facts.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _check_range(event: BillingEvent) -> None:
    if not _EARLIEST <= event.occurred_at <= _LATEST:
        raise EventRejected("occurred_at", "outside 1970-01-01 to 2200-01-01")
    days = {
        "invoice.issued_on": event.invoice.issued_on if event.invoice else None,
        "invoice.due_on": event.invoice.due_on if event.invoice else None,
        "payment_method.expires_on": (
            event.payment_method.expires_on if event.payment_method else None
        ),
        "customer.breathing_space_until": _day(
            event.customer.breathing_space_until if event.customer else None
        ),
    }
    for field, day in days.items():
        if day is not None and not _EARLIEST.date() <= day <= _LATEST.date():
            raise EventRejected(field, "outside 1970-01-01 to 2200-01-01")


def _day(value: date | str | None) -> date | None:
    return value if isinstance(value, date) else None


def check_event(event: BillingEvent) -> BillingEvent:
    """Check the parts the event's type needs and its amounts; raise naming the field."""
    _check_range(event)
    for path in _REQUIRED[event.type]:
        if _lookup(event, path) is None:
            raise EventRejected(path, f"required for an event of type {event.type}")
    if event.customer is None and not _has_reference(event):
        raise EventRejected(
            "customer", "required unless payment_method.reference or payment.id is given"
        )
    if event.type is EventType.PAYMENT_RECEIVED and event.customer is not None:
        # Without a customer the payment is one registered earlier, collected in full.
        for path in ("payment.amount", "payment.currency"):
            if _lookup(event, path) is None:
                raise EventRejected(path, f"required for an event of type {event.type}")
    _check_reason(event)
    amounts = event.invoice_amounts()
    if amounts and amounts[1].minor > amounts[0].minor:
        raise EventRejected("invoice.amount_due", "is larger than invoice.amount")
    inv = event.invoice
    if inv and inv.issued_on and inv.due_on and inv.due_on < inv.issued_on:
        raise EventRejected("invoice.due_on", "is before invoice.issued_on")
    event.payment_amount()
    return event


# Reasons that describe a case, not a failure billing can report.
_NOT_FAILURES = frozenset({Reason.EXPIRING, Reason.SUBSTANTIAL_OVERDUE})


def _check_reason(event: BillingEvent) -> None:
    reason = event.payment_method.reason if event.payment_method else None
    if reason in _NOT_FAILURES:
        expected = ", ".join(r.value for r in Reason if r not in _NOT_FAILURES)
        raise EventRejected(
            "payment_method.reason", f"{reason!s} is not a failure; use {expected}"
        )


def _has_reference(event: BillingEvent) -> bool:
    method, payment = event.payment_method, event.payment
    return bool((method and method.reference) or (payment and payment.id))


def _lookup(event: BillingEvent, path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def parse_event(body: bytes | str | dict[str, Any]) -> BillingEvent:
    """Parse and check one canonical event; raise `EventRejected` naming the field."""
    try:
        if isinstance(body, dict):
            event = BillingEvent.model_validate(body)
        else:
            event = BillingEvent.model_validate_json(body, strict=True)
    except ValidationError as error:
        raise _rejection(error) from None
    return check_event(event)


def _rejection(error: ValidationError) -> EventRejected:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "json_invalid":
        return EventRejected("body", f"malformed JSON: {first['msg']}")
    if first["type"] == "missing":
        return EventRejected(field, "required field is missing")
    return EventRejected(field, first["msg"].removeprefix("Value error, "))


def occurred_before(event: BillingEvent, fact_at: datetime | None) -> bool:
    """Whether the event is older than the newest fact already applied (order safety)."""
    return fact_at is not None and event.occurred_at < fact_at
