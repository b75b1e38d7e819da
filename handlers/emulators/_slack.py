"""A local Slack Web API that slack_sdk reaches through its ``base_url``, and Slack's side.

It answers the methods Settle uses with the shapes of https://api.slack.com/methods,
records every call and injects faults (a 429 carries ``Retry-After`` as Slack's rate limits
do, https://api.slack.com/apis/rate-limits). It also plays Slack towards our
``POST /slack/events``: it builds requests signed as Slack signs them
(https://api.slack.com/authentication/verifying-requests-from-slack), interactivity as a
form field ``payload=<json>`` and events as JSON, starting from a real ``block_actions``
payload. Messages are kept as posted; mrkdwn is not rendered.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from handlers.emulators._requests import JSONDict
from handlers.emulators._serving import LoopbackServer
from handlers.emulators._socket_mode import SocketModeServer

__all__ = ["SlackCall", "SlackEmulator", "SlackUser", "sign_request"]

logger = logging.getLogger(__name__)

_Handler = Callable[[JSONDict], Awaitable[JSONDict]]

# A real block_actions payload (slack-bolt's test data), adapted per click.
_BLOCK_ACTIONS = Path(__file__).with_name("slack_block_actions.json")
# A real view_submission payload (slack-bolt's test data), filled in per submission.
_VIEW_SUBMISSION = Path(__file__).with_name("slack_view_submission.json")
# Fields that slack_sdk form-encodes as JSON strings.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata"})


@dataclass(frozen=True, slots=True)
class SlackUser:
    """A member of the staff workspace who clicks buttons."""

    id: str
    name: str = "agent"
    team_id: str = "T111"

    def to_dict(self) -> JSONDict:
        """Return the user as block_actions payloads carry it."""
        return {"id": self.id, "username": self.name, "name": self.name, "team_id": self.team_id}


@dataclass(frozen=True, slots=True)
class SlackCall:
    """One Web API request the emulator answered (or a POST to a response_url)."""

    method: str
    params: JSONDict
    time: float
    status: int
    response: JSONDict

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


class _SlackError(Exception):
    def __init__(self, error: str, *, status: int = 200, retry_after: int | None = None):
        super().__init__(error)
        self.status = status
        self.retry_after = retry_after
        self.body: JSONDict = {"ok": False, "error": error}


def sign_request(body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``: the timestamp and the v0 HMAC-SHA256 of both."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


class SlackEmulator:
    """A Web API server for one bot in one workspace, with a call record and fault injection."""

    def __init__(
        self,
        token: str = "xoxb-emulator-token",  # noqa: S107 - a fake token, no secret
        *,
        signing_secret: str = "emulator-signing-secret",  # noqa: S107 - a fake secret
        app_token: str = "xapp-emulator-token",  # noqa: S107 - a fake token, no secret
        team_id: str = "T111",
        bot_user_id: str = "UBOT",
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.socket_mode = SocketModeServer()
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/_emulator/response/{key}", self._response_endpoint, methods=["POST"]),
            ]
        )
        self._calls: list[SlackCall] = []
        self._messages: dict[tuple[str, str], JSONDict] = {}
        self._views: dict[str, JSONDict] = {}
        self._users: dict[str, SlackUser] = {}
        self._ephemeral: dict[tuple[str, str], JSONDict] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group id -> its members' ids
        self._faults: dict[str, list[_SlackError]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._server = LoopbackServer("Slack")
        self._methods: dict[str, _Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._views_open,
            "views.publish": self._views_publish,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "apps.connections.open": self._connections_open,
        }

    # Serving.

    async def start(self, *, port: int = 0) -> Self:
        """Serve the app with uvicorn on 127.0.0.1, on a free port unless one is given, and
        the Socket Mode endpoint beside it."""
        await self._server.start(self.app, port=port)
        await self.socket_mode.start()
        return self

    async def stop(self) -> None:
        """Stop the servers, if they run."""
        await self.socket_mode.stop()
        await self._server.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def origin(self) -> str:
        if not self._server.running:
            msg = "the Slack emulator is not serving; call start(), or mount .app yourself"
            raise RuntimeError(msg)
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def base_url(self) -> str:
        """Return the URL to give ``AsyncWebClient(base_url=...)``, with its trailing slash."""
        return f"{self.origin}/api/"

    # The record.

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Return the recorded calls, of one method if given, oldest first."""
        return [call for call in self._calls if method in (None, call.method)]

    def message(self, channel: str, ts: str) -> JSONDict:
        """Return a posted message as the channel shows it now."""
        return copy.deepcopy(self._messages[(channel, ts)])

    def messages(self, channel: str | None = None) -> list[JSONDict]:
        """Return the bot's messages, of one channel if given, in posting order."""
        found = [m for key, m in self._messages.items() if channel in (None, key[0])]
        return copy.deepcopy(found)

    def snapshot(self) -> JSONDict:
        """The workspace as JSON (messages, ephemeral messages, views, members), for a host
        that restarts and restores them; calls are left out."""
        return copy.deepcopy(
            {
                "messages": [[c, ts, m] for (c, ts), m in self._messages.items()],
                "ephemeral": [[c, ts, m] for (c, ts), m in self._ephemeral.items()],
                "views": self._views,
                "users": [[u.id, u.name, u.team_id] for u in self._users.values()],
                "next_id": next(self._ids),
            }
        )

    def restore(self, state: JSONDict) -> None:
        """Take back the workspace of a snapshot()."""
        state = copy.deepcopy(state)
        self._messages.update({(c, ts): m for c, ts, m in state["messages"]})
        self._ephemeral.update({(c, ts): m for c, ts, m in state["ephemeral"]})
        self._views.update(state["views"])
        for user_id, name, team_id in state["users"]:
            self._users.setdefault(user_id, SlackUser(user_id, name, team_id))
        self._ids = itertools.count(int(state["next_id"]))

    def clear(self) -> None:
        """Forget recorded calls; messages stay."""
        self._calls.clear()

    def add_user(self, user: SlackUser) -> None:
        """Make a member known to users.info."""
        self._users[user.id] = user

    async def wait_for(
        self,
        match: str | Callable[[SlackCall], bool],
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helper's deadline saves each test a wrapper
    ) -> SlackCall:
        """Wait until ``count`` calls of a method (or matching a predicate) were recorded;
        return the last of them."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found := self._matching(match)) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [call.method for call in self._calls[-10:]]
                msg = f"no {count} call(s) of {match} within {timeout} s; last calls: {seen}"
                raise TimeoutError(msg)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return found[count - 1]

    def _matching(self, match: str | Callable[[SlackCall], bool]) -> list[SlackCall]:
        if isinstance(match, str):
            return self.calls(match)
        return [call for call in self._calls if match(call)]

    # Fault injection.

    def fail_next(
        self, method: str, *, retry_after: int = 1, times: int = 1, error: str | None = None
    ) -> None:
        """Make the next ``times`` calls of a method fail: a 429 unless ``error`` is given."""
        if method not in self._methods:
            known = sorted(self._methods)
            msg = f"unknown method {method!r} in fail_next(); the emulator answers {known}"
            raise ValueError(msg)
        fault = (
            _SlackError(error)
            if error
            else _SlackError("ratelimited", status=429, retry_after=retry_after)
        )
        self._faults.setdefault(method, []).extend([fault] * times)

    # Slack's side: signed requests to the app.

    def response_url(self) -> str:
        """A response_url of this emulator; what is POSTed to it is recorded as "response_url"."""
        return f"{self.origin}/_emulator/response/{next(self._ids)}"

    def block_actions(
        self,
        user: SlackUser,
        *,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
    ) -> JSONDict:
        """A block_actions payload for a click on a button of a posted message.

        The button must be in the message (as Slack only sends clicks on what it shows);
        ``value`` overrides the button's own.
        """
        message = self._messages.get((channel, ts)) or self._ephemeral.get((channel, ts))
        if message is None:
            msg = f"no message {ts} in channel {channel}; click a button the bot posted"
            raise LookupError(msg)
        block, button = _find_button(message, action_id)
        payload: JSONDict = json.loads(_BLOCK_ACTIONS.read_text())
        payload["user"] = user.to_dict()
        payload["team"] = {"id": self.team_id, "domain": "settle-staff"}
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": (channel, ts) in self._ephemeral,
        }
        payload["trigger_id"] = f"{next(self._ids)}.{self.team_id}.trigger"
        payload["channel"] = {"id": channel, "name": channel.lower()}
        payload["message"] = copy.deepcopy(message)
        payload["response_url"] = self.response_url()
        payload["actions"] = [
            {
                "action_id": action_id,
                "block_id": block.get("block_id", ""),
                "text": button["text"],
                "value": button.get("value", "") if value is None else value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ]
        return payload

    def home_actions(self, user: SlackUser, action_id: str) -> JSONDict:
        """A block_actions payload for a click on a button of ``user``'s App Home."""
        view = self._views.get(f"home-{user.id}")
        if view is None:
            msg = f"no App Home published for {user.id}; open it first"
            raise LookupError(msg)
        block, button = _find_button(view, action_id)
        payload: JSONDict = json.loads(_BLOCK_ACTIONS.read_text())
        for key in ("channel", "message", "response_url"):
            payload.pop(key, None)
        payload["user"] = user.to_dict()
        payload["team"] = {"id": self.team_id, "domain": "settle-staff"}
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = copy.deepcopy(view)
        payload["trigger_id"] = f"{next(self._ids)}.{self.team_id}.trigger"
        payload["actions"] = [
            {
                "action_id": action_id,
                "block_id": block.get("block_id", ""),
                "text": button["text"],
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ]
        return payload

    def view_submission(self, user: SlackUser, view_id: str, values: dict[str, str]) -> JSONDict:
        """A view_submission payload for the modal `view_id` with its inputs filled in.

        `values` maps each input block's block_id to what the user typed or picked; the
        state carries it under the block's action_id, typed as the block's element.
        """
        view = self._views.get(view_id)
        if view is None or view.get("type") != "modal":
            msg = f"no modal {view_id}; submit a modal the app opened"
            raise LookupError(msg)
        state: JSONDict = {}
        for block in view.get("blocks") or []:
            if block.get("type") != "input" or block.get("block_id") not in values:
                continue
            element = block["element"]
            value = values[block["block_id"]]
            typed: JSONDict = {"type": element["type"]}
            if element["type"] == "datepicker":
                typed["selected_date"] = value
            else:
                typed["value"] = value
            state[block["block_id"]] = {element["action_id"]: typed}
        unknown = set(values) - set(state)
        if unknown:
            msg = f"the modal {view_id} has no input block {sorted(unknown)[0]!r}"
            raise LookupError(msg)
        payload: JSONDict = json.loads(_VIEW_SUBMISSION.read_text())
        payload["user"] = user.to_dict()
        payload["team"] = {"id": self.team_id, "domain": "settle-staff"}
        payload["trigger_id"] = f"{next(self._ids)}.{self.team_id}.trigger"
        payload["view"] = copy.deepcopy(view) | {"state": {"values": state}}
        return payload

    async def submit(
        self, url: str, user: SlackUser, view_id: str, values: dict[str, str]
    ) -> httpx.Response:
        """Submit a modal the app opened: POST the signed view_submission to ``url``."""
        body, headers = self.interaction_request(self.view_submission(user, view_id, values))
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return await client.post(url, content=body, headers=headers)

    def modals(self) -> list[JSONDict]:
        """Every modal opened or updated, oldest first."""
        return [copy.deepcopy(v) for v in self._views.values() if v.get("type") == "modal"]

    def ephemeral(self, user: str | None = None) -> list[JSONDict]:
        """Ephemeral messages shown, oldest first; only `user`'s when given."""
        return [
            copy.deepcopy(message)
            for message in self._ephemeral.values()
            if user is None or message.get("user") == user
        ]

    def interaction_request(
        self, payload: JSONDict, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of an interactivity request: ``payload=<json>``, signed."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return body, headers | sign_request(
            body, secret or self.signing_secret, timestamp=timestamp
        )

    def event_request(
        self,
        event: JSONDict,
        *,
        event_id: str,
        retry_num: int | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of an Events API delivery; a retry carries its number."""
        envelope = {
            "token": "verification_token",
            "team_id": self.team_id,
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.bot_user_id}],
        }
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        return body, headers | sign_request(body, self.signing_secret, timestamp=timestamp)

    def command_request(
        self,
        user: SlackUser,
        text: str,
        *,
        command: str = "/settle",
        channel: str = "C-DESK",
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a slash command: form fields, signed
        (https://api.slack.com/interactivity/slash-commands#app_command_handling)."""
        fields = {
            "token": "verification_token",
            "team_id": self.team_id,
            "team_domain": "settle-staff",
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": "A111",
            "is_enterprise_install": "false",
            "response_url": f"{self.origin}/_emulator/response/cmd",
            "trigger_id": f"{next(self._ids)}.{self.team_id}.trigger",
        }
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return body, headers | sign_request(body, self.signing_secret)

    async def command(self, url: str, user: SlackUser, text: str) -> httpx.Response:
        """Type `/settle <text>`: POST the signed command to ``url``; Bolt answers in the body."""
        body, headers = self.command_request(user, text)
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return await client.post(url, content=body, headers=headers)

    def home(self, user: str) -> JSONDict | None:
        """The App Home view last published for ``user``, if any."""
        view = self._views.get(f"home-{user}")
        return None if view is None else copy.deepcopy(view)

    async def click(
        self,
        url: str,
        user: SlackUser,
        *,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
    ) -> httpx.Response:
        """Click a button of a posted message: POST the signed block_actions to ``url``."""
        payload = self.block_actions(
            user, channel=channel, ts=ts, action_id=action_id, value=value
        )
        body, headers = self.interaction_request(payload)
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return await client.post(url, content=body, headers=headers)

    # The HTTP edge.

    async def _endpoint(self, request: Request) -> JSONResponse:
        started = time.time()
        method = request.path_params["method"]
        params = await _read_params(request)
        headers: dict[str, str] = {}
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise _SlackError("unknown_method")
            # apps.connections.open takes the app-level token; every other method the bot's.
            token = self.app_token if method == "apps.connections.open" else self.token
            if request.headers.get("authorization") != f"Bearer {token}":
                raise _SlackError("invalid_auth")
            if faults := self._faults.get(method):
                raise faults.pop(0)
            status, body = 200, {"ok": True} | await handler(params)
        except _SlackError as error:
            status, body = error.status, error.body
            if error.retry_after is not None:
                headers["Retry-After"] = str(error.retry_after)
        self._record(SlackCall(method, params, started, status, body))
        logger.debug("Answered %s with %d", method, status)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _response_endpoint(self, request: Request) -> JSONResponse:
        params = await _read_params(request)
        self._record(SlackCall("response_url", params, time.time(), 200, {"ok": True}))
        return JSONResponse({"ok": True})

    def _record(self, call: SlackCall) -> None:
        self._calls.append(call)
        self._changed.set()
        self._changed = asyncio.Event()

    # Web API methods.

    async def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "url": "https://settle-staff.slack.com/",
            "team": "Settle staff",
            "user": "settle",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B111",
            "is_enterprise_install": False,
        }

    async def _post_message(self, params: JSONDict) -> JSONDict:
        channel = _required(params, "channel")
        _content(params)
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        message = {"type": "message", "user": self.bot_user_id, "ts": ts, "bot_id": "B111"}
        message |= {key: params[key] for key in ("text", "blocks", "thread_ts") if key in params}
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    async def _update(self, params: JSONDict) -> JSONDict:
        channel, ts = _required(params, "channel"), _required(params, "ts")
        message = self._messages.get((channel, ts))
        if message is None:
            raise _SlackError("message_not_found")
        _content(params)
        message |= {key: params[key] for key in ("text", "blocks") if key in params}
        message["edited"] = {"user": self.bot_user_id, "ts": f"{time.time():.6f}"}
        return {"channel": channel, "ts": ts, "text": message.get("text", "")}

    async def _post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = _required(params, "channel")
        user = _required(params, "user")
        _content(params)
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        message = {"type": "message", "ts": ts, "user": user, "channel": channel}
        message |= {key: params[key] for key in ("text", "blocks") if key in params}
        self._ephemeral[(channel, ts)] = message
        return {"message_ts": ts}

    async def _connections_open(self, params: JSONDict) -> JSONDict:
        return {"url": self.socket_mode.url}

    async def _usergroup_users(self, params: JSONDict) -> JSONDict:
        group = _required(params, "usergroup")
        if group not in self.usergroups:
            raise _SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    async def _views_open(self, params: JSONDict) -> JSONDict:
        _required(params, "trigger_id")
        return {"view": self._store_view(_view(params))}

    async def _views_publish(self, params: JSONDict) -> JSONDict:
        user_id = _required(params, "user_id")
        view = _view(params)
        if view.get("type") != "home":
            raise _SlackError("invalid_arguments")
        return {"view": self._store_view(view, view_id=f"home-{user_id}")}

    async def _views_update(self, params: JSONDict) -> JSONDict:
        view_id = params.get("view_id") or next(
            (
                key
                for key, v in self._views.items()
                if v.get("external_id") == params.get("external_id")
            ),
            None,
        )
        if not view_id or view_id not in self._views:
            raise _SlackError("not_found")
        return {"view": self._store_view(_view(params), view_id=str(view_id))}

    async def _users_info(self, params: JSONDict) -> JSONDict:
        user = self._users.get(_required(params, "user"))
        if user is None:
            raise _SlackError("user_not_found")
        profile = {"display_name": user.name, "real_name": user.name}
        return {
            "user": {"id": user.id, "team_id": user.team_id, "name": user.name}
            | {"real_name": user.name, "tz": "UTC", "is_bot": False, "profile": profile}
        }

    def _store_view(self, view: JSONDict, *, view_id: str | None = None) -> JSONDict:
        view_id = view_id or f"V{next(self._ids):06d}"
        stored = copy.deepcopy(view) | {"id": view_id, "team_id": self.team_id}
        self._views[view_id] = stored
        return copy.deepcopy(stored)


async def _read_params(request: Request) -> JSONDict:
    """The call's arguments: slack_sdk sends JSON for some methods, forms for others."""
    fields: JSONDict = dict(request.query_params)
    body = await request.body()
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if body and media_type == "application/json":
        with contextlib.suppress(ValueError):
            fields |= json.loads(body)
    elif body:
        form = await request.form()
        fields |= {key: value for key, value in form.items() if isinstance(value, str)}
    for name in _JSON_FIELDS & fields.keys():
        if isinstance(fields[name], str):
            with contextlib.suppress(ValueError):
                fields[name] = json.loads(fields[name])
    return fields


def _required(params: JSONDict, name: str) -> str:
    value = params.get(name)
    if not value:
        raise _SlackError(f"missing_argument_{name}" if name != "channel" else "channel_not_found")
    return str(value)


def _content(params: JSONDict) -> None:
    """Refuse a message with neither text nor blocks, or with Block Kit Slack would refuse."""
    blocks = params.get("blocks")
    if not params.get("text") and not blocks:
        raise _SlackError("no_text")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50):
        raise _SlackError("invalid_blocks")


def _view(params: JSONDict) -> JSONDict:
    view = params.get("view")
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise _SlackError("invalid_arguments")
    return view


def _find_button(message: JSONDict, action_id: str) -> tuple[JSONDict, JSONDict]:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return block, element
    msg = f"the message {message.get('ts')} has no button {action_id!r}"
    raise LookupError(msg)
