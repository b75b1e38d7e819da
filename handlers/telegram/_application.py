"""Building the python-telegram-bot `Application` and its webhook endpoint."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot import ConfigurationError, Settings
from bot._metrics import Metrics
from handlers.telegram._limiter import PacedRateLimiter
from handlers.telegram._turns import ChatTurns, Turn

__all__ = ["TelegramApp", "bot_username", "build_application", "telegram_endpoint"]

logger = logging.getLogger(__name__)

# The Application as Settle builds it; its type parameters are PTB's defaults.
TelegramApp = Application[Any, Any, Any, Any, Any, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def build_application(
    settings: Settings, *, polling: bool, turn: Turn | None = None
) -> TelegramApp:
    """An Application on the configured Bot API; webhook mode has no updater.

    With `turn`, a chat's updates are handled one at a time across workers (`ChatTurns`).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        # Every call of the bot passes here: the outbox's messages and the chats' replies.
        .rate_limiter(
            PacedRateLimiter(
                per_second=settings.telegram_max_per_second,
                chat_interval=settings.telegram_chat_interval_seconds,
            )
        )
        # One pooled connection by default: throughput falls as updates in flight rise.
        .connection_pool_size(32)
        .pool_timeout(10.0)
        .concurrent_updates(True if turn is None else ChatTurns(turn))
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


async def bot_username(settings: Settings) -> str | None:
    """The bot's username: the setting, else asked of the Bot API (getMe) when a token is set."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if settings.telegram_bot_token is None:
        return None
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as error:
        msg = (
            f"TELEGRAM_BOT_TOKEN: the Bot API did not answer getMe ({type(error).__name__}); "
            "set SETTLE_TELEGRAM_BOT_USERNAME to make links without it"
        )
        raise ConfigurationError(msg) from None


def telegram_endpoint(
    application: TelegramApp,
    settings: Settings,
    metrics: Metrics,
) -> Any:
    """`POST /telegram`: check the secret token header, then queue the update."""
    secret = settings.telegram_secret_token

    async def endpoint(request: Request) -> Response:
        if secret is None:
            # Without the secret anyone could post updates as any chat: refuse them all.
            metrics.telegram_updates.labels("unconfigured").inc()
            error = {"field": "SETTLE_TELEGRAM_SECRET_TOKEN", "message": "is not set"}
            return JSONResponse({"error": error}, status_code=503)
        given = request.headers.get(SECRET_HEADER, "")
        # Constant-time: the official Starlette example compares with ==.
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            metrics.telegram_updates.labels("forbidden").inc()
            return JSONResponse({"error": {"field": SECRET_HEADER}}, status_code=403)
        body = await _limited_body(request, settings.max_body_bytes)
        if body is None:
            metrics.telegram_updates.labels("too_large").inc()
            message = f"larger than {settings.max_body_bytes} bytes"
            return JSONResponse({"error": {"field": "body", "message": message}}, status_code=413)
        try:
            update = _update(body, application)
        except Exception as error:
            # Whatever PTB's parsing raises on a hostile body is the body's fault, not ours.
            metrics.telegram_updates.labels("malformed").inc()
            # Our own reasons name a field; another library's message might quote the body.
            why = str(error) if isinstance(error, _Refused) else type(error).__name__
            logger.warning("telegram update refused: %s", why)
            message = "not a Telegram update"
            return JSONResponse({"error": {"field": "body", "message": message}}, status_code=400)
        await application.update_queue.put(update)
        metrics.telegram_updates.labels("queued").inc()
        logger.debug("telegram update=%d queued", update.update_id)
        return Response(status_code=200)

    return endpoint


async def _limited_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _update(body: bytes, application: TelegramApp) -> Update:
    """Parse a webhook body; raise on anything that is not one update object."""
    data = json.loads(body)
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        raise _Refused("not an update object")
    if (problem := _mistyped(data)) is not None:
        raise _Refused(problem)
    update = Update.de_json(data, application.bot)
    if update is None:
        raise _Refused("empty update")
    return update


class _Refused(ValueError):
    """An update refused for a reason of our own, which names the field."""


# The fields the chat handlers read, with the JSON types the Bot API sends them as; PTB
# builds its objects without checking them, so a text that is a number would reach them.
_TYPED: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "data": (str,),
    "id": (int, str),
    "chat.id": (int,),
    "from.id": (int,),
    "message_id": (int,),
    "date": (int,),
    "from.language_code": (str,),
    "from.first_name": (str,),
    "chat.type": (str,),
    "new_chat_member.status": (str,),
    "message.chat.id": (int,),
    "message.message_id": (int,),
}
_PARTS = ("message", "edited_message", "callback_query", "my_chat_member")
# Ids the handlers answer to: when the object holding one is there, so must the id be.
_REQUIRED = ("chat.id", "from.id", "message.chat.id")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mistyped(data: dict[str, Any]) -> str | None:
    """The first field of an update the handlers read that is not of its Bot API type, or
    an id they answer to that is missing, as a problem to report."""
    for part in _PARTS:
        value = data.get(part)
        if value is None:
            continue
        if not isinstance(value, dict):
            return f"{part} has the wrong type"
        for path, kinds in _TYPED.items():
            found = _at(value, path)
            if found is None:
                continue
            if not isinstance(found, kinds) or (int in kinds and isinstance(found, bool)):
                return f"{part}.{path} has the wrong type"
        sender = value.get("from")
        if sender is not None and not isinstance(sender, dict):
            return f"{part}.from has the wrong type"
        for path in _REQUIRED:
            holder = _at(value, path.rpartition(".")[0])
            if isinstance(holder, dict) and holder.get("id") is None:
                return f"{part}.{path} is missing"
    return None


def _at(value: dict[str, Any], path: str) -> object:
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)  # type: ignore[assignment]
    return value
