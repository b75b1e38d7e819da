"""The log scan: the end-to-end tests' logs carry ids, never personal data or secrets.

During every test of a module whose name marks it end to end (`*end_to_end*`, `*_flow`),
every log record of every logger is captured at DEBUG, with the libraries held at the
levels `settle` sets for them (bot/_logs.py). What the test fed the product
is remembered as it goes in: customers' names, phone numbers and email addresses (as
stored), their invoices' amounts, what customers typed in the chat, the link tokens
issued, and the test's secrets and bot tokens. After the test, none of it may appear in
any captured line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest

from bot import Customer, Invoice, Linking
from bot._logs import LIBRARY_LEVELS, quiet_libraries
from handlers.emulators import TelegramEmulator
from storage._tx import SqlTx

__all__ = ["Seen"]

_SCANNED = re.compile(r"end_to_end|_flow$")
# The fixtures' own secrets (tests/conftest.py, tests/handlers/slack/conftest.py).
_SECRETS = ("canonical-secret", "whsec_test", "gc-secret", "slack-signing-secret")
# Loggers of the peers the tests run, not of Settle: aiosmtpd, the SMTP server on loopback.
_PEERS = ("mail.",)
# Shorter words than this (a "/menu", a "stop") are everyday words of log lines too.
_SHORTEST = 6


class Seen:
    """Everything a test fed the product that its logs must not show."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, what: str, value: object) -> None:
        if isinstance(value, str) and len(value.strip()) >= _SHORTEST:
            self.values[value.strip()] = what

    def add_phone(self, phone: str | None) -> None:
        if not phone:
            return
        self.add("phone number", phone)
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            return
        self.add("phone number", phonenumbers.format_number(number, 0))  # E.164
        self.add("phone number", str(number.national_number))

    def leaks(self, lines: list[str]) -> list[str]:
        """One finding per line that shows something it must not."""
        found = []
        for line in lines:
            hit = next(((v, w) for v, w in self.values.items() if v in line), None)
            if hit is not None:
                found.append(f"{hit[1]} {hit[0]!r} in: {line}")
        return found


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(_PEERS):
            self.lines.append(self.format(record))


def _spy(monkeypatch: pytest.MonkeyPatch, seen: Seen) -> None:
    upsert = SqlTx.upsert_customer

    async def upsert_customer(self: SqlTx, customer: Customer) -> Customer:
        seen.add("customer name", customer.name)
        seen.add("email address", customer.email)
        seen.add_phone(customer.phone)
        return await upsert(self, customer)

    save_invoice = SqlTx.save_invoice

    async def saved_invoice(self: SqlTx, invoice: Invoice) -> None:
        # An amount tied to a customer, in major units as billing sent it ("412.90").
        seen.add("amount", str(invoice.amount.to_decimal()))
        return await save_invoice(self, invoice)

    issue = Linking.issue_token

    async def issue_token(self: Linking, customer_id: str, **kwargs: Any) -> str:
        token = await issue(self, customer_id, **kwargs)
        seen.add("link token", token)
        return token

    send_text = TelegramEmulator.send_text

    async def typed(self: TelegramEmulator, chat_id: int, text: str, **kwargs: Any) -> Any:
        seen.add("message text", text)
        seen.add("bot token", self.token)
        return await send_text(self, chat_id, text, **kwargs)

    monkeypatch.setattr(SqlTx, "upsert_customer", upsert_customer)
    monkeypatch.setattr(SqlTx, "save_invoice", saved_invoice)
    monkeypatch.setattr(Linking, "issue_token", issue_token)
    monkeypatch.setattr(TelegramEmulator, "send_text", typed)


@pytest.fixture(autouse=True)
def log_scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail an end-to-end test whose logs show what should never be logged."""
    if not _SCANNED.search(request.path.stem):
        yield
        return
    seen = Seen()
    for secret in (*_SECRETS, getattr(request.module, "TOKEN", None)):
        seen.add("secret", secret)
    seen.add("secret", "xoxb-emulator-token")  # SlackEmulator's bot token
    _spy(monkeypatch, seen)
    capture, root = _Capture(), logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *LIBRARY_LEVELS)}
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    quiet_libraries()  # as `settle` does (bot/cli.py)
    try:
        yield
    finally:
        root.removeHandler(capture)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    leaks = seen.leaks(capture.lines)
    assert not leaks, "personal data or secrets in the logs:\n" + "\n".join(leaks[:20])
