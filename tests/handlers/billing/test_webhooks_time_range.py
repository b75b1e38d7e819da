"""Times at the edges of what `datetime` holds are refused naming the field, through the app.

Billing facts live between 1970 and 2200; anything outside is a typing error, and storing it
would leave rows that cannot be read back (years below 1000) or overflow on conversion to UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import Settings
from tests.conftest import FixedClock
from tests.handlers.billing.test_webhooks_harness import (
    Harness,
    gocardless_body,
    gocardless_samples,
    stripe_sample,
)


@pytest.fixture
async def hook(settings: Settings, clock: FixedClock) -> AsyncIterator[Harness]:
    async with Harness.running(settings, clock) as harness:
        yield harness


async def test_canonical_time_before_year_1000_is_refused_or_kept_readable(hook: Harness) -> None:
    response = await hook.canonical(
        {
            "id": "evt-old",
            "type": "payment_method_updated",
            "occurred_at": "0999-01-01T00:00:00+00:00",
            "customer": {"id": "C-1"},
            "payment_method": {"kind": "card", "reference": "pm_old"},
        }
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["error"]["field"] == "occurred_at"
        assert (await hook.counts())["billing_events"] == 0
        return

    # Accepted: then what was stored can be read, and the card can fail later.
    [stored] = await hook.runtime.store.list_events()
    assert stored.occurred_at.year == 999
    failed = await hook.canonical(
        {
            "id": "evt-new",
            "type": "payment_failed",
            "occurred_at": "2024-03-01T00:00:00+00:00",
            "payment_method": {"kind": "card", "reference": "pm_old", "reason": "expired_card"},
        }
    )
    assert failed.status_code == 200
    assert failed.json()["opened"] == [1]


async def test_stripe_created_before_year_1000_is_refused_or_kept_readable(
    hook: Harness,
) -> None:
    envelope = stripe_sample("invoice.payment_failed")
    envelope["created"] = -50_000_000_000  # year 385

    first = await hook.stripe(envelope)
    assert first.status_code in (200, 400)
    if first.status_code == 400:
        assert first.json()["error"]["field"] == "created"
    # The invoice is paid later; either way this must be answered, not crash.
    paid = await hook.stripe(stripe_sample("invoice.paid"))
    assert paid.status_code == 200
    assert len(await hook.runtime.store.list_events()) == (2 if first.status_code == 200 else 1)


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"])
async def test_canonical_time_outside_utc_range_is_refused(hook: Harness, moment: str) -> None:
    response = await hook.canonical(
        {
            "id": "evt-edge",
            "type": "customer_updated",
            "occurred_at": moment,
            "customer": {"id": "C"},
        }
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "occurred_at"
    assert (await hook.counts())["billing_events"] == 0


async def test_gocardless_created_at_outside_utc_range_is_refused(hook: Harness) -> None:
    event = gocardless_samples()["mandate_cancelled_api"]
    event["created_at"] = "0001-01-01T00:00:00+05:00"

    response = await hook.gocardless(gocardless_body(event))

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "created_at"
    assert (await hook.counts())["billing_events"] == 0
