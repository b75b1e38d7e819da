"""The Telegram sender: renders an outbox contact and sends it through the Bot API."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from telegram import Bot
from telegram.error import Forbidden, RetryAfter

from bot import ChannelBlocked, Contact, Linking, Money, RateLimited, Reason, Settings
from bot.ports import SendResult
from handlers.telegram._keyboard import to_markup
from messages import Rendered, first_contact

__all__ = ["TelegramSender"]

logger = logging.getLogger(__name__)

UPDATE_PAYMENT = "update_payment"
PAY = "pay"


class TelegramSender:
    """Implements the outbox's `Sender` port for Telegram."""

    channel = "telegram"
    needs_chat = True

    def __init__(self, bot: Bot, linking: Linking, settings: Settings) -> None:
        self._bot = bot
        self._linking = linking
        self._settings = settings

    async def send(self, contact: Contact) -> SendResult:
        rendered = await self.render(contact)
        try:
            message = await self._bot.send_message(
                chat_id=contact.chat_id or "", text=rendered.text, reply_markup=to_markup(rendered)
            )
        except Forbidden as error:
            raise ChannelBlocked(str(error)) from error
        except RetryAfter as error:
            raise RateLimited(_seconds(error.retry_after)) from error
        return SendResult(str(message.message_id))

    async def render(self, contact: Contact) -> Rendered:
        """The words and buttons of a contact, with fresh single-use action links."""
        if contact.template != "first_contact":
            msg = f"contact {contact.id}: unknown template {contact.template!r}"
            raise ValueError(msg)
        params = contact.params
        amount = None
        if "amount_minor" in params:
            amount = Money(int(params["amount_minor"]), str(params["currency"]))
        due_on = date.fromisoformat(params["due_on"]) if "due_on" in params else None
        return first_contact(
            Reason(params["reason"]),
            amount_due=amount,
            due_on=due_on,
            update_url=await self._url(self._settings.update_payment_url, UPDATE_PAYMENT, contact),
            pay_url=await self._pay_url(contact, amount),
            locale=str(params.get("locale") or self._settings.default_locale),
        )

    async def _pay_url(self, contact: Contact, amount: Money | None) -> str | None:
        if amount is None:
            return None
        return await self._url(self._settings.pay_now_url, PAY, contact)

    async def _url(self, template: str, purpose: str, contact: Contact) -> str | None:
        if not template:
            return None
        token = await self._linking.issue_token(contact.customer_id, purpose=purpose)
        return template.replace("{token}", token)


def _seconds(retry_after: int | float | timedelta) -> float:
    """RetryAfter.retry_after is an int before PTB_TIMEDELTA and a timedelta after (PTB 22.2)."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
