"""The customer's side of the chat: link with /start, then the conversation about the case.

Every reply is in the customer's language, chosen once per update; no debt detail is ever
shown to a chat that is not linked (COMPLIANCE rule 7). Buttons carry only opaque data:
the state they act on is read again from storage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import Conversation, Dialogue, Intent, Linking, TakeOver, View
from handlers.telegram._application import TelegramApp
from handlers.telegram._floor import ChatFloor
from handlers.telegram._keyboard import to_markup
from messages import (
    Rendered,
    apology,
    hello_unlinked,
    intent_of,
    is_stop_word,
    render_view,
    resolve_locale,
    token_invalid,
    welcome_linked,
)

__all__ = ["ChatHandlers"]

logger = logging.getLogger(__name__)

# Buttons of messages sent before the conversation carried versions.
_LEGACY = {"person": "escalate:person:0", "stop": "stop::0"}
# The opt-out button's data: it works while a person has the conversation too (rule 5).
_STOP = "stop:"

_Handle = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class ChatHandlers:
    """Registers the conversation's handlers on a python-telegram-bot `Application`."""

    def __init__(
        self,
        linking: Linking,
        conversation: Conversation,
        dialogue: Dialogue,
        *,
        default_locale: str = "en",
        take_over: TakeOver | None = None,
        floor: ChatFloor | None = None,
    ) -> None:
        self._linking = linking
        self._conversation = conversation
        self._dialogue = dialogue
        self._default_locale = default_locale
        self._take_over = take_over
        self._floor = ChatFloor() if floor is None else floor

    def install(self, application: TelegramApp) -> None:
        application.add_handler(CommandHandler("start", self._speaking(self.start)))
        application.add_handler(CommandHandler(["menu", "help"], self._speaking(self.menu)))
        application.add_handler(CommandHandler("language", self._speaking(self.language)))
        application.add_handler(CallbackQueryHandler(self._speaking(self.button)))
        application.add_handler(
            ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        texts = filters.TEXT & ~filters.COMMAND
        application.add_handler(MessageHandler(texts, self._speaking(self.text)))
        application.add_error_handler(self.error)

    def _speaking(self, handle: _Handle) -> _Handle:
        """`handle` with the chat's floor held: what the update queues in the outbox for
        the chat goes after its answer (`ChatFloor`)."""

        async def speaking(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            async with self._floor.hold(_chat(update)):
                await handle(update, context)

        return speaking

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/start <token>` links the chat; a bare /start greets or resumes messages."""
        started = time.perf_counter()
        chat_id, locale = _chat(update), await self._locale(update)
        token = context.args[0] if context.args else None
        if token is not None:
            customer_id = await self._linking.redeem(chat_id, token)
            reply = token_invalid if customer_id is None else welcome_linked
            if customer_id is not None:
                locale = await self._locale(update)  # linked now: the customer's own language
        else:
            customer_id = await self._conversation.resume(chat_id)
            reply = hello_unlinked if customer_id is None else welcome_linked
        await _reply(update, reply(locale=locale))
        _log_update(update, "start", started, linked=customer_id is not None)

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        if await self._silent(update):
            _log_update(update, "menu", started, taken_over=True)
            return
        locale = await self._locale(update)
        view = await self._dialogue.menu(_chat(update))
        await _reply(update, self._render(view, locale))
        _log_update(update, "menu", started, screen=view.screen)

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/language`: the languages served, as buttons."""
        started = time.perf_counter()
        locale = await self._locale(update)
        view = await self._dialogue.say(_chat(update), "", Intent.LANGUAGE, locale=locale)
        await _reply(update, self._render(view, locale))
        _log_update(update, "language", started, screen=view.screen)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        query = update.callback_query
        if query is None or query.data is None:
            return
        try:
            await query.answer()
        except BadRequest as error:
            # Telegram refuses to answer a query older than about 15 s (after a restart, a
            # slow queue): the tap still counts, only its spinner is not stopped.
            logger.info("callback query not answered: %s", error.message)
        data = _LEGACY.get(query.data, query.data)
        if not data.startswith(_STOP) and await self._silent(update):
            _log_update(update, "button", started, taken_over=True)
            return
        locale = await self._locale(update)
        view = await self._dialogue.tap(_chat(update), data, locale=locale)
        if data.startswith("language:"):
            locale = await self._locale(update)  # the customer has just chosen another
        rendered = self._render(view, locale)
        # The answer first: what the turn queued in the outbox (a copy of an agreement, say)
        # goes after it, and the tapped message loses its buttons once it is on its way.
        await _reply(update, rendered)
        await _retire(query)
        tapped = _label(query, query.data)
        await self._note(update, view, ("in", tapped), ("out", rendered.text))
        _log_update(update, "button", started, screen=view.screen)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        message = update.effective_message
        if message is None or message.text is None:
            return
        said = message.text
        if not is_stop_word(said) and await self._pass_to_staff(update, said):
            _log_update(update, "text", started, taken_over=True)
            return
        locale = await self._locale(update)
        intent = Intent.STOP if is_stop_word(said) else intent_of(said)
        view = await self._dialogue.say(_chat(update), said, intent, locale=locale)
        rendered = self._render(view, locale)
        await _reply(update, rendered)
        await self._note(update, view, ("in", said), ("out", rendered.text))
        _log_update(update, "text", started, intent=intent, screen=view.screen)

    async def membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A blocked bot shows as `my_chat_member` with status kicked (Bot API)."""
        member = update.my_chat_member
        if member is None:
            return
        blocked = member.new_chat_member.status == ChatMemberStatus.BANNED
        await self._conversation.set_reachable(str(member.chat.id), not blocked)
        logger.info("chat=%s reachable=%s", member.chat.id, not blocked)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure; the customer gets a short apology, never a traceback."""
        logger.error("update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await _reply(update, apology(locale=await self._locale(update)))
            except Exception:
                logger.exception("could not send the apology")

    async def _note(self, update: Update, view: View, *lines: tuple[str, str]) -> None:
        """Keep the exchange in the transcript, under the case it was about when there is one."""
        case = view.case if view.current is None else view.current.case
        if case is None or case.id is None:
            await self._conversation.note(_chat(update), *lines)
            return
        await self._conversation.note(
            _chat(update), *lines, case_id=case.id, customer_id=case.customer_id
        )

    async def _silent(self, update: Update) -> bool:
        """Whether a person has taken the conversation over, so that the bot keeps quiet."""
        return self._take_over is not None and await self._take_over.is_taken_over(_chat(update))

    async def _pass_to_staff(self, update: Update, said: str) -> bool:
        """Send what the customer wrote to the person who took the conversation over."""
        message = update.effective_message
        if self._take_over is None or message is None:
            return False
        chat_id = _chat(update)
        return await self._take_over.from_customer(
            chat_id, text=said, message_id=message.message_id
        )

    def _render(self, view: View, locale: str) -> Rendered:
        """A view in words, with the single-use links the dialogue made for its buttons."""
        return render_view(view, locale=locale, update_url=view.update_url, pay_url=view.pay_url)

    async def _locale(self, update: Update) -> str:
        """The customer's choice, else the billing record's, else Telegram's, else the default."""
        stored = await self._conversation.locale_of(_chat(update))
        user = update.effective_user
        telegram = user.language_code if user else None
        return resolve_locale(stored or telegram, default=self._default_locale)


async def _retire(query: CallbackQuery) -> None:
    """Take the buttons off a tapped message, so that it cannot be tapped twice by mistake."""
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        # "Message is not modified" on a double tap, or a message too old to edit.
        logger.debug("buttons already gone from the tapped message")


def _chat(update: Update) -> str:
    chat = update.effective_chat
    return "" if chat is None else str(chat.id)


def _label(query: CallbackQuery, data: str) -> str:
    """The words of the tapped button, as the transcript keeps them: "[Pay now]"."""
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return f"[{button.text}]"
    return "[a button of an earlier message]"


async def _reply(update: Update, rendered: Rendered) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(rendered.text, reply_markup=to_markup(rendered))


def _log_update(update: Update, kind: str, started: float, **extra: object) -> None:
    logger.info(
        "update=%s chat=%s kind=%s %s duration_ms=%.0f",
        update.update_id,
        _chat(update),
        kind,
        " ".join(f"{key}={value}" for key, value in extra.items()),
        (time.perf_counter() - started) * 1000,
    )
