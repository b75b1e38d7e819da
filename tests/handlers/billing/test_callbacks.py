"""Outbound billing events, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import ContactStatus, Customer, OutboxWorker, Settings
from bot._callbacks import queue_billing_event
from handlers.billing import BillingCallbackSender, verify_canonical
from storage import SqliteStore
from tests.conftest import FixedClock, served

SECRET = "callback-secret"


class Receiver:
    """A billing system's endpoint: checks the signature, answers as scripted."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        self.app = Starlette(routes=[Route("/settle", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        verify_canonical(
            body,
            request.headers.get("x-settle-timestamp"),
            request.headers.get("x-settle-signature"),
            SECRET,
            tolerance=300,
            now=time.time(),
        )
        self.received.append(json.loads(body))
        self.headers.append(dict(request.headers))
        status = self.answers.pop(0) if self.answers else 200
        headers = {"Retry-After": "7"} if status == 429 else {}
        return JSONResponse({}, status_code=status, headers=headers)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    async with served(receiver.app) as port:
        yield receiver, f"http://127.0.0.1:{port}/settle"


@pytest.fixture
async def worker(
    store: SqliteStore, clock: FixedClock, settings: Settings, receiver: tuple[Receiver, str]
) -> AsyncIterator[OutboxWorker]:
    async with httpx.AsyncClient() as client:
        sender = BillingCallbackSender(receiver[1], SECRET, client)
        yield OutboxWorker(store, clock, settings, {sender.channel: sender})


async def _queue(store: SqliteStore, clock: FixedClock) -> None:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
        await queue_billing_event(
            tx,
            kind="plan_agreed",
            key="7",
            customer_id="C-1",
            case_id=None,
            now=clock.now(),
            body={"agreement": {"id": 7, "total": "300.00", "currency": "USD"}},
        )


async def test_event_is_posted_signed_with_its_id_as_idempotency_key(
    store: SqliteStore, clock: FixedClock, worker: OutboxWorker, receiver: tuple[Receiver, str]
) -> None:
    await _queue(store, clock)

    await worker.run_once()

    [event] = receiver[0].received
    assert event == {
        "id": "settle:plan_agreed:7",
        "type": "plan_agreed",
        "occurred_at": "2024-03-04T19:00:00+00:00",
        "customer": {"id": "C-1"},
        "agreement": {"id": 7, "total": "300.00", "currency": "USD"},
    }
    assert receiver[0].headers[0]["idempotency-key"] == "settle:plan_agreed:7"
    assert [c.status for c in await store.list_contacts()] == [ContactStatus.SENT]


async def test_refused_event_is_retried_later_and_delivered_once(
    store: SqliteStore, clock: FixedClock, worker: OutboxWorker, receiver: tuple[Receiver, str]
) -> None:
    receiver[0].answers = [500]
    await _queue(store, clock)

    await worker.run_once()
    after_failure = [c.status for c in await store.list_contacts()]
    await worker.run_once()
    clock.advance(hours=1)
    await worker.run_once()

    assert after_failure == [ContactStatus.QUEUED]
    assert [c.status for c in await store.list_contacts()] == [ContactStatus.SENT]
    assert [e["id"] for e in receiver[0].received] == ["settle:plan_agreed:7"] * 2


async def test_429_waits_for_retry_after(
    store: SqliteStore, clock: FixedClock, worker: OutboxWorker, receiver: tuple[Receiver, str]
) -> None:
    receiver[0].answers = [429]
    await _queue(store, clock)

    await worker.run_once()

    [contact] = await store.list_contacts()
    assert (contact.status, contact.due_at) == (
        ContactStatus.QUEUED,
        clock.now() + timedelta(seconds=7),
    )
