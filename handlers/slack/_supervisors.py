"""The supervisors' view in Slack: the App Home and the `/settle` command, through Bolt.

Both show what the desk holds to anyone in an authority tier, and nothing to anyone else.
`/settle` answers in the command's response (seen only by whoever typed it), inside the
3 seconds Slack waits for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import Authority, DeskReport, desk_report
from bot.ports import Clock, Store
from handlers.slack._groups import UserGroups
from messages import (
    HOME_REFRESH,
    case_blocks,
    case_not_found,
    home_view,
    not_on_desk,
    settle_help,
    stats_blocks,
)

__all__ = ["COMMAND", "SupervisorDesk"]

logger = logging.getLogger(__name__)

COMMAND = "/settle"
# Answers to `/settle` are seen only by whoever typed it.
_PRIVATE = "ephemeral"


class SupervisorDesk:
    """The App Home of the desk and the `/settle` command."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        authority: Authority,
        groups: UserGroups,
        *,
        staff_zone: str = "UTC",
    ) -> None:
        self._store = store
        self._clock = clock
        self._authority = authority
        self._groups = groups
        self._zone = ZoneInfo(staff_zone)

    def install(self, app: AsyncApp) -> None:
        app.event("app_home_opened")(self.home_opened)
        app.action(HOME_REFRESH)(self.refresh)
        app.command(COMMAND)(self.command)

    async def home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish the desk to whoever opened the Home tab (not the Messages tab)."""
        if event.get("tab", "home") != "home":
            return
        await self._publish(client, str(event["user"]))

    async def refresh(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._publish(client, str(body["user"]["id"]))

    async def command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """`/settle case ID`, `/settle stats` or `/settle help`."""
        started = time.perf_counter()
        user = str(command.get("user_id", ""))
        word, _, rest = str(command.get("text") or "").strip().partition(" ")
        word = word.lower()
        if word in {"", "help"}:
            await ack(text=settle_help(), response_type=_PRIVATE)
        elif word not in {"case", "stats"}:
            await ack(text=settle_help(word), response_type=_PRIVATE)
        elif not await self._on_desk(client, user):
            await ack(text=not_on_desk(), response_type=_PRIVATE)
        elif word == "stats":
            blocks = stats_blocks(await self._report())
            await ack(text="Today on the desk", blocks=blocks, response_type=_PRIVATE)
        else:
            await self._case(ack, rest.strip())
        elapsed = (time.perf_counter() - started) * 1000
        logger.info("slack command %s %s user=%s duration_ms=%.1f", COMMAND, word, user, elapsed)

    async def _case(self, ack: AsyncAck, text: str) -> None:
        view = await self._store.case_view(int(text)) if text.isdigit() else None
        if view is None:
            await ack(text=case_not_found(text or "given"), response_type=_PRIVATE)
            return
        async with self._store.transaction() as tx:
            escalation = await tx.open_escalation_of(view.case.id)
        blocks = case_blocks(view, escalation)
        await ack(text=f"Case {view.case.id}", blocks=blocks, response_type=_PRIVATE)

    async def _publish(self, client: AsyncWebClient, user: str) -> None:
        started = time.perf_counter()
        if await self._on_desk(client, user):
            report = await self._report()
            view, waiting = home_view(report), len(report.waiting)
        else:
            view, waiting = _off_desk(), 0
        await client.views_publish(user_id=user, view=view)
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "slack home published user=%s waiting=%d duration_ms=%.1f", user, waiting, elapsed
        )

    async def _on_desk(self, client: AsyncWebClient, user: str) -> bool:
        groups = await self._groups.of(client, user)
        return self._authority.tier_of(user, groups) is not None

    async def _report(self) -> DeskReport:
        return await desk_report(self._store, now=self._clock.now(), zone=self._zone)


def _off_desk() -> dict[str, Any]:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": not_on_desk()}}
    return {"type": "home", "blocks": [section]}
