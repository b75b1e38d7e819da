"""The `uk` profile's forbearance menu and the debt-advice pause (COMPLIANCE rules 12, 13), in
English, Hebrew, Russian and Arabic, through the Bot API.

The customer is in Great Britain, so the `uk` profile applies; expected words are copied from
the catalogues (`messages/locale/<lang>/LC_MESSAGES/settle.po`), never looked up through
`messages`. The same conversation for a customer of the `default` profile is
`test_conversation_languages`, whose menu test keeps that menu unchanged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot import CaseStatus, Contact, ContactStatus, Settings, parse_event
from bot._watch import watch_agreements
from bot.app import Runtime
from bot.ports import CaseView
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock
from tests.handlers.telegram import test_conversation_languages as languages
from tests.handlers.telegram.test_conversation_flow import CHAT, Chat, _started, _tuned, labels
from tests.handlers.telegram.test_conversation_languages import Words

emulator = languages.emulator
words = languages.words


@dataclass(frozen=True, slots=True)
class Respite:
    """One language's words for forbearance and debt advice, as its catalogue has them."""

    reduced_plan: str
    deferral: str
    small_payment: str
    advice: str
    adviser: str
    advice_text: str
    advice_noted: str
    small_payment_text: str
    adviser_said: str


_LINKS = "MoneyHelper: https://www.moneyhelper.org.uk\nStepChange: https://www.stepchange.org\n"

RESPITE = {
    "en": Respite(
        reduced_plan="Smaller payments over time",
        deferral="Pay at a later date",
        small_payment="Pay a small amount for now",
        advice="Free debt advice",
        adviser="A debt adviser is helping me",
        advice_text=(
            "Free, confidential debt advice is available from:\n"
            + _LINKS
            + "If a debt adviser is already helping you, tap the button below and we'll pause "
            "our messages for 30 days."
        ),
        advice_noted=(
            "Thank you for telling us, and we're glad you have support. We won't send you any "
            "messages about this for 30 days, so that you and your adviser have time. You can "
            "still write to us here at any time."
        ),
        small_payment_text=(
            "Thank you. If you can, pay a small amount for now, such as {amount}, with Pay now. "
            "A member of our team will look at your situation and reply here to agree what "
            "comes next."
        ),
        adviser_said="StepChange is handling this for me now",
    ),
    "he": Respite(
        reduced_plan="תשלומים קטנים יותר לאורך זמן",
        deferral="תשלום במועד מאוחר יותר",
        small_payment="תשלום סכום קטן בינתיים",
        advice="ייעוץ חובות חינם",
        adviser="יועץ חובות מלווה אותי",
        advice_text=(
            "ייעוץ חובות חינמי ודיסקרטי זמין אצל:\n"
            + _LINKS
            + "אם יועץ חובות כבר מלווה אתכם, לחצו על הכפתור למטה ונשהה את ההודעות שלנו למשך "
            "30 יום."
        ),
        advice_noted=(
            "תודה שסיפרתם לנו, ואנחנו שמחים שיש לכם ליווי. לא נשלח לכם הודעות בנושא הזה במשך "
            "30 יום, כדי שלכם וליועץ יהיה זמן. אפשר תמיד לכתוב לנו כאן."
        ),
        small_payment_text=(
            'תודה. אם אפשר, שלמו בינתיים סכום קטן, למשל {amount}, דרך "תשלום עכשיו". נציג '
            "מהצוות שלנו יבחן את המצב שלכם ויחזור אליכם כאן כדי לסכם את ההמשך."
        ),
        adviser_said="יש לי יועץ חובות שמטפל בזה",
    ),
    "ru": Respite(
        reduced_plan="Платежи поменьше на более долгий срок",
        deferral="Оплатить позже",
        small_payment="Пока оплатить небольшую сумму",
        advice="Бесплатная консультация по долгам",
        adviser="Мне помогает консультант по долгам",
        advice_text=(
            "Бесплатную конфиденциальную консультацию по долгам можно получить здесь:\n"
            + _LINKS
            + "Если вам уже помогает консультант по долгам, нажмите кнопку ниже, и мы "
            "приостановим наши сообщения на 30 дней."
        ),
        advice_noted=(
            "Спасибо, что сообщили, и мы рады, что у вас есть поддержка. Мы не будем присылать "
            "вам сообщения об этом 30 дней, чтобы у вас и вашего консультанта было время. Вы в "
            "любой момент можете написать нам здесь."
        ),
        small_payment_text=(
            "Спасибо. Если можете, оплатите пока небольшую сумму, например {amount}, через "
            "«Оплатить сейчас». Сотрудник нашей команды изучит вашу ситуацию и ответит вам "
            "здесь, чтобы договориться о дальнейших шагах."
        ),
        adviser_said="Этим уже занимается мой долговой консультант",
    ),
    "ar": Respite(
        reduced_plan="دفعات أصغر على مدة أطول",
        deferral="الدفع في موعد لاحق",
        small_payment="دفع مبلغ صغير حاليًا",
        advice="استشارة ديون مجانية",
        adviser="يساعدني مستشار ديون",
        advice_text=(
            "يمكنك الحصول على استشارة ديون مجانية وسرية من:\n"
            + _LINKS
            + "إذا كان مستشار ديون يساعدك بالفعل، اضغط على الزر أدناه وسنوقف رسائلنا مؤقتًا "
            "لمدة 30 يومًا."
        ),
        advice_noted=(
            "شكرًا لإخبارنا، ويسعدنا أن لديك من يساندك. لن نرسل إليك أي رسائل بهذا الشأن لمدة "
            "30 يومًا، ليكون لديك ولمستشارك الوقت الكافي. يمكنك مراسلتنا هنا في أي وقت."
        ),
        small_payment_text=(
            "شكرًا لك. إن أمكنك، ادفع مبلغًا صغيرًا حاليًا، مثل {amount}، عبر «الدفع الآن». "
            "سيراجع أحد أعضاء فريقنا وضعك ويرد عليك هنا للاتفاق على الخطوة التالية."
        ),
        adviser_said="مستشار ديون يتابع الموضوع معي",
    ),
}


def _respite(words: Words) -> Respite:
    return RESPITE[words.locale[:2]]


def _event(words: Words, event_id: str, event_type: str, invoice: dict[str, str]) -> str:
    customer = {
        "id": "C-7",
        "locale": words.locale,
        "timezone": "Europe/London",
        "country": "GB",
    }
    body = {
        "id": event_id,
        "type": event_type,
        "occurred_at": "2024-03-04T08:00:00Z",
        "customer": customer,
        "invoice": {"currency": words.currency, **invoice},
    }
    if event_type == "payment_failed":
        body["payment_method"] = {"kind": "card", "reason": "expired_card", "last4": "4242"}
    return json.dumps(body)


def _overdue(words: Words) -> str:
    invoice = {
        "id": "INV-7",
        "amount": "300.00",
        "issued_on": "2024-01-01",
        "due_on": "2024-02-01",
    }
    return _event(words, "o1", "invoice_overdue", invoice)


def _failed(words: Words) -> str:
    invoice = {
        "id": "INV-8",
        "amount": "120.00",
        "issued_on": "2024-02-15",
        "due_on": "2024-03-01",
    }
    return _event(words, "f1", "payment_failed", invoice)


@pytest.fixture
async def runtime(
    settings: Settings, clock: FixedClock, emulator: TelegramEmulator, words: Words
) -> AsyncIterator[Runtime]:
    tuned = _tuned(settings, emulator)
    minimums = {**tuned.substantial_min_amount, words.currency: "100"}
    started = await _started(tuned.model_copy(update={"substantial_min_amount": minimums}), clock)
    body = _overdue(words)
    await started.ingest.accept("canonical", parse_event(body), body)
    link = await started.linking.deep_link("C-7")
    await emulator.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    emulator.clear()
    yield started
    await started.stop()


async def _cases(runtime: Runtime) -> list[CaseView]:
    return list(await runtime.store.list_cases())


async def _held_first_contact(runtime: Runtime) -> Contact:
    """The new case's first message, once the running outbox worker has looked at it."""
    for _ in range(100):
        found = [c for c in await runtime.store.list_contacts() if c.template == "first_contact"]
        if found and found[-1].held_rule is not None:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox never looked at the first message")


async def test_the_uk_arrears_menu_lists_every_forbearance_option(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    respite = _respite(words)

    menu = await Chat(emulator).say("/menu")

    assert menu["text"] == words.menu.format(amount=words.money(30000))
    assert labels(menu) == [
        words.pay,
        respite.reduced_plan,
        respite.deferral,
        respite.small_payment,
        words.paid,
        respite.advice,
        respite.adviser,
        words.dispute,
        words.hardship,
        words.language,
        words.person,
        words.stop,
    ]


async def test_the_reduced_plan_is_the_plan_flow(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)

    plans = await chat.tap(await chat.say("/menu"), _respite(words).reduced_plan)

    assert plans["text"] == words.plans.format(amount=words.money(30000))


async def test_the_deferral_is_a_promise_to_pay_later(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)

    promises = await chat.tap(await chat.say("/menu"), _respite(words).deferral)

    assert promises["text"].startswith(words.promises.format(amount=words.money(30000)))


async def test_a_small_payment_offers_the_pay_link_and_goes_to_staff(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    respite = _respite(words)

    reply = await chat.tap(await chat.say("/menu"), respite.small_payment)

    [view] = await _cases(runtime)
    assert reply["text"] == respite.small_payment_text.format(amount=words.money(1000))
    assert labels(reply) == [words.pay, words.stop]
    assert (view.case.status, view.audit[-1].reason, view.audit[-1].detail) == (
        CaseStatus.ESCALATED,
        "customer offers a token payment; staff to review",
        {"token_minor": 1000, "currency": words.currency},
    )


async def test_the_debt_advice_pointer_names_free_advice_and_offers_the_pause(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    respite = _respite(words)

    pointer = await chat.tap(await chat.say("/menu"), respite.advice)
    noted = await chat.tap(pointer, respite.adviser)

    assert (pointer["text"], labels(pointer)) == (
        respite.advice_text,
        [respite.adviser, words.back, words.person, words.stop],
    )
    assert (noted["text"], labels(noted)) == (respite.advice_noted, [words.person, words.stop])
    assert (await _cases(runtime))[0].case.status is CaseStatus.PAUSED


async def test_an_adviser_named_in_free_text_pauses_automated_messages_for_30_days(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, clock: FixedClock
) -> None:
    respite = _respite(words)

    reply = await Chat(emulator).say(respite.adviser_said)
    body = _failed(words)
    await runtime.ingest.accept("canonical", parse_event(body), body)
    first_contact = await _held_first_contact(runtime)

    [paused, _] = await _cases(runtime)
    assert reply["text"] == respite.advice_noted
    assert (paused.case.status, paused.audit[-1].action) == (CaseStatus.PAUSED, "debt advice")
    assert (first_contact.status, first_contact.held_rule, first_contact.due_at) == (
        ContactStatus.QUEUED,
        "debt advice",
        clock.now() + timedelta(days=30),
    )
    assert emulator.sent_messages(CHAT) == [reply]


async def test_the_case_resumes_when_the_30_days_are_over(
    runtime: Runtime, emulator: TelegramEmulator, words: Words, clock: FixedClock
) -> None:
    await Chat(emulator).say(_respite(words).adviser_said)

    clock.advance(days=30)
    result = await watch_agreements(runtime.store, clock, runtime.settings)

    [view] = await _cases(runtime)
    assert result.unpaused == [view.case.id]
    assert (view.case.status, view.case.paused_until) == (CaseStatus.CONTACTING, None)
    assert view.audit[-1].reason == "debt-advice pause over; case resumes as contacting"
