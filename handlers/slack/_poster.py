"""The Slack poster: puts an escalation from the outbox in front of staff."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import CaseView, Contact, Escalation, NotFound, RateLimited, handing_over
from bot.ports import SendResult, Store
from handlers.slack._desk import OFFERED_ACTIONS
from handlers.slack._routing import SlackRouting
from messages import decided_blocks, escalation_blocks, escalation_text

__all__ = ["SlackPoster"]

logger = logging.getLogger(__name__)

_TOO_MANY_REQUESTS = 429


class SlackPoster:
    """Implements the outbox's `Sender` port for escalations posted to Slack channels."""

    channel = "slack"
    needs_chat = False
    reaches_customer = False

    def __init__(self, client: AsyncWebClient, store: Store, routing: SlackRouting) -> None:
        self._client = client
        self._store = store
        self._routing = routing

    async def send(self, contact: Contact) -> SendResult:
        escalation, view = await self._load(int(contact.params["escalation"]))
        if escalation.slack_ts and escalation.slack_channel:
            # Posted before the process stopped: bring that post up to date, post no other.
            await _answer(
                self._client.chat_update(
                    channel=escalation.slack_channel,
                    ts=escalation.slack_ts,
                    text=escalation_text(escalation),
                    blocks=_blocks(view, escalation),
                )
            )
            return SendResult(escalation.slack_ts)

        channel = self._routing.channel_for(escalation, view)
        await handing_over()
        response = await _answer(
            self._client.chat_postMessage(
                channel=channel, text=escalation_text(escalation), blocks=_blocks(view, escalation)
            )
        )
        posted, ts = str(response["channel"]), str(response["ts"])
        async with self._store.transaction() as tx:
            await tx.set_escalation_post(escalation.id, channel=posted, ts=ts)
        logger.info("escalation=%d posted channel=%s ts=%s", escalation.id, posted, ts)
        return SendResult(ts)

    async def _load(self, escalation_id: int) -> tuple[Escalation, CaseView]:
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
        if escalation is None:
            raise NotFound("escalation", str(escalation_id))
        view = await self._store.case_view(escalation.case_id)
        if view is None:
            raise NotFound("case", str(escalation.case_id))
        return escalation, view


async def _answer(request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """The Web API's answer; a 429 left after the client's own retries becomes `RateLimited`."""
    try:
        return await request
    except SlackApiError as error:
        if error.response.status_code == _TOO_MANY_REQUESTS:
            retry_after = float(error.response.headers.get("Retry-After", 1))
            raise RateLimited(retry_after) from error
        raise


def _blocks(view: CaseView, escalation: Escalation) -> list[dict[str, object]]:
    if not escalation.is_open:
        return decided_blocks(view, escalation)
    return escalation_blocks(view, escalation, actions=OFFERED_ACTIONS)
