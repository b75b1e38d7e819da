"""The Slack thread of a taken-over escalation: staff's replies go to the customer, and what
the customer writes is posted there.

Staff's messages arrive as `message` events; only replies in the thread of a taken-over
escalation's post count, bots' messages never, and a line starting with `note:` stays in
Slack. The customer's words reach the thread through the outbox (`ThreadPoster`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import Contact, NotFound, RateLimited, TakeOver, handing_over
from bot._takeover import CUSTOMER_WROTE
from bot.ports import Sender, SendResult, Store
from messages import customer_wrote, kept_internal, not_yours

__all__ = ["StaffThread", "ThreadPoster"]

logger = logging.getLogger(__name__)

_NOTE = re.compile(r"\s*note:", re.IGNORECASE)
# Slack escapes these three in message text (https://api.slack.com/reference/surfaces/formatting).
_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_TOO_MANY_REQUESTS = 429


class StaffThread:
    """The listener of messages staff write in escalation threads."""

    def __init__(self, take_over: TakeOver) -> None:
        self._take_over = take_over

    def install(self, app: AsyncApp) -> None:
        app.event("message")(self.message)

    async def message(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A staff reply in a taken-over thread goes to the customer; a note stays here."""
        if event.get("subtype") or event.get("bot_id"):
            return
        channel, ts = str(event.get("channel", "")), str(event.get("ts", ""))
        thread_ts, text = event.get("thread_ts"), str(event.get("text") or "")
        if not isinstance(thread_ts, str) or thread_ts == ts or not text.strip():
            return
        escalation = await self._take_over.thread_of(channel, thread_ts)
        if escalation is None:
            return
        user = str(event.get("user", ""))
        if _NOTE.match(text):
            await client.chat_postEphemeral(channel=channel, user=user, text=kept_internal())
            logger.info("escalation=%d note kept user=%s ts=%s", escalation.id, user, ts)
            return
        if user != escalation.taken_by:
            # Only the person who took the conversation over speaks to the customer.
            await client.chat_postEphemeral(channel=channel, user=user, text=not_yours(escalation))
            logger.info("escalation=%d reply refused user=%s ts=%s", escalation.id, user, ts)
            return
        await self._take_over.from_staff(escalation, text=_unescape(text).strip(), ts=ts)
        logger.info("escalation=%d staff message queued user=%s ts=%s", escalation.id, user, ts)


class ThreadPoster:
    """Implements the outbox's `Sender` port for Slack: the customer's words in threads here,
    every other row (the escalation posts) by the `poster` it wraps."""

    channel = "slack"
    needs_chat = False
    reaches_customer = False

    def __init__(self, client: AsyncWebClient, store: Store, poster: Sender) -> None:
        self._client = client
        self._store = store
        self._poster = poster

    async def send(self, contact: Contact) -> SendResult:
        if contact.template != CUSTOMER_WROTE:
            return await self._poster.send(contact)
        escalation_id = int(contact.params["escalation"])
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
        if escalation is None or not escalation.slack_channel or not escalation.slack_ts:
            # Not posted yet: the outbox tries again once the post has its ts.
            raise NotFound("escalation post", str(escalation_id))
        await handing_over()
        try:
            response = await self._client.chat_postMessage(
                channel=escalation.slack_channel,
                thread_ts=escalation.slack_ts,
                text=customer_wrote(str(contact.params["text"])),
            )
        except SlackApiError as error:
            if error.response.status_code == _TOO_MANY_REQUESTS:
                raise RateLimited(float(error.response.headers.get("Retry-After", 1))) from error
            raise
        return SendResult(str(response["ts"]))


def _unescape(text: str) -> str:
    for escaped, plain in _ESCAPES:
        text = text.replace(escaped, plain)
    return text
