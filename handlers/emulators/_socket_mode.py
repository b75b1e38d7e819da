"""Slack's side of Socket Mode: a WebSocket on loopback that delivers envelopes and takes acks.

An app in Socket Mode asks `apps.connections.open` (with its app-level token) for a URL,
connects, is greeted with `hello`, then receives each event, interaction or slash command
as an envelope and answers it with the envelope's id and, where Slack accepts one, a
response payload (https://api.slack.com/apis/socket-mode). aiohttp serves the socket: it
is a dependency of Bolt's async Socket Mode client already.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import uuid

from aiohttp import WSMsgType, web

from handlers.emulators._requests import JSONDict

__all__ = ["SocketModeServer"]

logger = logging.getLogger(__name__)

# Envelope types, and whether Slack takes a response payload with the ack.
KINDS = {"events_api": False, "interactive": True, "slash_commands": True}


class SocketModeServer:
    """One WebSocket endpoint; `deliver` sends an envelope and waits for its ack."""

    def __init__(self, *, app_id: str = "A111") -> None:
        self._app_id = app_id
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[JSONDict]] = {}
        self.port = 0
        self.connections = 0  # how many times an app connected

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the Socket Mode endpoint is not serving; start the emulator")
        return f"ws://127.0.0.1:{self.port}/link"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # Bound here, so that the free port the system picks is known before serving.
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind(("127.0.0.1", 0))
        self.port = int(listening.getsockname()[1])
        await web.SockSite(self._runner, listening).start()

    async def stop(self) -> None:
        for link in list(self._sockets):
            with contextlib.suppress(ConnectionError):
                await link.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def deliver(
        self,
        kind: str,
        payload: JSONDict,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helper's deadline saves each test a wrapper
    ) -> JSONDict:
        """Send one envelope to the connected app; its ack (`envelope_id`, maybe `payload`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown envelope type {kind!r}; expected one of {sorted(KINDS)}")
        await asyncio.wait_for(self._connected.wait(), timeout)
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": KINDS[kind],
            "retry_attempt": 0,
            "retry_reason": "",
        }
        answer = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = answer
        await next(iter(self._sockets)).send_str(json.dumps(envelope))
        try:
            return await asyncio.wait_for(answer, timeout)
        finally:
            self._acks.pop(envelope_id, None)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        link = web.WebSocketResponse()
        await link.prepare(request)
        self._sockets.add(link)
        self.connections += 1
        hello = {
            "type": "hello",
            "num_connections": len(self._sockets),
            "connection_info": {"app_id": self._app_id},
            "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
        }
        await link.send_str(json.dumps(hello))
        self._connected.set()
        try:
            async for message in link:
                if message.type == WSMsgType.TEXT:
                    self._ack(message.data)
        finally:
            self._sockets.discard(link)
            if not self._sockets:
                self._connected.clear()
        return link

    def _ack(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            answer = self._acks.get(str(data.get("envelope_id")))
            if answer is not None and not answer.done():
                answer.set_result(data)
