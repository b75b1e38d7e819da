"""The Telegram sender: renders an outbox contact and sends it through the Bot API."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from telegram import Bot
from telegram.error import Forbidden, RetryAfter

from bot import (
    AgreementKind,
    ChannelBlocked,
    ConfigurationError,
    Contact,
    Conversation,
    Linking,
    Money,
    Offer,
    RateLimited,
    Reason,
    Settings,
)
from bot._decisions import STAFF_DECLINED, STAFF_OFFER
from bot._dialogue import AGREEMENT_COPY
from bot._documents import Documents, File
from bot._letters import LETTER
from bot._prelegal import PRE_LEGAL_NOTICE
from bot._steps import RETENTION_OFFER
from bot.ports import SendResult
from handlers.telegram._floor import ChatFloor
from handlers.telegram._keyboard import to_markup
from handlers.telegram._limiter import retry_seconds
from handlers.telegram._links import ActionLinks
from messages import (
    Rendered,
    agreement_broken,
    agreement_copy_caption,
    agreement_reminder,
    first_contact,
    letter_caption,
    method_updated,
    pre_legal_notice,
    retention_offer,
    staff_declined,
    staff_joined,
    staff_left,
    staff_offer,
    staff_said,
)

__all__ = ["TelegramSender"]

# Templates sent as a PDF with the rendered text as its caption.
_DOCUMENTS = frozenset({AGREEMENT_COPY, LETTER})

logger = logging.getLogger(__name__)

FIRST_CONTACT = "first_contact"
FOLLOW_UP = "follow_up"
METHOD_UPDATED = "method_updated"
REMINDER = "agreement_reminder"
BROKEN = "agreement_broken"
# Sent by a person who took the conversation over (`bot.TakeOver`).
STAFF_JOINED = "staff_joined"
STAFF_LEFT = "staff_left"
STAFF_SAID = "staff_said"


class TelegramSender:
    """Implements the outbox's `Sender` port for Telegram."""

    channel = "telegram"
    needs_chat = True
    reaches_customer = True

    def __init__(
        self,
        bot: Bot,
        linking: Linking,
        settings: Settings,
        *,
        documents: Documents | None = None,
        transcript: Conversation | None = None,
        floor: ChatFloor | None = None,
    ) -> None:
        self._bot = bot
        self._links = ActionLinks(linking, settings)
        self._settings = settings
        self._documents = documents
        self._transcript = transcript
        self._floor = ChatFloor() if floor is None else floor

    async def send(self, contact: Contact) -> SendResult:
        rendered = await self.render(contact)
        chat_id = contact.chat_id or ""
        try:
            file = await self._file(contact) if contact.template in _DOCUMENTS else None
            async with self._floor.hold(chat_id):  # after the answer to an update under way
                if file is not None:
                    message = await self._bot.send_document(
                        chat_id=chat_id,
                        document=file.data,
                        filename=file.name,
                        caption=rendered.text,
                        reply_markup=to_markup(rendered),
                    )
                else:
                    message = await self._bot.send_message(
                        chat_id=chat_id, text=rendered.text, reply_markup=to_markup(rendered)
                    )
        except Forbidden as error:
            raise ChannelBlocked(str(error)) from error
        except RetryAfter as error:
            raise RateLimited(retry_seconds(error)) from error
        if self._transcript is not None:
            await self._transcript.note(
                chat_id,
                ("out", rendered.text),
                case_id=contact.case_id,
                customer_id=contact.customer_id,
            )
        return SendResult(str(message.message_id))

    async def _file(self, contact: Contact) -> File:
        if self._documents is None:
            raise ConfigurationError("the Telegram sender has no documents to send")
        params = contact.params
        locale = str(params.get("locale") or self._settings.default_locale)
        if contact.template == AGREEMENT_COPY:
            return await self._documents.agreement_copy(int(params["agreement"]), locale=locale)
        return await self._documents.letter(int(params["letter"]))

    async def render(self, contact: Contact) -> Rendered:
        """The words and buttons of a contact, with fresh single-use action links."""
        params = contact.params
        locale = str(params.get("locale") or self._settings.default_locale)
        if contact.template in (FIRST_CONTACT, FOLLOW_UP):
            return await self._first_contact(contact, locale)
        if contact.template == METHOD_UPDATED:
            return method_updated(owed=bool(params.get("owed")), locale=locale)
        if contact.template in (REMINDER, BROKEN):
            render = agreement_reminder if contact.template == REMINDER else agreement_broken
            return render(
                AgreementKind(params["kind"]),
                number=int(params["number"]),
                amount=Money(int(params["amount_minor"]), str(params["currency"])),
                due_on=date.fromisoformat(params["due_on"]),
                locale=locale,
            )
        if contact.template == STAFF_JOINED:
            return staff_joined(params.get("name"), locale=locale)
        if contact.template == STAFF_LEFT:
            return staff_left(locale=locale)
        if contact.template == STAFF_SAID:
            return staff_said(str(params["text"]), locale=locale)
        if contact.template == STAFF_OFFER:
            offer = Offer.from_json(params["offer"])
            return staff_offer(offer, int(params["escalation"]), locale=locale)
        if contact.template == STAFF_DECLINED:
            return staff_declined(int(params["count"]), locale=locale)
        if contact.template == PRE_LEGAL_NOTICE:
            return pre_legal_notice(_amount(params), locale=locale)
        if contact.template == RETENTION_OFFER:
            return retention_offer(Offer.from_json(params["offer"]), locale=locale)
        if contact.template == AGREEMENT_COPY:
            return agreement_copy_caption(locale=locale)
        if contact.template == LETTER:
            amount = _amount(params)
            assert amount is not None  # a letter always names the debt
            return letter_caption(amount, locale=locale)
        msg = f"contact {contact.id}: unknown template {contact.template!r}"
        raise ValueError(msg)

    async def _first_contact(self, contact: Contact, locale: str) -> Rendered:
        params = contact.params
        amount = None
        if "amount_minor" in params:
            amount = Money(int(params["amount_minor"]), str(params["currency"]))
        due_on = date.fromisoformat(params["due_on"]) if "due_on" in params else None
        return first_contact(
            Reason(params["reason"]),
            amount_due=amount,
            due_on=due_on,
            update_url=await self._links.update_url(contact.recipient),
            pay_url=await self._links.pay_url(contact.recipient) if amount else None,
            locale=locale,
            follow_up=contact.template == FOLLOW_UP,
        )


def _amount(params: dict[str, Any]) -> Money | None:
    if "amount_minor" not in params:
        return None
    return Money(int(params["amount_minor"]), str(params["currency"]))
