"""The customer's side of the chat: link with /start, stop messages, ask for a person.

Every reply is in the customer's language, chosen once per update; no debt
detail is ever shown to a chat that is not linked (COMPLIANCE rule 7).
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import Conversation, Linking
from handlers.telegram._keyboard import to_markup
from messages import (
    Action,
    Rendered,
    apology,
    hello_unlinked,
    is_stop_word,
    normalize_locale,
    not_linked,
    person_requested,
    stopped,
    token_invalid,
    welcome_linked,
)

__all__ = ["ChatHandlers"]

logger = logging.getLogger(__name__)


class ChatHandlers:
    """Registers the conversation's handlers on a python-telegram-bot `Application`."""

    def __init__(self, linking: Linking, conversation: Conversation) -> None:
        self._linking = linking
        self._conversation = conversation

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(
            ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.text))
        application.add_error_handler(self.error)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/start <token>` links the chat; a bare /start greets or resumes messages."""
        started = time.perf_counter()
        chat_id, locale = _chat(update), _locale(update)
        token = context.args[0] if context.args else None
        if token is not None:
            customer_id = await self._linking.redeem(chat_id, token)
            reply = token_invalid if customer_id is None else welcome_linked
        else:
            customer_id = await self._conversation.resume(chat_id)
            reply = hello_unlinked if customer_id is None else welcome_linked
        await _reply(update, reply(locale=locale))
        _log_update(update, "start", started, linked=customer_id is not None)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Buttons carry only an opaque action; state is checked again here."""
        started = time.perf_counter()
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        chat_id, locale = _chat(update), _locale(update)
        if query.data == Action.STOP:
            await self._stop(update, chat_id, locale)
        elif query.data == Action.PERSON:
            escalated = await self._conversation.request_person(chat_id)
            await _reply(
                update, person_requested(locale=locale) if escalated else not_linked(locale=locale)
            )
        _log_update(update, f"button:{query.data}", started)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        started = time.perf_counter()
        message = update.effective_message
        chat_id, locale = _chat(update), _locale(update)
        if message is not None and message.text and is_stop_word(message.text):
            await self._stop(update, chat_id, locale)
        elif await self._conversation.customer_of(chat_id) is None:
            await _reply(update, not_linked(locale=locale))
        else:
            await self._conversation.request_person(chat_id)
            await _reply(update, person_requested(locale=locale))
        _log_update(update, "text", started)

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
                await _reply(update, apology(locale=_locale(update)))
            except Exception:
                logger.exception("could not send the apology")

    async def _stop(self, update: Update, chat_id: str, locale: str) -> None:
        await self._conversation.opt_out(chat_id)
        await _reply(update, stopped(locale=locale))


def _chat(update: Update) -> str:
    chat = update.effective_chat
    return "" if chat is None else str(chat.id)


def _locale(update: Update) -> str:
    user = update.effective_user
    return normalize_locale(user.language_code if user else None)


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
