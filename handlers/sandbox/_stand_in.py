"""Billing's own pages, which the bot's single-use links open, played by the sandbox.

A real billing system shows its card form or checkout, redeems the token to know the
customer, and tells Settle by webhook; these pages do the same with a one-field form.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot._linking import hash_token
from handlers.sandbox._billing import FormError, read_form
from handlers.sandbox._sandbox import Sandbox
from handlers.telegram._links import PAY, UPDATE_PAYMENT

__all__ = ["stand_in_routes"]

_Send = Callable[[Request, dict[str, Any]], Awaitable[str]]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/sandbox/static/console.css"></head>
<body class="stand-in"><main><h1>{title}</h1>
<p class="muted">Billing's page, played by the sandbox.</p>{body}</main></body></html>
"""


def _page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


class _StandIn:
    def __init__(self, sandbox: Sandbox, send: _Send) -> None:
        self.sandbox = sandbox
        self.send = send

    async def payment_method(self, request: Request) -> Response:
        title = "Update your payment method"
        if request.method == "GET":
            return _page(
                title, self._form(request, "New card's last four digits", "last4", "1881")
            )
        form = await read_form(request)
        last4 = str(form.get("last4") or "").strip()
        if not (last4.isdigit() and 2 <= len(last4) <= 4):
            body = '<p class="error" role="alert">last4: enter the last 2 to 4 digits</p>'
            return _page(
                title,
                body + self._form(request, "New card's last four digits", "last4", last4),
                status=400,
            )
        customer = await self._redeem(str(form.get("token") or ""), UPDATE_PAYMENT)
        if customer is None:
            return _page(title, _USED, status=410)
        event = {
            "id": f"console-pm-{int(time.time())}-{self.sandbox.next_id()}",
            "type": "payment_method_updated",
            "occurred_at": self.sandbox.clock.now().isoformat(),
            "customer": {"id": customer},
            "payment_method": {"kind": "card", "last4": last4},
        }
        return await self._told(request, title, event, customer)

    async def pay(self, request: Request) -> Response:
        title = "Pay now"
        if request.method == "GET":
            return _page(title, self._form(request, "Amount", "amount", ""))
        form = await read_form(request)
        amount = str(form.get("amount") or "").strip()
        customer = await self._redeem(str(form.get("token") or ""), PAY)
        if customer is None:
            return _page(title, _USED, status=410)
        views = await self.sandbox.runtime.store.list_cases(open_only=True)
        due = next((v.case.amount_due for v in views if v.case.customer_id == customer), None)
        if due is None:
            return _page(title, '<p class="error" role="alert">Nothing is due.</p>', status=400)
        event = {
            "id": f"console-pay-{int(time.time())}-{self.sandbox.next_id()}",
            "type": "payment_received",
            "occurred_at": self.sandbox.clock.now().isoformat(),
            "customer": {"id": customer},
            "payment": {
                "id": f"py-console-{self.sandbox.next_id()}",
                "amount": amount or str(due.to_decimal()),
                "currency": due.currency,
            },
        }
        return await self._told(request, title, event, customer)

    def _form(self, request: Request, label: str, name: str, value: str) -> str:
        token = escape(request.query_params.get("token", ""))
        return (
            f'<form method="post"><input type="hidden" name="token" value="{token}">'
            f'<label for="{name}">{escape(label)}</label> '
            f'<input id="{name}" name="{name}" value="{escape(value)}"> '
            f"<button>Save</button></form>"
        )

    async def _redeem(self, token: str, purpose: str) -> str | None:
        now = self.sandbox.clock.now()
        async with self.sandbox.runtime.store.transaction() as tx:
            return await tx.use_token(hash_token(token), purpose=purpose, now=now)

    async def _told(
        self, request: Request, title: str, event: dict[str, Any], customer: str
    ) -> Response:
        try:
            outcome = await self.send(request, event)
        except FormError as error:
            return _page(
                title, f'<p class="error" role="alert">{escape(str(error))}</p>', status=400
            )
        back = "/sandbox?" + urlencode({"customer": customer})
        body = (
            f'<p role="status" id="done">Saved; Settle was told by webhook: {escape(outcome)}.</p>'
            f'<p><a href="{escape(back)}">Back to the console</a></p>'
        )
        return _page(title, body)


_USED = '<p class="error" role="alert">This link was used already or has expired.</p>'


def stand_in_routes(sandbox: Sandbox, send: _Send) -> list[Route]:
    pages = _StandIn(sandbox, send)
    methods = ["GET", "POST"]
    return [
        Route("/sandbox/billing/payment-method", pages.payment_method, methods=methods),
        Route("/sandbox/billing/pay", pages.pay, methods=methods),
    ]
