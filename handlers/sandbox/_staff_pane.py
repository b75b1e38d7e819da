"""The staff pane: Slack's channels, the member's ephemeral messages, an open form and the
App Home, as the Slack emulator holds them, with working buttons."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from handlers.sandbox._blocks import render_blocks
from handlers.sandbox._sandbox import DESK, SUPERVISORS, Sandbox
from handlers.sandbox._view import View

__all__ = ["staff_pane"]


def staff_pane(sandbox: Sandbox, view: View) -> str:
    """Who the console acts as, then what Slack shows them."""
    options = "".join(
        f'<option value="{escape(m.user.id)}"'
        f"{' selected' if m.user.id == view.staff.user.id else ''}>{escape(m.label)}</option>"
        for m in sandbox.staff
    )
    picker = (
        f'<form method="get" action="/sandbox" class="pick">'
        f'<input type="hidden" name="customer" value="{escape(view.customer or "")}">'
        f'<label for="staff">Acting as</label> <select id="staff" name="staff">{options}'
        f"</select> <button>Switch</button></form>"
    )
    return (
        f"{picker}"
        f'<div data-live id="modal">{_modal(sandbox, view)}</div>'
        f'<div data-live id="ephemeral">{_ephemeral(sandbox, view)}</div>'
        f'<div data-live id="desk">{_channel(sandbox, view, DESK)}'
        f"{_channel(sandbox, view, SUPERVISORS)}</div>"
        f"<h3>App Home of {escape(view.staff.user.name)}</h3>"
        f'<form method="post" action="/sandbox/staff/home">{view.hidden()}'
        f"<button>Open App Home</button></form>"
        f'<div data-live id="home" class="home">{_home(sandbox, view)}</div>'
    )


def _click_form(view: View, channel: str, ts: str) -> Callable[[str, str, str], str]:
    def button(action_id: str, label: str, style: str) -> str:
        return (
            f'<form method="post" action="/sandbox/staff/click">{view.hidden()}'
            f'<input type="hidden" name="channel" value="{escape(channel)}">'
            f'<input type="hidden" name="ts" value="{escape(ts)}">'
            f'<button name="action_id" value="{escape(action_id)}" class="{escape(style)}">'
            f"{escape(label)}</button></form>"
        )

    return button


def _channel(sandbox: Sandbox, view: View, channel: str) -> str:
    messages = sandbox.slack.messages(channel)
    posts = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
    html = f"<h3>#{escape(channel.removeprefix('C-').lower())}</h3>"
    if not posts:
        return html + '<p class="muted">Nothing posted yet.</p>'
    for post in reversed(posts):  # the newest first, as staff look for them
        thread = [m for m in messages if m.get("thread_ts") == post["ts"] and m is not post]
        thread += [r for r in sandbox.replies if r["thread_ts"] == post["ts"]]
        thread.sort(key=lambda m: float(m["ts"]))
        html += _post(post, thread, view, channel)
    return html


def _post(post: dict[str, Any], thread: list[dict[str, Any]], view: View, channel: str) -> str:
    body = render_blocks(
        post.get("blocks"),
        post.get("text", ""),
        _click_form(view, channel, post["ts"]),
        names=view.names,
    )
    replies = "".join(
        f"<li><strong>{escape(str(m.get('name') or 'Settle'))}</strong> "
        + render_blocks(None, str(m.get("text", "")), _none, names=view.names)
        + "</li>"
        for m in thread
    )
    reply = (
        f'<details><summary>Reply in thread</summary><form method="post" '
        f'action="/sandbox/staff/reply">{view.hidden()}'
        f'<input type="hidden" name="channel" value="{escape(channel)}">'
        f'<input type="hidden" name="thread_ts" value="{escape(post["ts"])}">'
        f'<input name="text" aria-label="Reply" dir="auto"> <button>Reply</button></form>'
        f"</details>"
    )
    thread_html = f'<ul class="thread">{replies}</ul>' if replies else ""
    ts = escape(post["ts"])
    return f'<article class="post" data-ts="{ts}">{body}{thread_html}{reply}</article>'


def _none(action_id: str, label: str, style: str) -> str:
    return ""


def _ephemeral(sandbox: Sandbox, view: View) -> str:
    shown = sandbox.slack.ephemeral(view.staff.user.id)[-3:]
    html = ""
    for message in reversed(shown):
        button = _click_form(view, message["channel"], message["ts"])
        body = render_blocks(
            message.get("blocks"), message.get("text", ""), button, names=view.names
        )
        html += f'<aside class="ephemeral"><p class="muted">Only visible to you</p>{body}</aside>'
    return html


def _modal(sandbox: Sandbox, view: View) -> str:
    view_id = sandbox.modals.get(view.staff.user.id)
    modal = next((m for m in sandbox.slack.modals() if m["id"] == view_id), None)
    if modal is None:
        return ""
    errors = sandbox.modal_errors.get(view.staff.user.id, {})
    fields = ""
    for block in modal.get("blocks") or []:
        if block.get("type") != "input":
            fields += render_blocks([block], "", _none)
            continue
        fields += _input(block, errors.get(block["block_id"]))
    title = escape(str((modal.get("title") or {}).get("text", "Form")))
    submit = escape(str((modal.get("submit") or {}).get("text", "Submit")))
    return (
        f'<form method="post" action="/sandbox/staff/submit" class="modal" '
        f'aria-label="{title}">{view.hidden()}<h3>{title}</h3>'
        f'<input type="hidden" name="view_id" value="{escape(modal["id"])}">{fields}'
        f"<button>{submit}</button> "
        f'<button formaction="/sandbox/staff/close">Cancel</button></form>'
    )


def _input(block: dict[str, Any], error: str | None) -> str:
    element = block.get("element") or {}
    name = escape(block["block_id"])
    label = escape(str((block.get("label") or {}).get("text", name)))
    kind = "date" if element.get("type") == "datepicker" else "text"
    value = element.get("initial_value") or element.get("initial_date") or ""
    described = f' aria-describedby="error-{name}"' if error else ""
    html = (
        f'<label for="field-{name}">{label}</label>'
        f'<input id="field-{name}" name="field-{name}" type="{kind}" '
        f'value="{escape(str(value))}"{described}>'
    )
    if error:
        html += f'<p class="error" id="error-{name}">{escape(error)}</p>'
    return f'<div class="field">{html}</div>'


def _home(sandbox: Sandbox, view: View) -> str:
    home = sandbox.slack.home(view.staff.user.id)
    if home is None:
        return '<p class="muted">Not opened yet.</p>'

    def button(action_id: str, label: str, style: str) -> str:
        return (
            f'<form method="post" action="/sandbox/staff/home-click">{view.hidden()}'
            f'<button name="action_id" value="{escape(action_id)}">{escape(label)}</button>'
            f"</form>"
        )

    return render_blocks(home.get("blocks"), "", button, names=view.names)
