"""Slack fixtures: the Web API emulator, settings pointing at it, and an escalated case."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route

from bot import (
    CaseStatus,
    CaseType,
    Customer,
    Escalation,
    EscalationReason,
    Reason,
    Settings,
)
from bot._escalations import escalate
from bot.ports import Store
from handlers.emulators import SlackEmulator
from handlers.slack import build_slack_app, slack_endpoint
from tests.conftest import FixedClock, served

PHONE = "+972 54-123-4567"
EMAIL = "dana.levi@company.example"
SECRET = "slack-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(signing_secret=SECRET) as emulator:
        yield emulator


@pytest.fixture
def slack_settings(settings: Settings, slack: SlackEmulator) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(slack.token),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_base_url": slack.base_url,
            "slack_escalation_channel": "C-DESK",
            "slack_routes": "reason=dispute:C-DISPUTES,language=he:C-HE",
        }
    )


async def open_escalation(
    store: Store,
    clock: FixedClock,
    *,
    reason: EscalationReason = EscalationReason.DISPUTE,
    locale: str = "en_US",
    request: str | None = "I never ordered this. Call me on +972 54-123-4567",
) -> Escalation:
    async with store.transaction() as tx:
        await tx.upsert_customer(
            Customer("C-1001", name="Dana Levi", phone=PHONE, email=EMAIL, locale=locale)
        )
        case = await tx.insert_case(
            customer_id="C-1001",
            case_type=CaseType.A,
            reason=Reason.CARD_DECLINED,
            status=CaseStatus.CONTACTING,
            opened_at=clock.now(),
            why={},
        )
        return await escalate(
            tx,
            case,
            reason,
            now=clock.now(),
            actor="customer",
            why="customer asked",
            request=request,
        )


@pytest.fixture
async def events_url(
    slack_settings: Settings, store: Store, clock: FixedClock
) -> AsyncIterator[str]:
    app = build_slack_app(slack_settings, store, clock)
    web = Starlette(routes=[Route("/slack/events", slack_endpoint(app), methods=["POST"])])
    async with served(web) as port:
        yield f"http://127.0.0.1:{port}/slack/events"
