"""Every staff step is checked on the server: taking over, handing back, and writing to the
customer in the thread, whatever a signed request says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from bot import Settings, TakeOver
from bot.ports import Store
from handlers.emulators import SlackEmulator, SlackUser
from handlers.slack import build_slack_app, slack_endpoint
from messages import no_tier
from tests.conftest import FixedClock, served
from tests.handlers.slack.test_desk import _posted

ANA = SlackUser("U-ANA", "ana")  # in the tier
BEN = SlackUser("U-BEN", "ben")  # in none


@pytest.fixture
def tiered(slack_settings: Settings, tmp_path: Path) -> Settings:
    tiers = tmp_path / "authority.toml"
    tiers.write_text('[[tier]]\nname = "staff"\nmembers = ["U-ANA"]\n', encoding="utf-8")
    return slack_settings.model_copy(update={"authority_file": tiers})


@pytest.fixture
async def url(tiered: Settings, store: Store, clock: FixedClock) -> AsyncIterator[str]:
    endpoint = slack_endpoint(build_slack_app(tiered, store, clock), tiered)
    web = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    async with served(web) as port:
        yield f"http://127.0.0.1:{port}/slack/events"


@pytest.mark.parametrize("action", ["settle_take_over", "settle_hand_back"])
async def test_someone_in_no_tier_can_neither_take_over_nor_hand_back(
    tiered: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    url: str,
    action: str,
) -> None:
    escalation_id, channel, ts = await _posted(tiered, store, clock, slack)
    if action == "settle_hand_back":
        await slack.click(url, ANA, channel=channel, ts=ts, action_id="settle_take_over")

    response = await slack.click(url, BEN, channel=channel, ts=ts, action_id=action)
    async with store.transaction() as tx:
        escalation = await tx.get_escalation(escalation_id)

    assert response.status_code == 200
    assert escalation is not None
    expected = None if action == "settle_take_over" else ANA.id
    assert (escalation.taken_by, escalation.decision) == (expected, None)
    assert [m["text"] for m in slack.ephemeral(BEN.id)] == [no_tier()]


async def test_only_who_took_over_writes_to_the_customer(
    tiered: Settings, store: Store, clock: FixedClock, slack: SlackEmulator, url: str
) -> None:
    escalation_id, channel, ts = await _posted(tiered, store, clock, slack)
    await TakeOver(store, clock).take(escalation_id, by=ANA.id, name="ana")
    before = [c.id for c in await store.list_contacts()]
    reply = {
        "type": "message",
        "channel": channel,
        "user": BEN.id,
        "text": "You owe us, pay now",
        "ts": "2.1",
        "thread_ts": ts,
    }
    body, headers = slack.event_request(reply, event_id="Ev-ben")

    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(url, content=body, headers=headers)
    await slack.wait_for("chat.postEphemeral", timeout=10)

    assert response.status_code == 200
    assert [c.id for c in await store.list_contacts()] == before
    [shown] = slack.ephemeral(BEN.id)
    assert shown["text"].startswith("Not sent: <@U-ANA> is talking with the customer.")


async def test_an_event_slack_delivers_again_after_a_restart_is_handled_once(
    tiered: Settings, store: Store, clock: FixedClock, slack: SlackEmulator
) -> None:
    escalation_id, channel, ts = await _posted(tiered, store, clock, slack)
    await TakeOver(store, clock).take(escalation_id, by=ANA.id, name="ana")
    # A note is answered with an ephemeral message each time it is handled.
    note = {
        "type": "message",
        "channel": channel,
        "user": ANA.id,
        "text": "note: she sounded worried",
        "ts": "3.1",
        "thread_ts": ts,
    }

    answers = []
    for retry in (None, 1):  # a process each: the second one has never seen the event
        endpoint = slack_endpoint(build_slack_app(tiered, store, clock), tiered)
        web = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
        body, headers = slack.event_request(note, event_id="Ev-restart", retry_num=retry)
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            answers.append(await client.post("/slack/events", content=body, headers=headers))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert len(slack.ephemeral(ANA.id)) == 1
