"""The pre-legal stage end to end, with a clock the test moves.

The whole app runs under uvicorn with the Telegram and Slack emulators and a real SMTP
server on loopback: billing hands two debts over; one customer looks at the offers and
proposes their own terms, which staff approve in Slack; the other ignores everything,
staff enable the final warning letter, its deadline passes, a person confirms the hand-off,
the case file appears and contact stops.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from pypdf import PdfReader

from bot import CaseStage, CaseStatus, ContactStatus, EscalationReason, Settings, parse_event
from bot.app import Runtime, create_app
from handlers.emulators import SlackEmulator, SlackUser, TelegramEmulator
from tests.conftest import FixedClock, served
from tests.handlers.email.conftest import Inbox, start_server
from tests.handlers.slack.conftest import SECRET
from tests.handlers.telegram.test_conversation_flow import buttons

TOKEN = "4747:pre-legal-token"
OFFERING, SILENT = 7401, 7402
LEAD = SlackUser("U-LEAD", "lea")
VISITOR = SlackUser("U-VISITOR", "vic")
AUTHORITY = """
[[tier]]
name = "lead"
members = ["U-LEAD"]
max_instalments = 24
max_discount_percent = "40"
max_write_off = "200.00"
"""
NEW_YORK = {"locale": "en_US", "timezone": "America/New_York", "country": "US"}


def _handover(event_id: str, customer: str, **person: str) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": "collection_stage_changed",
            "occurred_at": "2024-03-04T18:00:00Z",
            "stage": "pre-legal",
            "customer": {"id": customer, **NEW_YORK, **person},
            "invoice": {
                "id": f"INV-{customer}",
                "amount": "300.00",
                "currency": "USD",
                "issued_on": "2023-05-01",
                "due_on": "2023-12-01",
            },
        }
    )


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = start_server(inbox)
    yield inbox
    controller.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_pre_legal_bot") as emu:
        yield emu


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(signing_secret=SECRET) as emulator:
        for user in (LEAD, VISITOR):
            emulator.add_user(user)
        yield emulator


@pytest.fixture
async def app(
    settings: Settings,
    clock: FixedClock,
    telegram: TelegramEmulator,
    slack: SlackEmulator,
    inbox: Inbox,
    tmp_path: Path,
) -> AsyncIterator[tuple[Runtime, str]]:
    authority = tmp_path / "authority.toml"
    authority.write_text(AUTHORITY, encoding="utf-8")
    tuned = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_base_url": telegram.base_url,
            "slack_bot_token": SecretStr(slack.token),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_base_url": slack.base_url,
            "slack_escalation_channel": "C-DESK",
            "slack_routes": "stage=pre-legal:C-LEGAL",
            "authority_file": authority,
            "outbox_poll_seconds": 0.05,
            "triage_every_hours": 0,
            "email_from": "Settle <billing@settle.example>",
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox.port,
            "smtp_security": "none",
            "legal_export_dir": tmp_path / "legal",
        }
    )
    runtime = Runtime.build(tuned, clock=clock, polling=True)
    async with served(create_app(runtime)) as port:
        yield runtime, f"http://127.0.0.1:{port}/slack/events"


class Chat:
    """One customer's side of the chat: link, tap by label, type, read what arrives."""

    def __init__(self, telegram: TelegramEmulator, chat_id: int) -> None:
        self.telegram, self.chat_id = telegram, chat_id

    def messages(self) -> list[dict[str, Any]]:
        return self.telegram.sent_messages(self.chat_id)

    async def next(self, count: int) -> dict[str, Any]:
        for _ in range(400):
            if len(self.messages()) >= count:
                return self.messages()[count - 1]
            await asyncio.sleep(0.025)
        raise AssertionError(f"chat {self.chat_id} got {len(self.messages())} messages")

    async def link(self, runtime: Runtime, customer: str) -> None:
        link = await runtime.linking.deep_link(customer)
        await self.telegram.send_text(self.chat_id, f"/start {link.rpartition('=')[2]}")
        await self.next(1)

    async def tap(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        seen = len(self.messages())
        data = next(b["callback_data"] for b in buttons(message) if b["text"] == label)
        await self.telegram.press_button(self.chat_id, message["message_id"], data)
        return await self.next(seen + 1)

    async def say(self, text: str) -> dict[str, Any]:
        seen = len(self.messages())
        await self.telegram.send_text(self.chat_id, text)
        return await self.next(seen + 1)


async def _ingest(runtime: Runtime, body: str) -> None:
    await runtime.ingest.accept("canonical", parse_event(body), body)


async def _post(slack: SlackEmulator, reason: str, count: int = 1) -> tuple[str, str]:
    def matches(call: Any) -> bool:
        return call.method == "chat.postMessage" and f": {reason}," in str(call.params["text"])

    post = await slack.wait_for(matches, count=count, timeout=10)
    return str(post.params["channel"]), str(post.response["ts"])


async def _send(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.post(url, content=body, headers=headers)


def _labels(message: dict[str, Any]) -> list[str]:
    return [button["text"] for button in buttons(message)]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_an_offer_the_customer_proposes_goes_to_slack_and_is_agreed_with_a_copy(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    chat = Chat(telegram, OFFERING)
    await _ingest(runtime, _handover("h1", "C-1"))  # before the customer linked a chat
    await chat.link(runtime, "C-1")

    notice = await chat.next(2)
    offers = await chat.tap(notice, "See offers to settle")
    proposing = await chat.tap(offers, "Suggest your own terms")
    asked = await chat.say("I could pay 200 in 4")
    channel, ts = await _post(slack, "plan request")
    seen = len(chat.messages())  # counted before the click: the offer may be quick
    await slack.click(url, LEAD, channel=channel, ts=ts, action_id="settle_approve")
    offer = await chat.next(seen + 1)
    agreed = await chat.tap(offer, "I accept")
    copy = await chat.next(seen + 3)  # the answer to the tap, then the copy

    [view] = await runtime.store.list_cases()
    [agreement] = view.agreements
    pdf = telegram.file(copy["document"]["file_id"]).content
    assert view.case.stage is CaseStage.PRE_LEGAL
    assert notice["text"].startswith("Hello. $300.00 is still unpaid on your account")
    assert _labels(notice)[:3] == [
        "See offers to settle",
        "Choose a payment plan",
        "Talk to a person",
    ]
    assert _labels(offers)[:4] == [
        "Settle for $240.00 by Mar 18, 2024",
        "6 payments, $60.00 off",
        "24 payments from $12.50",
        "Choose a payment plan",
    ]
    assert proposing["text"].startswith("Tell us what you could pay")
    assert "4 monthly payments of about $50.00" in asked["text"]
    assert offer["text"].startswith("Good news: our team can offer you this plan for $200.00:")
    assert agreed["text"].startswith("Thank you, your plan is set.")
    assert (agreement.total.minor, agreement.owed.minor if agreement.owed else 0) == (20000, 30000)
    assert "Of the $300.00 due, $100.00 is let off." in agreement.terms_text
    assert copy["caption"] == "A copy of what you agreed, for your records."
    assert agreement.terms_hash in _pdf_text(pdf).replace("\n", "")
    assert "Of the $300.00 due, $100.00 is let off." in _pdf_text(pdf)


async def test_a_silent_customer_gets_the_letter_and_a_person_hands_the_case_to_legal(
    app: tuple[Runtime, str],
    telegram: TelegramEmulator,
    slack: SlackEmulator,
    clock: FixedClock,
    inbox: Inbox,
    tmp_path: Path,
) -> None:
    runtime, url = app
    chat = Chat(telegram, SILENT)
    await _ingest(runtime, _handover("h1", "C-2", email="sam@home.example", name="Sam Rivera"))
    await chat.link(runtime, "C-2")
    await chat.next(2)
    channel, ts = await _post(slack, "pre-legal")
    clock.advance(days=3)  # the retention offer's step falls due
    await asyncio.sleep(0.5)
    held = [c for c in await runtime.store.list_contacts() if c.template == "retention_offer"]

    # A crafted click: the hand-off's action on the stage's post, before any deadline.
    forged = slack.block_actions(LEAD, channel=channel, ts=ts, action_id="settle_letter")
    forged["actions"][0]["action_id"] = "settle_legal"
    await slack.click(url, LEAD, channel=channel, ts=ts, action_id="settle_letter")
    letter = await chat.next(3)
    early = await _send(url, *slack.interaction_request(forged))
    await asyncio.sleep(0.3)
    clock.advance(days=15)  # past the deadline
    handoff_channel, handoff_ts = await _post(slack, "legal hand-off")
    await slack.click(
        url, VISITOR, channel=handoff_channel, ts=handoff_ts, action_id="settle_legal"
    )
    await slack.click(url, LEAD, channel=handoff_channel, ts=handoff_ts, action_id="settle_legal")
    folder = tmp_path / "legal"
    for _ in range(200):
        if list(folder.glob("case-*/case-*.json")):
            break
        await asyncio.sleep(0.025)

    [view] = await runtime.store.list_cases()
    [case_json] = folder.glob("case-*/case-*.json")
    case_file = json.loads(case_json.read_text(encoding="utf-8"))
    pdf = telegram.file(letter["document"]["file_id"]).content
    mail = [m for m in inbox.messages() if m.get_content_type() == "multipart/mixed"]
    refusals = [e["text"] for e in slack.ephemeral()]
    assert [(c.status, c.held_rule) for c in held] == [(ContactStatus.QUEUED, "marketing consent")]
    assert letter["caption"].startswith("A letter about the $300.00 unpaid on your account.")
    assert "Letter before legal proceedings" in _pdf_text(pdf)
    assert "INV-C-2" in _pdf_text(pdf)
    assert early.status_code == 200
    assert any(text.startswith("That button belongs to no escalation") for text in refusals)
    assert any(text.startswith("You are not in an authority tier") for text in refusals)
    assert (view.case.stage, view.case.status) == (CaseStage.LEGAL, CaseStatus.CLOSED)
    assert [c.status for c in view.contacts if c.template == "retention_offer"] == [
        ContactStatus.CANCELLED
    ]
    assert len(mail) == 1
    assert mail[0]["Subject"] == "A letter about your unpaid balance"
    assert [part.get_filename() for part in mail[0].iter_attachments()] == ["letter-1.pdf"]
    assert case_file["customer"]["name"] == "Sam Rivera"
    assert case_file["letters"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert [i["id"] for i in case_file["invoices"]] == ["INV-C-2"]
    assert case_file["handed_over"]["confirmed_by"] == "U-LEAD"
    assert {"letter", "legal"} <= {record["action"] for record in case_file["audit"]}
    assert (folder / case_json.parent.name / f"{case_json.stem}.pdf").exists()
    assert EscalationReason.LEGAL_HANDOFF.value in {o["reason"] for o in case_file["offers"]}
