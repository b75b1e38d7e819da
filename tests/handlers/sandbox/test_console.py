"""The console over HTTP, as a browser without JavaScript uses it: forms posted, pages read.

The sandbox runs as `settle sandbox` runs it (see conftest.py): the real service, both
emulators, the sample data on a fresh database.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from bot import ContactStatus, Settings
from handlers.sandbox import SAMPLE_START, Sandbox, sandbox_files
from tests.handlers.sandbox.conftest import serving


async def _post(origin: str, path: str, **fields: str) -> dict[str, list[str]]:
    """Post a console form; the query of the page it sends the browser back to."""
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.post(origin + path, data=fields)
    assert response.status_code == 303
    return parse_qs(urlsplit(response.headers["location"]).query)


async def _page(origin: str, **query: str) -> str:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.get(f"{origin}/sandbox", params=query)
    assert response.status_code == 200
    return unescape(response.text)


async def _opened(box: Sandbox, origin: str, customer: str) -> None:
    await _post(origin, "/sandbox/customer/open", customer=customer, staff="U-SARA")
    chat = box.chat_id(customer)
    await box.telegram.wait_for("sendMessage", chat_id=chat, count=2, timeout=10)


async def test_samples_open_types_a_and_c_in_four_languages(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, _origin = sandbox

    views = await box.runtime.store.list_cases()

    opened = {(v.case.type.value, (v.customer.locale or "")[:2]) for v in views}
    assert opened >= {(kind, lang) for kind in "AC" for lang in ("en", "he", "ru", "ar")}


async def test_a_reversed_payment_in_the_samples_waits_for_staff_on_the_desk(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox

    await box.slack.wait_for("chat.postMessage", timeout=10)
    page = await _page(origin)

    [post] = box.slack.messages("C-DESK")
    assert "C-106" in str(post["blocks"])
    assert "payment reversed" in page.casefold()


async def test_opening_the_bot_links_the_chat_and_shows_hebrew_right_to_left(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox

    await _opened(box, origin, "C-102")
    page = await _page(origin, customer="C-102")

    first = box.telegram.history(box.chat_id("C-102"))[-1]
    assert first["text"].startswith("שלום!")
    assert f'<div class="text" dir="auto">{first["text"]}</div>' in page
    assert '<a class="button" dir="auto" href="http://127.0.0.1:' in page


async def test_a_bad_amount_in_the_billing_form_names_the_field(
    sandbox: tuple[Sandbox, str],
) -> None:
    _box, origin = sandbox

    back = await _post(
        origin,
        "/sandbox/billing/event",
        event_customer="C-201",
        type="payment_received",
        amount="twelve",
        customer="C-201",
    )
    page = await _page(origin, **{key: values[0] for key, values in back.items()})

    assert back["error"] == ["1"]
    assert back["note"] == ["amount: 'twelve' is not an amount; e.g. 120.00"]
    assert '<p class="error" role="alert" id="note">amount: ' in page


async def test_a_field_the_endpoint_refuses_is_named_as_it_names_it(
    sandbox: tuple[Sandbox, str],
) -> None:
    _box, origin = sandbox

    back = await _post(
        origin,
        "/sandbox/billing/event",
        event_customer="C-201",
        type="payment_received",
        amount="10.00",
        currency="XXZ",
    )

    assert back["note"][0].startswith("currency: ")
    assert "XXZ" in back["note"][0]


async def test_a_billing_event_from_the_form_is_signed_and_applied(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox

    back = await _post(
        origin,
        "/sandbox/billing/event",
        event_customer="C-201",
        type="payment_received",
        amount="100.00",
    )

    [view] = [v for v in await box.runtime.store.list_cases() if v.customer.id == "C-201"]
    assert back["note"] == ["billing event payment_received for C-201: applied"]
    assert "error" not in back
    assert str(view.case.amount_due) == str(view.case.amount_due.__class__(20000, "USD"))


async def test_the_clock_moves_an_hour_then_to_the_next_job(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    await _opened(box, origin, "C-201")  # type C: a second note on day 3 (follow-ups.toml)

    await _post(origin, "/sandbox/clock", step="hour")
    after_hour = box.clock.now()
    queued = await box.runtime.store.list_contacts(status=ContactStatus.QUEUED)
    await _post(origin, "/sandbox/clock", step="next")

    assert after_hour == SAMPLE_START + timedelta(hours=1)
    assert box.clock.now() == min(c.due_at for c in queued if c.due_at > after_hour)


async def test_next_jobs_bring_the_follow_up_of_an_unanswered_first_message(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    chat = box.chat_id("C-201")
    await _opened(box, origin, "C-201")

    for _ in range(5):
        await _post(origin, "/sandbox/clock", step="next")
        if len(box.telegram.history(chat)) > 3:
            break
    await box.telegram.wait_for("sendMessage", chat_id=chat, count=3)

    [_, first, again] = box.telegram.history(chat)[1:4]
    assert box.clock.now() >= SAMPLE_START + timedelta(days=3)
    assert again["text"] != first["text"]
    assert again["text"].endswith(first["text"].partition("\n")[2][-80:])


async def test_billings_update_page_redeems_the_link_once(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    await _opened(box, origin, "C-101")
    first = box.telegram.history(box.chat_id("C-101"))[-1]
    [link] = [
        b["url"]
        for row in first["reply_markup"]["inline_keyboard"]
        for b in row
        if b.get("url", "").startswith(f"{origin}/sandbox/billing/payment-method")
    ]
    token = parse_qs(urlsplit(link).query)["token"][0]

    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        shown = await client.get(link)
        saved = await client.post(link, data={"token": token, "last4": "1881"})
        again = await client.post(link, data={"token": token, "last4": "1881"})

    assert shown.status_code == 200
    assert (saved.status_code, again.status_code) == (200, 410)
    assert "payment_method_updated for C-101: applied" in saved.text
    assert "used already" in again.text


async def test_staff_clicks_reach_the_desk_signed_as_the_chosen_member(
    sandbox: tuple[Sandbox, str],
) -> None:
    box, origin = sandbox
    await _opened(box, origin, "C-201")
    chat = box.chat_id("C-201")
    await box.telegram.send_text(chat, "I want to talk to a person")
    post = await box.slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "C-201" in str(c.params.get("blocks")),
        timeout=10,
    )

    await _post(
        origin,
        "/sandbox/staff/click",
        staff="U-CARL",
        channel=str(post.params["channel"]),
        ts=str(post.response["ts"]),
        action_id="settle_assign",
    )
    await box.slack.wait_for("chat.postEphemeral", timeout=10)
    page = await _page(origin, staff="U-CARL")

    [refusal] = box.slack.ephemeral("U-CARL")
    assert refusal["text"].startswith("You are not in an authority tier")
    assert re.search(r"Only visible to you</p>.*You are not in an authority tier", page, re.S)


async def test_a_restart_keeps_the_chats_and_the_channels(
    settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "sandbox.db"
    async with serving(settings, database) as (box, origin):
        await _opened(box, origin, "C-201")
        await box.slack.wait_for("chat.postMessage", timeout=10)
        chat = box.telegram.history(box.chat_id("C-201"))
        desk = box.slack.messages("C-DESK")

    async with serving(settings, database) as (box, origin):
        await box.telegram.send_text(box.chat_id("C-201"), "/menu")
        await box.telegram.wait_for("sendMessage", chat_id=box.chat_id("C-201"), timeout=10)
        again = box.telegram.history(box.chat_id("C-201"))
        page = await _page(origin, customer="C-201")

    assert again[: len(chat)] == chat
    assert [m["message_id"] for m in again[len(chat) :]] == [len(chat) + 1, len(chat) + 2]
    assert box.slack.messages("C-DESK") == desk
    assert chat[-1]["text"] in page


async def test_reset_starts_again_from_the_samples(settings: Settings, tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    async with serving(settings, database) as (box, origin):
        await _opened(box, origin, "C-101")
        box.clock.advance(timedelta(days=3))
    kept = {path.name for path in sandbox_files(database) if path.exists()}

    async with serving(settings, database, reset=True) as (box, _origin):
        restarted = box.clock.now()
        chat = box.telegram.history(box.chat_id("C-101"))
        views = await box.runtime.store.list_cases()

    assert {"sandbox.db", "sandbox.db.clock", "sandbox.db.chats.json"} <= kept
    assert restarted == SAMPLE_START
    assert chat == []
    assert {v.case.status.value for v in views if v.customer.id == "C-101"} == {"no channel yet"}
