"""Socket Mode for development: Slack's events come over a WebSocket the app opens itself.

The whole app runs under uvicorn as `settle serve --socket-mode` runs it; the Slack emulator
hands out the socket's URL through `apps.connections.open` and delivers envelopes on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot import ConfigurationError, Settings
from bot.app import Runtime, create_app
from handlers.emulators import SlackEmulator, SlackUser
from tests.conftest import FixedClock, served
from tests.handlers.slack.conftest import open_escalation

ANA = SlackUser("U-ANA", "ana")


@pytest.fixture
def socket_settings(settings: Settings, slack: SlackEmulator) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(slack.token),
            "slack_app_token": SecretStr(slack.app_token),
            "slack_base_url": slack.base_url,
            "slack_escalation_channel": "C-DESK",
            "outbox_poll_seconds": 0.05,
            "triage_every_hours": 0,
        }
    )


@pytest.fixture
async def running(
    socket_settings: Settings, clock: FixedClock
) -> AsyncIterator[tuple[Runtime, int]]:
    runtime = Runtime.build(socket_settings, clock=clock, socket_mode=True)
    async with served(create_app(runtime)) as port:
        yield runtime, port


async def test_a_click_over_the_socket_decides_the_escalation(
    running: tuple[Runtime, int], slack: SlackEmulator, clock: FixedClock
) -> None:
    runtime, _port = running
    escalation = await open_escalation(runtime.store, clock)
    post = await slack.wait_for("chat.postMessage", timeout=10)
    channel, ts = post.params["channel"], post.response["ts"]
    click = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")

    ack = await slack.socket_mode.deliver("interactive", click)

    await slack.wait_for("chat.update", timeout=10)
    async with runtime.store.transaction() as tx:
        decided = await tx.get_escalation(escalation.id)
    assert "envelope_id" in ack
    assert decided is not None
    assert (decided.decision, decided.decided_by) == ("approve", "U-ANA")


async def test_a_slash_command_over_the_socket_is_answered_in_its_ack(
    running: tuple[Runtime, int], slack: SlackEmulator
) -> None:
    command = {"command": "/settle", "text": "help", "user_id": ANA.id, "channel_id": "C-DESK"}

    ack = await slack.socket_mode.deliver("slash_commands", command)

    assert ack["payload"]["text"].startswith("`/settle case ID`")


async def test_in_socket_mode_there_is_no_slack_endpoint(
    running: tuple[Runtime, int], slack: SlackEmulator
) -> None:
    _runtime, port = running
    await slack.socket_mode.deliver("slash_commands", {"command": "/settle", "text": ""})

    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(f"http://127.0.0.1:{port}/slack/events", content=b"{}")

    assert response.status_code == 404
    assert slack.socket_mode.connections == 1


def test_socket_mode_without_the_app_token_names_it(socket_settings: Settings) -> None:
    tokenless = socket_settings.model_copy(update={"slack_app_token": None})

    with pytest.raises(ConfigurationError, match="SLACK_APP_TOKEN is not set"):
        Runtime.build(tokenless, socket_mode=True)


def test_socket_mode_without_slack_names_the_bot_token(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN is not set"):
        Runtime.build(settings, socket_mode=True)
