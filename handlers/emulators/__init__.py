"""Local stand-ins for the platforms Settle talks to, for tests and the sandbox mode."""

from handlers.emulators._limits import Limits
from handlers.emulators._requests import UploadedFile
from handlers.emulators._slack import SlackCall, SlackEmulator, SlackUser, sign_request
from handlers.emulators._telegram import ApiCall, TelegramEmulator, TelegramUser, WebhookDelivery

__all__ = [
    "ApiCall",
    "Limits",
    "SlackCall",
    "SlackEmulator",
    "SlackUser",
    "TelegramEmulator",
    "TelegramUser",
    "UploadedFile",
    "WebhookDelivery",
    "sign_request",
]
