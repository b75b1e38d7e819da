"""The whole app: a customer disputes in Telegram, staff see it in Slack and decide there.

`settle serve`'s ASGI app runs under uvicorn with the Telegram and Slack emulators on
loopback; the escalation travels through the outbox, the click arrives signed at
`/slack/events`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot import CaseStatus, Settings, parse_event
from bot.app import Runtime, create_app
from handlers.emulators import SlackEmulator, SlackUser, TelegramEmulator
from tests.conftest import FixedClock, served
from tests.handlers.slack.conftest import SECRET

TOKEN = "4545:desk-token"
CHAT = 7201
ANA = SlackUser("U-ANA", "ana")
BEN = SlackUser("U-BEN", "ben")
OVERDUE = {
    "id": "o1",
    "type": "invoice_overdue",
    "occurred_at": "2024-03-04T08:00:00Z",
    "customer": {
        "id": "C-9",
        "locale": "en_US",
        "timezone": "America/New_York",
        "phone": "+1 617 555 0142",
        "email": "sam.rivera@home.example",
    },
    "invoice": {
        "id": "INV-9",
        "amount": "300.00",
        "currency": "USD",
        "issued_on": "2024-01-01",
        "due_on": "2024-02-01",
    },
}


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_desk_bot") as emu:
        yield emu


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(signing_secret=SECRET) as emulator:
        emulator.add_user(ANA)
        emulator.add_user(BEN)
        yield emulator


@pytest.fixture
async def app_url(
    settings: Settings, clock: FixedClock, telegram: TelegramEmulator, slack: SlackEmulator
) -> AsyncIterator[tuple[Runtime, str]]:
    tuned = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_base_url": telegram.base_url,
            "slack_bot_token": SecretStr(slack.token),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_base_url": slack.base_url,
            "slack_escalation_channel": "C-DESK",
            "slack_routes": "reason=dispute:C-DISPUTES",
            "slack_supervisors_channel": "C-SUPERVISORS",
            "slack_digest_channel": "C-DIGEST",
            "outbox_poll_seconds": 0.05,
            "substantial_min_amount": {"USD": "100"},
            "triage_every_hours": 0,
        }
    )
    runtime = Runtime.build(tuned, clock=clock, polling=True)
    async with served(create_app(runtime)) as port:
        body = json.dumps(OVERDUE)
        await runtime.ingest.accept("canonical", parse_event(body), body)
        link = await runtime.linking.deep_link("C-9")
        await telegram.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
        await telegram.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
        yield runtime, f"http://127.0.0.1:{port}/slack/events"


def _posts(slack: SlackEmulator) -> list[Any]:
    """What was posted for escalations: everything but the daily digest."""
    return [call for call in slack.calls("chat.postMessage") if _is_escalation_post(call)]


def _is_escalation_post(call: Any) -> bool:
    return call.method == "chat.postMessage" and call.params["channel"] != "C-DIGEST"


def _all_text(calls: list[Any]) -> str:
    return json.dumps([call.params for call in calls], ensure_ascii=False)


async def test_a_dispute_reaches_the_desk_masked_and_one_approval_decides_it(
    app_url: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app_url

    await telegram.send_text(CHAT, "I dispute this, I never ordered it")
    post = await slack.wait_for("chat.postMessage", timeout=10)
    channel, ts = post.params["channel"], post.response["ts"]
    # Both see the post with its buttons and click; Slack delivers the clicks in turn.
    clicks = [
        slack.interaction_request(
            slack.block_actions(who, channel=channel, ts=ts, action_id="settle_approve")
        )
        for who in (ANA, BEN)
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        first, second = [await client.post(url, content=b, headers=h) for b, h in clicks]
    await slack.wait_for("chat.postEphemeral", timeout=10)

    [view] = await runtime.store.list_cases()
    async with runtime.store.transaction() as tx:
        escalation = await tx.open_escalation_of(view.case.id)
    decided = [a for a in view.audit if a.action == "decided"]
    posted = _all_text(slack.calls())
    assert channel == "C-DISPUTES"
    assert (first.status_code, second.status_code) == (200, 200)
    assert view.case.status is CaseStatus.ESCALATED
    assert escalation is None
    assert [a.actor for a in decided] == ["U-ANA"]
    assert "I never ordered it" in posted
    assert "617 555 0142" not in posted
    assert "sam.rivera@home.example" not in posted


async def test_an_escalation_still_waiting_at_its_deadline_is_called_out(
    app_url: tuple[Runtime, str],
    telegram: TelegramEmulator,
    slack: SlackEmulator,
    clock: FixedClock,
) -> None:
    runtime, _url = app_url
    await telegram.send_text(CHAT, "I want to talk to a person")
    post = await slack.wait_for("chat.postMessage", timeout=10)
    [view] = await runtime.store.list_cases()
    async with runtime.store.transaction() as tx:
        escalation = await tx.open_escalation_of(view.case.id)
    assert escalation is not None

    # Opened Monday 19:00 UTC, after hours: two working hours end Tuesday at 11:00.
    clock.moment = datetime(2024, 3, 5, 10, 59, tzinfo=UTC)
    await asyncio.sleep(0.3)
    early = len(_posts(slack))
    clock.moment = datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    await slack.wait_for(_is_escalation_post, count=3, timeout=10)

    thread, supervisors = _posts(slack)[1:]
    assert escalation.due_by == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    assert early == 1
    assert (thread.params["channel"], thread.params["thread_ts"]) == (
        "C-DESK",
        post.response["ts"],
    )
    assert supervisors.params["channel"] == "C-SUPERVISORS"
    assert f"Escalation {escalation.id} (person, customer C-9) has waited past" in str(
        supervisors.params["text"]
    )


async def test_a_decided_escalation_raises_no_alert(
    app_url: tuple[Runtime, str],
    telegram: TelegramEmulator,
    slack: SlackEmulator,
    clock: FixedClock,
) -> None:
    _runtime, url = app_url
    await telegram.send_text(CHAT, "I want to talk to a person")
    post = await slack.wait_for("chat.postMessage", timeout=10)
    channel, ts = post.params["channel"], post.response["ts"]
    await slack.click(url, ANA, channel=channel, ts=ts, action_id="settle_reject")
    await slack.wait_for("chat.update", timeout=10)

    clock.moment = datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    await asyncio.sleep(0.5)

    assert len(_posts(slack)) == 1


async def test_the_daily_digest_goes_out_at_nine_in_the_staff_zone(
    app_url: tuple[Runtime, str],
    telegram: TelegramEmulator,
    slack: SlackEmulator,
    clock: FixedClock,
) -> None:
    await telegram.send_text(CHAT, "I want to talk to a person")
    await slack.wait_for("chat.postMessage", timeout=10)

    clock.moment = datetime(2024, 3, 5, 8, 59, tzinfo=UTC)
    await asyncio.sleep(0.3)
    early = [call for call in slack.calls("chat.postMessage") if not _is_escalation_post(call)]
    clock.moment = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    digest = await slack.wait_for(lambda call: not _is_escalation_post(call), timeout=10)

    assert early == []
    assert digest.params["text"] == (
        "Settle digest for 2024-03-04: 0 closed, 0 plans agreed, 0 promises made, 0 kept; "
        "1 waiting, 0 past their SLA."
    )
