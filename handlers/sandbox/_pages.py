"""The console's page: the clock, then the customer, staff and billing panes side by side.

Server-rendered HTML; `static/console.js` refreshes the parts marked `data-live`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from bot.ports import CaseView
from handlers.sandbox._blocks import render_blocks
from handlers.sandbox._sandbox import DESK, SUPERVISORS, Sandbox, StaffMember

__all__ = ["EVENT_TYPES", "REASONS", "View", "render_page"]

EVENT_TYPES = (
    "payment_failed",
    "payment_received",
    "payment_reversed",
    "payment_method_updated",
    "payment_method_expiring",
    "invoice_overdue",
    "invoice_issued",
    "collection_stage_changed",
)
REASONS = (
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "stolen_card",
    "lost_card",
    "fraudulent",
    "authentication_required",
    "bank_account_closed",
    "mandate_cancelled",
    "other",
)


@dataclass(frozen=True, slots=True)
class View:
    """What one request of the page shows."""

    customer: str | None
    staff: StaffMember
    note: str | None
    error: bool
    cases: list[CaseView]
    next_job: datetime | None
    names: dict[str, str]  # Slack user id -> name, for mentions

    def query(self, **changes: str) -> str:
        values = {"customer": self.customer or "", "staff": self.staff.user.id} | changes
        return "?" + urlencode({key: value for key, value in values.items() if value})

    def hidden(self) -> str:
        """The selection, carried by every form so that the page comes back as it was."""
        fields = {"customer": self.customer or "", "staff": self.staff.user.id}
        return "".join(
            f'<input type="hidden" name="{key}" value="{escape(value)}">'
            for key, value in fields.items()
        )


def render_page(sandbox: Sandbox, view: View) -> str:
    """The whole console."""
    note = ""
    if view.note:
        role = "alert" if view.error else "status"
        kind = "error" if view.error else "note"
        note = f'<p class="{kind}" role="{role}" id="note">{escape(view.note)}</p>'
    return _LAYOUT.format(
        clock=_clock(sandbox, view),
        note=note,
        customer=_customer_pane(sandbox, view),
        staff=_staff_pane(sandbox, view),
        billing=_billing_pane(sandbox, view),
    )


def _clock(sandbox: Sandbox, view: View) -> str:
    now = sandbox.clock.now()
    upcoming = f"next scheduled: {_when(view.next_job)}" if view.next_job else "nothing scheduled"
    buttons = "".join(
        f'<button name="step" value="{step}">{label}</button>'
        for step, label in (("hour", "+1 hour"), ("day", "+1 day"), ("next", "Next job"))
    )
    return (
        f'<form method="post" action="/sandbox/clock" class="clock" data-live id="clock">'
        f'{view.hidden()}<strong>Sandbox time</strong> <time id="now">{_when(now)}</time> '
        f'<span class="muted">({escape(upcoming)})</span> {buttons}</form>'
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y %H:%M UTC")


# The customer pane.


def _customer_pane(sandbox: Sandbox, view: View) -> str:
    rows = []
    for customer_id, case in _by_customer(view.cases).items():
        current = ' aria-current="true"' if customer_id == view.customer else ""
        name = escape(case.customer.name or "")
        language = escape(case.customer.language or "?")
        summary = (
            f"type {case.case.type.value}, {case.case.reason.value}, {case.case.status.value}"
        )
        rows.append(
            f'<li><a href="/sandbox{view.query(customer=customer_id)}"{current}>'
            f"{escape(customer_id)} {name}</a> <span class=muted>{language} · "
            f"{escape(summary)}</span></li>"
        )
    picker = f'<ul class="customers">{"".join(rows)}</ul>'
    if view.customer is None:
        return picker + "<p>Pick a customer to play them in the chat.</p>"
    chat = _chat(sandbox, view)
    return (
        f"{picker}"
        f'<form method="post" action="/sandbox/customer/open">{view.hidden()}'
        f"<button>Open the bot as {escape(view.customer)}</button></form>"
        f'<div class="chat" data-live id="chat" aria-live="polite">{chat}</div>'
        f'<form method="post" action="/sandbox/customer/say" class="say">{view.hidden()}'
        f'<label for="say-text">Message</label> <input id="say-text" name="text" dir="auto" '
        f'autocomplete="off"> <button>Send</button></form>'
    )


def _by_customer(cases: list[CaseView]) -> dict[str, CaseView]:
    """One case a customer: the open one if any, else the latest."""
    chosen: dict[str, CaseView] = {}
    for view in sorted(cases, key=lambda v: (v.case.is_open, v.case.id)):
        chosen[view.case.customer_id] = view
    return dict(sorted(chosen.items()))


def _chat(sandbox: Sandbox, view: View) -> str:
    assert view.customer is not None
    messages = sandbox.telegram.history(sandbox.chat_id(view.customer))
    if not messages:
        return '<p class="muted">No messages yet: open the bot.</p>'
    return "".join(_bubble(message, view) for message in messages)


def _bubble(message: dict[str, Any], view: View) -> str:
    mine = not message["from"].get("is_bot")
    body = ""
    if text := message.get("text"):
        body += f'<div class="text" dir="auto">{escape(text)}</div>'
    if document := message.get("document"):
        name = escape(document.get("file_name", "document"))
        body += (
            f'<a class="document" href="/sandbox/files/{escape(document["file_id"])}" '
            f'target="_blank">{name}</a>'
        )
        if caption := message.get("caption"):
            body += f'<div class="text" dir="auto">{escape(caption)}</div>'
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard:
        body += '<div class="buttons">' + "".join(_key(b, message, view) for b in row) + "</div>"
    kind = "me" if mine else "bot"
    return f'<div class="msg {kind}" data-message-id="{message["message_id"]}">{body}</div>'


def _key(button: dict[str, Any], message: dict[str, Any], view: View) -> str:
    label = escape(button.get("text", ""))
    if url := button.get("url"):
        return f'<a class="button" dir="auto" href="{escape(url)}" target="_blank">{label}</a>'
    data = escape(str(button.get("callback_data", "")))
    return (
        f'<form method="post" action="/sandbox/customer/press">{view.hidden()}'
        f'<input type="hidden" name="message_id" value="{message["message_id"]}">'
        f'<button name="data" value="{data}" dir="auto">{label}</button></form>'
    )


# The staff pane.


def _staff_pane(sandbox: Sandbox, view: View) -> str:
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


def _click_form(view: View, channel: str, ts: str) -> Any:
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


# The billing pane.


def _billing_pane(sandbox: Sandbox, view: View) -> str:
    customers = sorted({v.case.customer_id for v in view.cases})
    selected = view.customer or ""
    options = "".join(
        f"<option{' selected' if c == selected else ''}>{escape(c)}</option>" for c in customers
    )
    types = "".join(f"<option>{t}</option>" for t in EVENT_TYPES)
    reasons = "".join(f"<option>{r}</option>" for r in REASONS)
    heard = "".join(
        f"<li>{escape(str(h.get('type')))} <span class=muted>{escape(str(h.get('customer')))}"
        f"</span></li>"
        for h in reversed(sandbox.heard[-8:])
    )
    return (
        f'<form method="post" action="/sandbox/billing/event" class="billing">{view.hidden()}'
        f'<label for="b-customer">Customer</label>'
        f'<select id="b-customer" name="event_customer">{options}</select>'
        f'<label for="b-type">Event</label><select id="b-type" name="type">{types}</select>'
        f'<label for="b-reason">Reason (payment failed)</label>'
        f'<select id="b-reason" name="reason">{reasons}</select>'
        f'<label for="b-amount">Amount</label>'
        f'<input id="b-amount" name="amount" placeholder="e.g. 120.00" inputmode="decimal">'
        f'<label for="b-currency">Currency</label>'
        f'<input id="b-currency" name="currency" placeholder="the customer\'s">'
        f'<label for="b-invoice">Invoice id</label>'
        f'<input id="b-invoice" name="invoice" placeholder="optional">'
        f"<button>Send signed event</button></form>"
        f'<h3>Billing heard</h3><ul data-live id="heard">{heard}</ul>'
    )


_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Settle sandbox</title>
<link rel="stylesheet" href="/sandbox/static/console.css">
<script src="/sandbox/static/console.js" defer></script>
</head>
<body>
<header><h1>Settle sandbox</h1>{clock}</header>
{note}
<main>
<section aria-labelledby="customer-title" id="customer-pane">
<h2 id="customer-title">Customer</h2>{customer}</section>
<section aria-labelledby="staff-title" id="staff-pane">
<h2 id="staff-title">Staff</h2>{staff}</section>
<section aria-labelledby="billing-title" id="billing-pane">
<h2 id="billing-title">Billing</h2>{billing}</section>
</main>
</body>
</html>
"""
