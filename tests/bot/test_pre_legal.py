"""The pre-legal stage in the core: when a case enters, what it says, and the offers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Catalogue,
    ConfigurationError,
    Customer,
    EscalationReason,
    Ingest,
    Invoice,
    InvoiceStatus,
    Money,
    PlanPolicy,
    Reason,
    Settings,
    parse_event,
    promote_to_pre_legal,
)
from bot._dialogue import Dialogue
from bot._escalations import escalate
from bot._prelegal import PreLegalRules, ready_for_pre_legal
from bot._views import Screen, View, button_data
from bot.ports import AuditRecord, CaseView, ChannelLink
from storage import SqliteStore
from tests.bot.test_dialogue import CHAT, terms
from tests.conftest import FixedClock

HANDOVER = {
    "id": "h1",
    "type": "collection_stage_changed",
    "occurred_at": "2024-03-04T08:00:00Z",
    "stage": "pre-legal",
    "customer": {"id": "C-1", "timezone": "Europe/Berlin"},
    "invoice": {
        "id": "INV-1",
        "amount": "300.00",
        "currency": "USD",
        "issued_on": "2023-05-01",
        "due_on": "2023-12-01",
    },
}


async def _accept(
    store: SqliteStore, clock: FixedClock, settings: Settings, body: dict[str, Any]
) -> None:
    text = json.dumps(body)
    await Ingest(store, clock, settings).accept("canonical", parse_event(text), text)


async def _handed_over(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    await _accept(store, clock, settings, {**HANDOVER, "id": "c0", "type": "customer_updated"})
    async with store.transaction() as tx:
        await tx.link_channel(ChannelLink("C-1", "telegram", CHAT, clock.now()))
    await _accept(store, clock, settings, HANDOVER)


@pytest.fixture
async def pre_legal(store: SqliteStore, clock: FixedClock, settings: Settings) -> Dialogue:
    await _handed_over(store, clock, settings)
    return Dialogue(store, clock, settings, PlanPolicy.load(None), terms)


async def _tap(dialogue: Dialogue, view: View, action: str, arg: str = "") -> View:
    return await dialogue.tap(CHAT, button_data(action, view.version, arg), locale="en")


async def test_a_handover_with_no_case_opens_one_in_pre_legal_with_its_notice(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _handed_over(store, clock, settings)

    [view] = await store.list_cases()
    templates = [(c.channel, c.template) for c in view.contacts]
    assert (view.case.stage, view.case.status) == (CaseStage.PRE_LEGAL, CaseStatus.CONTACTING)
    assert ("telegram", "pre_legal_notice") in templates
    assert ("slack", "escalation") in templates
    assert ("case", "retention_step") in templates
    assert ("telegram", "first_contact") not in templates


async def test_a_handover_twice_moves_the_case_once(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    await _handed_over(store, clock, settings)

    await _accept(store, clock, settings, {**HANDOVER, "id": "h2"})

    [view] = await store.list_cases()
    assert [a.action for a in view.audit].count("stage") == 1


async def test_a_disputed_case_stays_with_staff_when_billing_hands_it_over(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    overdue = {**HANDOVER, "id": "o1", "type": "invoice_overdue"}
    tuned = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    await _accept(store, clock, tuned, overdue)
    [view] = await store.list_cases()
    async with store.transaction() as tx:
        await escalate(
            tx, view.case, EscalationReason.DISPUTE, now=clock.now(), actor="customer", why="x"
        )

    await _accept(store, clock, tuned, HANDOVER)

    [after] = await store.list_cases()
    assert (after.case.stage, after.case.status) == (
        CaseStage.PRE_COLLECTION,
        CaseStatus.ESCALATED,
    )


def _view_with(
    audit: list[AuditRecord], *, due_on: date, status: CaseStatus = CaseStatus.ESCALATED
) -> CaseView:
    invoice = Invoice(
        "INV-1",
        "C-1",
        Money(30000, "USD"),
        Money(30000, "USD"),
        due_on - timedelta(days=30),
        due_on,
        InvoiceStatus.OVERDUE,
        datetime(2024, 1, 1, tzinfo=UTC),
    )
    case = Case(
        1,
        "C-1",
        CaseType.C,
        CaseStage.PRE_COLLECTION,
        status,
        Reason.SUBSTANTIAL_OVERDUE,
        datetime(2024, 1, 1, tzinfo=UTC),
        None,
        amount_due=Money(30000, "USD"),
    )
    return CaseView(case, Customer("C-1"), (invoice,), tuple(audit), (), None)


AT = datetime(2024, 3, 4, tzinfo=UTC)
NO_ANSWER = AuditRecord(AT, "ladder", "escalated", "no answer after the first message", 1, "C-1")
BROKEN = AuditRecord(AT, "watch", "broken", "plan broken: payment 1 not made", 1, "C-1")


@pytest.mark.parametrize(
    ("days", "audit", "expected"),
    [
        (60, [NO_ANSWER], "60 days overdue and no answer to the follow-ups"),
        (59, [NO_ANSWER], None),
        (90, [], None),
        (10, [BROKEN, BROKEN], "2 agreements broken"),
        (10, [BROKEN], None),
    ],
)
def test_the_rules_move_a_case_after_60_days_without_answer_or_two_broken_agreements(
    days: int, audit: list[AuditRecord], expected: str | None
) -> None:
    today = date(2024, 3, 4)
    view = _view_with(audit, due_on=today - timedelta(days=days))

    assert ready_for_pre_legal(view, PreLegalRules(), today=today) == expected


def test_a_paused_case_does_not_move() -> None:
    today = date(2024, 3, 4)
    view = _view_with([BROKEN, BROKEN], due_on=today, status=CaseStatus.PAUSED)

    assert ready_for_pre_legal(view, PreLegalRules(), today=today) is None


async def test_the_periodic_pass_moves_a_case_the_ladder_gave_up_on(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    tuned = settings.model_copy(update={"substantial_min_amount": {"USD": "100"}})
    await _accept(store, clock, tuned, {**HANDOVER, "type": "invoice_overdue"})
    [view] = await store.list_cases()
    async with store.transaction() as tx:
        await escalate(
            tx, view.case, EscalationReason.NO_ANSWER, now=clock.now(), actor="ladder", why="x"
        )

    moved = await promote_to_pre_legal(store, clock, tuned)
    again = await promote_to_pre_legal(store, clock, tuned)

    [after] = await store.list_cases()
    async with store.transaction() as tx:
        [no_answer, notice] = await tx.escalations_of(after.case.id)
    assert (moved, again) == ([after.case.id], [])
    assert after.case.stage is CaseStage.PRE_LEGAL
    assert (no_answer.decision, notice.reason) == ("pre-legal", EscalationReason.PRE_LEGAL)


async def test_the_offers_are_what_the_customer_qualifies_for_with_a_plan_beside(
    pre_legal: Dialogue,
) -> None:
    menu = await pre_legal.menu(CHAT)

    offers = await _tap(pre_legal, menu, "offers")

    assert offers.screen is Screen.OFFERS
    assert [(o.source, str(o.total), o.count) for o in offers.offers] == [
        ("settle-now", "240.00 USD", 1),
        ("stay-and-save", "240.00 USD", 6),
        ("longer-plan", "300.00 USD", 24),
    ]


async def test_an_offer_of_the_bots_authority_is_agreed_with_its_commitment(
    pre_legal: Dialogue, store: SqliteStore
) -> None:
    offers = await _tap(pre_legal, await pre_legal.menu(CHAT), "offers")
    shown = await _tap(pre_legal, offers, "pick", "stay-and-save")

    agreed = await _tap(pre_legal, shown, "agree", "offer")

    assert agreed.agreement is not None
    assert (agreed.agreement.source, agreed.agreement.commitment_months) == ("stay-and-save", 12)
    assert "offer stay-and-save writes off 60.00 USD" in agreed.agreement.terms_text
    contacts = [(c.channel, c.template) for c in await store.list_contacts()]
    assert ("telegram", "agreement_copy") in contacts


async def test_an_offer_staff_must_approve_becomes_a_plan_request(
    pre_legal: Dialogue, store: SqliteStore
) -> None:
    offers = await _tap(pre_legal, await pre_legal.menu(CHAT), "offers")

    asked = await _tap(pre_legal, offers, "pick", "longer-plan")

    [view] = await store.list_cases()
    async with store.transaction() as tx:
        escalations = await tx.escalations_of(view.case.id)
    assert asked.screen is Screen.PLAN_REQUESTED
    assert [(e.reason, e.proposal.count if e.proposal else 0) for e in escalations] == [
        (EscalationReason.PRE_LEGAL, 0),
        (EscalationReason.PLAN_REQUEST, 24),
    ]


@pytest.mark.parametrize(
    ("typed", "screen"),
    [
        ("280 in 3", Screen.OFFER_TERMS),  # 6.7% off: the bot may agree it
        ("200 in 4", Screen.PLAN_REQUESTED),  # 33% off: staff decide
        ("300 in 13", Screen.PLAN_REQUESTED),  # more payments than the bot may agree
    ],
)
async def test_a_proposal_inside_the_bots_limits_is_shown_to_agree_and_beyond_goes_to_staff(
    pre_legal: Dialogue, typed: str, screen: Screen
) -> None:
    offers = await _tap(pre_legal, await pre_legal.menu(CHAT), "offers")
    await _tap(pre_legal, offers, "propose")

    answer = await pre_legal.say(CHAT, typed, None, locale="en")

    assert answer.screen is screen


def test_the_example_offers_file_is_the_built_in_catalogue() -> None:
    assert Catalogue.load(Path("examples/offers.toml")) == Catalogue.default()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[offer]]\nkey = "x"\nkind = "settlement"\n', "offer.0"),
        ('[[offer]]\nkey = "x"\nkind = "gift"\n', "offer.0.kind"),
        ("[bot]\nmax_instalments = 99\n", "bot.max_instalments"),
        ('[[offer]]\nkey = "x"\nkind = "fee_waiver"\nwaive = { XXZ = "1" }\n', "offer.0.waive"),
        ("[[offer]\n", "not valid TOML"),
    ],
)
def test_a_bad_offers_file_is_refused_naming_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "offers.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigurationError, match=named.replace(".", r"\.")):
        Catalogue.load(path)
