"""After a stop: what each store puts back at start, and what it says was in flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import CaseStatus, CaseType, ContactStatus, Customer, Reason
from bot.ports import ChannelLink, Released
from storage import PostgresStore, SqlStore
from tests.conftest import FixedClock

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def _release_after_restart(store: SqlStore) -> Released:
    """What a process started after this one stopped puts back (on PostgreSQL, another worker)."""
    if not isinstance(store, PostgresStore):
        return await store.release_orphans(claimed_before=NOW - LEASE)
    restarted = await PostgresStore.open(store.url, FixedClock(NOW), migrate=False)
    try:
        return await restarted.release_orphans(claimed_before=NOW - LEASE)
    finally:
        await restarted.close()


async def _contacts(store: SqlStore, count: int) -> list[int]:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
        await tx.link_channel(ChannelLink("C-1", "telegram", "77", NOW))
        case = await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.A,
            reason=Reason.EXPIRED_CARD,
            status=CaseStatus.CONTACTING,
            opened_at=NOW,
            why={},
        )
        ids = [
            await tx.enqueue(
                customer_id="C-1",
                case_id=case.id,
                channel="telegram",
                template="first_contact",
                params={},
                due_at=NOW,
                dedupe_key=f"k{n}",
            )
            for n in range(count)
        ]
    return [contact_id for contact_id in ids if contact_id is not None]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_one_process_owns_the_file_so_even_fresh_claims_are_put_back(
    store: SqlStore,
) -> None:
    await _contacts(store, 2)
    await store.claim_due(channel="telegram", now=NOW, limit=10)

    released = await store.release_orphans(claimed_before=NOW - LEASE)

    assert released == Released(2, ())
    assert [c.status for c in await store.list_contacts()] == [ContactStatus.QUEUED] * 2


async def test_a_claim_that_never_reached_the_channel_is_no_attempt(store: SqlStore) -> None:
    left, never = await _contacts(store, 2)
    await store.claim_due(channel="telegram", now=NOW, limit=10)
    await store.hand_over(left)

    await _release_after_restart(store)

    attempts = {c.id: c.attempts for c in await store.list_contacts()}
    assert attempts == {left: 1, never: 0}


async def test_a_contact_handed_over_twice_counts_each_stop_it_was_in_flight(
    store: SqlStore,
) -> None:
    [contact_id] = await _contacts(store, 1)
    await store.claim_due(channel="telegram", now=NOW, limit=10)
    await store.hand_over(contact_id)
    first = await _release_after_restart(store)
    await store.claim_due(channel="telegram", now=NOW, limit=10)
    quiet = await _release_after_restart(store)  # stopped before it left
    await store.claim_due(channel="telegram", now=NOW, limit=10)
    await store.hand_over(contact_id)
    second = await _release_after_restart(store)

    assert (first, quiet, second) == (
        Released(1, (contact_id,)),
        Released(1, ()),
        Released(1, (contact_id,)),
    )


async def test_a_hand_over_after_the_contact_finished_changes_nothing(
    store: SqlStore,
) -> None:
    [contact_id] = await _contacts(store, 1)
    await store.claim_due(channel="telegram", now=NOW, limit=10)
    await store.finish_contact(contact_id, status=ContactStatus.SENT, at=NOW)

    await store.hand_over(contact_id)

    [contact] = await store.list_contacts()
    assert (contact.status, contact.last_error) == (ContactStatus.SENT, None)
