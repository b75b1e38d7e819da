"""The opt-out link of an email, served by Starlette against a SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
from starlette.applications import Starlette

from bot import CaseStatus, Settings
from handlers.email import OptOutLinks, optout_routes
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.handlers.email.conftest import CUSTOMER, open_case

BASE = "https://settle.example"


@pytest.fixture
def public(settings: Settings) -> Settings:
    settings.public_url = BASE
    return settings


@pytest.fixture
async def client(
    store: SqliteStore, clock: FixedClock, public: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=optout_routes(store, clock, public))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


@pytest.fixture
async def link(store: SqliteStore, clock: FixedClock, public: Settings) -> str:
    """The opt-out link of an email to a customer with an open case."""
    await open_case(store, clock, public)
    return await OptOutLinks(store, clock, public).url(CUSTOMER, language="en")


async def _opted_out(store: SqliteStore) -> bool:
    async with store.transaction() as tx:
        return await tx.is_opted_out(CUSTOMER)


def _audit(store: SqliteStore) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(store.path) as db:
        sql = "SELECT action, reason, detail FROM audit_records WHERE customer_id = ? ORDER BY id"
        return list(db.execute(sql, (CUSTOMER,)))


async def test_opening_the_link_asks_and_changes_nothing(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    response = await client.get(link)

    assert response.status_code == 200
    assert f'<form method="post" action="{link}"' in response.text
    assert "Would you like to stop our automated messages" in response.text
    assert await _opted_out(store) is False


async def test_a_head_request_of_a_link_scanner_changes_nothing(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    response = await client.head(link)

    assert response.status_code == 200
    assert await _opted_out(store) is False


async def test_link_still_works_after_being_opened(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    await client.get(link)

    response = await client.post(link)

    assert (response.status_code, await _opted_out(store)) == (200, True)


async def test_pressing_stop_opts_out_and_confirms(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    response = await client.post(link)

    assert response.status_code == 200
    assert "Done: you won't get any more automated messages from us." in unescape(response.text)
    assert await _opted_out(store) is True


async def test_opting_out_stops_the_open_case_and_audits_the_link(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    await client.post(link)

    async with store.transaction() as tx:
        (case,) = await tx.open_cases_of(CUSTOMER)
    stop_link = ("opted out", "customer used the stop link of an email", '{"channel":"email"}')
    assert case.status is CaseStatus.OPTED_OUT
    assert stop_link in _audit(store)


async def test_one_click_unsubscribe_opts_out(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    """What a mail provider sends for the List-Unsubscribe-Post header (RFC 8058, section 3.2)."""
    response = await client.post(link, data={"List-Unsubscribe": "One-Click"})

    assert (response.status_code, await _opted_out(store)) == (200, True)


async def test_a_used_link_changes_nothing_the_second_time(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    await client.post(link)
    audit = _audit(store)

    again = await client.post(link)

    assert again.status_code == 404
    assert "it was used already or it has expired" in again.text
    assert _audit(store) == audit


@pytest.mark.parametrize("token", ["x' OR 1=1 --", "short", "A" * 65])
async def test_a_malformed_token_is_not_found(
    client: httpx.AsyncClient, store: SqliteStore, link: str, token: str
) -> None:
    responses = [await client.get(f"/optout/{token}"), await client.post(f"/optout/{token}")]

    assert [r.status_code for r in responses] == [404, 404]
    assert await _opted_out(store) is False


async def test_an_unknown_token_changes_nothing(
    client: httpx.AsyncClient, store: SqliteStore, link: str
) -> None:
    audit = _audit(store)

    response = await client.post("/optout/" + "A" * 32)

    assert response.status_code == 404
    assert (await _opted_out(store), _audit(store)) == (False, audit)


async def test_an_expired_link_changes_nothing(
    client: httpx.AsyncClient, store: SqliteStore, clock: FixedClock, public: Settings, link: str
) -> None:
    clock.advance(days=public.email_optout_ttl_days, seconds=1)

    response = await client.post(link)

    assert (response.status_code, await _opted_out(store)) == (404, False)


async def test_a_link_lives_longer_than_a_chat_link(
    client: httpx.AsyncClient, store: SqliteStore, clock: FixedClock, public: Settings, link: str
) -> None:
    clock.advance(days=public.link_ttl_days + 1)

    response = await client.post(link)

    assert (response.status_code, await _opted_out(store)) == (200, True)


async def test_a_customer_already_opted_out_is_confirmed_and_billing_told_once(
    client: httpx.AsyncClient, store: SqliteStore, clock: FixedClock, public: Settings, link: str
) -> None:
    await client.post(link)
    clock.advance(minutes=5)
    second = await OptOutLinks(store, clock, public).url(CUSTOMER, language="en")

    response = await client.post(second)

    told = [c for c in await store.list_contacts() if c.template == "opted_out"]
    assert response.status_code == 200
    assert len(told) == 1


async def test_the_page_speaks_the_emails_language(
    client: httpx.AsyncClient, store: SqliteStore, clock: FixedClock, public: Settings, link: str
) -> None:
    hebrew = await OptOutLinks(store, clock, public).url(CUSTOMER, language="he")

    response = await client.get(hebrew)

    assert '<html lang="he" dir="rtl">' in response.text
    assert "הפסקת הודעות" in response.text


async def test_an_unknown_language_reads_the_default(client: httpx.AsyncClient, link: str) -> None:
    response = await client.get(link.replace("lang=en", "lang=<script>"))

    assert '<html lang="en" dir="ltr">' in response.text
    assert "<script>" not in response.text


async def test_pages_are_not_cached_and_do_not_leak_the_link(
    client: httpx.AsyncClient, link: str
) -> None:
    response = await client.get(link)

    assert (response.headers["cache-control"], response.headers["referrer-policy"]) == (
        "no-store",
        "no-referrer",
    )
