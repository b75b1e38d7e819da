"""Arbitrary input to `POST /slack/events`: never a 5xx, no listener failure, and no decision
by someone outside the authority tiers, whatever a signed payload claims.

A real escalation is posted first; each example then sends a click built from Slack's own
block_actions payload with its user, action, value and shape mutated, an Events API
delivery with an arbitrary event, arbitrary bytes (signed or not), or a body over the
size limit.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from bot import Settings
from bot._metrics import Metrics
from bot.ports import Store
from handlers.emulators import SlackEmulator, SlackUser
from handlers.emulators._slack import sign_request
from handlers.slack import build_slack_app, slack_endpoint
from tests.conftest import FixedClock
from tests.fuzzing import FUZZ
from tests.handlers.billing.test_webhooks_fuzz import json_values, scalars
from tests.handlers.slack.conftest import SECRET
from tests.handlers.slack.test_desk import _posted

ANA = SlackUser("U-ANA", "ana")  # the only member of the only tier
LIMIT = 8192
ACTIONS = [
    "settle_approve",
    "settle_reject",
    "settle_counter",
    "settle_assign",
    "settle_take_over",
    "settle_hand_back",
    "settle_send_up",
]


@dataclass
class Desk:
    client: httpx.AsyncClient
    store: Store
    escalation_id: int
    click: dict[str, Any]  # a genuine click of ANA's on Approve


@pytest.fixture
async def desk(
    slack_settings: Settings,
    store: Store,
    clock: FixedClock,
    slack: SlackEmulator,
    tmp_path: Path,
) -> AsyncIterator[Desk]:
    tiers = tmp_path / "authority.toml"
    tiers.write_text('[[tier]]\nname = "staff"\nmembers = ["U-ANA"]\n', encoding="utf-8")
    tuned = slack_settings.model_copy(update={"authority_file": tiers, "max_body_bytes": LIMIT})
    escalation_id, channel, ts = await _posted(tuned, store, clock, slack)
    click = slack.block_actions(ANA, channel=channel, ts=ts, action_id="settle_approve")
    endpoint = slack_endpoint(build_slack_app(tuned, store, clock), tuned, Metrics())
    web = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://slack") as client:
        yield Desk(client, store, escalation_id, click)


_users = st.sampled_from(["U-ANA", "U-BEN", "U-MALLORY", "", "W-1"]) | st.text(max_size=12)
_values = st.one_of(
    st.sampled_from(["1", "2", "999999", "-1", "0", "1.5", "", "null", "1 OR 1=1"]),
    st.text(max_size=12),
    st.integers().map(str),
)
_edit = st.one_of(
    st.tuples(st.just("user.id"), _users),
    st.tuples(st.just("actions.0.action_id"), st.sampled_from(ACTIONS) | st.text(max_size=10)),
    st.tuples(st.just("actions.0.value"), _values),
    st.tuples(st.just("type"), st.sampled_from(["block_actions", "view_submission", "shortcut"])),
    st.tuples(
        st.sampled_from(["user", "actions", "container", "channel", "message", "team", "view"]),
        st.just(...) | scalars | json_values,
    ),
    st.tuples(st.just("actions.0"), scalars | json_values),
)


def _apply(base: dict[str, Any], path: str, value: Any) -> None:
    target: Any = base
    *parents, last = path.split(".")
    for part in parents:
        key: Any = int(part) if part.isdigit() else part
        if (isinstance(target, list) and isinstance(key, int) and key < len(target)) or (
            isinstance(target, dict) and isinstance(target.get(key), dict | list)
        ):
            target = target[key]
        else:
            return
    key = int(last) if last.isdigit() else last
    if isinstance(target, list) and isinstance(key, int) and key < len(target):
        target[key] = value
    elif isinstance(target, dict):
        if value is ...:
            target.pop(key, None)
        else:
            target[key] = value


@dataclass(frozen=True)
class Request:
    kind: str
    edits: tuple[tuple[str, Any], ...] = ()
    raw: bytes = b""
    signed: bool = True

    def build(self, click: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        if self.kind == "click":
            payload = copy.deepcopy(click)
            for path, value in self.edits:
                _apply(payload, path, value)
            body = urlencode({"payload": json.dumps(payload)}).encode()
            kind = "application/x-www-form-urlencoded"
        elif self.kind == "event":
            body = json.dumps(dict(self.edits) | {"type": "event_callback"}).encode()
            kind = "application/json"
        else:
            body, kind = self.raw, "application/x-www-form-urlencoded"
        headers = {"Content-Type": kind}
        if self.signed:
            headers |= sign_request(body, SECRET)
        return body, headers


requests = st.one_of(
    st.builds(Request, st.just("click"), st.lists(_edit, max_size=3).map(tuple)),
    st.builds(Request, st.just("click"), st.lists(_edit, max_size=3).map(tuple)),
    st.builds(
        Request,
        st.just("event"),
        st.tuples(
            st.tuples(st.just("event_id"), st.text(max_size=8) | scalars),
            st.tuples(st.just("event"), json_values),
        ),
    ),
    st.builds(Request, st.just("raw"), raw=st.binary(max_size=300), signed=st.booleans()),
    st.builds(
        Request,
        st.just("raw"),
        raw=st.integers(LIMIT + 1, LIMIT * 3).map(lambda n: b"payload=" + b"x" * n),
    ),
)


@FUZZ
@given(request=requests)
async def test_slack_endpoint_never_fails_and_decides_only_within_authority(
    desk: Desk, caplog: pytest.LogCaptureFixture, request: Request
) -> None:
    body, headers = request.build(desk.click)
    caplog.clear()  # one fixture for every example

    with caplog.at_level(logging.ERROR):
        response = await desk.client.post("/slack/events", content=body, headers=headers)
    async with desk.store.transaction() as tx:
        escalation = await tx.get_escalation(desk.escalation_id)

    event(f"{request.kind} {response.status_code}")
    assert response.status_code in (200, 400, 401, 404, 413), response.text
    if not request.signed:
        assert response.status_code == 401
    if len(body) > LIMIT:
        assert response.status_code == 413
    assert escalation is not None
    assert escalation.decided_by in (None, "U-ANA")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
