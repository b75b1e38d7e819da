"""The pre-legal stage's decisions in Slack: enabling the final warning letter, and handing a
case over to legal or keeping it, each a button of the stage's escalations.

Every click is checked on the server whatever the payload says: the clicker's tier, the
escalation's reason and state, and for a hand-off the letter's deadline (COMPLIANCE rules
15 and 17). Only the first decision counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import Escalation, Ruling, StaffDecision
from bot._handoff import Handoff
from bot._letters import Letters
from bot.ports import Store
from handlers.slack._groups import UserGroups
from messages import (
    already_decided,
    decided_blocks,
    escalation_text,
    handed_over_text,
    letter_sent_text,
    no_tier,
    settled_since,
    too_early,
    unknown_escalation,
)

__all__ = ["LegalDesk"]

logger = logging.getLogger(__name__)

LETTER = "settle_letter"
LEGAL = "settle_legal"
KEEP = "settle_keep"


class LegalDesk:
    """The listeners of the letter and hand-off buttons."""

    def __init__(
        self, store: Store, letters: Letters, handoff: Handoff, groups: UserGroups
    ) -> None:
        self._store = store
        self._letters = letters
        self._handoff = handoff
        self._groups = groups

    def install(self, app: AsyncApp) -> None:
        app.action(LETTER)(self.letter)
        app.action(LEGAL)(self.legal)
        app.action(KEEP)(self.keep)

    async def letter(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Enable the final warning letter: rendered, kept with its hash, sent."""
        await ack()
        started, (escalation_id, user) = time.perf_counter(), _click(body)
        groups = await self._groups.of(client, user)
        outcome = await self._letters.enable(escalation_id, by=user, groups=groups)
        await self._answer(client, body, user, outcome, said=letter_sent_text)
        _log("letter", escalation_id, user, outcome, started)

    async def legal(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Hand the case over to legal, if its letter's deadline passed with nothing agreed."""
        await ack()
        started, (escalation_id, user) = time.perf_counter(), _click(body)
        groups = await self._groups.of(client, user)
        outcome = await self._handoff.confirm(escalation_id, by=user, groups=groups)

        def said(escalation: Escalation, who: str) -> str:
            folder = self._handoff.folder_of(escalation.case_id)
            return handed_over_text(escalation, who, str(folder))

        await self._answer(client, body, user, outcome, said=said)
        _log("legal", escalation_id, user, outcome, started)

    async def keep(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        started, (escalation_id, user) = time.perf_counter(), _click(body)
        groups = await self._groups.of(client, user)
        outcome = await self._handoff.keep(escalation_id, by=user, groups=groups)
        await self._answer(client, body, user, outcome, said=None)
        _log("keep", escalation_id, user, outcome, started)

    async def _answer(
        self,
        client: AsyncWebClient,
        body: dict[str, Any],
        user: str,
        outcome: StaffDecision,
        *,
        said: Callable[[Escalation, str], str] | None,
    ) -> None:
        escalation = outcome.escalation
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (escalation and escalation.slack_channel))
        ts = str(container.get("message_ts") or (escalation and escalation.slack_ts) or "")
        if outcome.counted and escalation is not None:
            view = await self._store.case_view(escalation.case_id)
            if view is not None and ts:
                blocks = decided_blocks(view, escalation)
                text = escalation_text(escalation)
                await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            if said is not None and ts:
                text = said(escalation, user)
                await client.chat_postMessage(channel=channel, thread_ts=ts, text=text)
            return
        await client.chat_postEphemeral(channel=channel, user=user, text=_refusal(outcome))


def _refusal(outcome: StaffDecision) -> str:
    escalation = outcome.escalation
    if outcome.ruling is Ruling.NO_TIER:
        return no_tier()
    if escalation is None:
        return unknown_escalation()
    if outcome.ruling is Ruling.TOO_EARLY:
        return too_early(escalation)
    if outcome.ruling is Ruling.SETTLED:
        return settled_since(escalation)
    return already_decided(escalation)


def _click(body: dict[str, Any]) -> tuple[int, str]:
    value = str(body["actions"][0].get("value", ""))
    return (int(value) if value.isdigit() else 0), str(body["user"]["id"])


def _log(kind: str, escalation_id: int, user: str, outcome: StaffDecision, started: float) -> None:
    logger.info(
        "slack %s escalation=%d user=%s ruling=%s duration_ms=%.1f",
        kind,
        escalation_id,
        user,
        outcome.ruling,
        (time.perf_counter() - started) * 1000,
    )
