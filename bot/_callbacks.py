"""Outbound billing events: what billing must act on, queued in the outbox like a message.

A plan agreed, a promise made, an opt-out: each becomes a row for the `billing` channel,
sent signed to `SETTLE_BILLING_CALLBACK_URL` and retried with backoff until acknowledged.
The event id is the row's dedupe key, so billing can deduplicate redeliveries by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot._agreements import Agreement
from bot._money import Money
from bot.ports import Tx

__all__ = ["BILLING", "agreement_payload", "queue_billing_event"]

BILLING = "billing"


async def queue_billing_event(
    tx: Tx,
    *,
    kind: str,
    key: str,
    customer_id: str,
    case_id: int | None,
    now: datetime,
    body: dict[str, Any],
) -> None:
    """Queue one outbound event; `key` identifies it, so queuing it twice sends it once."""
    event_id = f"settle:{kind}:{key}"
    payload = {
        "id": event_id,
        "type": kind,
        "occurred_at": now.isoformat(),
        "customer": {"id": customer_id},
        **({"case": {"id": case_id}} if case_id is not None else {}),
        **body,
    }
    await tx.enqueue(
        customer_id=customer_id,
        case_id=case_id,
        channel=BILLING,
        template=kind,
        params=payload,
        due_at=now,
        dedupe_key=event_id,
    )


def _amount(money: Money) -> str:
    return format(money.to_decimal(), "f")


def agreement_payload(agreement: Agreement) -> dict[str, Any]:
    """The agreement as billing reads it: amounts as decimal strings in major units."""
    return {
        "agreement": {
            "id": agreement.id,
            "kind": agreement.kind.value,
            "total": _amount(agreement.total),
            "write_off": _amount(agreement.write_off),
            "currency": agreement.total.currency,
            "items": [
                {"number": i.number, "due_on": i.due_on.isoformat(), "amount": _amount(i.amount)}
                for i in agreement.items
            ],
            "terms_version": agreement.terms_version,
            "terms_hash": agreement.terms_hash,
            "accepted_at": agreement.accepted_at.isoformat(),
            "channel": agreement.channel,
        }
    }
