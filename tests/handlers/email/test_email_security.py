"""SMTP security and login against real servers: STARTTLS, TLS from the start, credentials."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from bot import Contact, ContactStatus, Settings
from handlers.email import EmailSender
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.handlers.email.conftest import CUSTOMER, Inbox, open_case, start_server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client trusts the test authority as the system's own (OpenSSL reads SSL_CERT_FILE)."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


# aiosmtpd warns of a server that takes logins in plain text, which these tests want.
plain_login = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    if isinstance(data, LoginPassword) and (data.login, data.password) == (b"settle", b"s3cret"):
        return AuthResult(success=True, auth_data=data)
    return AuthResult(success=False, handled=False)  # unhandled: the server answers 535


@pytest.fixture
def serve(settings: Settings) -> Iterator[Any]:
    """Start a server with some options and point the settings at it; stopped after the test."""
    controllers = []

    def start(security: str, **options: Any) -> Inbox:
        inbox = Inbox()
        controllers.append(start_server(inbox, **options))
        settings.email_from = "billing@settle.example"
        settings.smtp_host, settings.smtp_port = "127.0.0.1", inbox.port
        settings.smtp_security = security  # type: ignore[assignment]
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


async def _send(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    case = await open_case(store, clock, settings)
    params = {"reason": "expired_card", "locale": "en", "to": "dana@customer.example"}
    contact = Contact(
        1, case.id, CUSTOMER, "email", "first_contact", params, ContactStatus.SENDING,
        clock.now(), 1,
    )  # fmt: skip
    await EmailSender(store, clock, settings).send(contact)


@pytest.mark.usefixtures("trusted")
async def test_starttls_upgrades_before_sending(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any, server_context: Any
) -> None:
    inbox = serve("starttls", tls_context=server_context, require_starttls=True)

    await _send(store, clock, settings)

    assert inbox.encrypted == [True]


async def test_starttls_refuses_a_server_that_cannot(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any
) -> None:
    inbox = serve("starttls")

    with pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"):
        await _send(store, clock, settings)

    assert inbox.envelopes == []


async def test_starttls_refuses_a_certificate_it_does_not_trust(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any, server_context: Any
) -> None:
    inbox = serve("starttls", tls_context=server_context, require_starttls=True)

    with pytest.raises(ssl.SSLCertVerificationError):
        await _send(store, clock, settings)

    assert inbox.envelopes == []


@pytest.mark.usefixtures("trusted")
async def test_tls_encrypts_from_the_first_byte(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any, server_context: Any
) -> None:
    inbox = serve("tls", ssl_context=server_context)

    await _send(store, clock, settings)

    assert inbox.encrypted == [True]


@plain_login
async def test_credentials_log_in(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any
) -> None:
    inbox = serve("none", authenticator=_login, auth_required=True, auth_require_tls=False)
    settings.smtp_username = "settle"
    settings.smtp_password = SecretStr("s3cret")

    await _send(store, clock, settings)

    assert inbox.logins == [LoginPassword(b"settle", b"s3cret")]


@plain_login
async def test_wrong_credentials_are_an_error_to_retry(
    store: SqliteStore, clock: FixedClock, settings: Settings, serve: Any
) -> None:
    inbox = serve("none", authenticator=_login, auth_required=True, auth_require_tls=False)
    settings.smtp_username = "settle"
    settings.smtp_password = SecretStr("wrong")

    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await _send(store, clock, settings)

    assert inbox.envelopes == []
