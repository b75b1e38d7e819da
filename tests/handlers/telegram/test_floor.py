"""The chat floor: one speaker at a time per chat, and nothing kept for quiet chats."""

from __future__ import annotations

import asyncio

from handlers.telegram import ChatFloor


async def test_a_message_for_a_chat_waits_for_the_answer_under_way() -> None:
    floor, said = ChatFloor(), []
    answering = asyncio.Event()

    async def update() -> None:
        async with floor.hold("7"):
            answering.set()
            await asyncio.sleep(0.05)  # the turn's transaction, then its answer
            said.append("answer")

    async def outbox(chat: str, text: str) -> None:
        await answering.wait()
        async with floor.hold(chat):
            said.append(text)

    await asyncio.gather(update(), outbox("7", "queued by the turn"), outbox("8", "elsewhere"))

    assert said == ["elsewhere", "answer", "queued by the turn"]
    assert floor.chats() == 0


async def test_a_failing_speaker_gives_the_floor_back() -> None:
    floor = ChatFloor()

    async def fails() -> None:
        async with floor.hold("7"):
            raise RuntimeError("the Bot API refused")

    results = await asyncio.gather(fails(), return_exceptions=True)
    async with asyncio.timeout(1):
        async with floor.hold("7"):
            pass

    assert [type(r) for r in results] == [RuntimeError]
    assert floor.chats() == 0
