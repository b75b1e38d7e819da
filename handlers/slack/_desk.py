"""Staff decisions on escalations: the buttons of a post and the counter-offer form, answered
through Bolt.

A decision counts only within the clicker's authority tier (`bot.Authority`), and only the
first one does (a conditional update in storage): its post is replaced by the decided
version, without buttons, and an audit record names the Slack user and tier. A click
beyond the clicker's tier is answered with the tier needed and a button to send the
escalation up; a later click, a double click or the loser of a race gets "already decided".
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import (
    Decisions,
    Escalation,
    InvalidInput,
    Money,
    Offer,
    Ruling,
    StaffDecision,
    TakeOver,
)
from bot._decisions import COUNTER as COUNTERED
from bot._offers import MAX_INSTALMENTS
from bot.ports import AuditRecord, Clock, Store
from handlers.slack._groups import UserGroups
from messages import (
    COUNTER_CALLBACK,
    SEND_UP,
    above_tier,
    already_decided,
    counter_modal,
    decided_blocks,
    escalation_blocks,
    escalation_text,
    no_tier,
    not_taken,
    note_text,
    sent_up_text,
    taken_over_text,
)

__all__ = ["OFFERED_ACTIONS", "EscalationDesk", "read_counter"]

logger = logging.getLogger(__name__)

APPROVE = "settle_approve"
REJECT = "settle_reject"
COUNTER = "settle_counter"
ASSIGN = "settle_assign"
TAKE_OVER = "settle_take_over"
HAND_BACK = "settle_hand_back"  # offered by `messages` in place of these once taken over
# The buttons a post offers, each with its listener here.
OFFERED_ACTIONS = (APPROVE, REJECT, COUNTER, TAKE_OVER, ASSIGN)
_DECISIONS = {APPROVE: "approve", REJECT: "reject"}
# Slack retries an event it saw no answer to within 3 s (X-Slack-Retry-Num); these many
# event ids are remembered to answer a retry without handling it twice.
_SEEN_EVENTS = 10_000
# A counter-offer's first payment is suggested this far out, and may be set this far at most.
_COUNTER_LEAD = timedelta(days=7)
_COUNTER_LATEST = timedelta(days=90)


class EscalationDesk:
    """The listeners of the escalation buttons, and the event retry filter."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        decisions: Decisions,
        *,
        groups: UserGroups | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._decisions = decisions
        self._groups = groups or UserGroups(decisions.authority)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._take_over = TakeOver(store, clock)

    def install(self, app: AsyncApp) -> None:
        app.middleware(self.skip_retried_events)
        app.action(APPROVE)(self.decide)
        app.action(REJECT)(self.decide)
        app.action(COUNTER)(self.counter)
        app.view(COUNTER_CALLBACK)(self.counter_submit)
        app.action(SEND_UP)(self.send_up)
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
        if event_id in self._seen or not await self._first_delivery(event_id):
            logger.info("slack event=%s already handled; retry skipped", event_id)
            return BoltResponse(status=200, body="")
        self._seen[event_id] = None
        if len(self._seen) > _SEEN_EVENTS:
            self._seen.popitem(last=False)
        await next()
        return None

    async def _first_delivery(self, event_id: str) -> bool:
        """Asked of storage too when it keeps deliveries, so that a restart forgets none."""
        first_delivery = getattr(self._store, "first_delivery", None)
        return True if first_delivery is None else bool(await first_delivery(event_id))

    async def decide(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Approve or reject: the first click within authority counts; the others are told why."""
        await ack()
        started = time.perf_counter()
        action, user = body["actions"][0], body["user"]["id"]
        decision = _DECISIONS[action["action_id"]]
        escalation_id = int(action["value"])
        groups = await self._groups.of(client, user)
        outcome = await self._decisions.decide(escalation_id, decision, by=user, groups=groups)
        await self._answer(client, body, user, outcome)
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "escalation=%d %s by user=%s ruling=%s duration_ms=%.1f",
            escalation_id,
            decision,
            user,
            outcome.ruling,
            duration_ms,
        )

    async def counter(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Open the counter-offer form (first: its trigger lives about 3 s)."""
        await ack()
        escalation_id, user = int(body["actions"][0]["value"]), body["user"]["id"]
        escalation = await self._escalation(escalation_id)
        view = None if escalation is None else await self._store.case_view(escalation.case_id)
        if escalation is None or view is None:
            return
        channel, _ts = _where(body, escalation)
        if not escalation.is_open:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=already_decided(escalation)
            )
            return
        if self._decisions.authority.tier_of(user, await self._groups.of(client, user)) is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=no_tier())
            return
        first = (self._clock.now() + _COUNTER_LEAD).date()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=counter_modal(view, escalation, first_due=first),
        )

    async def counter_submit(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A submitted counter-offer: bad fields and terms beyond the tier are answered in
        the form; otherwise the offer goes to the customer and the post shows it."""
        user, submitted = body["user"]["id"], body["view"]
        escalation = await self._escalation(int(submitted["private_metadata"]))
        if escalation is None:
            await ack(response_action="errors", errors={"amount": "This escalation is gone."})
            return
        view = await self._store.case_view(escalation.case_id)
        due = None if view is None else view.case.amount_due
        today = self._clock.now().date()
        read = read_counter(_values(submitted), owed=due, today=today)
        if isinstance(read, dict):
            await ack(response_action="errors", errors=read)
            return
        offer, note = read
        groups = await self._groups.of(client, user)
        outcome = await self._decisions.decide(
            escalation.id, COUNTERED, by=user, groups=groups, offer=offer, note=note
        )
        if outcome.ruling is Ruling.ABOVE_TIER:
            await ack(response_action="errors", errors=_tier_errors(outcome))
            return
        if outcome.ruling is Ruling.NO_TIER:
            await ack(response_action="errors", errors={"amount": no_tier()})
            return
        if outcome.ruling is Ruling.ALREADY and outcome.escalation is not None:
            errors = {"amount": already_decided(outcome.escalation)}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        decided = outcome.escalation
        if decided is None or not decided.slack_channel or not decided.slack_ts:
            return
        await self._show_decided(
            client, decided, channel=decided.slack_channel, ts=decided.slack_ts
        )
        if note:
            await client.chat_postMessage(
                channel=decided.slack_channel,
                thread_ts=decided.slack_ts,
                text=note_text(user, note),
            )

    async def send_up(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Mark the escalation for the tier its terms need, and call that tier in the thread."""
        await ack()
        escalation_id, user = int(body["actions"][0]["value"]), body["user"]["id"]
        groups = await self._groups.of(client, user)
        outcome = await self._decisions.send_up(escalation_id, by=user, groups=groups)
        escalation = outcome.escalation
        if escalation is None:
            return
        channel, ts = escalation.slack_channel or "", escalation.slack_ts or ""
        if outcome.ruling is Ruling.ALREADY:
            text = already_decided(escalation)
            await client.chat_postEphemeral(channel=_channel(body, channel), user=user, text=text)
            return
        if outcome.needed is None:
            text = "There is no higher tier to send this to."
            await client.chat_postEphemeral(channel=_channel(body, channel), user=user, text=text)
            return
        view = await self._store.case_view(escalation.case_id)
        if view is not None and channel and ts:
            blocks = escalation_blocks(view, escalation, actions=OFFERED_ACTIONS)
            await client.chat_update(
                channel=channel, ts=ts, text=escalation_text(escalation), blocks=blocks
            )
            text = sent_up_text(escalation, outcome.needed, user)
            await client.chat_postMessage(channel=channel, thread_ts=ts, text=text)

    async def _answer(
        self, client: AsyncWebClient, body: dict[str, Any], user: str, outcome: StaffDecision
    ) -> None:
        """Show a counted decision on the post; tell the clicker why one did not count."""
        escalation = outcome.escalation
        if escalation is None:
            logger.warning("slack click on an unknown escalation by user=%s", user)
            return
        channel, ts = _where(body, escalation)
        if outcome.counted:
            await self._show_decided(client, escalation, channel=channel, ts=ts)
            return
        if outcome.ruling is Ruling.ALREADY:
            text, blocks = already_decided(escalation), None
        elif outcome.ruling is Ruling.NO_TIER or outcome.tier is None:
            text, blocks = no_tier(), None
        else:
            text, blocks = above_tier(escalation, outcome.tier, outcome.needed, outcome.breaches)
        await client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)

    async def assign(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Take the escalation: the post names the assignee and the audit records it."""
        await ack()
        action, user = body["actions"][0], body["user"]["id"]
        escalation_id = int(action["value"])
        now = self._clock.now()
        groups = await self._groups.of(client, user)
        async with self._store.transaction() as tx:
            escalation = await tx.get_escalation(escalation_id)
            if escalation is None:
                return
            channel, ts = _where(body, escalation)
            if self._decisions.authority.tier_of(user, groups) is None:
                await client.chat_postEphemeral(channel=channel, user=user, text=no_tier())
                return
            if not await tx.assign_escalation(escalation_id, to=user):
                text = already_decided(escalation)
                await client.chat_postEphemeral(channel=channel, user=user, text=text)
                return
            detail = {"escalation": escalation_id, "assignee": user}
            why = f"assigned escalation {escalation_id} in Slack"
            await tx.audit(
                AuditRecord(
                    now, user, "assigned", why, escalation.case_id, escalation.customer_id, detail
                )
            )
            assigned = await tx.get_escalation(escalation_id) or escalation
        view = await self._store.case_view(escalation.case_id)
        if view is None:
            return
        blocks = escalation_blocks(view, assigned, actions=OFFERED_ACTIONS)
        await client.chat_update(
            channel=channel, ts=ts, text=escalation_text(assigned), blocks=blocks
        )
        logger.info("escalation=%d assigned user=%s", escalation_id, user)

    async def take_over(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The clicker talks with the customer; the bot keeps quiet on the case meanwhile."""
        await ack()
        escalation_id, user = int(body["actions"][0]["value"]), body["user"]["id"]
        if not await self._in_a_tier(client, body, escalation_id, user):
            return
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
        if not await self._in_a_tier(client, body, escalation_id, user):
            return
        handed = await self._take_over.hand_back(escalation_id, by=user)
        escalation = handed or await self._escalation(escalation_id)
        if escalation is None:
            return
        channel, ts = _where(body, escalation)
        if handed is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=not_taken(escalation))
            return
        await self._show_decided(client, escalation, channel=channel, ts=ts)

    async def _in_a_tier(
        self, client: AsyncWebClient, body: dict[str, Any], escalation_id: int, user: str
    ) -> bool:
        """Whether the clicker is in an authority tier; if not, they are told so."""
        groups = await self._groups.of(client, user)
        if self._decisions.authority.tier_of(user, groups) is not None:
            return True
        escalation = await self._escalation(escalation_id)
        if escalation is not None:
            channel, _ts = _where(body, escalation)
            await client.chat_postEphemeral(channel=channel, user=user, text=no_tier())
        logger.info("escalation=%d click refused user=%s: in no tier", escalation_id, user)
        return False

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


def _channel(body: dict[str, Any], fallback: str) -> str:
    container = body.get("container") or {}
    return str(container.get("channel_id") or fallback)


def _values(view: dict[str, Any]) -> dict[str, str]:
    """What was typed or picked in each input block of a submitted modal."""
    found = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        for element in actions.values():
            value = element.get("value") if "value" in element else element.get("selected_date")
            found[block_id] = "" if value is None else str(value)
    return found


def read_counter(
    values: dict[str, str], *, owed: Money | None, today: date
) -> tuple[Offer, str | None] | dict[str, str]:
    """The offer and note of a counter-offer form, or its errors by field (block id)."""
    if owed is None or owed.minor <= 0:
        return {"amount": "Nothing is owed on this case any more."}
    errors = {}
    try:
        total = Money.parse(values.get("amount", ""), owed.currency, field="amount")
    except InvalidInput as error:
        errors["amount"] = f"Enter an amount such as {owed.to_decimal()} ({error.message})."
        total = None
    text = values.get("instalments", "").strip()
    count = int(text) if text.isdigit() and 1 <= int(text) <= MAX_INSTALMENTS else None
    if count is None:
        errors["instalments"] = (
            f"Enter a whole number of monthly payments, from 1 to {MAX_INSTALMENTS}."
        )
    first = None
    try:
        first = date.fromisoformat(values.get("first_due", ""))
    except ValueError:
        errors["first_due"] = "Pick the date of the first payment."
    if first is not None and not today <= first <= today + _COUNTER_LATEST:
        latest = (today + _COUNTER_LATEST).isoformat()
        errors["first_due"] = f"Pick a date from {today.isoformat()} to {latest}."
    if errors or total is None or count is None or first is None:
        return errors
    try:
        offer = Offer(owed=owed, total=total, count=count, first_due=first)
    except InvalidInput as error:
        return {error.field: f"{error.message[:1].upper()}{error.message[1:]}."}
    note = values.get("note", "").strip() or None
    return offer, note


def _tier_errors(outcome: StaffDecision) -> dict[str, str]:
    """Beyond the tier: each field that goes past a limit, with the limit and the tier."""
    errors: dict[str, str] = {}
    tier = outcome.tier.name if outcome.tier else "yours"
    needed = f" Tier {outcome.needed.name} may." if outcome.needed else " No tier may."
    for breach in outcome.breaches:
        said = errors.get(breach.field)
        limit = f"Your tier, {tier}, allows {breach.limit}."
        errors[breach.field] = f"{said} {limit}" if said else limit
    return {field: f"{text}{needed}" for field, text in errors.items()}
