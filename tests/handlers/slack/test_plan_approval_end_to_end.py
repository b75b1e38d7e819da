"""A plan beyond the bot's authority: the customer asks in Telegram, staff decide in Slack
within their tiers, the customer answers the offer in Telegram, the thread shows it.

The whole app under uvicorn with both emulators on loopback, as in
`test_desk_end_to_end.py`; every message travels through the outbox, every click and
form arrives signed at `/slack/events`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot import CaseStatus, EscalationReason, OfferState, Settings, parse_event
from bot.app import Runtime, create_app
from handlers.emulators import SlackEmulator, SlackUser, TelegramEmulator
from tests.conftest import FixedClock, served
from tests.handlers.slack.conftest import SECRET
from tests.handlers.telegram.test_conversation_flow import buttons

TOKEN = "4646:plans-token"
CHAT = 7301
AGENT = SlackUser("U-ANA", "ana")  # tier agent: up to 6 instalments, no discount
LEAD = SlackUser("U-BEN", "ben")  # tier lead, through the user group S-LEADS
LEAD_TOO = SlackUser("U-DAN", "dan")  # tier lead, named directly
VISITOR = SlackUser("U-CARL", "carl")  # in no tier
AUTHORITY = """
[[tier]]
name = "agent"
members = ["U-ANA"]
max_instalments = 6

[[tier]]
name = "lead"
members = ["S-LEADS", "U-DAN"]
max_instalments = 24
max_discount_percent = "10"
max_write_off = "25.00"
"""
OVERDUE = {
    "id": "o1",
    "type": "invoice_overdue",
    "occurred_at": "2024-03-04T08:00:00Z",
    "customer": {"id": "C-9", "locale": "en_US", "timezone": "America/New_York"},
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
    async with TelegramEmulator(token=TOKEN, username="settle_plans_bot") as emu:
        yield emu


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(signing_secret=SECRET) as emulator:
        for user in (AGENT, LEAD, LEAD_TOO, VISITOR):
            emulator.add_user(user)
        emulator.usergroups["S-LEADS"] = [LEAD.id]
        yield emulator


@pytest.fixture
async def app(
    settings: Settings,
    clock: FixedClock,
    telegram: TelegramEmulator,
    slack: SlackEmulator,
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
            "authority_file": authority,
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


class Customer:
    """The customer's side of the chat: type, tap by label, read what the bot sent."""

    def __init__(self, telegram: TelegramEmulator) -> None:
        self.telegram = telegram
        self.seen = len(telegram.sent_messages(CHAT))

    async def next(self) -> dict[str, Any]:
        self.seen += 1
        await self.telegram.wait_for("sendMessage", chat_id=CHAT, count=self.seen, timeout=10)
        return self.telegram.sent_messages(CHAT)[self.seen - 1]

    async def say(self, text: str) -> dict[str, Any]:
        await self.telegram.send_text(CHAT, text)
        return await self.next()

    async def tap(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        data = next(b["callback_data"] for b in buttons(message) if b["text"] == label)
        await self.telegram.press_button(CHAT, message["message_id"], data)
        return await self.next()


async def _ask_for_twelve(customer: Customer) -> dict[str, Any]:
    menu = await customer.say("/menu")
    plans = await customer.tap(menu, "Choose a payment plan")
    more = await customer.tap(plans, "I need more time to pay")
    assert [b["text"] for b in buttons(more)][:4] == ["9", "12", "18", "24"]
    return await customer.tap(more, "12")


async def _post(slack: SlackEmulator) -> tuple[str, str]:
    post = await slack.wait_for("chat.postMessage", timeout=10)
    return str(post.params["channel"]), str(post.response["ts"])


def _buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


async def test_a_lead_approves_twelve_payments_and_the_customer_accepts(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    customer = Customer(telegram)
    requested = await _ask_for_twelve(customer)
    channel, ts = await _post(slack)
    asked = json.dumps(slack.message(channel, ts)["blocks"])

    await slack.click(url, VISITOR, channel=channel, ts=ts, action_id="settle_approve")
    await slack.click(url, AGENT, channel=channel, ts=ts, action_id="settle_approve")
    refusals = await slack.wait_for("chat.postEphemeral", count=2, timeout=10)
    [_, above] = slack.ephemeral()
    await slack.click(
        url, AGENT, channel=above["channel"], ts=above["ts"], action_id="settle_send_up"
    )
    called = await slack.wait_for(lambda c: c.params.get("thread_ts") == ts, timeout=10)
    await slack.click(url, LEAD, channel=channel, ts=ts, action_id="settle_approve")
    offer = await customer.next()
    agreed = await customer.tap(offer, "I accept")
    again = await customer.tap(offer, "I accept")
    answer = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "accepted" in str(c.params.get("text")),
        timeout=10,
    )

    [view] = await runtime.store.list_cases()
    async with runtime.store.transaction() as tx:
        [escalation] = [e for e in [await tx.get_escalation(1)] if e is not None]
        agreements = await tx.agreements_of(view.case.id)
    [agreement] = agreements
    decided = [record for record in view.audit if record.action == "decided"]
    post = slack.message(channel, ts)
    assert "12 monthly payments of about $25.00" in requested["text"]
    assert escalation.reason is EscalationReason.PLAN_REQUEST
    assert "12 monthly payments from $25.00, the first on 2024-03-11: $300.00 in all" in asked
    assert slack.ephemeral(VISITOR.id)[0]["text"].startswith("You are not in an authority tier")
    assert "need tier *lead*" in above["text"]
    assert "up to 6 instalments" in above["text"]
    assert _buttons(above) == ["settle_send_up"]
    assert refusals.method == "chat.postEphemeral"
    assert "<!subteam^S-LEADS>" in called.params["text"]
    assert "<@U-DAN>" in called.params["text"]
    assert (escalation.decision, escalation.decided_by) == ("approve", LEAD.id)
    assert escalation.offer_state is OfferState.ACCEPTED
    assert [(r.actor, (r.detail or {}).get("tier")) for r in decided] == [(LEAD.id, "lead")]
    assert offer["text"].startswith("Good news: our team can offer you this plan for $300.00:")
    assert "12. " in offer["text"]
    assert "That is" not in offer["text"]
    assert [b["text"] for b in buttons(offer)] == ["I accept", "No thanks", "Stop messages"]
    assert agreed["text"].startswith("Thank you, your plan is set.")
    assert again["text"].startswith("You already have an agreement for this case:")
    assert (agreement.total.minor, len(agreement.items), agreement.owed) == (30000, 12, None)
    assert view.case.status is CaseStatus.AGREED
    assert answer.params["thread_ts"] == ts
    assert f"agreement {agreement.id}" in answer.params["text"]
    assert _buttons(post) == []
    assert "The customer's answer: accepted" in json.dumps(post["blocks"])


async def _counter(slack: SlackEmulator, url: str, user: SlackUser, channel: str, ts: str) -> str:
    opened = len(slack.modals())
    await slack.click(url, user, channel=channel, ts=ts, action_id="settle_counter")
    await slack.wait_for("views.open", count=opened + 1, timeout=10)
    return str(slack.modals()[-1]["id"])


async def _submit(
    slack: SlackEmulator, url: str, user: SlackUser, view_id: str, **values: str
) -> dict[str, Any]:
    fields = {"amount": "300.00", "instalments": "12", "first_due": "2024-03-15"} | values
    response = await slack.submit(url, user, view_id, fields)
    assert response.status_code == 200
    return response.json() if response.content else {}


async def test_a_counter_offer_checks_its_fields_and_the_tier_and_the_customer_declines(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    customer = Customer(telegram)
    await _ask_for_twelve(customer)
    channel, ts = await _post(slack)

    form = await _counter(slack, url, LEAD_TOO, channel, ts)
    bad_amount = await _submit(slack, url, LEAD_TOO, form, amount="three hundred")
    bad_fields = await _submit(slack, url, LEAD_TOO, form, instalments="0", first_due="2024-01-02")
    too_generous = await _submit(slack, url, LEAD_TOO, form, amount="240.00", instalments="30")
    agent_form = await _counter(slack, url, AGENT, channel, ts)
    agent_beyond = await _submit(slack, url, AGENT, agent_form, instalments="8")
    counted = await _submit(
        slack, url, LEAD_TOO, form, amount="280.00", instalments="10", note="long-time customer"
    )
    offer = await customer.next()
    declined = await customer.tap(offer, "No thanks")
    answer = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "declined" in str(c.params.get("text")),
        timeout=10,
    )

    [view] = await runtime.store.list_cases()
    async with runtime.store.transaction() as tx:
        escalation = await tx.get_escalation(1)
        agreements = await tx.agreements_of(view.case.id)
    assert escalation is not None
    assert escalation.offer is not None
    assert bad_amount["response_action"] == "errors"
    assert list(bad_amount["errors"]) == ["amount"]
    assert "Enter an amount such as 300.00" in bad_amount["errors"]["amount"]
    assert sorted(bad_fields["errors"]) == ["first_due", "instalments"]
    assert "2024-03-04" in bad_fields["errors"]["first_due"]
    assert sorted(too_generous["errors"]) == ["amount", "instalments"]
    assert "up to 24 instalments" in too_generous["errors"]["instalments"]
    assert "discount of up to 10%" in too_generous["errors"]["amount"]
    assert "No tier may" in too_generous["errors"]["amount"]
    assert list(agent_beyond["errors"]) == ["instalments"]
    assert "Tier lead may" in agent_beyond["errors"]["instalments"]
    assert counted == {}
    assert (escalation.decision, escalation.decided_by) == ("counter", LEAD_TOO.id)
    assert (escalation.offer.total.minor, escalation.offer.count) == (28000, 10)
    assert escalation.offer.first_due.isoformat() == "2024-03-15"
    assert escalation.offer_state is OfferState.DECLINED
    assert "Good news: our team can offer you this plan for $280.00:" in offer["text"]
    assert "That is $20.00 less than the $300.00 due." in offer["text"]
    assert declined["text"].startswith("Understood, we've set that offer aside.")
    assert agreements == []
    assert view.case.status is CaseStatus.CONTACTING
    assert answer.params["thread_ts"] == ts
    notes = [c for c in slack.calls("chat.postMessage") if "long-time customer" in str(c.params)]
    assert notes
    assert notes[0].params["thread_ts"] == ts
    assert all("long-time customer" not in m["text"] for m in telegram.sent_messages(CHAT))


async def test_two_leads_approving_at_once_decide_once(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    customer = Customer(telegram)
    await _ask_for_twelve(customer)
    channel, ts = await _post(slack)

    clicks = [
        slack.interaction_request(
            slack.block_actions(who, channel=channel, ts=ts, action_id="settle_approve")
        )
        for who in (LEAD, LEAD_TOO, LEAD)
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        answers = await asyncio.gather(
            *(client.post(url, content=b, headers=h) for b, h in clicks)
        )
    await customer.next()
    await slack.wait_for("chat.postEphemeral", count=2, timeout=10)
    await asyncio.sleep(0.3)  # long enough for a second offer to be sent, were there one

    [view] = await runtime.store.list_cases()
    decided = [record for record in view.audit if record.action == "decided"]
    offers = [m for m in telegram.sent_messages(CHAT) if m["text"].startswith("Good news")]
    late = [m["text"] for m in slack.ephemeral()]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(decided) == 1
    assert len(offers) == 1
    assert all(text.startswith("Already decided by") for text in late)


async def test_a_rejected_request_tells_the_customer_and_keeps_the_other_plans(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    customer = Customer(telegram)
    await _ask_for_twelve(customer)
    channel, ts = await _post(slack)

    await slack.click(url, AGENT, channel=channel, ts=ts, action_id="settle_reject")
    told = await customer.next()
    plans = await customer.tap(told, "Choose a payment plan")

    [view] = await runtime.store.list_cases()
    assert told["text"].startswith(
        "Our team looked at your request for 12 monthly payments and can't agree to it."
    )
    assert next(b["text"] for b in buttons(plans)) == "2 payments from $150.00"
    assert view.case.status is CaseStatus.CONTACTING


async def test_a_typed_count_within_the_bots_authority_is_agreed_without_staff(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, _url = app
    customer = Customer(telegram)
    menu = await customer.say("/menu")
    plans = await customer.tap(menu, "Choose a payment plan")
    more = await customer.tap(plans, "I need more time to pay")
    plan = await customer.say("5 months please")
    far = await customer.say("/menu")

    [view] = await runtime.store.list_cases()
    assert more["text"].startswith("How many monthly payments would suit you?")
    assert plan["text"].startswith("Your plan for $300.00:")
    assert "5. " in plan["text"]
    assert "6. " not in plan["text"]
    assert far["text"].startswith("Amount due")
    assert view.case.status is CaseStatus.CONTACTING
    assert slack.calls("chat.postMessage") == []


async def test_a_plan_asked_for_while_staff_have_the_case_joins_their_escalation(
    app: tuple[Runtime, str], telegram: TelegramEmulator, slack: SlackEmulator
) -> None:
    runtime, url = app
    customer = Customer(telegram)
    await customer.say("I want to talk to a person")
    channel, ts = await _post(slack)
    await _ask_for_twelve(customer)
    await slack.wait_for("chat.update", timeout=10)
    shown = json.dumps(slack.message(channel, ts)["blocks"])
    await slack.click(url, LEAD, channel=channel, ts=ts, action_id="settle_approve")
    offer = await customer.next()

    async with runtime.store.transaction() as tx:
        escalation = await tx.get_escalation(1)
        second = await tx.get_escalation(2)
    assert escalation is not None
    assert escalation.reason is EscalationReason.PERSON
    assert second is None
    assert "The customer asks for" in shown
    assert "12 monthly payments" in shown
    assert offer["text"].startswith("Good news: our team can offer you this plan for $300.00:")
