"""Slack's Block Kit as plain HTML: sections as text, buttons as buttons in forms.

Of mrkdwn, what Slack would show instead of the markup: bold, dates by their fallback
text, mentions by name, links by their label, the few emoji the desk uses
(https://api.slack.com/reference/surfaces/formatting).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

__all__ = ["ButtonForm", "mrkdwn", "render_blocks"]

_TOKEN = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_EMOJI = {":white_check_mark:": "✅", ":x:": "❌", ":warning:": "⚠️", ":rotating_light:": "🚨"}

# Renders one button as a form that posts the click: (action_id, label, style) -> HTML.
ButtonForm = Callable[[str, str, str], str]


def render_blocks(
    blocks: list[dict[str, Any]] | None,
    text: str,
    button: ButtonForm,
    *,
    names: dict[str, str] | None = None,
) -> str:
    """The message's blocks, or its text when it has none; `names` maps user ids to names."""
    html = _text(text) if not blocks else "".join(_block(b, button) for b in blocks)
    return _NAMED.sub(lambda m: "@" + escape((names or {}).get(m[1], m[1])), html)


# A mention left by mrkdwn() for render_blocks to name: the id between two markers.
_NAMED = re.compile("\x00([^\x00]+)\x00")


def mrkdwn(text: str) -> str:
    """Slack's markup of `text` as HTML, escaped."""
    parts = _TOKEN.split(text)
    for index in range(1, len(parts), 2):
        parts[index] = _token(parts[index])
    html = escape("".join(parts))
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    for code, emoji in _EMOJI.items():
        html = html.replace(code, emoji)
    return html


def _token(token: str) -> str:
    """`<!date^...|fallback>`, `<@U1>`, `<!subteam^S1>`, `<url|label>` as text."""
    body, _, label = token.partition("|")
    if body.startswith("@"):
        return f"\x00{body[1:]}\x00"
    if body.startswith("!subteam^"):
        return "@" + (label or body.removeprefix("!subteam^"))
    if body.startswith("!"):
        return label or body.removeprefix("!")
    return label or body


def _block(block: dict[str, Any], button: ButtonForm) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<h4>{escape(_plain(block.get('text')))}</h4>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        parts = [_plain(element) for element in block.get("elements") or []]
        return f'<p class="context">{mrkdwn(" · ".join(filter(None, parts)))}</p>'
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
    return f'<div class="text" dir="auto">{mrkdwn(text)}</div>' if text else ""
