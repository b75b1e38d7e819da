"""How the email sender fails: what the outbox gives up on, and what it tries again."""

from __future__ import annotations

from dataclasses import replace

import aiosmtplib
import pytest

from bot import ChannelBlocked, ConfigurationError, Customer, Settings
from handlers.email import EmailSender
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.handlers.email.conftest import Inbox, email_contact, free_port, open_case


async def test_refused_mailbox_blocks_the_channel(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    sender: EmailSender,
    inbox: Inbox,
) -> None:
    case = await open_case(store, clock, mail_settings)

    with pytest.raises(ChannelBlocked, match="550"):
        await sender.send(await email_contact(store, case, to="gone@customer.example"))

    assert inbox.envelopes == []


async def test_busy_mailbox_is_an_error_to_retry(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    sender: EmailSender,
    inbox: Inbox,
) -> None:
    case = await open_case(store, clock, mail_settings)

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as raised:
        await sender.send(await email_contact(store, case, to="busy@customer.example"))

    assert not isinstance(raised.value, ChannelBlocked)


async def test_server_down_is_an_error_to_retry(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings
) -> None:
    case = await open_case(store, clock, mail_settings)
    mail_settings.smtp_port = free_port()  # nothing listens there

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await EmailSender(store, clock, mail_settings).send(await email_contact(store, case))


async def test_address_that_cannot_be_written_blocks_the_channel(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    sender: EmailSender,
    inbox: Inbox,
) -> None:
    case = await open_case(store, clock, mail_settings)

    with pytest.raises(ChannelBlocked, match="not an email address"):
        await sender.send(await email_contact(store, case, to="dana at customer"))


async def test_contact_without_an_address_is_an_error(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, sender: EmailSender
) -> None:
    case = await open_case(store, clock, mail_settings)
    contact = replace(await email_contact(store, case), customer_id="C-without-email")
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-without-email"))

    with pytest.raises(ValueError, match=r"no address in params\['to'\]"):
        await sender.send(replace(contact, params=contact.params | {"to": ""}))


async def test_unknown_template_is_an_error(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, sender: EmailSender
) -> None:
    case = await open_case(store, clock, mail_settings)
    contact = await email_contact(store, case)

    with pytest.raises(ValueError, match="unknown email template 'nope'"):
        await sender.render(
            replace(contact, template="nope"),
            optout_url="https://settle.example/optout/x",
        )


async def test_without_a_sender_address_email_is_off(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings
) -> None:
    case = await open_case(store, clock, mail_settings)
    mail_settings.email_from = None

    with pytest.raises(ConfigurationError, match="SETTLE_EMAIL_FROM"):
        await EmailSender(store, clock, mail_settings).send(await email_contact(store, case))
