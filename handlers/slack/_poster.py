"""The Slack poster: puts an escalation from the outbox in front of staff."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import date
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import (
    CaseView,
    Contact,
    Escalation,
    NotFound,
    RateLimited,
    SystemClock,
    desk_report,
    handing_over,
)
from bot._decisions import OFFER_ANSWERED
from bot._supervision import DIGEST
from bot.ports import Clock, SendResult, Store
from handlers.slack._desk import OFFERED_ACTIONS
from handlers.slack._routing import SlackRouting
from messages import (
    decided_blocks,
    digest_blocks,
    digest_text,
    escalation_blocks,
    escalation_text,
    offer_answered_text,
    sla_alert_text,
)

__all__ = ["SlackPoster"]

logger = logging.getLogger(__name__)

_TOO_MANY_REQUESTS = 429
# The outbox template of the alert queued for an escalation's deadline (bot._escalations).
SLA_ALERT = "sla_alert"


class SlackPoster:
    """Implements the outbox's `Sender` port for escalations posted to Slack channels."""

    channel = "slack"
    needs_chat = False
    reaches_customer = False

    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        routing: SlackRouting,
        *,
        supervisors: str | None = None,
        clock: Clock | None = None,
        staff_zone: str = "UTC",
    ) -> None:
        self._client = client
        self._store = store
        self._routing = routing
        self._supervisors = supervisors
        self._clock = clock or SystemClock()
        self._zone = ZoneInfo(staff_zone)

    async def send(self, contact: Contact) -> SendResult:
        if contact.template == SLA_ALERT:
            return await self._alert(int(contact.params["escalation"]))
        if contact.template == OFFER_ANSWERED:
            return await self._answered(contact)
        if contact.template == DIGEST:
            return await self._digest(contact)
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

    async def _alert(self, escalation_id: int) -> SendResult:
        """Past its deadline and still undecided: say so in its thread and to supervisors."""
        escalation, _view = await self._load(escalation_id)
        if not escalation.is_open:
            return SendResult(f"decided:{escalation.id}")
        text = sla_alert_text(escalation)
        sent: list[str] = []
        await handing_over()
        if escalation.slack_channel and escalation.slack_ts:
            thread = self._client.chat_postMessage(
                channel=escalation.slack_channel, thread_ts=escalation.slack_ts, text=text
            )
            sent.append(str((await _answer(thread))["ts"]))
        if self._supervisors:
            alert = self._client.chat_postMessage(channel=self._supervisors, text=text)
            sent.append(str((await _answer(alert))["ts"]))
        logger.warning("escalation=%d past its SLA; alerted %d places", escalation.id, len(sent))
        return SendResult(",".join(sent) or f"nowhere:{escalation.id}")

    async def _digest(self, contact: Contact) -> SendResult:
        """The supervisors' daily digest: the day's recoveries and the desk as it is now."""
        day = date.fromisoformat(str(contact.params["day"]))
        now = self._clock.now()
        report = await desk_report(self._store, now=now, zone=self._zone, day=day)
        await handing_over()
        response = await _answer(
            self._client.chat_postMessage(
                channel=str(contact.params["channel"]),
                text=digest_text(report, day),
                blocks=digest_blocks(report, day),
            )
        )
        logger.info("digest day=%s posted waiting=%d", day, len(report.waiting))
        return SendResult(str(response["ts"]))

    async def _answered(self, contact: Contact) -> SendResult:
        """The customer's answer to an offer: said in the thread, shown on the post."""
        escalation, view = await self._load(int(contact.params["escalation"]))
        if not escalation.slack_channel or not escalation.slack_ts:
            raise NotFound("escalation post", str(escalation.id))  # tried again once posted
        agreement = contact.params.get("agreement")
        text = offer_answered_text(
            escalation,
            accepted=bool(contact.params["accepted"]),
            agreement=None if agreement is None else int(agreement),
        )
        channel = escalation.slack_channel
        await handing_over()
        said = await _answer(
            self._client.chat_postMessage(
                channel=channel, thread_ts=escalation.slack_ts, text=text
            )
        )
        await _answer(
            self._client.chat_update(
                channel=channel,
                ts=escalation.slack_ts,
                text=escalation_text(escalation),
                blocks=_blocks(view, escalation),
            )
        )
        return SendResult(str(said["ts"]))

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
