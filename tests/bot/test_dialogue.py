"""The conversation engine, tap by tap, against a SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot import CaseStatus, Ingest, Money, Offer, PlanPolicy, Settings, parse_event
from bot._agreements import AgreementKind
from bot._dialogue import Dialogue
from bot._linking import hash_token
from bot._plans import Instalment
from bot._views import Intent, Screen, View, button_data
from bot.ports import ChannelLink
from storage import SqliteStore
from tests.conftest import FixedClock

CHAT = "555"


def terms(
    kind: AgreementKind,
    total: Money,
    items: tuple[Instalment, ...],
    locale: str,
    *,
    offer: Offer | None = None,
) -> tuple[str, str]:
    lines = [f"{kind} {total} ({locale})"] + [f"{i.number}: {i.due_on} {i.amount}" for i in items]
    if offer is not None:
        lines.append(f"offer {offer.source} writes off {offer.write_off}")
    return "\n".join(lines), "test-1"


@pytest.fixture
def owed_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})


async def _overdue_case(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    body = json.dumps(
        {
            "id": "o1",
            "type": "invoice_overdue",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {"id": "C-1", "timezone": "Europe/Berlin"},
            "invoice": {
                "id": "INV-1",
                "amount": "300.00",
                "currency": "USD",
                "issued_on": "2024-01-01",
                "due_on": "2024-02-01",
            },
        }
    )
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)
    async with store.transaction() as tx:
        await tx.link_channel(ChannelLink("C-1", "telegram", CHAT, clock.now()))


@pytest.fixture
async def dialogue(store: SqliteStore, clock: FixedClock, owed_settings: Settings) -> Dialogue:
    await _overdue_case(store, clock, owed_settings)
    return Dialogue(store, clock, owed_settings, PlanPolicy.load(None), terms)


async def _tap(dialogue: Dialogue, view: View, action: str, arg: str = "") -> View:
    return await dialogue.tap(CHAT, button_data(action, view.version, arg), locale="en")


async def test_menu_is_about_the_open_case(dialogue: Dialogue) -> None:
    view = await dialogue.menu(CHAT)

    assert view.screen is Screen.MENU
    assert view.case is not None
    assert str(view.case.amount_due) == "300.00 USD"


async def test_the_menu_carries_single_use_links_made_in_its_turn(
    dialogue: Dialogue, store: SqliteStore, clock: FixedClock
) -> None:
    now = clock.now()
    view = await dialogue.menu(CHAT)
    plans = await _tap(dialogue, view, "plans")

    # Type C with 300.00 owed: a pay link, no link to update the payment method.
    assert view.update_url is None
    assert view.pay_url is not None
    prefix, _, token = view.pay_url.partition("?token=")
    assert prefix == "https://billing.example.com/pay"
    async with store.transaction() as tx:
        spent = [await tx.use_token(hash_token(token), purpose="pay", now=now) for _ in "ab"]
    assert spent == ["C-1", None]
    assert (plans.update_url, plans.pay_url) == (None, None)  # no links on the plans


async def test_unlinked_chat_gets_no_case(dialogue: Dialogue) -> None:
    view = await dialogue.menu("999")

    assert (view.screen, view.case) == (Screen.NOT_LINKED, None)


async def test_plan_is_chosen_shown_and_agreed_once(
    dialogue: Dialogue, store: SqliteStore
) -> None:
    menu = await dialogue.menu(CHAT)
    plans = await _tap(dialogue, menu, "plans")
    plan = await _tap(dialogue, plans, "plan", "3")

    agreed = await _tap(dialogue, plan, "agree", "plan")
    again = await _tap(dialogue, plan, "agree", "plan")

    assert [p.count for p in plans.plans] == [2, 3, 4, 5, 6]
    assert plan.plan is not None
    assert [str(i.amount) for i in plan.plan.instalments] == ["100.00 USD"] * 3
    assert (agreed.screen, again.screen) == (Screen.PLAN_AGREED, Screen.STALE)
    async with store.transaction() as tx:
        stored = await tx.agreements_of(agreed.case.id)  # type: ignore[union-attr]
        case = await tx.get_case(agreed.case.id)  # type: ignore[union-attr]
    assert [(a.kind, a.terms_version, len(a.items)) for a in stored] == [
        (AgreementKind.PLAN, "test-1", 3)
    ]
    assert case is not None
    assert case.status is CaseStatus.AGREED


async def test_first_instalment_is_due_a_week_from_the_customers_today(
    dialogue: Dialogue,
) -> None:
    plans = await _tap(dialogue, await dialogue.menu(CHAT), "plans")

    assert plans.plans[0].first_due == date(2024, 3, 11)


async def test_agreed_case_shows_its_agreement_instead_of_a_second(dialogue: Dialogue) -> None:
    plan = await _tap(
        dialogue, await _tap(dialogue, await dialogue.menu(CHAT), "plans"), "plan", "2"
    )
    agreed = await _tap(dialogue, plan, "agree", "plan")

    view = await _tap(dialogue, agreed, "promises")

    assert view.screen is Screen.ALREADY_AGREED
    assert view.agreement is not None
    assert view.agreement.id == agreed.agreement.id  # type: ignore[union-attr]


async def test_button_from_an_older_message_gets_the_current_view(dialogue: Dialogue) -> None:
    plans = await _tap(dialogue, await dialogue.menu(CHAT), "plans")
    await _tap(dialogue, plans, "plan", "3")

    stale = await _tap(dialogue, plans, "plan", "2")

    assert stale.screen is Screen.STALE
    assert stale.current is not None
    assert stale.current.screen is Screen.MENU


async def test_an_older_message_still_opens_a_flow(dialogue: Dialogue) -> None:
    menu = await dialogue.menu(CHAT)
    await _tap(dialogue, menu, "plans")

    view = await _tap(dialogue, menu, "promises")

    assert view.screen is Screen.PROMISES


async def test_promise_for_next_week_is_stored_with_the_full_amount(
    dialogue: Dialogue,
) -> None:
    promises = await _tap(dialogue, await dialogue.menu(CHAT), "promises")
    promise = await _tap(dialogue, promises, "promise", "7d")

    made = await _tap(dialogue, promise, "agree", "promise")

    assert dict(promises.promise_dates) == {
        "3d": date(2024, 3, 7),
        "7d": date(2024, 3, 11),
        "eom": date(2024, 3, 31),
    }
    assert made.screen is Screen.PROMISE_MADE
    assert made.agreement is not None
    assert [(i.due_on, str(i.amount)) for i in made.agreement.items] == [
        (date(2024, 3, 11), "300.00 USD")
    ]


async def test_already_paid_asks_date_and_reference_then_pauses_contact(
    dialogue: Dialogue, store: SqliteStore
) -> None:
    asked = await _tap(dialogue, await dialogue.menu(CHAT), "paid")
    reference = await dialogue.say(CHAT, "3.3.2024", None, locale="en")

    noted = await dialogue.say(CHAT, "TRX-4471", None, locale="en")

    assert (asked.screen, reference.screen, noted.screen) == (
        Screen.ASK_PAID_DATE,
        Screen.ASK_PAID_REFERENCE,
        Screen.PAID_NOTED,
    )
    with sqlite3.connect(store.path) as db:
        status, until = db.execute("SELECT status, paused_until FROM cases").fetchone()
    assert (status, until) == ("paused", "2024-03-07T19:00:00.000000Z")


async def test_a_future_payment_date_is_not_understood(dialogue: Dialogue) -> None:
    await _tap(dialogue, await dialogue.menu(CHAT), "paid")

    view = await dialogue.say(CHAT, "2030-01-01", None, locale="en")

    assert view.screen is Screen.MISUNDERSTOOD


@pytest.mark.parametrize("intent", [Intent.DISPUTE, Intent.HARDSHIP, Intent.PERSON])
async def test_dispute_hardship_and_person_escalate_with_the_reason(
    dialogue: Dialogue, store: SqliteStore, intent: Intent
) -> None:
    await dialogue.menu(CHAT)

    view = await dialogue.say(CHAT, "I lost my job", intent, locale="en")

    case_view = (await store.list_cases())[0]
    assert (view.screen, view.escalation) == (Screen.ESCALATED, intent.value)
    assert case_view.case.status is CaseStatus.ESCALATED
    assert case_view.audit[-1].detail == {"said": "I lost my job"}


async def test_two_misunderstandings_offer_a_person(dialogue: Dialogue) -> None:
    await dialogue.menu(CHAT)

    first = await dialogue.say(CHAT, "blah", None, locale="en")
    second = await dialogue.say(CHAT, "blah blah", None, locale="en")

    assert (first.screen, second.screen) == (Screen.MISUNDERSTOOD, Screen.OFFER_PERSON)


async def test_stop_opts_out_whatever_the_step(dialogue: Dialogue, store: SqliteStore) -> None:
    await _tap(dialogue, await dialogue.menu(CHAT), "plans")

    view = await dialogue.say(CHAT, "stop", Intent.STOP, locale="en")

    assert view.screen is Screen.STOPPED
    assert (await store.list_cases())[0].case.status is CaseStatus.OPTED_OUT


async def test_a_restart_between_two_taps_continues_the_conversation(
    owed_settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "restart.db"
    first = await SqliteStore.open(path, clock)
    await _overdue_case(first, clock, owed_settings)
    plans = await _tap(
        Dialogue(first, clock, owed_settings, PlanPolicy.load(None), terms),
        await Dialogue(first, clock, owed_settings, PlanPolicy.load(None), terms).menu(CHAT),
        "plans",
    )
    await first.close()

    second = await SqliteStore.open(path, clock)
    plan = await _tap(
        Dialogue(second, clock, owed_settings, PlanPolicy.load(None), terms), plans, "plan", "4"
    )
    await second.close()

    assert plan.screen is Screen.PLAN
    assert plan.plan is not None
    assert plan.plan.count == 4


async def test_agreements_cannot_be_changed(dialogue: Dialogue, store: SqliteStore) -> None:
    plan = await _tap(
        dialogue, await _tap(dialogue, await dialogue.menu(CHAT), "plans"), "plan", "2"
    )
    await _tap(dialogue, plan, "agree", "plan")

    with (
        sqlite3.connect(store.path) as db,
        pytest.raises(sqlite3.IntegrityError, match="immutable"),
    ):
        db.execute("UPDATE agreements SET total = 1")


async def test_language_chosen_in_the_chat_is_kept_for_the_customer(
    store: SqliteStore, clock: FixedClock, owed_settings: Settings
) -> None:
    await _overdue_case(store, clock, owed_settings)
    policy = PlanPolicy.load(None)
    dialogue = Dialogue(store, clock, owed_settings, policy, terms, languages=("en", "he"))
    menu = await dialogue.menu(CHAT)

    offered = await _tap(dialogue, menu, "languages")
    chosen = await _tap(dialogue, offered, "language", "he")

    async with store.transaction() as tx:
        customer = await tx.get_customer("C-1")
    assert (offered.screen, offered.languages, chosen.screen) == (
        Screen.LANGUAGES,
        ("en", "he"),
        Screen.MENU,
    )
    assert customer is not None
    assert customer.language == "he"


async def test_a_language_not_served_is_refused(dialogue: Dialogue) -> None:
    offered = await _tap(dialogue, await dialogue.menu(CHAT), "languages")

    view = await _tap(dialogue, offered, "language", "xx")

    assert view.screen is Screen.STALE


async def test_retry_is_asked_of_billing_once_a_day(
    dialogue: Dialogue, store: SqliteStore
) -> None:
    menu = await dialogue.menu(CHAT)

    first = await _tap(dialogue, menu, "retry")
    second = await _tap(dialogue, first, "retry")

    billing = [c.template for c in await store.list_contacts() if c.channel == "billing"]
    assert (first.screen, second.screen) == (Screen.RETRY_REQUESTED, Screen.RETRY_REQUESTED)
    assert billing == ["retry_requested"]


async def test_case_view_shows_the_agreement_word_for_word(
    dialogue: Dialogue, store: SqliteStore
) -> None:
    from bot._render import case_rows

    plan = await _tap(
        dialogue, await _tap(dialogue, await dialogue.menu(CHAT), "plans"), "plan", "2"
    )
    await _tap(dialogue, plan, "agree", "plan")

    view = (await store.list_cases())[0]
    row = case_rows([view], full=True)[0]["agreements"][0]
    assert (row["kind"], row["total"], [i["amount"] for i in row["items"]]) == (
        "plan",
        "300.00",
        ["150.00", "150.00"],
    )
    assert row["terms_text"] == (
        "plan 300.00 USD (en)\n1: 2024-03-11 150.00 USD\n2: 2024-04-11 150.00 USD"
    )


async def test_a_typed_date_inside_the_window_makes_the_promise(dialogue: Dialogue) -> None:
    promises = await _tap(dialogue, await dialogue.menu(CHAT), "promises")

    promise = await dialogue.say(CHAT, "20.03.2024", None, locale="en")

    assert promises.last_promise_day == date(2024, 4, 3)
    assert promise.screen is Screen.PROMISE
    assert promise.promise is not None
    assert promise.promise.due_on == date(2024, 3, 20)


@pytest.mark.parametrize("typed", ["05.04.2024", "01.03.2024", "31.02.2024"])
async def test_a_typed_date_outside_the_window_is_not_taken(
    dialogue: Dialogue, typed: str
) -> None:
    await _tap(dialogue, await dialogue.menu(CHAT), "promises")

    view = await dialogue.say(CHAT, typed, None, locale="en")

    assert view.screen is Screen.MISUNDERSTOOD


async def test_a_typed_part_amount_is_promised_and_agreed(dialogue: Dialogue) -> None:
    promises = await _tap(dialogue, await dialogue.menu(CHAT), "promises")
    full = await _tap(dialogue, promises, "promise", "7d")

    part = await dialogue.say(CHAT, "120,50", None, locale="en")
    made = await _tap(dialogue, part, "agree", "promise")

    assert full.promise is not None
    assert part.promise is not None
    assert (str(full.promise.amount), str(part.promise.amount)) == ("300.00 USD", "120.50 USD")
    assert made.agreement is not None
    assert str(made.agreement.total) == "120.50 USD"


@pytest.mark.parametrize("typed", ["300.00", "0", "1000", "12.345"])
async def test_a_part_amount_must_be_less_than_what_is_due(dialogue: Dialogue, typed: str) -> None:
    promises = await _tap(dialogue, await dialogue.menu(CHAT), "promises")
    await _tap(dialogue, promises, "promise", "7d")

    view = await dialogue.say(CHAT, typed, None, locale="en")

    assert view.screen is Screen.MISUNDERSTOOD


async def test_asking_to_pay_later_with_nothing_owed_shows_the_menu_again(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    # A type A case before any debt: the card failed, no invoice is unpaid yet.
    body = json.dumps(
        {
            "id": "f1",
            "type": "payment_failed",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {"id": "C-2"},
            "payment_method": {"kind": "card", "reason": "card_declined"},
        }
    )
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)
    async with store.transaction() as tx:
        await tx.link_channel(ChannelLink("C-2", "telegram", "556", clock.now()))
    dialogue = Dialogue(store, clock, settings, PlanPolicy.load(None), terms)

    view = await dialogue.say("556", "can I pay later", Intent.PROMISE, locale="en")

    assert view.screen is Screen.STALE
    assert view.current is not None
    assert view.current.screen is Screen.MENU
