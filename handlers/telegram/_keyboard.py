"""Channel-neutral button rows drawn as Telegram inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from messages import Button, Rendered

__all__ = ["to_markup"]


def to_markup(rendered: Rendered) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a rendered message, or None when it has no buttons."""
    if not rendered.buttons:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in rendered.buttons])


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.text, url=button.url)
    return InlineKeyboardButton(button.text, callback_data=button.action)
