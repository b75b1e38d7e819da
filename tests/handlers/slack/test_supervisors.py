"""Supervisors in Slack: the App Home, `/settle`, and the daily digest, read from real cases.

The cases come through the product's own paths: billing events ingested, escalations
opened by the escalation service, a payment closing a case; Bolt is reached with signed
requests and answers through the Web API emulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from bot import (
    Contact,
    ContactStatus,
    EscalationReason,
    Ingest,
    Settings,
    desk_report,
    parse_event,
    schedule_digest,
)
from bot._escalations import escalate
from bot._supervision import DIGEST
from bot.ports import Store
from handlers.emulators import SlackEmulator, SlackUser
from handlers.slack import (
    SlackPoster,
    SlackRouting,
    build_slack_app,
    slack_client,
    slack_endpoint,
)
from tests.conftest import FixedClock, served

OPENED = datetime(2024, 3, 4, 19, 0, tzinfo=UTC)
LATE = datetime(2024, 3, 5, 11, 30, tzinfo=UTC)  # the first is past its SLA, the second not
ANA = SlackUser("U-ANA", "ana")
LEAD = SlackUser("U-LEAD", "lead")
OUTSIDER = SlackUser("U-OUT", "out")
PHONE = "+1 617 555 0142"
AUTHORITY = """
[[tier]]
name = "agent"
members = ["U-ANA"]

[[tier]]
name = "lead"
members = ["U-LEAD"]
max_instalments = 24
"""


def _event(kind: str, event_id: str, customer: str, **parts: Any) -> str:
    at = "2024-03-04T08:00:00+00:00"
    person = {"id": customer, "locale": "en_US", "phone": PHONE, "country": "US"}
    return json.dumps(
        {"id": event_id, "type": kind, "occurred_at": at, "customer": person} | parts
    )


def _invoice(invoice: str, due: str) -> dict[str, str]:
    return {
        "id": invoice,
        "amount": "300.00",
        "amount_due": due,
        "currency": "USD",
        "issued_on": "2024-01-01",
        "due_on": "2024-02-01",
    }


async def _ingest(ingest: Ingest, body: str) -> None:
    await ingest.accept("canonical", parse_event(body), body)


@pytest.fixture
def desk_settings(slack_settings: Settings, tmp_path: Path) -> Settings:
    authority = tmp_path / "authority.toml"
    authority.write_text(AUTHORITY, encoding="utf-8")
    return slack_settings.model_copy(
        update={"authority_file": authority, "substantial_min_amount": {"USD": "100"}}
    )


@pytest.fixture
async def desk(desk_settings: Settings, store: Store, clock: FixedClock) -> list[int]:
    """Three overdue customers: two escalated (one an hour later, one assigned), one paid."""
    ingest = Ingest(store, clock, desk_settings)
    for number in (1, 2, 3):
        invoice = _invoice(f"I-{number}", "300.00")
        await _ingest(
            ingest, _event("invoice_overdue", f"o{number}", f"C-{number}", invoice=invoice)
        )
    paid = _event(
        "payment_received",
        "p3",
        "C-3",
        invoice=_invoice("I-3", "0"),
        payment={"id": "PAY-3", "amount": "300.00", "currency": "USD"},
    )
    await _ingest(ingest, paid)
    ids = []
    # Monday 19:00 UTC, after staff hours: due Tuesday 11:00; Tuesday 10:00: due 12:00.
    for number, reason in ((1, EscalationReason.DISPUTE), (2, EscalationReason.PERSON)):
        views = [v for v in await store.list_cases() if v.case.customer_id == f"C-{number}"]
        async with store.transaction() as tx:
            escalation = await escalate(
                tx, views[0].case, reason, now=clock.now(), actor="customer", why="asked"
            )
            ids.append(escalation.id)
        clock.moment = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    clock.moment = OPENED
    async with store.transaction() as tx:
        await tx.assign_escalation(ids[1], to=ANA.id)
    return ids


@pytest.fixture
async def events_url(
    desk_settings: Settings, store: Store, clock: FixedClock
) -> AsyncIterator[str]:
    """Bolt with the authority tiers of AUTHORITY, behind POST /slack/events."""
    app = build_slack_app(desk_settings, store, clock)
    web = Starlette(routes=[Route("/slack/events", slack_endpoint(app), methods=["POST"])])
    async with served(web) as port:
        yield f"http://127.0.0.1:{port}/slack/events"


async def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.post(url, content=body, headers=headers)


async def _open_home(slack: SlackEmulator, url: str, user: SlackUser, tab: str = "home") -> Any:
    event = {"type": "app_home_opened", "user": user.id, "channel": "D-1", "tab": tab}
    body, headers = slack.event_request(event, event_id=f"Ev-{user.id}-{tab}")
    response = await _post(url, body, headers)
    assert response.status_code == 200
    return slack.home(user.id)


def _text(view: Any) -> str:
    return json.dumps(view, ensure_ascii=False)


def _section(view: dict[str, Any], title: str) -> str:
    for block in view["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if text.startswith(f"*{title}*"):
            return str(text)
    raise AssertionError(f"no section {title!r} in {[b.get('type') for b in view['blocks']]}")


async def test_the_home_shows_the_queue_the_late_and_the_days_recoveries(
    desk: list[int], slack: SlackEmulator, events_url: str, clock: FixedClock
) -> None:
    clock.moment = LATE

    home = await _open_home(slack, events_url, LEAD)

    dispute, person = desk
    assert home["type"] == "home"
    assert _section(home, "Past their SLA").splitlines()[1:] == [
        f"• Escalation {dispute}: dispute, pre-collection, customer C-1; waited 16 h 30 min, "
        "with no one yet"
    ]
    assert _section(home, "By reason").splitlines()[1:] == ["dispute: 1", "person: 1"]
    assert _section(home, "By age").splitlines()[1:] == [
        "under 1 hour: 0",
        "1 to 4 hours: 1",
        "4 to 24 hours: 1",
        "1 to 3 days: 0",
        "over 3 days: 0",
    ]
    assert _section(home, "Queue per member of staff").splitlines()[1:] == [
        "• <@U-ANA>: 1",
        "• No one yet: 1",
    ]
    assert PHONE not in _text(home)
    assert person in desk


async def test_the_home_counts_what_was_recovered_today_only(
    desk: list[int], slack: SlackEmulator, events_url: str, clock: FixedClock
) -> None:
    today = await _open_home(slack, events_url, LEAD)
    clock.moment = LATE
    tomorrow = await _open_home(slack, events_url, ANA)

    assert "• Closed paid in full: 1" in _section(today, "Recovered today")
    assert "• Closed paid in full: 0" in _section(tomorrow, "Recovered today")


async def test_the_messages_tab_publishes_nothing(
    desk: list[int], slack: SlackEmulator, events_url: str
) -> None:
    home = await _open_home(slack, events_url, LEAD, tab="messages")

    assert home is None


async def test_someone_in_no_tier_sees_no_cases_at_home(
    desk: list[int], slack: SlackEmulator, events_url: str
) -> None:
    home = await _open_home(slack, events_url, OUTSIDER)

    assert "You are not in an authority tier" in _text(home)
    assert "C-1" not in _text(home)


async def test_refresh_publishes_the_home_again(
    desk: list[int], slack: SlackEmulator, events_url: str
) -> None:
    await _open_home(slack, events_url, LEAD)
    payload = slack.home_actions(LEAD, "settle_home_refresh")
    response = await _post(events_url, *slack.interaction_request(payload))

    assert response.status_code == 200
    assert len(slack.calls("views.publish")) == 2


async def test_settle_help_lists_the_subcommands(slack: SlackEmulator, events_url: str) -> None:
    response = await slack.command(events_url, OUTSIDER, "help")

    assert response.status_code == 200
    assert response.json()["text"].splitlines()[:3] == [
        "`/settle case ID`: one case at a glance (customer masked), and its escalation",
        "`/settle stats`: today's recoveries and the queue",
        "`/settle help`: this list",
    ]


async def test_settle_with_an_unknown_word_names_it_and_lists_the_subcommands(
    slack: SlackEmulator, events_url: str
) -> None:
    response = await slack.command(events_url, LEAD, "refund 12")

    assert response.json()["text"].splitlines()[0] == (
        "`/settle` does not know `refund`. It knows:"
    )


async def test_settle_case_shows_the_case_masked_with_its_escalation(
    desk: list[int], store: Store, slack: SlackEmulator, events_url: str
) -> None:
    async with store.transaction() as tx:
        escalation = await tx.get_escalation(desk[0])
    assert escalation is not None

    response = await slack.command(events_url, ANA, f"case {escalation.case_id}")

    shown = _text(response.json()["blocks"])
    assert response.json()["text"] == f"Case {escalation.case_id}"
    assert "*Customer*\\nC-1" in shown
    assert "*Phone*\\n+1 •••• ••42" in shown
    assert f"escalation {escalation.id}, dispute" in shown
    assert "617 555" not in shown


@pytest.mark.parametrize("text", ["case 999", "case", "case twelve"])
async def test_settle_case_of_no_case_says_so(
    desk: list[int], slack: SlackEmulator, events_url: str, text: str
) -> None:
    response = await slack.command(events_url, ANA, text)

    assert response.json()["text"].startswith("No case ")


async def test_settle_case_shows_nothing_to_someone_in_no_tier(
    desk: list[int], slack: SlackEmulator, events_url: str
) -> None:
    response = await slack.command(events_url, OUTSIDER, "case 1")

    assert response.json()["text"].startswith("You are not in an authority tier")
    assert "blocks" not in response.json()


async def test_settle_stats_counts_today_and_the_queue(
    desk: list[int], slack: SlackEmulator, events_url: str
) -> None:
    response = await slack.command(events_url, LEAD, "stats")

    shown = _text(response.json()["blocks"])
    assert "• Closed paid in full: 1" in shown
    assert "*Waiting*\\n2" in shown


async def test_the_digest_is_queued_once_for_the_next_morning(
    store: Store, clock: FixedClock
) -> None:
    zone = ZoneInfo("Europe/London")  # 2024-03-04 19:00 UTC is 19:00 there
    at = time(9, 0)

    first = await schedule_digest(store, now=clock.now(), zone=zone, at=at, channel="C-SUP")
    again = await schedule_digest(store, now=clock.now(), zone=zone, at=at, channel="C-SUP")

    [digest] = await store.list_contacts()
    assert first is not None
    assert again is None
    assert digest.template == DIGEST
    assert digest.customer_id is None
    assert digest.params == {"day": "2024-03-04", "channel": "C-SUP"}
    assert digest.due_at == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


async def test_the_digest_posts_the_days_recoveries_and_the_queue(
    desk: list[int],
    desk_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
) -> None:
    routing = SlackRouting.from_settings(desk_settings)
    poster = SlackPoster(slack_client(desk_settings), store, routing, clock=clock)
    clock.moment = LATE
    params = {"day": "2024-03-04", "channel": "C-SUP"}
    contact = Contact(
        1, None, None, "slack", DIGEST, params, ContactStatus.SENDING, clock.now(), 0
    )

    await poster.send(contact)

    [post] = slack.calls("chat.postMessage")
    shown = _text(post.params["blocks"])
    assert post.params["channel"] == "C-SUP"
    assert post.params["text"] == (
        "Settle digest for 2024-03-04: 1 closed, 0 plans agreed, 0 promises made, 0 kept; "
        "2 waiting, 1 past their SLA."
    )
    assert "Daily digest: Monday 2024-03-04" in shown
    assert "• <@U-ANA>: 1" in shown


async def test_a_days_report_leaves_out_the_next_day(
    desk: list[int], store: Store, clock: FixedClock
) -> None:
    zone = ZoneInfo("UTC")

    yesterday = await desk_report(store, now=clock.now(), zone=zone, day=date(2024, 3, 3))
    that_day = await desk_report(store, now=clock.now(), zone=zone, day=date(2024, 3, 4))

    assert (yesterday.recoveries.paid, that_day.recoveries.paid) == (0, 1)


async def _post_escalation(
    settings: Settings, store: Store, clock: FixedClock, escalation_id: int
) -> tuple[str, str]:
    poster = SlackPoster(slack_client(settings), store, SlackRouting.from_settings(settings))
    params = {"escalation": escalation_id}
    at = clock.now()
    contact = Contact(1, None, "C-1", "slack", "escalation", params, ContactStatus.SENDING, at, 0)
    result = await poster.send(contact)
    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)
    assert escalation is not None
    assert escalation.slack_channel is not None
    return escalation.slack_channel, result.channel_message_id


async def test_assign_to_me_gives_the_escalation_to_the_clicker_in_a_tier_only(
    desk: list[int],
    desk_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    channel, ts = await _post_escalation(desk_settings, store, clock, desk[0])

    await slack.click(events_url, OUTSIDER, channel=channel, ts=ts, action_id="settle_assign")
    async with store.transaction() as tx:
        untouched = await tx.get_escalation(desk[0])
    await slack.click(events_url, LEAD, channel=channel, ts=ts, action_id="settle_assign")
    async with store.transaction() as tx:
        assigned = await tx.get_escalation(desk[0])

    [refusal] = slack.ephemeral(OUTSIDER.id)
    assert untouched is not None
    assert untouched.assignee is None
    assert refusal["text"].startswith("You are not in an authority tier")
    assert assigned is not None
    assert assigned.assignee == LEAD.id
    assert "Assigned to <@U-LEAD>" in _text(slack.message(channel, ts))
