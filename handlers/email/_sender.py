"""The email sender: renders an outbox contact as an email and submits it over SMTP.

What the outbox sees::

    ChannelBlocked   the server refused the address for good (5xx to RCPT TO), or the
                     address cannot be written: stop sending there
    ConfigurationError, ValueError
                     SETTLE_EMAIL_FROM unset, the bot's username unknown, a contact
                     without an address or with an unknown template
    anything else    no connection, a timeout, a 4xx: tried again with backoff
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from bot import (
    ChannelBlocked,
    ConfigurationError,
    Contact,
    Linking,
    Money,
    NotFound,
    Reason,
    Settings,
)
from bot._letters import LETTER
from bot._prelegal import PRE_LEGAL_NOTICE
from bot.ports import Clock, SendResult, Store
from handlers.email._optout import OptOutLinks
from handlers.telegram import ActionLinks
from messages import (
    EmailText,
    email_from_rendered,
    email_subject,
    first_contact_email,
    letter_email,
    normalize_locale,
    pre_legal_notice,
    rendered_from_params,
)

__all__ = ["FALLBACK", "FIRST_CONTACT", "EmailSender", "compose"]

logger = logging.getLogger(__name__)

FIRST_CONTACT = "first_contact"
FALLBACK = "fallback"


class EmailSender:
    """Implements the outbox's `Sender` port for email, to the customer's address of now."""

    channel = "email"
    needs_chat = False
    reaches_customer = True

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._linking = Linking(store, clock, settings)
        self._links = ActionLinks(self._linking, settings)
        self._optout = OptOutLinks(store, clock, settings)

    async def send(self, contact: Contact) -> SendResult:
        sender = self._settings.email_from
        if not sender:
            msg = "SETTLE_EMAIL_FROM is not set; it is the sender of every email"
            raise ConfigurationError(msg)
        to = _recipient(contact, await self._current_address(contact.recipient))
        language = normalize_locale(_locale(contact, self._settings))
        optout_url = await self._optout.url(contact.recipient, language=language)

        email = await self.render(contact, optout_url=optout_url)
        now = self._clock.now()
        message = compose(email, sender=sender, to=to, optout_url=optout_url, now=now)
        if contact.template == LETTER:
            name, pdf = await self._letter(int(contact.params["letter"]))
            message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
        await self._submit(message)
        logger.debug("email accepted contact=%d template=%s", contact.id, contact.template)
        return SendResult(str(message["Message-ID"]))

    async def _current_address(self, customer_id: str) -> str | None:
        """The address billing gave last: it may have changed since the message was queued."""
        async with self._store.transaction() as tx:
            customer = await tx.get_customer(customer_id)
        return None if customer is None else customer.email

    async def render(self, contact: Contact, *, optout_url: str) -> EmailText:
        """The words of a contact, with fresh single-use links."""
        if contact.template == FIRST_CONTACT:
            return await self._first_contact(contact, optout_url)
        if contact.template == FALLBACK:
            return await self._fallback(contact, optout_url)
        if contact.template in (PRE_LEGAL_NOTICE, LETTER):
            return await self._pre_legal(contact, optout_url)
        msg = f"contact {contact.id}: unknown email template {contact.template!r}"
        raise ValueError(msg)

    async def _first_contact(self, contact: Contact, optout_url: str) -> EmailText:
        params = contact.params
        amount = None
        if "amount_minor" in params:
            amount = Money(int(params["amount_minor"]), str(params["currency"]))
        due_on = date.fromisoformat(params["due_on"]) if "due_on" in params else None
        customer_id = contact.recipient
        return first_contact_email(
            Reason(params["reason"]),
            amount_due=amount,
            due_on=due_on,
            chat_url=await self._linking.deep_link(customer_id),
            optout_url=optout_url,
            update_url=await self._links.update_url(customer_id),
            pay_url=await self._links.pay_url(customer_id) if amount else None,
            locale=_locale(contact, self._settings),
            follow_up=bool(params.get("follow_up")),
        )

    async def _fallback(self, contact: Contact, optout_url: str) -> EmailText:
        params = contact.params
        locale = _locale(contact, self._settings)
        reason = Reason(params["reason"]) if params.get("reason") else None
        # The chat stays the place to act on the message's chat-only buttons.
        chat_url = None
        if self._settings.telegram_bot_username:
            chat_url = await self._linking.deep_link(contact.recipient)
        return email_from_rendered(
            rendered_from_params(params["rendered"]),
            subject=email_subject(reason, locale=locale),
            optout_url=optout_url,
            locale=locale,
            chat_url=chat_url,
        )

    async def _pre_legal(self, contact: Contact, optout_url: str) -> EmailText:
        """The stage's notice (no amount, as every email), or the letter's covering note."""
        locale = _locale(contact, self._settings)
        chat_url = await self._linking.deep_link(contact.recipient)
        if contact.template == LETTER:
            rendered, subject = letter_email(chat_url, locale=locale)
        else:
            rendered = pre_legal_notice(None, locale=locale)
            subject = email_subject(None, locale=locale)
        return email_from_rendered(
            rendered, subject=subject, optout_url=optout_url, locale=locale, chat_url=chat_url
        )

    async def _letter(self, letter_id: int) -> tuple[str, bytes]:
        async with self._store.transaction() as tx:
            found = await tx.get_letter(letter_id)
        if found is None:
            raise NotFound("letter", str(letter_id))
        return f"letter-{letter_id}.pdf", found[1]

    async def _submit(self, message: EmailMessage) -> None:
        settings = self._settings
        password = settings.smtp_password
        login = settings.smtp_username is not None and password is not None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username if login else None,
                password=password.get_secret_value() if login and password else None,
                use_tls=settings.smtp_security == "tls",
                start_tls=settings.smtp_security == "starttls",
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            if any(code >= 500 for code in codes):
                raise ChannelBlocked(f"address refused by the mail server ({codes})") from error
            raise


def compose(
    email: EmailText, *, sender: str, to: str, optout_url: str, now: datetime
) -> EmailMessage:
    """The message with both parts and the headers mail providers expect of bulk senders."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    # The sender's domain, not this host's name (which make_msgid would look up).
    message["Message-ID"] = make_msgid(domain=Address(addr_spec=parseaddr(sender)[1]).domain)
    # No out-of-office replies to an automated message (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    # One-click unsubscribe (RFC 8058; RFC 2369 for the header).
    message["List-Unsubscribe"] = f"<{optout_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    # After the parts: setting content clears the Content-* headers.
    message["Content-Language"] = email.language
    return message


def _recipient(contact: Contact, current: str | None) -> str:
    """The customer's address now, else the one in the contact; a bad one never works."""
    to = current or contact.params.get("to")
    if not to:
        msg = f"contact {contact.id}: no address in params['to']"
        raise ValueError(msg)
    try:
        Address(addr_spec=str(to))
    except Exception as error:  # the header parser raises ValueError, IndexError or its own
        raise ChannelBlocked(f"contact {contact.id}: not an email address") from error
    return str(to)


def _locale(contact: Contact, settings: Settings) -> str:
    return str(contact.params.get("locale") or settings.default_locale)
