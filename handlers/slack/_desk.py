"""Staff decisions on escalations: the buttons of a post, answered through Bolt.

The first decision wins (a conditional update in storage): its post is replaced by the
decided version, without buttons, and an audit record names the Slack user. A later
click, a double click or the loser of a race gets an ephemeral "already decided".
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import Escalation, TakeOver
from bot.ports import AuditRecord, Clock, Store
from messages import (
    already_decided,
    decided_blocks,
    escalation_blocks,
    escalation_text,
    not_taken,
    taken_over_text,
)

__all__ = ["OFFERED_ACTIONS", "EscalationDesk"]

logger = logging.getLogger(__name__)

APPROVE = "settle_approve"
REJECT = "settle_reject"
ASSIGN = "settle_assign"
TAKE_OVER = "settle_take_over"
HAND_BACK = "settle_hand_back"  # offered by `messages` in place of these once taken over
# The buttons a post offers: those with a listener here. Counter-offer is laid out in
# `messages` but not offered until it is handled end to end.
OFFERED_ACTIONS = (APPROVE, REJECT, TAKE_OVER, ASSIGN)
_DECISIONS = {APPROVE: "approve", REJECT: "reject"}
# Slack retries an event it saw no answer to within 3 s (X-Slack-Retry-Num); these many
# event ids are remembered to answer a retry without handling it twice.
_SEEN_EVENTS = 10_000


class EscalationDesk:
    """The listeners of the escalation buttons, and the event retry filter."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._take_over = TakeOver(store, clock)

    def install(self, app: AsyncApp) -> None:
        app.middleware(self.skip_retried_events)
        app.action(APPROVE)(self.decide)
        app.action(REJECT)(self.decide)
        app.action(ASSIGN)(self.assign)
        app.action(TAKE_OVER)(self.take_over)
        app.action(HAND_BACK)(self.hand_back)

    async def skip_retried_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Answer a second delivery of an event at once, without handling it again."""
        event_id = body.get("event_id")
        if not isinstance(event_id, str):
            await next()
            return None
        if event_id in self._seen:
            logger.info("slack event=%s already handled; retry skipped", event_id)
            return BoltResponse(status=200, body="")
        self._seen[event_id] = None
        if len(self._seen) > _SEEN_EVENTS:
            self._seen.popitem(last=False)
        await next()
        return None

    async def decide(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Approve or reject: the first click counts, every later one is told so."""
        await ack()
        started = time.perf_counter()
        action, user = body["actions"][0], body["user"]["id"]
        decision = _DECISIONS[action["action_id"]]
        escalation_id = int(action["value"])

        now = self._clock.now()
        async with self._store.transaction() as tx:
            won = await tx.decide_escalation(escalation_id, by=user, decision=decision, at=now)
            escalation = await tx.get_escalation(escalation_id)
            if won and escalation is not None:
                why = f"{decision} escalation {escalation_id} ({escalation.reason}) in Slack"
                detail = {"escalation": escalation_id, "decision": decision, "channel": "slack"}
                record = AuditRecord(
                    now, user, "decided", why, escalation.case_id, escalation.customer_id, detail
                )
                await tx.audit(record)
        if escalation is None:
            logger.warning("slack click on unknown escalation=%d user=%s", escalation_id, user)
            return

        channel, ts = _where(body, escalation)
        if won:
            await self._show_decided(client, escalation, channel=channel, ts=ts)
        else:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=already_decided(escalation)
            )
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "escalation=%d %s by user=%s counted=%s duration_ms=%.1f",
            escalation_id,
            decision,
            user,
            won,
            duration_ms,
        )

    async def assign(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Take the escalation: the post names the assignee and the audit records it."""
        await ack()
        action, user = body["actions"][0], body["user"]["id"]
        escalation_id = int(action["value"])
        now = self._clock.now()
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None:
                return
            # The store has no way yet to set `Escalation.assignee`: until it has, this
            # audit record is the assignment (the post shows it too).
            detail = {"escalation": escalation_id, "assignee": user}
            why = f"assigned escalation {escalation_id} in Slack"
            await tx.audit(
                AuditRecord(
                    now, user, "assigned", why, escalation.case_id, escalation.customer_id, detail
                )
            )
        channel, ts = _where(body, escalation)
        if not escalation.is_open:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=already_decided(escalation)
            )
            return
        view = await self._store.case_view(escalation.case_id)
        if view is None:
            return
        blocks = escalation_blocks(view, escalation, actions=OFFERED_ACTIONS, assignee=user)
        await client.chat_update(
            channel=channel, ts=ts, text=escalation_text(escalation), blocks=blocks
        )
        logger.info("escalation=%d assigned user=%s", escalation_id, user)

    async def take_over(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The clicker talks with the customer; the bot keeps quiet on the case meanwhile."""
        await ack()
        escalation_id, user = int(body["actions"][0]["value"]), body["user"]["id"]
        name = await _first_name(client, user)
        taken = await self._take_over.take(escalation_id, by=user, name=name)
        escalation = taken or await self._escalation(escalation_id)
        if escalation is None:
            return
        channel, ts = _where(body, escalation)
        if taken is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=not_taken(escalation))
            return
        view = await self._store.case_view(escalation.case_id)
        if view is not None:
            blocks = escalation_blocks(view, escalation, actions=OFFERED_ACTIONS)
            await client.chat_update(
                channel=channel, ts=ts, text=escalation_text(escalation), blocks=blocks
            )
        await client.chat_postMessage(channel=channel, thread_ts=ts, text=taken_over_text(user))

    async def hand_back(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The case goes back to the bot, which tells the customer and carries on."""
        await ack()
        escalation_id, user = int(body["actions"][0]["value"]), body["user"]["id"]
        handed = await self._take_over.hand_back(escalation_id, by=user)
        escalation = handed or await self._escalation(escalation_id)
        if escalation is None:
            return
        channel, ts = _where(body, escalation)
        if handed is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=not_taken(escalation))
            return
        await self._show_decided(client, escalation, channel=channel, ts=ts)

    async def _escalation(self, escalation_id: int) -> Escalation | None:
        async with self._store.transaction() as tx:
            return await tx.get_escalation(escalation_id)

    async def _show_decided(
        self, client: AsyncWebClient, escalation: Escalation, *, channel: str, ts: str
    ) -> None:
        view = await self._store.case_view(escalation.case_id)
        if view is None:
            return
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=escalation_text(escalation),
            blocks=decided_blocks(view, escalation),
        )


async def _first_name(client: AsyncWebClient, user: str) -> str | None:
    """The first name the customer is told; None (they read "a colleague") if unknown."""
    try:
        response = await client.users_info(user=user)
    except SlackApiError:
        logger.warning("slack users.info failed for user=%s; the customer reads no name", user)
        return None
    found = response.get("user") or {}
    profile = found.get("profile") or {}
    name = str(profile.get("first_name") or found.get("real_name") or "").strip()
    return name.split()[0] if name else None


def _where(body: dict[str, Any], escalation: Escalation) -> tuple[str, str]:
    """The channel and ts of the clicked post (the stored ones if Slack did not say)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or escalation.slack_channel or ""
    ts = container.get("message_ts") or escalation.slack_ts or ""
    return str(channel), str(ts)
