"""A local Telegram Bot API that python-telegram-bot reaches through its ``base_url``.

It answers the methods Settle uses with the shapes of https://core.telegram.org/bots/api,
records every call, injects faults and plays the users' side (texts, button presses, blocks).
Only private chats exist, and parse_mode is recorded but not rendered. Given ``limits``, it
also enforces Telegram's flood limits (``_limits.py``); ``python -m handlers.emulators``
runs it as a process of its own, with GET /_emulator/stats telling what the chats received.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

import httpx
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from handlers.emulators._limits import FloodControl, Limits
from handlers.emulators._requests import ApiError, JSONDict, UploadedFile, read_params
from handlers.emulators._serving import LoopbackServer

logger = logging.getLogger(__name__)

_Handler = Callable[[JSONDict], Awaitable[Any]]

# Without allowed_updates Telegram sends every type but these (getUpdates, allowed_updates).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?(?=\s|$)")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass(frozen=True, slots=True)
class TelegramUser:
    """A Telegram account that writes to the bot from a private chat."""

    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> JSONDict:
        """Return the user as a Bot API User object."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {"last_name": self.last_name, "username": self.username}
        optional["language_code"] = self.language_code
        return user | {key: value for key, value in optional.items() if value is not None}


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request the emulator answered, with its parsed parameters."""

    method: str
    params: JSONDict
    time: float
    status: int
    response: JSONDict

    @property
    def chat_id(self) -> int | str | None:
        """Return the chat_id parameter, if the call had one."""
        chat_id: int | str | None = self.params.get("chat_id")
        return chat_id

    @property
    def result(self) -> Any:
        """Return the result the bot received, or None after an error."""
        return self.response.get("result")


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One POST of an update to the bot's webhook; status is None when no answer came."""

    update_id: int
    status: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Webhook:
    url: str
    secret_token: str | None


class TelegramEmulator:
    """A Bot API server for one bot, with a call record, fault injection and scripted users."""

    def __init__(
        self,
        token: str = "123456:TEST-emulator-token",  # noqa: S107 - a fake token, no secret
        *,
        username: str = "settle_test_bot",
        first_name: str = "Settle",
        limits: Limits | None = None,
    ) -> None:
        bot_id = token.partition(":")[0]
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.flood = FloodControl(limits)
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/_emulator/stats", self._stats_endpoint),
                Route("/_emulator/inject429", self._inject_endpoint, methods=["POST"]),
            ]
        )
        self._calls: list[ApiCall] = []
        # Called with each call as it is recorded (a benchmark times answers by them).
        self.observers: list[Callable[[ApiCall], None]] = []
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._shown: list[tuple[int, int]] = []
        self._last_message_id: dict[int, int] = {}
        self._users: dict[int, TelegramUser] = {}
        self._blocked: set[int] = set()
        self._faults: dict[str, list[ApiError]] = {}
        self._files: dict[str, UploadedFile] = {}
        self._queries: set[str] = set()
        self._ids = itertools.count(1)
        self._pending: list[JSONDict] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._webhook: _Webhook | None = None
        self._deliveries: list[WebhookDelivery] = []
        self._delivery_task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._changed = asyncio.Event()
        self._closing = False
        self._server = LoopbackServer("Telegram")
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }

    # Serving.

    async def start(self, *, port: int = 0) -> Self:
        """Serve the app with uvicorn on 127.0.0.1, on a free port unless one is given."""
        if not self._server.running:
            self._closing = False
        await self._server.start(self.app, port=port)
        return self

    async def stop(self) -> None:
        """Wake long polls, finish webhook deliveries and stop the server, if one runs."""
        self._closing = True
        self._notify()
        if self._delivery_task is not None:
            await asyncio.wait({self._delivery_task})
        if self._client is not None:
            await self._client.aclose()
            self._client = None
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
    def base_url(self) -> str:
        """Return the URL to give PTB's ``base_url``; it appends the token."""
        if not self._server.running:
            msg = "the Telegram emulator is not serving; call start(), or mount .app yourself"
            raise RuntimeError(msg)
        return f"http://127.0.0.1:{self._server.port}/bot"

    # The record.

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Return the recorded calls, of one method if given, oldest first."""
        wanted = method.lower() if method else None
        return [call for call in self._calls if wanted in (None, call.method.lower())]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Return the bot's messages since the last clear(), as the chats show them now."""
        keys = [key for key in self._shown if chat_id in (None, key[0])]
        return [_snapshot(self._messages[key]) for key in keys]

    def history(self, chat_id: int) -> list[JSONDict]:
        """Return every message of a chat, the user's and the bot's, as it shows now, oldest
        first; clear() forgets none of them."""
        ids = sorted(message_id for chat, message_id in self._messages if chat == chat_id)
        return [_snapshot(self._messages[(chat_id, message_id)]) for message_id in ids]

    def snapshot(self) -> JSONDict:
        """The chats as JSON (messages as shown, the users, the files the bot sent), for
        a host that restarts and restores them; calls and pending updates are left out."""
        files = {
            file_id: {
                "file_name": upload.file_name,
                "mime_type": upload.mime_type,
                "content": base64.b64encode(upload.content).decode(),
            }
            for file_id, upload in self._files.items()
        }
        return _snapshot(
            {
                "messages": list(self._messages.values()),
                "shown": [list(key) for key in self._shown],
                "users": [user.to_dict() for user in self._users.values()],
                "files": files,
                "next_id": next(self._ids),
                "last_update_id": self._last_update_id,
            }
        )

    def restore(self, state: JSONDict) -> None:
        """Take back the chats of a snapshot()."""
        for message in state["messages"]:
            key = (message["chat"]["id"], message["message_id"])
            self._messages[key] = message
            self._last_message_id[key[0]] = max(self._last_message_id.get(key[0], 0), key[1])
        self._shown.extend((chat, message_id) for chat, message_id in state["shown"])
        for user in state["users"]:
            fields = {k: user.get(k) for k in ("first_name", "last_name", "username")}
            language = user.get("language_code")
            self._users[user["id"]] = TelegramUser(user["id"], **fields, language_code=language)
        for file_id, upload in state["files"].items():
            content = base64.b64decode(upload["content"])
            self._files[file_id] = UploadedFile(upload["file_name"], content, upload["mime_type"])
        self._ids = itertools.count(int(state["next_id"]))
        self._last_update_id = int(state["last_update_id"])

    def deliveries(self) -> list[WebhookDelivery]:
        """Return the webhook deliveries since the last clear(), oldest first."""
        return list(self._deliveries)

    def file(self, file_id: str) -> UploadedFile:
        """Return the file the bot uploaded under this file_id."""
        return self._files[file_id]

    def clear(self) -> None:
        """Forget recorded calls, sent messages and deliveries; chats keep their state."""
        self._calls.clear()
        self._shown.clear()
        self._deliveries.clear()

    async def wait_for(
        self,
        match: str | Callable[[ApiCall], bool],
        *,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helper's deadline saves each test a wrapper
    ) -> ApiCall:
        """Wait until ``count`` recorded calls match a method name or predicate; return the last.

        Raises:
            TimeoutError: if they did not arrive within ``timeout`` seconds.
        """

        def matches(call: ApiCall) -> bool:
            if chat_id is not None and call.chat_id != chat_id:
                return False
            return call.method.lower() == match.lower() if isinstance(match, str) else match(call)

        def matching() -> list[ApiCall]:
            return [call for call in self._calls if matches(call)]

        if not await self._wait(lambda: len(matching()) >= count, timeout):
            seen = [call.method for call in self._calls[-10:]]
            msg = f"no {count} call(s) matching {match!r} within {timeout} s; last calls: {seen}"
            raise TimeoutError(msg)
        return matching()[count - 1]

    async def wait_delivered(self) -> list[WebhookDelivery]:
        """Wait until the webhook deliveries in progress finish; return all deliveries."""
        if self._delivery_task is not None:
            await asyncio.wait({self._delivery_task})
        return self.deliveries()

    # Fault injection.

    def block(self, chat_id: int) -> None:
        """Make sends and edits to the chat fail as if the user had blocked the bot."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Let sends to the chat succeed again."""
        self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 5,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of a method fail with ``status``.

        A 429 carries ``parameters.retry_after`` as Telegram's flood control does.
        """
        if method.lower() not in self._methods:
            known = sorted(name for name, _ in self._methods.values())
            msg = f"unknown Bot API method {method!r} in fail_next(); the emulator answers {known}"
            raise ValueError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            text = description or f"Too Many Requests: retry after {retry_after}"
            error = ApiError(status, text, {"retry_after": retry_after})
        else:
            error = ApiError(status, description or _phrase(status))
        self._faults.setdefault(method.lower(), []).extend([error] * times)

    def inject_429(self, *, retry_after: int = 2) -> None:
        """Answer the next message with a 429 and refuse messages for ``retry_after`` seconds."""
        self.flood.inject(retry_after)

    def stats(self, *, per_chat: bool = True, texts: bool = False) -> JSONDict:
        """Return the messages each chat received, the duplicates and the 429s by cause."""
        return self.flood.stats(per_chat=per_chat, texts=texts)

    # The users' side.

    async def send_text(
        self, chat_id: int, text: str, *, user: TelegramUser | None = None
    ) -> JSONDict:
        """Make the user write ``text`` to the bot; return the update."""
        sender = self._remember(chat_id, user).to_dict()
        command = _COMMAND.match(text)
        entities = None
        if command is not None:
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16(command[0])}]
        message = self._new_message(chat_id, sender, text=text, entities=entities)
        return self._push_update("message", message)

    async def press_button(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user: TelegramUser | None = None,
    ) -> JSONDict:
        """Make the user press an inline button of a message; return the update."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            msg = f"no message {message_id} in chat {chat_id}; press a button the bot sent"
            raise LookupError(msg)
        query_id = str(next(self._ids))
        self._queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._remember(chat_id, user).to_dict(),
            "message": _snapshot(message),
            "chat_instance": str(chat_id),
            "data": callback_data,
        }
        return self._push_update("callback_query", query)

    async def block_bot(self, chat_id: int, *, user: TelegramUser | None = None) -> JSONDict:
        """Make the user block the bot; return the my_chat_member update."""
        self._blocked.add(chat_id)
        return self._push_update("my_chat_member", self._member_change(chat_id, user, "kicked"))

    async def unblock_bot(self, chat_id: int, *, user: TelegramUser | None = None) -> JSONDict:
        """Make the user unblock the bot; return the my_chat_member update."""
        self._blocked.discard(chat_id)
        return self._push_update("my_chat_member", self._member_change(chat_id, user, "member"))

    def _remember(self, chat_id: int, user: TelegramUser | None) -> TelegramUser:
        user = user or self._users.get(chat_id) or TelegramUser(chat_id)
        self._users[chat_id] = user
        return user

    def _member_change(self, chat_id: int, user: TelegramUser | None, status: str) -> JSONDict:
        kicked = {"user": self.bot_user, "status": "kicked", "until_date": 0}
        member = {"user": self.bot_user, "status": "member"}
        old, new = (member, kicked) if status == "kicked" else (kicked, member)
        return {
            "chat": self._chat(chat_id),
            "from": self._remember(chat_id, user).to_dict(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }

    def _push_update(self, kind: str, payload: JSONDict) -> JSONDict:
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, kind: payload}
        allowed = self._allowed_updates
        if (kind not in allowed) if allowed else (kind in _OPT_IN_UPDATES):
            logger.debug("Dropped update %d of type %s", self._last_update_id, kind)
            return _snapshot(update)
        self._pending.append(update)
        self._notify()
        self._start_delivery()
        return _snapshot(update)

    # Webhook delivery.

    def _start_delivery(self) -> None:
        if self._webhook is None or self._closing:
            return
        if self._delivery_task is None or self._delivery_task.done():
            self._delivery_task = asyncio.create_task(self._deliver(), name="telegram-webhook")

    async def _deliver(self) -> None:
        while self._webhook is not None and self._pending and not self._closing:
            update = self._pending[0]
            if not await self._post(self._webhook, update):
                return  # Telegram retries later; the next injected update retries sooner.
            with contextlib.suppress(ValueError):
                self._pending.remove(update)

    async def _post(self, webhook: _Webhook, update: JSONDict) -> bool:
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False, timeout=10)
        update_id = update["update_id"]
        try:
            response = await self._client.post(
                webhook.url, content=json.dumps(update), headers=headers
            )
        except Exception as error:  # any failure is the delivery's outcome, as on Telegram
            logger.warning("Webhook delivery of update %d failed: %r", update_id, error)
            self._deliveries.append(WebhookDelivery(update_id, None, repr(error)))
            return False
        self._deliveries.append(WebhookDelivery(update_id, response.status_code))
        logger.debug("Webhook answered update %d with %d", update_id, response.status_code)
        return response.is_success

    # The HTTP edge.

    async def _endpoint(self, request: Request) -> JSONResponse:
        started = time.time()
        name, handler = self._methods.get(request.path_params["method"].lower(), ("", None))
        name = name or request.path_params["method"]
        params: JSONDict = {}
        try:
            if request.path_params["token"] != self.token:
                raise ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
            if handler is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "Not Found")
            params = await read_params(request)
            if faults := self._faults.get(name.lower()):
                raise faults.pop(0)
            self.flood.check(name, params)
            status, body = 200, {"ok": True, "result": await handler(params)}
            self.flood.accepted(name, params)
        except ApiError as error:
            status, body = error.status, error.body
        except ClientDisconnect:  # the bot's process died mid-request: Telegram saw nothing
            logger.debug("Client left before sending all of %s", name)
            return JSONResponse({}, status_code=HTTPStatus.BAD_REQUEST)
        call = ApiCall(name, params, started, status, body)
        self._calls.append(call)
        for observer in self.observers:
            observer(call)
        self._notify()
        duration_ms = (time.time() - started) * 1000
        logger.debug("Answered %s with %d in %.1f ms", name, status, duration_ms)
        return JSONResponse(body, status_code=status)

    async def _stats_endpoint(self, request: Request) -> JSONResponse:
        # ?per_chat=0 spares a poller the tally of every chat.
        query = request.query_params
        per_chat = query.get("per_chat") != "0"
        return JSONResponse(self.stats(per_chat=per_chat, texts=query.get("texts") == "1"))

    async def _inject_endpoint(self, request: Request) -> JSONResponse:
        try:
            self.inject_429(retry_after=int(request.query_params.get("retry_after", "2")))
        except ValueError as error:
            return JSONResponse({"ok": False, "description": str(error)}, status_code=400)
        return JSONResponse({"ok": True})

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``ready()`` holds, rechecking on every change, for at most ``seconds``."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not ready():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    # Bot API methods.

    def _handlers(self) -> dict[str, _Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
        }

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return self.bot_user

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _set_webhook(self, params: JSONDict) -> bool:
        if not params.get("url"):
            return await self._delete_webhook(params)
        self._webhook = _Webhook(params["url"], params.get("secret_token"))
        self._allowed_updates = list(params.get("allowed_updates") or self._allowed_updates)
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._start_delivery()
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {"url": "", "has_custom_certificate": False}
        info["pending_update_count"] = len(self._pending)
        if self._webhook is not None:
            info |= {"url": self._webhook.url, "max_connections": 40}
            info["allowed_updates"] = self._allowed_updates
        return info

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self._webhook is not None:
            msg = "Conflict: can't use getUpdates method while webhook is active;"
            raise ApiError(HTTPStatus.CONFLICT, msg + " use deleteWebhook to delete it first")
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        offset = int(params.get("offset", 0))
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

        timeout = min(max(float(params.get("timeout", 0)), 0.0), 50.0)
        await self._wait(lambda: self._closing or bool(self._pending), timeout)
        return [_snapshot(update) for update in self._pending[: int(params.get("limit", 100))]]

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        text = _text(params)
        markup = _inline_markup(params.get("reply_markup"))
        content = {"text": text, "entities": params.get("entities"), "reply_markup": markup}
        return self._new_message(chat_id, self.bot_user, **content)

    async def _send_document(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        document = self._document(params.get("document"))
        markup = _inline_markup(params.get("reply_markup"))
        content = {"document": document, "caption": params.get("caption") or None}
        content |= {"caption_entities": params.get("caption_entities"), "reply_markup": markup}
        return self._new_message(chat_id, self.bot_user, **content)

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._editable(params)
        if "text" not in message:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: there is no text to edit")
        # Telegram drops the inline keyboard when the edit does not repeat it.
        changes = {"text": _text(params), "entities": params.get("entities")}
        changes["reply_markup"] = _inline_markup(params.get("reply_markup"))
        return self._edit(message, changes)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        message = self._editable(params)
        return self._edit(message, {"reply_markup": _inline_markup(params.get("reply_markup"))})

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        if params.get("callback_query_id") not in self._queries:
            msg = (
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        return True

    # Chats and messages.

    def _chat_id(self, params: JSONDict) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise ApiError(HTTPStatus.FORBIDDEN, _BLOCKED)
        return chat_id

    def _chat(self, chat_id: int) -> JSONDict:
        user = self._users.get(chat_id) or TelegramUser(chat_id)
        chat: JSONDict = {"id": chat_id, "type": "private", "first_name": user.first_name}
        optional = {"last_name": user.last_name, "username": user.username}
        return chat | {key: value for key, value in optional.items() if value is not None}

    def _new_message(self, chat_id: int, sender: JSONDict, **content: Any) -> JSONDict:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        message |= {key: value for key, value in content.items() if value is not None}
        self._messages[(chat_id, message_id)] = message
        if sender is self.bot_user:
            self._shown.append((chat_id, message_id))
        return _snapshot(message)

    def _editable(self, params: JSONDict) -> JSONDict:
        if "inline_message_id" in params:
            msg = "Bad Request: the emulator does not support inline messages"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        chat_id = self._chat_id(params)
        if "message_id" not in params:
            msg = "Bad Request: message identifier is not specified"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        message = self._messages.get((chat_id, params["message_id"]))
        if message is None:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message can't be edited")
        return message

    def _edit(self, message: JSONDict, changes: JSONDict) -> JSONDict:
        if all(message.get(key) == value for key, value in changes.items()):
            raise ApiError(HTTPStatus.BAD_REQUEST, _NOT_MODIFIED)
        edited = {key: value for key, value in (message | changes).items() if value is not None}
        edited["edit_date"] = int(time.time())
        self._messages[(message["chat"]["id"], message["message_id"])] = edited
        return _snapshot(edited)

    def _document(self, document: Any) -> JSONDict:
        if isinstance(document, str) and document in self._files:
            file_id, upload = document, self._files[document]
        elif isinstance(document, UploadedFile):
            file_id, upload = f"file-{next(self._ids)}", document
            self._files[file_id] = upload
        elif document:
            msg = "Bad Request: wrong file identifier/HTTP URL specified"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        else:
            msg = "Bad Request: there is no document in the request"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        return {
            "file_id": file_id,
            "file_unique_id": f"unique-{file_id}",
            "file_name": upload.file_name,
            "mime_type": upload.mime_type,
            "file_size": len(upload.content),
        }


def _text(params: JSONDict) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message text is empty")
    if _utf16(text) > 4096:
        raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message is too long")
    return text


def _inline_markup(markup: Any) -> JSONDict | None:
    """Return the markup a Message echoes: only inline keyboards, with data of 64 bytes at most."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if len(str(button.get("callback_data", "")).encode()) > 64:
                raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _utf16(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units (Bot API, MessageEntity)."""
    return len(text.encode("utf-16-le")) // 2


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _snapshot(data: JSONDict) -> JSONDict:
    """Return a deep copy, so callers cannot change the emulator's state."""
    copied: JSONDict = json.loads(json.dumps(data))
    return copied
