"""Take over: staff talk with the customer in the escalation's thread while the bot is silent.

The whole app under uvicorn with both emulators on loopback, as in
`test_desk_end_to_end.py`; every message travels through the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot import CaseStatus, Settings
from bot.app import Runtime
from handlers.emulators import SlackEmulator, TelegramEmulator
from messages import staff_joined, staff_left
from tests.conftest import FixedClock
from tests.handlers.slack import test_desk_end_to_end as desk

CHAT = desk.CHAT
ANA = desk.ANA

telegram = desk.telegram
slack = desk.slack


@pytest.fixture
async def app_url(
    settings: Settings, clock: FixedClock, telegram: TelegramEmulator, slack: SlackEmulator
) -> AsyncIterator[tuple[Runtime, str]]:
    async for served in desk.app_url.__wrapped__(settings, clock, telegram, slack):  # type: ignore[attr-defined]
        yield served


def _texts(telegram: TelegramEmulator) -> list[str]:
    return [str(call.params.get("text")) for call in telegram.calls("sendMessage")]


async def _event(url: str, slack: SlackEmulator, event: dict[str, Any], **kwargs: Any) -> int:
    body, headers = slack.event_request(event, **kwargs)
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.post(url, content=body, headers=headers)
    return response.status_code


def _reply(channel: str, thread: str, ts: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel,
        "user": ANA.id,
        "text": text,
        "ts": ts,
        "thread_ts": thread,
        "channel_type": "channel",
    }


async def test_staff_take_over_talk_in_the_thread_and_hand_back(
    app_url: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app_url
    await telegram.send_text(CHAT, "I want to talk to a person")
    await telegram.wait_for("sendMessage", chat_id=CHAT, count=3, timeout=10)  # the reply
    post = await slack.wait_for("chat.postMessage", timeout=10)
    channel, ts = post.params["channel"], post.response["ts"]
    sent = len(telegram.calls("sendMessage"))

    await slack.click(url, ANA, channel=channel, ts=ts, action_id="settle_take_over")
    await telegram.wait_for("sendMessage", chat_id=CHAT, count=sent + 1, timeout=10)
    await telegram.send_text(CHAT, "Can I pay next week? Call me on +1 617 555 0142")
    thread = await slack.wait_for("chat.postMessage", count=3, timeout=10)
    quiet = len(telegram.calls("sendMessage"))

    reply, note = (
        _reply(channel, ts, "1.1", "Yes &amp; thanks"),
        _reply(channel, ts, "1.2", "NOTE: x"),
    )
    assert await _event(url, slack, reply, event_id="Ev1") == 200
    assert await _event(url, slack, reply, event_id="Ev1", retry_num=1) == 200
    assert await _event(url, slack, note, event_id="Ev2") == 200
    await telegram.wait_for("sendMessage", chat_id=CHAT, count=quiet + 1, timeout=10)
    await slack.wait_for("chat.postEphemeral", timeout=10)
    await slack.click(url, ANA, channel=channel, ts=ts, action_id="settle_hand_back")
    await telegram.wait_for("sendMessage", chat_id=CHAT, count=quiet + 2, timeout=10)
    await telegram.send_text(CHAT, "/menu")
    await telegram.wait_for("sendMessage", chat_id=CHAT, count=quiet + 3, timeout=10)

    [view] = await runtime.store.list_cases()
    texts = _texts(telegram)
    actions = [record.action for record in view.audit]
    assert thread.params["thread_ts"] == ts
    assert "Can I pay next week?" in thread.params["text"]
    assert "617 555 0142" not in thread.params["text"]
    assert texts[sent] == staff_joined("ana", locale="en").text
    assert texts[sent + 1 :] == [
        "Yes & thanks",
        staff_left(locale="en").text,
        texts[-1],
    ]
    assert quiet == sent + 1
    assert view.case.status is CaseStatus.CONTACTING
    assert ("taken over" in actions, "handed back" in actions) == (True, True)


@pytest.mark.parametrize(
    ("locale", "joined", "colleague"),
    [
        ("ru", "Сотрудник нашей команды, Ana, готов вам помочь.", "наш коллега"),
        ("he", "נציג מהצוות שלנו, Ana, כאן כדי לעזור.", "עמית מהצוות"),
    ],
)
def test_join_notice_reads_in_the_customer_language(
    locale: str, joined: str, colleague: str
) -> None:
    assert staff_joined("Ana", locale=locale).text.startswith(joined)
    assert colleague in staff_joined(None, locale=locale).text
