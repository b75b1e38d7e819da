"""The staff pane over HTTP: the counter-offer form, a reply in a taken-over thread, and the
final warning letter enabled in Slack and opened from the chat as a PDF."""

from __future__ import annotations

from typing import Any

import httpx

from handlers.sandbox import Sandbox
from handlers.sandbox._sandbox import DESK
from tests.handlers.sandbox.test_console import _opened, _page, _post


async def _tap(box: Sandbox, customer: str, label: str) -> None:
    """Tap the button `label` of the bot's latest message that has one."""
    chat = box.chat_id(customer)
    sent = len(box.telegram.sent_messages(chat))
    for message in reversed(box.telegram.history(chat)):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        data = [b["callback_data"] for row in rows for b in row if b["text"] == label]
        if data:
            await box.telegram.press_button(chat, message["message_id"], data[0])
            await box.telegram.wait_for("sendMessage", chat_id=chat, count=sent + 1, timeout=10)
            return
    raise AssertionError(f"no button {label!r} in the chat of {customer}")


async def _post_about(box: Sandbox, customer: str) -> str:
    """The ts of the first escalation posted about `customer`."""
    post = await box.slack.wait_for(
        lambda c: c.method == "chat.postMessage" and customer in str(c.params.get("blocks")),
        timeout=10,
    )
    return str(post.response["ts"])


async def _plan_request(box: Sandbox, origin: str) -> str:
    """C-201 asks for 12 monthly payments, beyond the bot; the ts of the desk's post."""
    await _opened(box, origin, "C-201")
    chat = box.chat_id("C-201")
    await box.telegram.send_text(chat, "/menu")
    await box.telegram.wait_for("sendMessage", chat_id=chat, count=3, timeout=10)
    for label in ("Choose a payment plan", "I need more time to pay", "12"):
        await _tap(box, "C-201", label)
    return await _post_about(box, "C-201")


async def _click(origin: str, staff: str, ts: str, action_id: str) -> dict[str, list[str]]:
    fields = {"staff": staff, "channel": DESK, "ts": ts, "action_id": action_id}
    return await _post(origin, "/sandbox/staff/click", **fields)


async def test_a_counter_offer_beyond_the_tier_is_refused_beside_its_field(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    ts = await _plan_request(box, origin)

    await _click(origin, "U-ANA", ts, "settle_counter")
    form = box.modals["U-ANA"]
    fields = {"field-amount": "300.00", "field-instalments": "8", "field-first_due": "2024-03-15"}
    back = await _post(origin, "/sandbox/staff/submit", staff="U-ANA", view_id=form, **fields)
    page = await _page(origin, staff="U-ANA")

    assert back["note"][0].startswith("the form has errors: instalments: ")
    assert '<p class="error" id="error-instalments">' in page
    assert 'id="field-instalments" name="field-instalments"' in page
    assert box.modals["U-ANA"] == form


async def test_a_counter_offer_within_the_tier_reaches_the_customer(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    ts = await _plan_request(box, origin)
    chat = box.chat_id("C-201")
    sent = len(box.telegram.sent_messages(chat))

    await _click(origin, "U-BEN", ts, "settle_counter")
    fields = {"field-amount": "290.00", "field-instalments": "10", "field-first_due": "2024-03-15"}
    back = await _post(
        origin, "/sandbox/staff/submit", staff="U-BEN", view_id=box.modals["U-BEN"], **fields
    )
    await box.telegram.wait_for("sendMessage", chat_id=chat, count=sent + 1, timeout=10)

    offer = box.telegram.sent_messages(chat)[-1]
    assert back["note"] == ["submitted"]
    assert "U-BEN" not in box.modals
    assert offer["text"].startswith("Good news: our team can offer you this plan for $290.00:")


async def test_a_reply_in_a_taken_over_thread_reaches_the_chat(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    await _opened(box, origin, "C-202")
    chat = box.chat_id("C-202")
    await box.telegram.send_text(chat, "I want to talk to a person")
    ts = await _post_about(box, "C-202")
    await _click(origin, "U-BEN", ts, "settle_take_over")
    await box.slack.wait_for(lambda c: c.method == "chat.update", timeout=10)
    sent = len(box.telegram.sent_messages(chat))

    await _post(
        origin,
        "/sandbox/staff/reply",
        staff="U-BEN",
        channel=DESK,
        thread_ts=ts,
        text="Hello Yael, I can help with this.",
    )
    await box.telegram.wait_for(
        lambda c: "Hello Yael" in str(c.params.get("text")), chat_id=chat, timeout=10
    )
    page = await _page(origin, staff="U-BEN")

    assert len(box.telegram.sent_messages(chat)) > sent
    assert "<strong>Ben Okafor</strong>" in page
    assert "Hello Yael, I can help with this." in page


async def test_the_final_warning_letter_opens_as_a_pdf(sandbox: tuple[Sandbox, str]) -> None:
    box, origin = sandbox
    await _opened(box, origin, "C-204")
    await _post(
        origin, "/sandbox/billing/event", event_customer="C-204", type="collection_stage_changed"
    )
    post = await box.slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "settle_letter" in str(c.params), timeout=10
    )
    await _click(origin, "U-SARA", str(post.response["ts"]), "settle_letter")
    letter = await box.telegram.wait_for("sendDocument", chat_id=box.chat_id("C-204"), timeout=20)

    document: dict[str, Any] = letter.result["document"]
    page = await _page(origin, customer="C-204")
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        pdf = await client.get(f"{origin}/sandbox/files/{document['file_id']}")
    assert f'href="/sandbox/files/{document["file_id"]}"' in page
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
