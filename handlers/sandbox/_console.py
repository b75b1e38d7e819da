"""The console's routes: the page, and what each pane's buttons and forms do.

Every action goes through the product's own doors: updates through the Bot API emulator's
queue (the bot polls it), clicks and forms signed to `/slack/events`, billing events
signed to `/billing/events`. After an action the page is shown again (POST, redirect, GET).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot import ContactStatus
from bot.ports import CaseView
from handlers.sandbox._billing import BillingForm, Form, FormError, post_event, read_form
from handlers.sandbox._pages import render_page
from handlers.sandbox._sandbox import Sandbox
from handlers.sandbox._stand_in import stand_in_routes
from handlers.sandbox._view import View

__all__ = ["console_routes"]

logger = logging.getLogger(__name__)

_Action = Callable[[Request, Form], Awaitable[str | None]]
_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# After playing the customer, the keyboard goes back to the message box.
_FOCUS = {
    "/sandbox/customer/open": "say-text",
    "/sandbox/customer/say": "say-text",
    "/sandbox/customer/press": "say-text",
}


class _Console:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def page(self, request: Request) -> HTMLResponse:
        params = request.query_params
        staff_id = params.get("staff") or self.sandbox.supervisor.user.id
        try:
            staff = self.sandbox.member(staff_id)
        except LookupError:
            staff = self.sandbox.supervisor
        view = View(
            customer=params.get("customer") or None,
            staff=staff,
            note=params.get("note"),
            error=params.get("error") == "1",
            cases=await self.sandbox.runtime.store.list_cases(),
            next_job=await self._next_job(),
            names={member.user.id: member.user.name for member in self.sandbox.staff},
        )
        return HTMLResponse(render_page(self.sandbox, view))

    def action(self, act: _Action, *, focus: str = "") -> Callable[[Request], Awaitable[Response]]:
        """Run `act` on the posted form; come back to the page with its note, or its error,
        and the keyboard on the element `focus` names."""

        async def endpoint(request: Request) -> Response:
            form = await read_form(request)
            selection = {key: str(form.get(key) or "") for key in ("customer", "staff")}
            try:
                note, error = await act(request, form), False
            except (FormError, LookupError) as failure:
                note, error = str(failure).strip("'\""), True
            query = (
                selection | ({"note": note} if note else {}) | ({"error": "1"} if error else {})
            )
            query = {key: value for key, value in query.items() if value}
            fragment = f"#{focus}" if focus else ""
            return RedirectResponse(f"/sandbox?{urlencode(query)}{fragment}", status_code=303)

        return endpoint

    # The customer's side.

    async def open_bot(self, request: Request, form: Form) -> str | None:
        customer_id = _field(form, "customer")
        async with self.sandbox.runtime.store.transaction() as tx:
            customer = await tx.get_customer(customer_id)
        if customer is None:
            raise FormError("customer", f"no customer {customer_id!r}")
        link = await self.sandbox.runtime.linking.deep_link(customer_id)
        user = self.sandbox.telegram_user(customer_id, customer.name, customer.language)
        await self.sandbox.telegram.send_text(
            user.id, f"/start {link.rpartition('=')[2]}", user=user
        )
        return f"followed the deep link {link.partition('?')[0]}?start=… as {customer_id}"

    async def say(self, request: Request, form: Form) -> str | None:
        chat = self.sandbox.chat_id(_field(form, "customer"))
        await self.sandbox.telegram.send_text(chat, _field(form, "text"))
        return None

    async def press(self, request: Request, form: Form) -> str | None:
        chat = self.sandbox.chat_id(_field(form, "customer"))
        message_id = _field(form, "message_id")
        if not message_id.isdigit():
            raise FormError("message_id", f"{message_id!r} is not a message id")
        await self.sandbox.telegram.press_button(chat, int(message_id), _field(form, "data"))
        return None

    async def file(self, request: Request) -> Response:
        try:
            upload = self.sandbox.telegram.file(request.path_params["file_id"])
        except KeyError:
            return Response("no such file", status_code=404, media_type="text/plain")
        disposition = f'inline; filename="{upload.file_name}"'
        return Response(
            upload.content,
            media_type=upload.mime_type,
            headers={"Content-Disposition": disposition},
        )

    # Staff in Slack.

    async def click(self, request: Request, form: Form) -> str | None:
        user = self.sandbox.member(_field(form, "staff")).user
        slack = self.sandbox.slack
        opened = len(slack.calls("views.open"))
        payload = slack.block_actions(
            user,
            channel=_field(form, "channel"),
            ts=_field(form, "ts"),
            action_id=_field(form, "action_id"),
        )
        await self._interact(request, payload)
        # A button that opens a form (Counter-offer) does so after its ack.
        try:
            await slack.wait_for("views.open", count=opened + 1, timeout=1.5)
        except TimeoutError:
            return None
        self.sandbox.modals[user.id] = str(slack.modals()[-1]["id"])
        self.sandbox.modal_errors.pop(user.id, None)
        return None

    async def submit(self, request: Request, form: Form) -> str | None:
        user = self.sandbox.member(_field(form, "staff")).user
        view_id = _field(form, "view_id")
        values = {
            key.removeprefix("field-"): str(value)
            for key, value in form.items()
            if key.startswith("field-") and str(value).strip()
        }
        payload = self.sandbox.slack.view_submission(user, view_id, values)
        answer = await self._interact(request, payload)
        errors = answer.get("errors") if answer.get("response_action") == "errors" else None
        if errors:
            self.sandbox.modal_errors[user.id] = {str(k): str(v) for k, v in errors.items()}
            return "the form has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        self.sandbox.modals.pop(user.id, None)
        self.sandbox.modal_errors.pop(user.id, None)
        return "submitted"

    async def close(self, request: Request, form: Form) -> str | None:
        user_id = self.sandbox.member(_field(form, "staff")).user.id
        self.sandbox.modals.pop(user_id, None)
        self.sandbox.modal_errors.pop(user_id, None)
        return None

    async def reply(self, request: Request, form: Form) -> str | None:
        user = self.sandbox.member(_field(form, "staff")).user
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": _field(form, "channel"),
            "user": user.id,
            "text": _field(form, "text"),
            "ts": ts,
            "thread_ts": _field(form, "thread_ts"),
            "channel_type": "channel",
        }
        await self._event(request, event)
        self.sandbox.replies.append(event | {"name": user.name})
        return None

    async def open_home(self, request: Request, form: Form) -> str | None:
        user = self.sandbox.member(_field(form, "staff")).user
        published = len(self.sandbox.slack.calls("views.publish"))
        event = {"type": "app_home_opened", "user": user.id, "channel": "D-HOME", "tab": "home"}
        await self._event(request, event)
        await self._published(published)
        return None

    async def home_click(self, request: Request, form: Form) -> str | None:
        user = self.sandbox.member(_field(form, "staff")).user
        published = len(self.sandbox.slack.calls("views.publish"))
        payload = self.sandbox.slack.home_actions(user, _field(form, "action_id"))
        await self._interact(request, payload)
        await self._published(published)
        return None

    async def _published(self, before: int) -> None:
        try:
            await self.sandbox.slack.wait_for("views.publish", count=before + 1, timeout=3)
        except TimeoutError:
            logger.warning("sandbox: no App Home was published within 3 s")

    async def _interact(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        body, headers = self.sandbox.slack.interaction_request(payload)
        response = await _post(request, "/slack/events", body, headers)
        if not response.content or not response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return {}
        answer: dict[str, Any] = response.json()
        return answer

    async def _event(self, request: Request, event: dict[str, Any]) -> None:
        event_id = f"Ev-sandbox-{self.sandbox.next_id()}"
        body, headers = self.sandbox.slack.event_request(event, event_id=event_id)
        await _post(request, "/slack/events", body, headers)

    # Billing.

    async def billing_event(self, request: Request, form: Form) -> str | None:
        customer = str(form.get("event_customer") or "")
        billing = BillingForm(
            customer=customer,
            type=_field(form, "type"),
            reason=str(form.get("reason") or "card_declined"),
            amount=str(form.get("amount") or ""),
            currency=str(form.get("currency") or ""),
            invoice=str(form.get("invoice") or "").strip(),
        )
        event = billing.event(self.sandbox, await self._case(customer))
        return await self.send(request, event)

    async def send(self, request: Request, event: dict[str, Any]) -> str:
        """Sign and POST `event`; what the endpoint answered, or `FormError` naming its field."""
        secret = self.sandbox.settings.webhook_secret
        if secret is None:
            raise FormError("SETTLE_WEBHOOK_SECRET", "not set; the sandbox sets one at start")
        response = await post_event(_origin(request), secret.get_secret_value(), event)
        answer = response.json()
        if response.status_code != 200:
            error = answer.get("error") or {}
            raise FormError(str(error.get("field", "event")), str(error.get("message", "")))
        customer = event["customer"]["id"]
        return f"billing event {event['type']} for {customer}: {answer.get('outcome')}"

    async def _case(self, customer_id: str) -> CaseView | None:
        views = [
            v
            for v in await self.sandbox.runtime.store.list_cases()
            if v.case.customer_id == customer_id
        ]
        open_views = [v for v in views if v.case.is_open]
        found = open_views or views
        return found[-1] if found else None

    async def heard(self, request: Request) -> Response:
        """Billing's callback endpoint: remember what billing was told."""
        payload = json.loads(await request.body() or b"{}")
        customer = payload.get("customer")
        self.sandbox.heard.append(
            {"type": payload.get("type"), "customer": (customer or {}).get("id")}
        )
        return Response(status_code=204)

    # The clock.

    async def step(self, request: Request, form: Form) -> str | None:
        step = _field(form, "step")
        clock = self.sandbox.clock
        if step == "next":
            due = await self._next_job()
            if due is None:
                raise FormError("step", "nothing is scheduled; advance by an hour or a day")
            clock.move_to(due)
        elif step in _STEPS:
            clock.advance(_STEPS[step])
        else:
            raise FormError("step", f"{step!r}; expected hour, day or next")
        await self.sandbox.runtime.run_jobs()
        await asyncio.sleep(0.5)  # a turn of the outbox, so the page shows what fell due
        return f"the sandbox's time is now {clock.now():%a %d %b %Y %H:%M} UTC"

    async def _next_job(self) -> datetime | None:
        """When the earliest queued outbox row falls due after now: a step, a reminder, an
        alert or a held message."""
        now = self.sandbox.clock.now()
        queued = await self.sandbox.runtime.store.list_contacts(status=ContactStatus.QUEUED)
        later = [c.due_at for c in queued if c.due_at > now]
        return min(later, default=None)


def _field(form: Form, name: str) -> str:
    value = str(form.get(name) or "").strip()
    if not value:
        raise FormError(name, "required")
    return value


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _post(
    request: Request, path: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.post(_origin(request) + path, content=body, headers=headers)


def console_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """The console's routes, all under /sandbox."""
    console = _Console(sandbox)
    actions = {
        "/sandbox/customer/open": console.open_bot,
        "/sandbox/customer/say": console.say,
        "/sandbox/customer/press": console.press,
        "/sandbox/staff/click": console.click,
        "/sandbox/staff/submit": console.submit,
        "/sandbox/staff/close": console.close,
        "/sandbox/staff/reply": console.reply,
        "/sandbox/staff/home": console.open_home,
        "/sandbox/staff/home-click": console.home_click,
        "/sandbox/billing/event": console.billing_event,
        "/sandbox/clock": console.step,
    }
    static = Path(__file__).with_name("static")
    return [
        Route("/sandbox", console.page),
        Route("/sandbox/files/{file_id}", console.file),
        Route("/sandbox/billing/callbacks", console.heard, methods=["POST"]),
        *(
            Route(path, console.action(act, focus=_FOCUS.get(path, "")), methods=["POST"])
            for path, act in actions.items()
        ),
        *stand_in_routes(sandbox, console.send),
        Mount("/sandbox/static", app=StaticFiles(directory=static), name="sandbox-static"),
    ]
