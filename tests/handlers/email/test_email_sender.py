"""The email sender against a real SMTP server on loopback: what arrives, in every language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import httpx
import pytest
from starlette.applications import Starlette

from bot import (
    ContactStatus,
    Linking,
    Money,
    OutboxWorker,
    Reason,
    Settings,
)
from bot._contact import first_contact_params
from handlers.email import EmailSender, optout_routes
from messages import first_contact, rendered_to_params
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.handlers.email.conftest import CUSTOMER, Inbox, email_contact, open_case

FSI, PDI, RLM, NBSP, NNBSP = "\u2068", "\u2069", "\u200f", "\u00a0", "\u202f"
DEEP_LINK = re.compile(r"https://t\.me/settle_test_bot\?start=([A-Za-z0-9_-]+)")
OPTOUT_LINK = re.compile(r"https://settle\.example/optout/([A-Za-z0-9_-]+)\?lang=(\w+)")


async def _sent(
    store: SqliteStore, clock: FixedClock, settings: Settings, inbox: Inbox, locale: str
) -> EmailMessage:
    case = await open_case(store, clock, settings, locale)
    await EmailSender(store, clock, settings).send(await email_contact(store, case))
    (message,) = inbox.messages()
    return message


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = (message.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.mark.parametrize(
    ("locale", "subject", "amount", "due"),
    [
        ("en_US", "About your latest payment", "₪412.90", "Feb 15, 2024"),
        (
            "he_IL",
            "לגבי התשלום האחרון שלכם",
            f"{FSI}{RLM}412.90{NBSP}{RLM}₪{PDI}",
            f"{FSI}15 בפבר׳ 2024{PDI}",
        ),
        ("ru_RU", "О вашем последнем платеже", f"412,90{NBSP}₪", f"15 февр. 2024{NNBSP}г."),
        (
            "ar_EG",
            "بشأن عملية الدفع الأخيرة",
            f"{FSI}{RLM}412.90{NBSP}₪{PDI}",
            f"{FSI}15{RLM}/02{RLM}/2024{PDI}",
        ),
    ],
)
async def test_first_contact_arrives_in_the_customers_language(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    locale: str,
    subject: str,
    amount: str,
    due: str,
) -> None:
    message = await _sent(store, clock, mail_settings, inbox, locale)
    text, html = _parts(message)

    assert message["Subject"] == subject
    assert message["Content-Language"] == locale[:2]
    assert (amount in text, due in text, amount in html, due in html) == (True,) * 4


async def test_first_contact_goes_to_the_address_from_the_sender(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    message = await _sent(store, clock, mail_settings, inbox, "en_US")

    assert (inbox.envelopes[0].mail_from, inbox.envelopes[0].rcpt_tos) == (
        "billing@settle.example",
        ["dana@customer.example"],
    )
    assert (message["From"], message["To"]) == (
        "Settle <billing@settle.example>",
        "dana@customer.example",
    )
    assert parsedate_to_datetime(message["Date"]) == clock.now()


async def test_email_has_a_plain_and_an_html_part(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    message = await _sent(store, clock, mail_settings, inbox, "en_US")

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


async def test_deep_link_in_the_email_links_the_chat(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    text, html = _parts(await _sent(store, clock, mail_settings, inbox, "en_US"))
    (token,) = DEEP_LINK.findall(text)

    linked = await Linking(store, clock, mail_settings).redeem("chat-9", token)

    async with store.transaction() as tx:
        link = await tx.channel_of(CUSTOMER, "telegram")
    assert (linked, link is not None and link.chat_id) == (CUSTOMER, "chat-9")
    assert DEEP_LINK.findall(html) == [token]


async def test_email_carries_the_opt_out_link_in_both_parts_and_the_headers(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    message = await _sent(store, clock, mail_settings, inbox, "he_IL")
    text, html = _parts(message)
    (link,) = OPTOUT_LINK.finditer(text)

    assert link.group(2) == "he"
    assert link.group(0) in html
    # Folded onto its own line (a URL cannot be split), hence the strip.
    assert message["List-Unsubscribe"].strip() == f"<{link.group(0)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_email_links_to_billings_pages_with_fresh_tokens(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    text, _ = _parts(await _sent(store, clock, mail_settings, inbox, "en_US"))

    update = re.findall(r"Update payment method: (\S+)", text)
    pay = re.findall(r"Pay now: (\S+)", text)

    assert [url.split("token=")[0] for url in update + pay] == [
        "https://billing.example.com/payment-method?",
        "https://billing.example.com/pay?",
    ]
    assert update[0].split("token=")[1] != pay[0].split("token=")[1]


async def test_hebrew_html_reads_right_to_left(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    _, html = _parts(await _sent(store, clock, mail_settings, inbox, "he_IL"))

    assert '<html lang="he" dir="rtl">' in html


async def test_message_id_is_the_channel_message_id(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    sender: EmailSender,
    inbox: Inbox,
) -> None:
    case = await open_case(store, clock, mail_settings)

    result = await sender.send(await email_contact(store, case))

    (message,) = inbox.messages()
    assert result.channel_message_id == message["Message-ID"]
    assert message["Message-ID"].endswith("@settle.example>")


async def test_fallback_sends_a_chat_message_as_an_email(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    sender: EmailSender,
    inbox: Inbox,
) -> None:
    case = await open_case(store, clock, mail_settings)
    rendered = first_contact(
        Reason.EXPIRED_CARD,
        amount_due=Money(41290, "ILS"),
        due_on=date(2024, 2, 15),
        update_url="https://billing.example.com/payment-method?token=queued",
        pay_url=None,
        locale="en",
    )
    contact = await email_contact(store, case)
    params = {"rendered": rendered_to_params(rendered), "reason": "expired_card", "locale": "en"}
    fallback = replace(contact, template="fallback", params=params | {"to": contact.params["to"]})

    await sender.send(fallback)

    (message,) = inbox.messages()
    text, html = _parts(message)
    assert message["Subject"] == "About your latest payment"
    assert text.startswith(rendered.text.split("\n\n")[0])
    assert "Update payment method: https://billing.example.com/payment-method?token=queued" in text
    assert ("Talk to a person" in text, "Talk to a person" in html) == (False, False)
    assert OPTOUT_LINK.search(text) is not None
    assert DEEP_LINK.search(text) is not None


async def test_outbox_delivers_a_queued_email(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    case = await open_case(store, clock, mail_settings)
    async with store.transaction() as tx:
        params = await first_contact_params(tx, case) | {"to": "dana@customer.example"}
        await tx.enqueue(
            customer_id=CUSTOMER,
            case_id=case.id,
            channel="email",
            template="first_contact",
            params=params,
            due_at=clock.now(),
            dedupe_key=f"case:{case.id}:first_contact:email",
        )
    senders = {"email": EmailSender(store, clock, mail_settings)}

    handled = await OutboxWorker(store, clock, mail_settings, senders).run_once()

    (contact,) = [c for c in await store.list_contacts() if c.channel == "email"]
    (message,) = inbox.messages()
    assert (handled, contact.status) == (1, ContactStatus.SENT)
    assert contact.channel_message_id == message["Message-ID"]


async def test_one_click_on_the_header_of_a_sent_email_opts_out(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, inbox: Inbox
) -> None:
    message = await _sent(store, clock, mail_settings, inbox, "en_US")
    url = message["List-Unsubscribe"].strip().strip("<>")
    app = Starlette(routes=optout_routes(store, clock, mail_settings))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        response = await client.post(url, data={"List-Unsubscribe": "One-Click"})

    async with store.transaction() as tx:
        opted_out = await tx.is_opted_out(CUSTOMER)
    assert (response.status_code, opted_out) == (200, True)
