"""Reminders, payments and broken agreements, with a clock the test moves."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot import (
    Authority,
    CaseStatus,
    Decisions,
    Dialogue,
    Ingest,
    Intent,
    Money,
    Offer,
    PlanPolicy,
    Settings,
    button_data,
    parse_event,
)
from bot._model import EscalationReason
from bot._watch import reminder_moment, watch_agreements
from storage import SqliteStore
from tests.bot.test_dialogue import CHAT, _overdue_case, terms
from tests.conftest import FixedClock


async def _plan_of_three(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    owed = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    await _overdue_case(store, clock, owed)
    dialogue = Dialogue(store, clock, owed, PlanPolicy.load(None), terms)
    menu = await dialogue.menu(CHAT)
    plans = await dialogue.tap(CHAT, button_data("plans", menu.version), locale="en")
    plan = await dialogue.tap(CHAT, button_data("plan", plans.version, "3"), locale="en")
    await dialogue.tap(CHAT, button_data("agree", plan.version, "plan"), locale="en")


async def _pay(store: SqliteStore, clock: FixedClock, settings: Settings, amount: str) -> None:
    body = json.dumps(
        {
            "id": f"pay-{amount}-{clock.now().isoformat()}",
            "type": "payment_received",
            "occurred_at": clock.now().isoformat(),
            "customer": {"id": "C-1"},
            "payment": {"id": f"P-{clock.now().isoformat()}", "amount": amount, "currency": "USD"},
        }
    )
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)


def _at(clock: FixedClock, text: str) -> None:
    clock.moment = datetime.fromisoformat(text).astimezone(UTC)


async def _templates(store: SqliteStore) -> list[tuple[str, str]]:
    return [(c.channel, c.template) for c in await store.list_contacts()]


async def test_reminder_goes_the_day_before_and_only_once(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-10T09:00:00+01:00")

    first = await watch_agreements(store, clock, settings)
    second = await watch_agreements(store, clock, settings)

    assert (first.reminded, second.reminded) == (["1:1"], [])
    assert ("telegram", "agreement_reminder") in await _templates(store)


async def test_a_reminder_that_would_fall_on_a_quiet_day_moves_earlier(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)  # first payment on Monday 2024-03-11
    _at(clock, "2024-03-06T09:00:00+01:00")

    await watch_agreements(store, clock, settings)

    [reminder] = [c for c in await store.list_contacts() if c.template == "agreement_reminder"]
    # Sunday, the day before, is quiet (COMPLIANCE rule 3): Friday 10:00 in Berlin instead.
    assert reminder.due_at == datetime(2024, 3, 8, 9, 0, tzinfo=UTC)


async def test_a_payment_covers_the_first_instalment_and_the_next_is_reminded(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-11T12:00:00+01:00")
    await _pay(store, clock, settings, "100.00")
    _at(clock, "2024-04-10T09:00:00+02:00")

    result = await watch_agreements(store, clock, settings)

    assert (result.paid, result.reminded, result.broken) == (["1:1"], ["1:2"], [])


async def test_a_payment_missed_beyond_the_grace_period_breaks_the_plan(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-15T09:00:00+01:00")

    result = await watch_agreements(store, clock, settings)
    again = await watch_agreements(store, clock, settings)

    case = (await store.list_cases())[0].case
    assert (result.broken, again.broken) == ([1], [])
    assert case.status is CaseStatus.CONTACTING
    assert ("telegram", "agreement_broken") in await _templates(store)
    assert ("billing", "plan_broken") in await _templates(store)


async def test_a_broken_plan_tells_staff_while_the_bot_goes_on_and_a_new_plan_closes_it(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-15T09:00:00+01:00")
    await watch_agreements(store, clock, settings)
    [view] = await store.list_cases()
    [notice] = await store.open_escalations()
    dialogue = Dialogue(store, clock, settings, PlanPolicy.load(None), terms)
    plans = await dialogue.tap(CHAT, button_data("plans", 0), locale="en")
    plan = await dialogue.tap(CHAT, button_data("plan", plans.version, "2"), locale="en")
    await dialogue.tap(CHAT, button_data("agree", plan.version, "plan"), locale="en")
    async with store.transaction() as tx:
        [closed] = await tx.escalations_of(view.case.id)

    assert view.case.status is CaseStatus.CONTACTING  # no pause: the follow-ups resume
    assert notice.escalation.reason is EscalationReason.BROKEN_AGREEMENT
    # Posted for staff, with no alert at a deadline: nothing waits on them.
    assert [c.template for c in view.contacts if c.channel == "slack"] == ["escalation"]
    assert (closed.decision, closed.decided_by) == ("agreed again", "customer")
    assert await store.open_escalations() == []


async def test_within_the_grace_period_the_plan_holds(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-14T20:00:00+01:00")

    result = await watch_agreements(store, clock, settings)

    assert result.broken == []


async def test_paying_everything_closes_the_case_and_ends_the_watch(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    await _pay(store, clock, settings, "300.00")
    _at(clock, "2024-06-01T09:00:00+02:00")

    result = await watch_agreements(store, clock, settings)

    assert (result.reminded, result.broken) == ([], [])
    assert (await store.list_cases())[0].case.status is CaseStatus.CLOSED


async def _say_paid(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    owed = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    await _overdue_case(store, clock, owed)
    dialogue = Dialogue(store, clock, owed, PlanPolicy.load(None), terms)
    menu = await dialogue.menu(CHAT)
    asked = await dialogue.tap(CHAT, button_data("paid", menu.version), locale="en")
    await dialogue.tap(CHAT, button_data("paid_on", asked.version, "today"), locale="en")
    await dialogue.say(CHAT, "REF-1", None, locale="en")


async def test_already_paid_without_a_payment_goes_to_staff_after_the_pause(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _say_paid(store, clock, settings)
    clock.advance(days=3, seconds=1)

    result = await watch_agreements(store, clock, settings)

    view = (await store.list_cases())[0]
    assert result.unpaused == [view.case.id]
    assert view.case.status is CaseStatus.ESCALATED


async def test_already_paid_and_the_payment_arrives_closes_the_case(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _say_paid(store, clock, settings)
    clock.advance(days=1)
    await _pay(store, clock, settings, "300.00")
    clock.advance(days=3)

    result = await watch_agreements(store, clock, settings)

    assert result.unpaused == []
    assert (await store.list_cases())[0].case.status is CaseStatus.CLOSED


async def test_a_dispute_after_the_plan_silences_its_reminders(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    owed = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    dialogue = Dialogue(store, clock, owed, PlanPolicy.load(None), terms)
    await dialogue.say(CHAT, "this is not mine", Intent.DISPUTE, locale="en")
    _at(clock, "2024-03-10T09:00:00+01:00")

    result = await watch_agreements(store, clock, settings)

    assert result.reminded == []
    assert ("telegram", "agreement_reminder") not in await _templates(store)


async def test_reminder_is_due_at_ten_local_the_day_before(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-10T00:05:00+01:00")

    await watch_agreements(store, clock, settings)

    [reminder] = [c for c in await store.list_contacts() if c.template == "agreement_reminder"]
    assert reminder.due_at == datetime(2024, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (date(2024, 10, 27), datetime(2024, 10, 26, 8, 0, tzinfo=UTC)),  # 10:00 CEST
        (date(2024, 10, 29), datetime(2024, 10, 28, 9, 0, tzinfo=UTC)),  # 10:00 CET
    ],
)
def test_reminder_stays_at_ten_local_across_the_dst_change(
    due_on: date, expected: datetime
) -> None:
    assert reminder_moment(due_on, ZoneInfo("Europe/Berlin"), at=time(10)) == expected


async def test_payments_under_a_plan_with_a_write_off_count_from_what_was_owed(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    owed = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    await _overdue_case(store, clock, owed)
    dialogue = Dialogue(store, clock, owed, PlanPolicy.load(None), terms)
    menu = await dialogue.menu(CHAT)
    plans = await dialogue.tap(CHAT, button_data("plans", menu.version), locale="en")
    more = await dialogue.tap(CHAT, button_data("more", plans.version), locale="en")
    await dialogue.tap(CHAT, button_data("count", more.version, "12"), locale="en")
    lead = Authority.from_dict(
        {
            "tier": [
                {
                    "name": "lead",
                    "members": ["U1"],
                    "max_discount_percent": "10",
                    "max_write_off": "50",
                }
            ]
        }
    )
    offer = Offer(
        owed=Money.parse("300.00", "USD"),
        total=Money.parse("270.00", "USD"),
        count=3,
        first_due=date(2024, 3, 11),
    )
    decided = await Decisions(store, clock, lead).decide(1, "counter", by="U1", offer=offer)
    agreed = await dialogue.tap(CHAT, button_data("offer", 0, "yes-1"), locale="en")
    _at(clock, "2024-03-11T12:00:00+01:00")
    await _pay(store, clock, settings, "90.00")
    _at(clock, "2024-04-10T09:00:00+02:00")

    result = await watch_agreements(store, clock, settings)

    assert decided.counted
    assert agreed.agreement is not None
    assert agreed.agreement.write_off == Money.parse("30.00", "USD")
    assert (result.paid, result.reminded, result.broken) == (["1:1"], ["1:2"], [])


async def test_a_plan_paid_off_early_is_kept_once_and_stops_being_watched(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _plan_of_three(store, clock, settings)
    _at(clock, "2024-03-11T12:00:00+01:00")
    await _pay(store, clock, settings, "300.00")  # closes the case, paid in full

    first = await watch_agreements(store, clock, settings)
    again = await watch_agreements(store, clock, settings)

    [view] = await store.list_cases()
    kept = [record for record in view.audit if record.action == "kept"]
    assert view.case.status is CaseStatus.CLOSED
    assert (first.paid, first.kept, again.paid, again.kept) == (["1:1", "1:2", "1:3"], [1], [], [])
    assert [(r.reason, r.detail) for r in kept] == [
        ("plan kept: all 3 payment(s) made", {"agreement": 1, "kind": "plan"})
    ]
