"""The follow-up ladder: steps as outbox rows, a message or staff when due, stopping in time.

The outbox runs the real Telegram sender against the Bot API emulator, and the case
steps through their own sender, with a clock the tests move day by day.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot import (
    CaseStatus,
    CaseType,
    ConfigurationError,
    ContactStatus,
    Linking,
    OutboxWorker,
    Settings,
    parse_event,
)
from bot._contact import Outreach
from bot._ingest import Ingest
from bot._ladder import Ladder, Step, schedule_ladder
from bot._steps import CaseSteps
from bot.ports import ChannelLink, Contact, SendResult
from handlers.emulators import TelegramEmulator
from handlers.telegram import TelegramSender
from storage import SqliteStore
from tests.conftest import FixedClock

TOKEN = "5152:ladder-token"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "follow-ups.toml"
# Monday 2024-03-04 10:00 in New York: every day of the ladder below falls in the window.
START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
CUSTOMER = {"id": "C-1", "locale": "en_US", "country": "US", "timezone": "America/New_York"}
INVOICE = {
    "id": "INV-1",
    "amount": "80.00",
    "amount_due": "80.00",
    "currency": "USD",
    "issued_on": "2024-02-01",
    "due_on": "2024-02-29",
}
FAILED = {"kind": "card", "reason": "card_declined", "last4": "4242"}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
def unpaced(settings: Settings) -> Settings:
    return settings.model_copy(update={"telegram_chat_interval_seconds": 0.0})


@pytest.fixture
async def worker(
    store: SqliteStore, clock: FixedClock, unpaced: Settings, emulator: TelegramEmulator
) -> AsyncIterator[OutboxWorker]:
    async with Bot(TOKEN, base_url=emulator.base_url) as bot:
        telegram = TelegramSender(bot, Linking(store, clock, unpaced), unpaced)
        steps = CaseSteps(store, clock, Outreach())
        yield OutboxWorker(store, clock, unpaced, {"telegram": telegram, "case": steps})


def _event(kind: str, event_id: str, at: datetime, **parts: Any) -> str:
    body = {"id": event_id, "type": kind, "occurred_at": at.isoformat(), **parts}
    return json.dumps(body)


async def _accept(store: SqliteStore, clock: FixedClock, settings: Settings, body: str) -> None:
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)


async def _open_linked_case(store: SqliteStore, clock: FixedClock, settings: Settings) -> int:
    clock.moment = START
    async with store.transaction() as tx:
        from bot import Customer

        await tx.upsert_customer(Customer("C-1", timezone="America/New_York", country="US"))
        await tx.link_channel(ChannelLink("C-1", "telegram", "501", START))
    body = _event("payment_failed", "f1", START, customer=CUSTOMER, invoice=INVOICE)
    body = body[:-1] + f', "payment_method": {json.dumps(FAILED)}}}'
    await _accept(store, clock, settings, body)
    [view] = await store.list_cases()
    return view.case.id


async def _run_day(worker: OutboxWorker, clock: FixedClock, day: int) -> None:
    clock.moment = START + timedelta(days=day)
    # One pass runs the due steps; the next sends what they queued.
    await worker.run_once()
    await worker.run_once()


# The file.


def test_the_example_file_is_the_built_in_ladder() -> None:
    assert Ladder.load(EXAMPLE) == Ladder.default()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            {"type": "A", "follow_up_days": [5, 2]},
            "ladder.0: Value error, follow_up_days must rise",
        ),
        (
            {"type": "A", "follow_up_days": [0]},
            "ladder.0: Value error, follow_up_days must be days",
        ),
        (
            {"type": "A", "follow_up_days": [2, 5], "escalate_day": 5},
            "ladder.0: Value error, escalate_day must come after",
        ),
        ({"type": "B"}, "ladder.0.type: Input should be 'A' or 'C'"),
        ({"type": "A", "stage": "later"}, "ladder.0.stage: Input should be"),
        ({"type": "A", "days": [1]}, "ladder.0.days: Extra inputs are not permitted"),
        ({"type": "A", "escalate_day": 0}, "ladder.0.escalate_day: Input should be greater"),
    ],
)
def test_a_bad_entry_is_refused_naming_it(entry: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Ladder.parse({"ladder": [entry]}, source="f.toml")

    assert str(raised.value).startswith(f"f.toml: {problem}")


def test_a_second_entry_for_the_same_type_and_stage_is_refused() -> None:
    entry = {"type": "C", "follow_up_days": [3]}

    with pytest.raises(ConfigurationError, match=r"ladder\.1: a second entry for type C"):
        Ladder.parse({"ladder": [entry, entry]}, source="f.toml")


def test_a_missing_or_broken_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "ladder.toml"
    broken.write_text("[[ladder]\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match="SETTLE_FOLLOW_UP_FILE: cannot read"):
        Ladder.load(tmp_path / "absent.toml")
    with pytest.raises(ConfigurationError, match=f"{broken}: not TOML"):
        Ladder.load(broken)


# The steps.


async def test_the_steps_count_their_days_from_the_first_message_sent(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: OutboxWorker
) -> None:
    await _open_linked_case(store, clock, settings)
    queued = [c.channel for c in await store.list_contacts()]
    clock.moment = START + timedelta(hours=3)  # the first message goes three hours later
    await worker.run_once()

    rows = [(c.channel, c.template, c.due_at - START) for c in await store.list_contacts()]

    assert queued == ["telegram"]
    assert rows == [
        ("telegram", "first_contact", timedelta(0)),
        ("case", "follow_up", timedelta(days=2, hours=3)),
        ("case", "follow_up", timedelta(days=5, hours=3)),
        ("case", "escalate", timedelta(days=7, hours=3)),
    ]


async def test_nobody_answers_two_follow_ups_then_staff(
    store: SqliteStore,
    clock: FixedClock,
    settings: Settings,
    worker: OutboxWorker,
    emulator: TelegramEmulator,
) -> None:
    case_id = await _open_linked_case(store, clock, settings)
    await _run_day(worker, clock, 0)
    await _run_day(worker, clock, 1)
    sent_by_day_1 = len(emulator.sent_messages())
    await _run_day(worker, clock, 2)
    await _run_day(worker, clock, 5)
    await _run_day(worker, clock, 7)

    texts = [m["text"] for m in emulator.sent_messages()]
    view = await store.case_view(case_id)
    assert view is not None
    assert sent_by_day_1 == 1
    assert len(texts) == 3
    assert texts[1].startswith("Just checking in: we wrote about this a few days ago.\n\n")
    assert texts[1].endswith(texts[0])
    assert texts[2] == texts[1]
    assert view.case.status is CaseStatus.ESCALATED
    escalation = [a for a in view.audit if a.action == "escalated"]
    assert [(a.actor, a.reason) for a in escalation] == [
        ("ladder", "no answer after the first message and 2 follow-ups")
    ]


async def test_a_payment_stops_the_ladder_at_once(
    store: SqliteStore,
    clock: FixedClock,
    settings: Settings,
    worker: OutboxWorker,
    emulator: TelegramEmulator,
) -> None:
    await _open_linked_case(store, clock, settings)
    await _run_day(worker, clock, 0)
    clock.moment = START + timedelta(days=1)
    paid = _event(
        "payment_received",
        "p1",
        clock.moment,
        customer=CUSTOMER,
        invoice=INVOICE | {"amount_due": "0"},
        payment={"id": "PAY-1", "amount": "80.00", "currency": "USD"},
    )
    await _accept(store, clock, settings, paid)
    for day in (2, 5, 7):
        await _run_day(worker, clock, day)

    steps = [c for c in await store.list_contacts() if c.channel == "case"]
    assert len(emulator.sent_messages()) == 1
    assert [c.status for c in steps] == [ContactStatus.CANCELLED] * 3


@pytest.mark.parametrize("status", [CaseStatus.AGREED, CaseStatus.ESCALATED, CaseStatus.PAUSED])
async def test_an_agreement_or_a_person_stops_the_ladder(
    store: SqliteStore,
    clock: FixedClock,
    settings: Settings,
    worker: OutboxWorker,
    emulator: TelegramEmulator,
    status: CaseStatus,
) -> None:
    case_id = await _open_linked_case(store, clock, settings)
    await _run_day(worker, clock, 0)
    async with store.transaction() as tx:
        await tx.update_case(case_id, status=status)
    for day in (2, 5, 7):
        await _run_day(worker, clock, day)

    view = await store.case_view(case_id)
    assert view is not None
    assert len(emulator.sent_messages()) == 1
    assert view.case.status is status


async def test_a_broken_agreement_starts_a_new_round_in_place_of_the_old(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: OutboxWorker
) -> None:
    case_id = await _open_linked_case(store, clock, settings)
    await worker.run_once()  # the first message goes: the first round is queued
    broke = START + timedelta(days=20)
    async with store.transaction() as tx:
        case = await tx.get_case(case_id)
        assert case is not None
        ladder = Ladder({(CaseType.A, case.stage): (Step(1, "follow_up"), Step(3, "escalate"))})
        added = await schedule_ladder(tx, case, ladder, start=broke, round_key="broken:9")
        again = await schedule_ladder(tx, case, ladder, start=broke, round_key="broken:9")

    steps = [
        (c.template, c.status, c.due_at - broke)
        for c in await store.list_contacts()
        if c.channel == "case"
    ]
    assert (added, again) == (2, 0)
    assert steps == [
        ("follow_up", ContactStatus.CANCELLED, timedelta(days=-18)),
        ("follow_up", ContactStatus.CANCELLED, timedelta(days=-15)),
        ("escalate", ContactStatus.CANCELLED, timedelta(days=-13)),
        ("follow_up", ContactStatus.QUEUED, timedelta(days=1)),
        ("escalate", ContactStatus.QUEUED, timedelta(days=3)),
    ]


async def test_a_case_type_without_a_ladder_gets_no_steps(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    case_id = await _open_linked_case(store, clock, settings)
    async with store.transaction() as tx:
        case = await tx.get_case(case_id)
        assert case is not None
        added = await schedule_ladder(tx, case, Ladder({}), start=START, round_key="other")

    assert added == 0


class _Gate:
    """The case steps' sender, held at the door until the test lets the claimed step in."""

    channel = "case"
    needs_chat = False
    reaches_customer = False

    def __init__(self, steps: CaseSteps) -> None:
        self._steps = steps
        self.claimed = asyncio.Event()
        self.open = asyncio.Event()

    async def send(self, contact: Contact) -> SendResult:
        self.claimed.set()
        await self.open.wait()
        return await self._steps.send(contact)


async def test_a_step_claimed_before_a_new_round_began_does_nothing(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: OutboxWorker
) -> None:
    # The old round's escalation is claimed when due; before it runs, an agreement breaks
    # and a new round begins. The claimed step must not hand the case to staff.
    case_id = await _open_linked_case(store, clock, settings)
    await worker.run_once()  # the first message goes: the first round is queued
    gate = _Gate(CaseSteps(store, clock, Outreach()))
    stepping = OutboxWorker(store, clock, settings, {"case": gate})
    clock.moment = START + timedelta(days=8)
    running = asyncio.create_task(stepping.run_once())
    await asyncio.wait_for(gate.claimed.wait(), timeout=10)
    async with store.transaction() as tx:
        case = await tx.get_case(case_id)
        assert case is not None
        ladder = Ladder({(CaseType.A, case.stage): (Step(2, "follow_up"), Step(4, "escalate"))})
        await schedule_ladder(tx, case, ladder, start=clock.moment, round_key="broken:1")
    gate.open.set()
    await asyncio.wait_for(running, timeout=10)

    view = await store.case_view(case_id)
    assert view is not None
    steps = [(c.template, c.status) for c in await store.list_contacts() if c.channel == "case"]
    assert view.case.status is CaseStatus.CONTACTING
    assert [a.action for a in view.audit if a.action == "escalated"] == []
    assert steps == [
        ("follow_up", ContactStatus.CANCELLED),
        ("follow_up", ContactStatus.CANCELLED),
        ("escalate", ContactStatus.CANCELLED),
        ("follow_up", ContactStatus.QUEUED),
        ("escalate", ContactStatus.QUEUED),
    ]
