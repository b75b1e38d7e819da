"""Counters an operator scrapes from `GET /metrics` (Prometheus text format)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

__all__ = ["Metrics"]


class Metrics:
    """Settle's counters, on a registry of their own so that tests can build several apps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "settle_billing_events",
            "Billing events accepted, by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "settle_billing_events_rejected",
            "Billing requests refused, by source and the field at fault",
            ["source", "field"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "settle_billing_events_ignored",
            "Provider events of types Settle does not act on",
            ["source"],
            registry=self.registry,
        )
        self.telegram_updates = Counter(
            "settle_telegram_updates",
            "Telegram webhook requests, by result",
            ["result"],
            registry=self.registry,
        )
        self.outbox = Counter(
            "settle_outbox_contacts",
            "Outbox contacts handled, by channel and outcome (sent, queued again, held, ...)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.outbox_released = Counter(
            "settle_outbox_released",
            "Contacts a stopped process left sending, put back in the queue at start",
            registry=self.registry,
        )
        # DESIGN.md, Durable outbox: the only way a message goes out twice.
        self.outbox_resent = Counter(
            "settle_outbox_resent",
            "Contacts already handed to their channel when the process stopped, put back and "
            "sent again: each may reach the customer twice",
            registry=self.registry,
        )
