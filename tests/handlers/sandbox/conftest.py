"""The sandbox served on a loopback port, as `settle sandbox` serves it, on a fresh database."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn

from bot import Settings
from handlers.sandbox import Sandbox, running_sandbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(
    settings: Settings, database: Path, *, reset: bool = False
) -> AsyncIterator[tuple[Sandbox, str]]:
    """Run a sandbox on `database` under uvicorn, as `settle sandbox` does; its origin."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    async with running_sandbox(settings, database=database, origin=origin, reset=reset) as box:
        config = uvicorn.Config(box.app, host="127.0.0.1", port=port, log_config=None)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        try:
            yield box, origin
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def sandbox(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, str]]:
    """The running sandbox and its origin; the bot's links point at that origin."""
    async with serving(settings, tmp_path / "sandbox.db") as served:
        yield served
