"""Telegram: the customer's chat, the outbox sender and the webhook endpoint."""

from handlers.telegram._application import (
    TelegramApp,
    bot_username,
    build_application,
    telegram_endpoint,
)
from handlers.telegram._chat import ChatHandlers
from handlers.telegram._floor import ChatFloor
from handlers.telegram._keyboard import to_markup
from handlers.telegram._limiter import PacedRateLimiter
from handlers.telegram._links import ActionLinks
from handlers.telegram._sender import TelegramSender

__all__ = [
    "ActionLinks",
    "ChatFloor",
    "ChatHandlers",
    "PacedRateLimiter",
    "TelegramApp",
    "TelegramSender",
    "bot_username",
    "build_application",
    "telegram_endpoint",
    "to_markup",
]
