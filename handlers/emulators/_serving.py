"""Serving an emulator's ASGI app with uvicorn on loopback, shared by the emulators."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn

__all__ = ["LoopbackServer"]

logger = logging.getLogger(__name__)


class LoopbackServer:
    """One uvicorn server on 127.0.0.1 for the emulator called `name` (used in messages)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self, app: Any, *, port: int = 0) -> int:
        """Serve `app` on a free port unless one is given; the port it listens on."""
        if self._server is not None:
            msg = f"the {self._name} emulator is already running; call stop() first"
            raise RuntimeError(msg)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,  # the host application owns the logging setup
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        slug = self._name.lower().replace(" ", "-")
        task = asyncio.create_task(server.serve(), name=f"{slug}-emulator")
        while not server.started:
            if task.done():
                await task
                msg = f"the {self._name} emulator could not listen on 127.0.0.1:{port}"
                raise RuntimeError(msg)
            await asyncio.sleep(0.005)
        self._server, self._task = server, task
        self.port = int(server.servers[0].sockets[0].getsockname()[1])
        logger.info("%s emulator listening on 127.0.0.1:%d", self._name, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop the server, if one runs."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server, self._task = None, None
            logger.info("%s emulator stopped", self._name)
