"""A real SMTP server on loopback (aiosmtpd), and a customer with an open case to write to."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot import Case, Contact, ContactStatus, Customer, Ingest, Settings, parse_event
from bot._contact import first_contact_params
from handlers.email import EmailSender
from storage import SqliteStore
from tests.conftest import FixedClock

CUSTOMER = "C-1001"


class Inbox:
    """An SMTP handler that keeps what it is given and refuses some mailboxes, as servers do."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.encrypted: list[bool] = []  # per message: whether the session ran over TLS
        self.logins: list[Any] = []  # per message: what the client logged in as, if it did
        self.port = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        self.logins.append(session.auth_data)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]
        return [message for message in parsed if isinstance(message, EmailMessage)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(inbox: Inbox, **options: Any) -> Controller:
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A plain server (no TLS, no login), as a relay on the same host would be."""
    inbox = Inbox()
    controller = start_server(inbox)
    yield inbox
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, inbox: Inbox) -> Settings:
    settings.email_from = "Settle <billing@settle.example>"
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = inbox.port
    settings.smtp_security = "none"
    settings.public_url = "https://settle.example"
    return settings


def failed_payment(locale: str = "en_US", **customer: str) -> str:
    return json.dumps(
        {
            "id": f"evt-{locale}",
            "type": "payment_failed",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {"id": CUSTOMER, "locale": locale, "timezone": "UTC", **customer},
            "invoice": {
                "id": "INV-77",
                "amount": "412.90",
                "currency": "ILS",
                "issued_on": "2024-02-01",
                "due_on": "2024-02-15",
            },
            "payment_method": {"kind": "card", "reason": "expired_card", "last4": "4242"},
        }
    )


async def open_case(
    store: SqliteStore, clock: FixedClock, settings: Settings, locale: str = "en_US"
) -> Case:
    """A type A case for a customer with no linked chat, opened from a billing event."""
    body = failed_payment(locale, email="dana@customer.example")
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)
    async with store.transaction() as tx:
        (case,) = await tx.open_cases_of(CUSTOMER)
    return case


@pytest.fixture
def sender(store: SqliteStore, clock: FixedClock, mail_settings: Settings) -> EmailSender:
    return EmailSender(store, clock, mail_settings)


async def email_contact(store: SqliteStore, case: Case, **extra: Any) -> Contact:
    """The first email of a case, as the outbox hands it to the sender; `extra` overrides."""
    async with store.transaction() as tx:
        params = await first_contact_params(tx, case)
        if extra.get("to"):
            # The sender writes to the customer's address of the moment: make it this one.
            await tx.upsert_customer(Customer(case.customer_id, email=str(extra["to"])))
    params |= {"to": "dana@customer.example", **extra}
    moment = datetime(2024, 3, 4, tzinfo=UTC)
    status = ContactStatus.SENDING
    return Contact(7, case.id, CUSTOMER, "email", "first_contact", params, status, moment, 1)
