"""The log scan of the end-to-end tests finds what it looks for, and only that."""

from __future__ import annotations

import logging

import pytest

from bot import Customer
from storage import SqliteStore
from tests.log_scan import Seen, _spy

logger = logging.getLogger(__name__)


async def test_a_stored_customers_details_are_found_in_any_form(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Seen()
    _spy(monkeypatch, seen)
    async with store.transaction() as tx:
        await tx.upsert_customer(
            Customer("C-7", name="Noa Peretz", phone="+972 54-765-4321", email="noa@x.example")
        )
    lines = [
        "event id=evt-1 customer=C-7 outcome=applied",
        "customer Noa Peretz linked",
        "sms to +972547654321",
        "mail to noa@x.example",
    ]

    leaks = seen.leaks(lines)

    assert [leak.split(" in: ")[1] for leak in leaks] == lines[1:]


def test_short_everyday_words_are_not_taken_for_message_text() -> None:
    seen = Seen()
    seen.add("message text", "stop")
    seen.add("message text", "I lost my job")

    leaks = seen.leaks(["update=1 kind=stop", "customer said I lost my job"])

    assert leaks == ["message text 'I lost my job' in: customer said I lost my job"]
