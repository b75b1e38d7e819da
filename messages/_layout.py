"""A channel-neutral message: plain text and rows of buttons, drawn by each channel."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Action", "Button", "Rendered"]

# Telegram refuses callback data over 64 bytes (Bot API, InlineKeyboardButton).
MAX_ACTION_BYTES = 64


class Action(enum.StrEnum):
    """Opaque ids a button sends back; the handler re-checks state before acting."""

    # Button data as the conversation reads it: action, argument, version; version 0 marks
    # a button of an outreach message, which only opens a flow (see `bot.read_button`).
    PERSON = "escalate:person:0"
    STOP = "stop::0"
    PLANS = "plans::0"
    PROMISES = "promises::0"
    PAID = "paid::0"


@dataclass(frozen=True, slots=True)
class Button:
    """A button that opens `url` or sends back `action`; exactly one of the two."""

    text: str
    url: str | None = None
    action: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.action is None):
            msg = f"button {self.text!r} needs exactly one of url and action"
            raise ValueError(msg)
        if self.action is not None and len(self.action.encode()) > MAX_ACTION_BYTES:
            msg = f"button action {self.action!r} exceeds {MAX_ACTION_BYTES} bytes"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Rendered:
    """Plain text (no markup) and button rows, top row first."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    @property
    def all_buttons(self) -> tuple[Button, ...]:
        """Every button, row by row."""
        return tuple(button for row in self.buttons for button in row)
