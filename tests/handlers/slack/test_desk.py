"""Staff decide in Slack: signed clicks, first decision wins, the rest are told."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
from slack_bolt.async_app import AsyncAck
from starlette.applications import Starlette
from starlette.routing import Route

import handlers.emulators as emulators
from bot import Contact, ContactStatus, Settings
from bot.ports import Store
from handlers.emulators import SlackEmulator, SlackUser
from handlers.slack import (
    SlackPoster,
    SlackRouting,
    build_slack_app,
    slack_client,
    slack_endpoint,
)
from tests.conftest import FixedClock, load_json, served
from tests.handlers.slack.conftest import open_escalation

ANA = SlackUser("U-ANA", "ana")
BEN = SlackUser("U-BEN", "ben")


async def _posted(
    slack_settings: Settings, store: Store, clock: FixedClock, slack: SlackEmulator
) -> tuple[int, str, str]:
    escalation = await open_escalation(store, clock)
    poster = SlackPoster(
        slack_client(slack_settings), store, SlackRouting.from_settings(slack_settings)
    )
    params = {"escalation": escalation.id}
    contact = Contact(
        1, 1, "C-1001", "slack", "escalation", params, ContactStatus.SENDING, clock.now(), 0
    )
    result = await poster.send(contact)
    return escalation.id, "C-DISPUTES", result.channel_message_id


def _buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.post(url, content=body, headers=headers)


def test_clicks_start_from_the_real_block_actions_payload() -> None:
    real = load_json("slack", "bolt_block_actions_button.json")
    ours = json.loads((Path(emulators.__file__).parent / "slack_block_actions.json").read_text())

    assert ours == real


def test_submissions_start_from_the_real_view_submission_payload() -> None:
    real = load_json("slack", "bolt_view_submission_body.json")
    path = Path(emulators.__file__).parent / "slack_view_submission.json"

    assert json.loads(path.read_text()) == real


async def test_the_post_offers_the_handled_buttons(
    slack_settings: Settings, store: Store, clock: FixedClock, slack: SlackEmulator
) -> None:
    _escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)

    message = slack.message(channel, ts)

    assert _buttons(message) == [
        "settle_approve",
        "settle_reject",
        "settle_counter",
        "settle_take_over",
        "settle_assign",
    ]


async def test_an_approval_updates_the_post_and_writes_the_audit(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)

    response = await slack.click(
        events_url, ANA, channel=channel, ts=ts, action_id="settle_approve"
    )

    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)
    view = await store.case_view(escalation.case_id if escalation else 0)
    assert response.status_code == 200
    assert escalation is not None
    assert view is not None
    assert (escalation.decision, escalation.decided_by) == ("approve", "U-ANA")
    message = slack.message(channel, ts)
    assert _buttons(message) == []
    assert "Approved* by <@U-ANA>" in json.dumps(message["blocks"])
    decided = [record for record in view.audit if record.action == "decided"]
    assert [(record.actor, record.detail) for record in decided] == [
        (
            "U-ANA",
            {
                "escalation": escalation_id,
                "decision": "approve",
                "channel": "slack",
                "tier": "staff",
            },
        )
    ]


async def test_a_double_click_decides_once_and_is_told_so(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)
    payload = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")
    body, headers = slack.interaction_request(payload)

    first = await _post(events_url, body, headers)
    second = await _post(events_url, body, headers)

    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)
    assert (first.status_code, second.status_code) == (200, 200)
    assert escalation is not None
    assert escalation.decision == "approve"
    assert len(slack.calls("chat.update")) == 1
    ephemeral = slack.calls("chat.postEphemeral")
    assert [call.params["user"] for call in ephemeral] == ["U-ANA"]
    assert ephemeral[0].params["text"].startswith("Already decided by <@U-ANA> at <!date^")


async def test_two_staff_racing_decide_once_and_the_loser_is_told(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)
    approve = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")
    reject = slack.block_actions(BEN, channel=channel, ts=ts, action_id="settle_reject")

    responses = await asyncio.gather(
        _post(events_url, *slack.interaction_request(approve)),
        _post(events_url, *slack.interaction_request(reject)),
    )

    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)
    assert [response.status_code for response in responses] == [200, 200]
    assert escalation is not None
    assert escalation.decided_by in ("U-ANA", "U-BEN")
    loser = "U-BEN" if escalation.decided_by == "U-ANA" else "U-ANA"
    assert len(slack.calls("chat.update")) == 1
    assert [call.params["user"] for call in slack.calls("chat.postEphemeral")] == [loser]
    view = await store.case_view(escalation.case_id)
    assert view is not None
    assert [record.actor for record in view.audit if record.action == "decided"] == [
        escalation.decided_by
    ]


async def test_a_bad_signature_is_refused(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)
    payload = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")

    response = await _post(events_url, *slack.interaction_request(payload, secret="wrong"))

    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)
    assert response.status_code == 401
    assert escalation is not None
    assert escalation.is_open


async def test_a_request_older_than_five_minutes_is_refused(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    _escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)
    payload = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")
    stale = int(time.time()) - 5 * 60 - 1

    response = await _post(events_url, *slack.interaction_request(payload, timestamp=stale))

    assert response.status_code == 401
    assert slack.calls("chat.update") == []


async def test_assign_to_me_names_the_assignee_on_the_post(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    events_url: str,
) -> None:
    _escalation_id, channel, ts = await _posted(slack_settings, store, clock, slack)

    await slack.click(events_url, BEN, channel=channel, ts=ts, action_id="settle_assign")

    message = slack.message(channel, ts)
    assert "Assigned to <@U-BEN>" in json.dumps(message["blocks"])
    assert _buttons(message) == [
        "settle_approve",
        "settle_reject",
        "settle_counter",
        "settle_take_over",
        "settle_assign",
    ]


async def test_a_retried_event_is_handled_once(
    slack_settings: Settings, store: Store, clock: FixedClock, slack: SlackEmulator
) -> None:
    app = build_slack_app(slack_settings, store, clock)
    seen: list[str] = []

    @app.event("app_mention")
    async def mention(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body["event_id"])

    web = Starlette(routes=[Route("/slack/events", slack_endpoint(app), methods=["POST"])])
    event = {"type": "app_mention", "user": "U-ANA", "text": "hi", "channel": "C-DESK"}
    async with served(web) as port:
        url = f"http://127.0.0.1:{port}/slack/events"
        first = await _post(url, *slack.event_request(event, event_id="Ev1"))
        retry = await _post(url, *slack.event_request(event, event_id="Ev1", retry_num=1))

    assert (first.status_code, retry.status_code) == (200, 200)
    assert seen == ["Ev1"]
