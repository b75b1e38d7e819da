"""The Telegram emulator, driven by the real python-telegram-bot."""

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from handlers.emulators import TelegramEmulator, TelegramUser, WebhookDelivery

TOKEN = "4242:emulator-test-token"
CHAT = 42
PAY = InlineKeyboardMarkup([[InlineKeyboardButton("Pay", callback_data="pay:1")]])


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url) as bot:
        yield bot


@pytest.fixture
async def raw(emulator: TelegramEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}{TOKEN}/") as client:
        yield client


async def test_get_me_returns_configured_bot_user() -> None:
    async with (
        TelegramEmulator(token=TOKEN, username="other_bot") as emulator,
        Bot(TOKEN, base_url=emulator.base_url) as bot,
    ):
        me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (4242, "other_bot", True)


async def test_send_message_records_inline_keyboard(emulator: TelegramEmulator, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "Your plan", reply_markup=PAY)

    call = emulator.calls("sendMessage")[0]
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Pay", "callback_data": "pay:1"}]]
    }
    assert message.reply_markup == PAY
    assert message.from_user is not None
    assert message.from_user.username == "settle_test_bot"


async def test_message_ids_increase_per_chat(bot: Bot) -> None:
    ids = [(await bot.send_message(chat, "hi")).message_id for chat in (1, 1, 2)]

    assert ids == [1, 2, 1]


async def test_edit_message_text_shows_in_sent_messages(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    message = await bot.send_message(CHAT, "old", reply_markup=PAY)

    await bot.edit_message_text("new", chat_id=CHAT, message_id=message.message_id)

    [shown] = emulator.sent_messages(CHAT)
    assert (shown["text"], "reply_markup" in shown) == ("new", False)


async def test_edit_with_same_text_and_markup_is_not_modified(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "same", reply_markup=PAY)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await message.edit_text("same", reply_markup=PAY)


async def test_edit_reply_markup_replaces_buttons(emulator: TelegramEmulator, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "plan", reply_markup=PAY)
    done = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done")]])

    await message.edit_reply_markup(done)

    assert emulator.sent_messages()[0]["reply_markup"] == done.to_dict()


async def test_answer_callback_query_after_button_press(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    message = await bot.send_message(CHAT, "plan", reply_markup=PAY)
    await emulator.press_button(CHAT, message.message_id, "pay:1")

    [update] = await bot.get_updates(timeout=1)
    assert update.callback_query is not None
    assert await update.callback_query.answer("Thanks") is True

    assert emulator.calls("answerCallbackQuery")[0].params["text"] == "Thanks"


async def test_send_document_keeps_bytes_and_name(emulator: TelegramEmulator, bot: Bot) -> None:
    content = b"%PDF-1.4\r\n\x00\xff--boundary\n\r\r\n"

    message = await bot.send_document(CHAT, content, filename="letter.pdf", caption="Letter")

    assert message.document is not None
    assert (message.document.file_name, message.document.file_size) == ("letter.pdf", len(content))
    upload = emulator.file(message.document.file_id)
    assert (upload.content, upload.mime_type) == (content, "application/pdf")


async def test_blocked_chat_raises_forbidden(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.block(CHAT)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")


async def test_fail_next_429_raises_retry_after_once(
    emulator: TelegramEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # int retry_after warns since PTB 22.2
    emulator.fail_next("sendMessage", retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "hello")

    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert (await bot.send_message(CHAT, "hello")).text == "hello"


async def test_fail_next_500_raises_network_error(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.fail_next("sendMessage", status=500, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(CHAT, "hello")

    assert [call.status for call in emulator.calls("sendMessage")] == [500, 500]


async def test_send_text_command_has_bot_command_entity(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    await emulator.send_text(CHAT, "/start TOKEN", user=TelegramUser(CHAT, "Ada"))

    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.parse_entities() == {update.message.entities[0]: "/start"}
    assert update.message.chat.first_name == "Ada"


async def test_block_bot_sends_kicked_member_update(emulator: TelegramEmulator, bot: Bot) -> None:
    await emulator.block_bot(CHAT)

    [update] = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "hello")


async def test_get_updates_returns_when_update_arrives(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    polling = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)

    await emulator.send_text(CHAT, "hi")

    [update] = await polling
    assert update.message is not None
    assert update.message.text == "hi"
    assert loop.time() - started < 1


async def test_get_updates_honours_allowed_updates(emulator: TelegramEmulator, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "plan", reply_markup=PAY)
    await bot.get_updates(allowed_updates=["message"])

    await emulator.press_button(CHAT, message.message_id, "pay:1")
    await emulator.send_text(CHAT, "hi")

    assert [update.message is not None for update in await bot.get_updates()] == [True]


async def test_raw_requests_accept_json_query_and_any_case(raw: httpx.AsyncClient) -> None:
    by_json = await raw.post("SENDMESSAGE", json={"chat_id": "7", "text": "a"})
    by_query = await raw.get("sendmessage", params={"chat_id": 7, "text": "b"})

    assert by_json.json()["result"]["chat"]["id"] == 7
    assert by_query.json()["result"]["message_id"] == 2


async def test_raw_errors_have_bot_api_shape(raw: httpx.AsyncClient) -> None:
    empty = await raw.post("sendMessage", data={"chat_id": "7"})
    unknown = await raw.post("sendSticker", data={"chat_id": "7"})

    assert (empty.status_code, empty.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")


async def test_wait_for_times_out_naming_the_match(emulator: TelegramEmulator) -> None:
    with pytest.raises(TimeoutError, match="sendMessage"):
        await emulator.wait_for("sendMessage", timeout=0.05)


async def test_application_polling_answers_start(emulator: TelegramEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hello {' '.join(context.args or [])}")

    application = ApplicationBuilder().token(TOKEN).base_url(emulator.base_url).build()
    application.add_handler(CommandHandler("start", start))
    assert application.updater is not None
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        await emulator.send_text(CHAT, "/start abc")
        reply = await emulator.wait_for("sendMessage", chat_id=CHAT)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    assert reply.params["text"] == "hello abc"


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[str, asyncio.Queue[Request]]]:
    received: asyncio.Queue[Request] = asyncio.Queue()

    async def receive(request: Request) -> Response:
        await request.body()
        await received.put(request)
        return Response()

    app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn offers no startup event to await
        if server.started:
            break
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/hook", received
    server.should_exit = True
    await serving


async def test_webhook_receives_update_with_secret(
    emulator: TelegramEmulator,
    bot: Bot,
    webhook: tuple[str, asyncio.Queue[Request]],
) -> None:
    url, received = webhook
    await bot.set_webhook(url, secret_token="s3cret")

    update = await emulator.send_text(CHAT, "hi")

    request = await asyncio.wait_for(received.get(), 5)
    assert request.headers["x-telegram-bot-api-secret-token"] == "s3cret"
    assert (await request.json())["message"]["text"] == "hi"
    assert await emulator.wait_delivered() == [WebhookDelivery(update["update_id"], 200)]
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_unblock_bot_lets_sends_through(emulator: TelegramEmulator, bot: Bot) -> None:
    await emulator.block_bot(CHAT)

    await emulator.unblock_bot(CHAT)

    changes = [update.my_chat_member for update in await bot.get_updates()]
    statuses = [change.new_chat_member.status for change in changes if change]
    assert statuses == ["kicked", "member"]
    assert (await bot.send_message(CHAT, "welcome back")).text == "welcome back"


async def test_app_mounts_inside_another_starlette_app() -> None:
    emulator = TelegramEmulator(token=TOKEN)
    host = Starlette(routes=[Mount("/telegram", app=emulator.app)])
    transport = httpx.ASGITransport(app=host)

    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post(f"/telegram/bot{TOKEN}/getMe")

    assert response.json()["result"]["username"] == "settle_test_bot"
