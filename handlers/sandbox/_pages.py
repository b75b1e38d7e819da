"""The console's page: the clock, then the customer, staff and billing panes side by side.

Server-rendered HTML; `static/console.js` refreshes the parts marked `data-live`.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from bot.ports import CaseView
from handlers.sandbox._sandbox import Sandbox
from handlers.sandbox._staff_pane import staff_pane
from handlers.sandbox._view import View

__all__ = ["EVENT_TYPES", "REASONS", "render_page"]

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
        staff=staff_pane(sandbox, view),
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
        f"{view.hidden()}<strong>Sandbox time</strong> "
        f'<time id="now" datetime="{now.isoformat()}">{_when(now)}</time> '
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
    picker = f'<ul class="customers" data-live id="customers">{"".join(rows)}</ul>'
    if view.customer is None:
        return picker + "<p>Pick a customer to play them in the chat.</p>"
    chat = _chat(sandbox, view, view.customer)
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


def _chat(sandbox: Sandbox, view: View, customer: str) -> str:
    messages = sandbox.telegram.history(sandbox.chat_id(customer))
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
