"""Promises in English, Hebrew, Russian and Arabic, through the Bot API: a typed date, a part
of the amount, a date outside the window, and the reminder and broken promise of the outbox.

Like `test_conversation_languages` and `test_care_languages`, expected words are copied from
the catalogues (`messages/locale/<lang>/LC_MESSAGES/settle.po`), never looked up through
`messages`; money and dates come from babel for the customer's locale, between FSI and PDI in
Hebrew and Arabic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot import AgreementKind, CaseStatus, Instalment, Money
from bot._watch import watch_agreements
from bot.app import Runtime
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock
from tests.handlers.telegram import test_conversation_languages as languages
from tests.handlers.telegram.test_care_languages import (
    NEW_YORK,
    _care,
    _case,
    _menu_labels,
    _menu_text,
)
from tests.handlers.telegram.test_conversation_flow import Chat, labels
from tests.handlers.telegram.test_conversation_languages import (
    IN_A_WEEK,
    LANGUAGES,
    LAST_PROMISE_DAY,
    MONTH_END,
    Words,
    _agreements,
)

# The fixtures of the language tests: an emulator, a linked customer with a type C case of
# 300.00 in the language's locale and currency (parametrized over the four), and its words.
emulator = languages.emulator
runtime = languages.runtime
words = languages.words

# The fixture clock is 2024-03-04 05:00 in the customer's New York: the window for a typed
# date runs to 2024-04-03.
TYPED_DAY = date(2024, 3, 20)
TYPED = "20.03.2024"
OUTSIDE = "05.04.2024"
# Part of the 300.00, as a customer types it, and in minor units.
PART_TYPED = "120,50"
PART = 12050
FULL = 30000


@dataclass(frozen=True, slots=True)
class PromiseCare:
    """The care messages of a promise, as the language's catalogue words them."""

    reminder: str
    broken: str


PROMISE_CARE = {
    "en": PromiseCare(
        reminder="A friendly reminder: you planned to pay {amount} by tomorrow, {date}.",
        broken=(
            "We haven't received the {amount} you planned to pay by {date}. That can happen. "
            "Tap Show the options to find another way, or Talk to a person."
        ),
    ),
    "he": PromiseCare(
        reminder="תזכורת ידידותית: תכננתם לשלם {amount} עד מחר, {date}.",
        broken=(
            "עדיין לא קיבלנו את התשלום בסך {amount} שתכננתם לשלם עד {date}. זה יכול לקרות. "
            'לחצו על "הצגת האפשרויות" כדי למצוא דרך אחרת, או על "שיחה עם נציג".'
        ),
    ),
    "ru": PromiseCare(
        reminder=(
            "Дружеское напоминание: вы планировали оплатить {amount} не позднее "
            "завтрашнего дня ({date})."
        ),
        broken=(
            "Оплата {amount}, которую вы планировали внести не позднее {date}, к нам пока не "
            "поступила. Так бывает. Нажмите «Показать варианты», чтобы найти другой способ, "
            "или «Связаться с сотрудником»."
        ),
    ),
    "ar": PromiseCare(
        reminder="تذكير ودّي: خططت لدفع {amount} بحلول الغد، {date}.",
        broken=(
            "لم يصلنا بعد مبلغ {amount} الذي خططت لدفعه بحلول {date}. يحدث هذا أحيانًا. "
            "يمكنك الضغط على «عرض الخيارات» لإيجاد طريقة أخرى، أو على «التحدث إلى موظف»."
        ),
    ),
}


def test_every_language_of_the_conversation_has_its_promise_care_words() -> None:
    assert set(PROMISE_CARE) == set(LANGUAGES)


def _promise_screen(words: Words, minor: int, day: date) -> str:
    amount, when = words.money(minor), words.day(day)
    return "\n\n".join([words.promise_screen.format(amount=amount, date=when), words.promise_part])


def _promise_labels(words: Words) -> list[str]:
    return [words.agree, words.back, words.person, words.stop]


# 1. A date typed for the promise.


async def test_promise_on_a_typed_date_is_confirmed_and_kept_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    promises = await chat.tap(await chat.say("/menu"), words.promise)
    promise = await chat.say(TYPED)
    made = await chat.tap(promise, words.agree)

    amount, day = words.money(FULL), words.day(TYPED_DAY)
    assert (promise["text"], labels(promise)) == (
        _promise_screen(words, FULL, TYPED_DAY),
        _promise_labels(words),
    )
    assert (made["text"], labels(made)) == (
        words.promise_made.format(amount=amount, date=day),
        [words.person, words.stop],
    )
    agreements = await _agreements(runtime)
    assert [(a.kind, a.total, a.items, a.terms_text, a.locale) for a in agreements] == [
        (
            AgreementKind.PROMISE,
            Money(FULL, words.currency),
            (Instalment(1, TYPED_DAY, Money(FULL, words.currency)),),
            words.terms_promise.format(amount=amount, date=day),
            words.locale,
        )
    ]
    assert (await _case(runtime)).case.status is CaseStatus.AGREED
    assert promises["text"] == "\n\n".join(
        [
            words.promises.format(amount=amount),
            words.type_date.format(date=words.day(LAST_PROMISE_DAY)),
        ]
    )


# 2. Part of the amount, typed on the confirmation screen.


async def test_promise_of_part_of_the_amount_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    promises = await chat.tap(await chat.say("/menu"), words.promise)
    await chat.tap(promises, words.in_a_week.format(date=words.day(IN_A_WEEK)))
    part = await chat.say(PART_TYPED)
    made = await chat.tap(part, words.agree)

    amount, day = words.money(PART), words.day(IN_A_WEEK)
    assert (part["text"], labels(part)) == (
        _promise_screen(words, PART, IN_A_WEEK),
        _promise_labels(words),
    )
    assert made["text"] == words.promise_made.format(amount=amount, date=day)
    agreements = await _agreements(runtime)
    assert [(a.total, a.items, a.terms_text) for a in agreements] == [
        (
            Money(PART, words.currency),
            (Instalment(1, IN_A_WEEK, Money(PART, words.currency)),),
            words.terms_promise.format(amount=amount, date=day),
        )
    ]
    assert (await _case(runtime)).case.amount_due == Money(FULL, words.currency)
    menu = await chat.say("/menu")
    assert menu["text"] == _menu_text(words)  # the whole 300.00 is still due


# 3. A typed date outside the window.


async def test_a_typed_date_past_the_window_is_not_understood_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    await chat.tap(await chat.say("/menu"), words.promise)

    reply = await chat.say(OUTSIDE)

    assert reply["text"] == f"{_care(words).misunderstood}\n\n{_menu_text(words)}"
    assert labels(reply) == _menu_labels(words)
    assert await _agreements(runtime) == []


# 4. The promise's reminder and its breaking, through the outbox.


async def test_promise_reminder_and_broken_promise_reach_the_chat_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, clock: FixedClock
) -> None:
    chat = Chat(emulator)
    care = PROMISE_CARE[words.locale[:2]]
    promises = await chat.tap(await chat.say("/menu"), words.promise)
    promise = await chat.tap(promises, words.month_end.format(date=words.day(MONTH_END)))
    await chat.tap(promise, words.agree)

    # Due on Sunday 03-31; Saturday is quiet, so the reminder goes on Friday 03-29.
    clock.moment = datetime(2024, 3, 29, 10, 30, tzinfo=NEW_YORK)
    await watch_agreements(runtime.store, clock, runtime.settings)
    reminder = await chat._next()
    clock.moment = datetime(2024, 4, 4, 9, 0, tzinfo=NEW_YORK)  # past the 3 days of grace
    await watch_agreements(runtime.store, clock, runtime.settings)
    broken = await chat._next()

    values = {"amount": words.money(FULL), "date": words.day(MONTH_END)}
    assert (reminder["text"], labels(reminder)) == (
        care.reminder.format(**values),
        [words.person, words.stop],
    )
    assert (broken["text"], labels(broken)) == (
        care.broken.format(**values),
        [_care(words).show_options, words.person, words.stop],
    )
    assert (await _case(runtime)).case.status is CaseStatus.CONTACTING
    billing = [c for c in await runtime.store.list_contacts() if c.channel == "billing"]
    assert [(c.template, c.params["agreement"]["items"]) for c in billing] == [
        (kind, [{"number": 1, "due_on": "2024-03-31", "amount": "300.00"}])
        for kind in ("promise_agreed", "promise_broken")
    ]
