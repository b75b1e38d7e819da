"""Counters an operator scrapes from `GET /metrics` (Prometheus text format).

Counters count what this process did since it started; the gauges (cases, the outbox,
escalations) are read from storage at each scrape, so that they hold across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What storage holds now, for the gauges."""

    cases: dict[tuple[str, str, str], int] = field(default_factory=dict)  # type, stage, state
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # channel, status
    held: dict[tuple[str, str], int] = field(default_factory=dict)  # channel, rule
    lag_seconds: dict[str, float] = field(default_factory=dict)  # channel: oldest due, unsent
    escalations_waiting: int = 0
    escalations_past_sla: int = 0


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
        self.rate_limited = Counter(
            "settle_channel_rate_limited",
            "429 answers (Too Many Requests) from a channel, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.slack_requests = Counter(
            "settle_slack_requests",
            "POST /slack/events requests, by result (handled, refused, too_large, ...)",
            ["result"],
            registry=self.registry,
        )
        self.requests = Histogram(
            "settle_request_seconds",
            "Inbound HTTP requests: latency by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self._gauges(self.registry)

    def _gauges(self, registry: CollectorRegistry) -> None:
        self.cases = Gauge(
            "settle_cases",
            "Cases opened, by type, stage and state (open or closed)",
            ["type", "stage", "state"],
            registry=registry,
        )
        self.outbox_rows = Gauge(
            "settle_outbox_messages",
            "Outbox rows by channel and status (queued, sending, sent, failed, dead, ...)",
            ["channel", "status"],
            registry=registry,
        )
        self.outbox_held = Gauge(
            "settle_outbox_held",
            "Queued messages the contact policy holds, by channel and rule",
            ["channel", "rule"],
            registry=registry,
        )
        self.outbox_lag = Gauge(
            "settle_outbox_lag_seconds",
            "How long the oldest due, unheld message of each channel has waited",
            ["channel"],
            registry=registry,
        )
        self.escalations_waiting = Gauge(
            "settle_escalations_waiting", "Escalations not decided yet", registry=registry
        )
        self.escalations_past_sla = Gauge(
            "settle_escalations_past_sla",
            "Escalations not decided by their deadline",
            registry=registry,
        )

    def observe(self, snapshot: Snapshot) -> None:
        """Set the gauges to what storage holds now."""
        for gauge, values in (
            (self.cases, snapshot.cases),
            (self.outbox_rows, snapshot.outbox),
            (self.outbox_held, snapshot.held),
        ):
            gauge.clear()
            for labels, count in values.items():
                gauge.labels(*labels).set(count)
        self.outbox_lag.clear()
        for channel, seconds in snapshot.lag_seconds.items():
            self.outbox_lag.labels(channel).set(seconds)
        self.escalations_waiting.set(snapshot.escalations_waiting)
        self.escalations_past_sla.set(snapshot.escalations_past_sla)
