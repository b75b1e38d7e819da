"""Disputes, a person, stopping, languages, misunderstandings, stale buttons and the care
messages of an agreement, in English, Hebrew, Russian and Arabic, through the Bot API.

Like `test_conversation_languages`, expected words are copied from the catalogues
(`messages/locale/<lang>/LC_MESSAGES/settle.po`), never looked up through `messages`; money
and dates come from babel for the customer's locale, between FSI and PDI in Hebrew and Arabic.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale, numbers

from bot import CaseStatus, parse_event
from bot._watch import watch_agreements
from bot.app import Runtime
from bot.ports import CaseView
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock
from tests.handlers.telegram import test_conversation_languages as languages
from tests.handlers.telegram.test_conversation_flow import CHAT, Chat, labels
from tests.handlers.telegram.test_conversation_languages import (
    ENGLISH,
    FIRST_DUE,
    LANGUAGES,
    Words,
)

# The fixtures of the language tests: an emulator, a linked customer with a type C case of
# 300.00 in the language's locale and currency (parametrized over the four), and its words.
emulator = languages.emulator
runtime = languages.runtime
words = languages.words

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True, slots=True)
class Care:
    """The rest of one language's conversation, as its catalogue words it."""

    escalated_dispute: str
    person_requested: str
    stopped: str
    languages: str
    misunderstood: str
    offer_person: str
    show_options: str
    stale: str
    reminder_plan: str
    broken_plan: str
    # What the customer types: a dispute phrase from intents.toml, a stop word from
    # messages/_stop.py, and two messages that mean nothing.
    dispute_said: str
    stop_word: str
    gibberish: tuple[str, str]


CARE = {
    "en": Care(
        escalated_dispute=(
            "Thank you for telling us. We've paused reminders about this while a member of our "
            "team looks into it; they'll reply here."
        ),
        person_requested=(
            "Thank you. A member of our team will get back to you here as soon as they can."
        ),
        stopped=(
            "Done: you won't get any more automated messages from us here. If you change your "
            "mind, send /start."
        ),
        languages="Choose your language:",
        misunderstood="Sorry, I didn't catch that. You can use the buttons below.",
        offer_person=(
            "Sorry, I still didn't understand. Would you like to talk to a person from our team?"
        ),
        show_options="Show the options",
        stale="That button belongs to an earlier message. Here's where things stand now:",
        reminder_plan=(
            "A friendly reminder: payment {number} of your plan, {amount}, is due tomorrow, "
            "{date}."
        ),
        broken_plan=(
            "We haven't received payment {number} of your plan ({amount}, due {date}). That "
            "can happen. Tap Show the options to find another way, or Talk to a person."
        ),
        dispute_said="I never ordered this, it is not mine",
        stop_word="STOP",
        gibberish=("purple elephants", "more purple elephants"),
    ),
    "he": Care(
        escalated_dispute=(
            "תודה שסיפרתם לנו. השהינו את התזכורות בנושא בזמן שנציג מהצוות שלנו בודק את העניין; "
            "התשובה תגיע אליכם כאן."
        ),
        person_requested="תודה. נציג מהצוות שלנו יחזור אליכם כאן בהקדם האפשרי.",
        stopped="בוצע: לא נשלח לכם כאן יותר הודעות אוטומטיות. אם תשנו את דעתכם, שלחו /start.",
        languages="בחרו את השפה שלכם:",
        misunderstood="סליחה, לא הבנתי. אפשר להשתמש בכפתורים שלמטה.",
        offer_person="סליחה, עדיין לא הבנתי. תרצו לדבר עם נציג מהצוות שלנו?",
        show_options="הצגת האפשרויות",
        stale="הכפתור הזה שייך להודעה קודמת. זה המצב כרגע:",
        reminder_plan=(
            "תזכורת ידידותית: מחר, {date}, מגיע מועד תשלום {number} בתוכנית שלכם, בסך {amount}."
        ),
        broken_plan=(
            "עדיין לא קיבלנו את תשלום {number} בתוכנית שלכם ({amount}, לתשלום עד {date}). זה "
            'יכול לקרות. לחצו על "הצגת האפשרויות" כדי למצוא דרך אחרת, או על "שיחה עם נציג".'
        ),
        dispute_said="יש פה טעות, זה חיוב שגוי",
        stop_word="עצור",
        gibberish=("פילים סגולים", "עוד פילים סגולים"),
    ),
    "ru": Care(
        escalated_dispute=(
            "Спасибо, что сообщили. Пока сотрудник нашей команды разбирается в ситуации, мы "
            "приостановили напоминания об этом. Он ответит вам здесь."
        ),
        person_requested="Спасибо. Сотрудник нашей команды ответит вам здесь, как только сможет.",
        stopped=(
            "Готово: мы больше не будем присылать вам здесь автоматические сообщения. Если "
            "передумаете, отправьте /start."
        ),
        languages="Выберите язык:",
        misunderstood=(
            "Извините, не получилось понять сообщение. Вы можете воспользоваться кнопками ниже."
        ),
        offer_person=(
            "Извините, всё ещё не получается понять. Хотите поговорить с сотрудником нашей "
            "команды?"
        ),
        show_options="Показать варианты",
        stale="Эта кнопка из более раннего сообщения. Вот что актуально сейчас:",
        reminder_plan=(
            "Дружеское напоминание: завтра, {date}, срок оплаты платежа {number} по вашему "
            "плану ({amount})."
        ),
        broken_plan=(
            "Мы пока не получили платёж {number} по вашему плану ({amount}, срок оплаты — "
            "{date}). Так бывает. Нажмите «Показать варианты», чтобы найти другой способ, или "
            "«Связаться с сотрудником»."
        ),
        dispute_said="Это ошибка, я такое не заказывал",
        stop_word="Стоп",
        gibberish=("фиолетовые слоны", "ещё фиолетовые слоны"),
    ),
    "ar": Care(
        escalated_dispute=(
            "شكرًا لإخبارنا. أوقفنا التذكيرات بهذا الشأن مؤقتًا ريثما يراجع أحد أعضاء فريقنا "
            "الأمر، وسيرد عليك هنا."
        ),
        person_requested="شكرًا لك. سيرد عليك أحد أعضاء فريقنا هنا في أقرب وقت ممكن.",
        stopped="تم: لن تصلك منا رسائل تلقائية أخرى هنا. إذا أردت استئنافها، يمكنك إرسال /start.",
        languages="اختر لغتك:",
        misunderstood="عذرًا، لم أفهم ذلك. يمكنك استخدام الأزرار أدناه.",
        offer_person="عذرًا، ما زلت لا أفهم. هل تود التحدث إلى أحد أعضاء فريقنا؟",
        show_options="عرض الخيارات",
        stale="هذا الزر من رسالة سابقة. إليك الوضع الحالي:",
        reminder_plan="تذكير ودّي: يحين غدًا، {date}، موعد الدفعة {number} من خطتك بقيمة {amount}.",
        broken_plan=(
            "لم تصلنا بعد الدفعة {number} من خطتك ({amount}، المستحقة في {date}). يحدث هذا "
            "أحيانًا. يمكنك الضغط على «عرض الخيارات» لإيجاد طريقة أخرى، أو على «التحدث إلى موظف»."
        ),
        dispute_said="المبلغ غلط، هذا ليس لي",
        stop_word="إلغاء",
        gibberish=("أفيال بنفسجية", "مزيد من الأفيال البنفسجية"),
    ),
}

# The languages offered by /language, each named in itself, in the order of their codes.
ENDONYMS = {"ar": "العربية", "en": "English", "he": "עברית", "ru": "Русский"}


def test_every_language_of_the_conversation_has_its_care_words() -> None:
    assert set(CARE) == set(LANGUAGES) == set(ENDONYMS)


def _care(words: Words) -> Care:
    return CARE[words.locale[:2]]


def _menu_text(words: Words) -> str:
    return words.menu.format(amount=words.money(30000))


def _menu_labels(words: Words) -> list[str]:
    return [
        words.pay,
        words.plan,
        words.promise,
        words.paid,
        words.dispute,
        words.hardship,
        words.language,
        words.person,
        words.stop,
    ]


async def _case(runtime: Runtime) -> CaseView:
    return (await runtime.store.list_cases())[0]


def _payment_failed(words: Words) -> str:
    """A new billing event for the customer: a card payment that failed, a new type A case."""
    return json.dumps(
        {
            "id": "f1",
            "type": "payment_failed",
            "occurred_at": "2024-03-04T09:00:00Z",
            "customer": {"id": "C-7", "locale": words.locale, "timezone": "America/New_York"},
            "invoice": {
                "id": "INV-8",
                "amount": "120.00",
                "currency": words.currency,
                "issued_on": "2024-02-15",
                "due_on": "2024-03-01",
            },
            "payment_method": {"kind": "card", "reason": "expired_card", "last4": "4242"},
        }
    )


# 1. "I dispute this".


async def test_dispute_button_pauses_and_hands_over_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)

    reply = await chat.tap(await chat.say("/menu"), words.dispute)

    view = await _case(runtime)
    assert (reply["text"], labels(reply)) == (_care(words).escalated_dispute, [words.stop])
    assert (view.case.status, view.audit[-1].reason) == (
        CaseStatus.ESCALATED,
        "customer disputes the debt",
    )


# 2. "Talk to a person".


async def test_person_button_hands_over_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)

    reply = await chat.tap(await chat.say("/menu"), words.person)

    view = await _case(runtime)
    assert (reply["text"], labels(reply)) == (_care(words).person_requested, [words.stop])
    assert (view.case.status, view.audit[-1].reason) == (
        CaseStatus.ESCALATED,
        "customer asked for a person",
    )


# 3. A dispute in the customer's own words.


async def test_dispute_typed_in_the_customers_language_goes_to_a_person(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    said = _care(words).dispute_said

    reply = await Chat(emulator).say(said)

    view = await _case(runtime)
    assert (reply["text"], labels(reply)) == (_care(words).escalated_dispute, [words.stop])
    assert view.case.status is CaseStatus.ESCALATED
    assert (view.audit[-1].reason, view.audit[-1].detail) == (
        "customer disputes the debt",
        {"said": said},
    )


# 4. Stopping, by the button or by a word, and staying stopped.


@pytest.mark.parametrize("how", ["button", "word"])
async def test_stop_in_the_customers_language_silences_later_events(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, how: str
) -> None:
    chat = Chat(emulator)
    if how == "button":
        reply = await chat.tap(await chat.say("/menu"), words.stop)
    else:
        reply = await chat.say(_care(words).stop_word)
    view = await _case(runtime)
    sent = len(emulator.calls("sendMessage"))

    body = _payment_failed(words)
    await runtime.ingest.accept("canonical", parse_event(body), body)
    await asyncio.sleep(0.5)  # ten outbox polls

    assert (reply["text"], labels(reply)) == (_care(words).stopped, [])
    assert view.case.status is CaseStatus.OPTED_OUT
    assert view.audit[-1].reason == "customer asked to stop messages"
    assert len(emulator.calls("sendMessage")) == sent


async def test_the_same_event_reaches_a_chat_that_did_not_stop(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    """The control for the test above: without a stop, that event is a new first contact."""
    body = _payment_failed(words)
    await runtime.ingest.accept("canonical", parse_event(body), body)

    await emulator.wait_for("sendMessage", chat_id=CHAT, timeout=10)


# 5. Choosing another language in the chat.


@pytest.mark.parametrize("words", [ENGLISH], ids=["en_US"])
async def test_language_command_offers_every_language_by_its_own_name(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    offered = await Chat(emulator).say("/language")

    assert offered["text"] == CARE["en"].languages
    assert labels(offered) == [*ENDONYMS.values(), words.person, words.stop]


@pytest.mark.parametrize("words", [ENGLISH], ids=["en_US"])
@pytest.mark.parametrize(
    "target",
    ["ar", "en", "he", "ru"],
)
async def test_tapping_a_language_answers_with_the_menu_in_it(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, target: str
) -> None:
    chat = Chat(emulator)

    menu = await chat.tap(await chat.say("/language"), ENDONYMS[target])

    chosen = LANGUAGES[target]
    assert menu["text"] == _switched_menu_text(chosen, target)
    assert labels(menu) == _menu_labels(chosen)


@pytest.mark.parametrize("words", [ENGLISH], ids=["en_US"])
@pytest.mark.parametrize("target", sorted(ENDONYMS))
async def test_a_chosen_language_stays_for_the_next_menu(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, target: str
) -> None:
    chat = Chat(emulator)
    await chat.tap(await chat.say("/language"), ENDONYMS[target])

    menu = await chat.say("/menu")

    chosen = LANGUAGES[target]
    assert menu["text"] == _switched_menu_text(chosen, target)
    assert labels(menu) == _menu_labels(chosen)


def _switched_menu_text(chosen: Words, code: str) -> str:
    """The menu of the en_US customer's $300.00 in the chosen language `code`."""
    amount = numbers.format_currency(Decimal("300.00"), "USD", locale=code)
    return chosen.menu.format(amount=chosen.isolated(amount))


def test_endonyms_are_babels_names_of_the_languages_in_themselves() -> None:
    assert {
        code: (name := Locale.parse(code).get_display_name(code) or code)[:1].upper() + name[1:]
        for code in ENDONYMS
    } == ENDONYMS


# 6. Not understood twice.


async def test_two_messages_not_understood_offer_a_person_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    care = _care(words)

    first = await chat.say(care.gibberish[0])
    second = await chat.say(care.gibberish[1])

    assert first["text"] == f"{care.misunderstood}\n\n{_menu_text(words)}"
    assert labels(first) == _menu_labels(words)
    assert second["text"] == care.offer_person
    assert labels(second) == [words.person, care.show_options, words.stop]


# 7. A button of an older message.


async def test_a_stale_plan_button_shows_where_things_stand_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    plans = await chat.tap(await chat.say("/menu"), words.plan)
    await chat.tap(plans, words.option(3))

    stale = await chat.tap(plans, words.option(2))

    assert stale["text"] == f"{_care(words).stale}\n\n{_menu_text(words)}"
    assert labels(stale) == _menu_labels(words)


# 8. Care messages of an agreement, through the outbox.


async def test_plan_reminder_and_broken_plan_reach_the_chat_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, clock: FixedClock
) -> None:
    chat = Chat(emulator)
    care = _care(words)
    plans = await chat.tap(await chat.say("/menu"), words.plan)
    await chat.tap(await chat.tap(plans, words.option(3)), words.agree)

    # Payment 1 is due on Monday 03-11; Sunday is quiet, so the reminder goes on Friday.
    clock.moment = datetime(2024, 3, 8, 10, 30, tzinfo=NEW_YORK)
    await watch_agreements(runtime.store, clock, runtime.settings)
    reminder = await chat._next()
    clock.moment = datetime(2024, 3, 15, 9, 0, tzinfo=NEW_YORK)  # past the 3 days of grace
    await watch_agreements(runtime.store, clock, runtime.settings)
    broken = await chat._next()

    values = {"number": 1, "amount": words.money(10000), "date": words.day(FIRST_DUE)}
    assert (reminder["text"], labels(reminder)) == (
        care.reminder_plan.format(**values),
        [words.person, words.stop],
    )
    assert (broken["text"], labels(broken)) == (
        care.broken_plan.format(**values),
        [care.show_options, words.person, words.stop],
    )
    assert (await _case(runtime)).case.status is CaseStatus.CONTACTING
