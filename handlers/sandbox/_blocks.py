"""Slack's Block Kit as plain HTML: sections as text, buttons as buttons in forms.

mrkdwn stays as written, as the Slack emulator keeps it; only what a person reads and
clicks is rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

__all__ = ["ButtonForm", "render_blocks"]

# Renders one button as a form that posts the click: (action_id, label, style) -> HTML.
ButtonForm = Callable[[str, str, str], str]


def render_blocks(blocks: list[dict[str, Any]] | None, text: str, button: ButtonForm) -> str:
    """The message's blocks, or its text when it has none."""
    if not blocks:
        return _text(text)
    return "".join(_block(block, button) for block in blocks)


def _block(block: dict[str, Any], button: ButtonForm) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<h4>{escape(_plain(block.get('text')))}</h4>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        parts = [_plain(element) for element in block.get("elements") or []]
        return f'<p class="context">{escape(" · ".join(filter(None, parts)))}</p>'
    if kind == "actions":
        buttons = [_button(e, button) for e in block.get("elements") or []]
        return f'<div class="buttons">{"".join(buttons)}</div>'
    if kind == "section":
        return _section(block, button)
    return ""  # input blocks belong to modals, rendered as forms by the console


def _section(block: dict[str, Any], button: ButtonForm) -> str:
    html = _text(_plain(block.get("text")))
    fields = [_plain(field) for field in block.get("fields") or []]
    if fields:
        html += '<div class="fields">' + "".join(_text(field) for field in fields) + "</div>"
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        html += f'<div class="buttons">{_button(accessory, button)}</div>'
    return html


def _button(element: dict[str, Any], button: ButtonForm) -> str:
    if element.get("type") != "button":
        return ""
    label = _plain(element.get("text"))
    if url := element.get("url"):
        return f'<a class="button" href="{escape(str(url))}">{escape(label)}</a>'
    return button(str(element.get("action_id", "")), label, str(element.get("style", "")))


def _plain(part: Any) -> str:
    if isinstance(part, dict):
        return str(part.get("text", ""))
    return "" if part is None else str(part)


def _text(text: str) -> str:
    return f'<div class="text" dir="auto">{escape(text)}</div>' if text else ""
