"""The Slack poster: an escalation from the outbox, routed, masked, posted once."""

from __future__ import annotations

import json
import time

import pytest

from bot import ConfigurationError, Contact, ContactStatus, EscalationReason, Settings
from bot.ports import Store
from handlers.emulators import SlackEmulator
from handlers.slack import SlackPoster, SlackRouting, slack_client
from tests.conftest import FixedClock
from tests.handlers.slack.conftest import EMAIL, PHONE, open_escalation


def _contact(escalation_id: int, clock: FixedClock) -> Contact:
    params = {"escalation": escalation_id}
    return Contact(
        1, 1, "C-1001", "slack", "escalation", params, ContactStatus.SENDING, clock.now(), 0
    )


def _poster(settings: Settings, store: Store) -> SlackPoster:
    return SlackPoster(slack_client(settings), store, SlackRouting.from_settings(settings))


async def test_a_dispute_is_posted_to_the_disputes_channel_and_stored(
    slack_settings: Settings, slack: SlackEmulator, store: Store, clock: FixedClock
) -> None:
    escalation = await open_escalation(store, clock)

    result = await _poster(slack_settings, store).send(_contact(escalation.id, clock))

    call = slack.calls("chat.postMessage")[0]
    async with store.transaction() as tx:
        stored = await tx.get_escalation(escalation.id)
    assert stored is not None
    assert (call.params["channel"], stored.slack_channel) == ("C-DISPUTES", "C-DISPUTES")
    assert stored.slack_ts == result.channel_message_id == call.response["ts"]


async def test_an_escalation_no_rule_matches_goes_to_the_default_channel(
    slack_settings: Settings, slack: SlackEmulator, store: Store, clock: FixedClock
) -> None:
    escalation = await open_escalation(store, clock, reason=EscalationReason.HARDSHIP)

    await _poster(slack_settings, store).send(_contact(escalation.id, clock))

    assert slack.calls("chat.postMessage")[0].params["channel"] == "C-DESK"


async def test_the_post_carries_masked_contact_details_only(
    slack_settings: Settings, slack: SlackEmulator, store: Store, clock: FixedClock
) -> None:
    escalation = await open_escalation(store, clock)

    await _poster(slack_settings, store).send(_contact(escalation.id, clock))

    recorded = json.dumps([call.params for call in slack.calls()], ensure_ascii=False)
    assert "+972 •••• ••67" in recorded
    assert "d•••@c•••.example" in recorded
    for secret in (PHONE, "541234567", "123-4567", EMAIL, "dana.levi", "Dana Levi"):
        assert secret not in recorded


async def test_a_rate_limited_post_is_retried_after_retry_after(
    slack_settings: Settings, slack: SlackEmulator, store: Store, clock: FixedClock
) -> None:
    escalation = await open_escalation(store, clock)
    slack.fail_next("chat.postMessage", retry_after=1)

    started = time.monotonic()
    await _poster(slack_settings, store).send(_contact(escalation.id, clock))

    statuses = [call.status for call in slack.calls("chat.postMessage")]
    assert statuses == [429, 200]
    assert time.monotonic() - started >= 1.0


def test_a_malformed_route_names_the_setting(slack_settings: Settings) -> None:
    bad = slack_settings.model_copy(update={"slack_routes": "reason=dispute"})

    with pytest.raises(ConfigurationError, match=r"SETTLE_SLACK_ROUTES.*'reason=dispute'"):
        SlackRouting.from_settings(bad)
