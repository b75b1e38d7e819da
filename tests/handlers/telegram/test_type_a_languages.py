"""A type A case (the means of payment failed) in English, Hebrew, Russian and Arabic.

The whole product runs, as in `test_conversation_languages`: python-telegram-bot talks to
the Bot API emulator, the customer links with /start <token>, and the billing record's
locale chooses the language. Expected words are written out from the catalogues; money
and dates come from babel for the customer's locale, isolated in Hebrew and Arabic.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from bot import CaseType, Settings, parse_event
from bot._linking import hash_token
from bot.app import Runtime
from handlers.emulators import TelegramEmulator
from handlers.telegram._links import PAY, UPDATE_PAYMENT
from tests.conftest import FixedClock
from tests.handlers.telegram.test_conversation_flow import (
    CHAT,
    TOKEN,
    Chat,
    _started,
    _tuned,
    buttons,
    labels,
)
from tests.handlers.telegram.test_conversation_languages import (
    ARABIC,
    ENGLISH,
    HEBREW,
    RUSSIAN,
    Words,
)

CUSTOMER = "C-7"
DUE_ON = date(2024, 2, 1)
# The single-use links of the settings' defaults, before their token.
UPDATE_URL = Settings.model_fields["update_payment_url"].default.replace("{token}", "")
PAY_URL = Settings.model_fields["pay_now_url"].default.replace("{token}", "")


@dataclass(frozen=True, slots=True)
class TypeA:
    """One language's words for a failed payment method, beside the conversation's."""

    words: Words
    update: str
    retry: str
    expired_card: str
    card_declined: str
    amount_due: str
    due_date: str
    update_or_pay: str
    retry_requested: str
    method_updated: str
    # What a first message must never say about a card told in confidence.
    confidential: tuple[str, ...]

    def first_message(self, headline: str) -> str:
        facts = "\n".join(
            [
                self.amount_due.format(amount=self.words.money(30000)),
                self.due_date.format(date=self.words.day(DUE_ON)),
            ]
        )
        return "\n\n".join([headline, facts, self.update_or_pay])


ENGLISH_A = TypeA(
    words=ENGLISH,
    update="Update payment method",
    retry="Try the payment again",
    expired_card=(
        "Hello! The card on your account has expired, so your latest payment didn't go through."
    ),
    card_declined=(
        "Hello! Your latest card payment was declined, so it didn't go through. This happens "
        "now and then, and it's quick to fix."
    ),
    amount_due="Amount due: {amount}",
    due_date="Due date: {date}",
    update_or_pay=(
        "You can update your payment method or pay now with the buttons below. It only takes "
        "a minute."
    ),
    retry_requested=(
        "Thank you. We've asked for the payment to be tried again; you don't need to do "
        "anything else."
    ),
    method_updated=(
        "Thank you for updating your payment method. We'll try the payment again shortly."
    ),
    confidential=("stolen", "steal", "theft", "lost", "fraud"),
)

HEBREW_A = TypeA(
    words=HEBREW,
    update="עדכון אמצעי תשלום",
    retry="ניסיון חוזר של התשלום",
    expired_card="שלום! תוקף הכרטיס שבחשבון שלכם פג, ולכן התשלום האחרון לא עבר.",
    card_declined=(
        "שלום! התשלום האחרון בכרטיס נדחה, ולכן לא עבר. זה קורה מדי פעם, ומסדרים את זה מהר."
    ),
    amount_due="סכום לתשלום: {amount}",
    due_date="מועד התשלום: {date}",
    update_or_pay="אפשר לעדכן את אמצעי התשלום או לשלם עכשיו בכפתורים שלמטה. זה לוקח רק דקה.",
    retry_requested="תודה. ביקשנו לנסות לבצע את התשלום שוב; אין צורך שתעשו שום דבר נוסף.",
    method_updated="תודה שעדכנתם את אמצעי התשלום. ננסה לבצע את התשלום שוב בקרוב.",
    confidential=("גנוב", "גניבה", "אבוד", "אבד", "הונאה", "מרמה"),
)

RUSSIAN_A = TypeA(
    words=RUSSIAN,
    update="Обновить способ оплаты",
    retry="Повторить попытку оплаты",
    expired_card=(
        "Здравствуйте! Срок действия карты, привязанной к вашему аккаунту, истёк, поэтому "
        "последний платёж не прошёл."
    ),
    card_declined=(
        "Здравствуйте! Последний платёж по карте был отклонён, поэтому он не прошёл. Такое "
        "иногда случается, и это быстро исправить."
    ),
    amount_due="Сумма к оплате: {amount}",
    due_date="Срок оплаты: {date}",
    update_or_pay=(
        "Обновить способ оплаты или оплатить сейчас можно кнопками ниже. Это займёт всего минуту."
    ),
    retry_requested=(
        "Спасибо. Мы запросили повторную попытку оплаты — вам больше ничего не нужно делать."
    ),
    method_updated="Спасибо, что обновили способ оплаты. Мы скоро повторим попытку оплаты.",
    confidential=("украд", "краж", "похищ", "потер", "утер", "мошен"),
)

ARABIC_A = TypeA(
    words=ARABIC,
    update="تحديث وسيلة الدفع",
    retry="إعادة محاولة الدفع",
    expired_card="مرحبًا! انتهت صلاحية البطاقة المسجلة في حسابك، لذلك لم تتم عملية الدفع الأخيرة.",
    card_declined=(
        "مرحبًا! تم رفض عملية الدفع الأخيرة بالبطاقة، لذلك لم تتم. يحدث هذا أحيانًا، وإصلاحه سريع."
    ),
    amount_due="المبلغ المستحق: {amount}",
    due_date="تاريخ الاستحقاق: {date}",
    update_or_pay=(
        "يمكنك تحديث وسيلة الدفع أو الدفع الآن عبر الأزرار أدناه. لن يستغرق ذلك سوى دقيقة."
    ),
    retry_requested="شكرًا لك. طلبنا إعادة محاولة الدفع، ولا تحتاج إلى القيام بأي شيء آخر.",
    method_updated="شكرًا لتحديث وسيلة الدفع. سنعيد محاولة الدفع قريبًا.",
    confidential=("مسروق", "سرقة", "مفقود", "فقدان", "ضائع", "احتيال"),
)

LANGUAGES = {"en": ENGLISH_A, "he": HEBREW_A, "ru": RUSSIAN_A, "ar": ARABIC_A}


def _failed(a: TypeA, reason: str) -> str:
    return json.dumps(
        {
            "id": "f1",
            "type": "payment_failed",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {
                "id": CUSTOMER,
                "locale": a.words.locale,
                "timezone": "America/New_York",
            },
            "invoice": {
                "id": "INV-7",
                "amount": "300.00",
                "currency": a.words.currency,
                "issued_on": "2024-01-01",
                "due_on": DUE_ON.isoformat(),
            },
            "payment_method": {
                "kind": "card",
                "reason": reason,
                "reference": "pm_7",
                "last4": "4242",
            },
        }
    )


def _method_updated() -> str:
    return json.dumps(
        {
            "id": "u1",
            "type": "payment_method_updated",
            "occurred_at": "2024-03-04T09:00:00Z",
            "customer": {"id": CUSTOMER},
            "payment_method": {"kind": "card", "reference": "pm_7", "last4": "1881"},
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_talk_bot") as emu:
        yield emu


@pytest.fixture(params=sorted(LANGUAGES))
def a(request: pytest.FixtureRequest) -> TypeA:
    return LANGUAGES[request.param]


@pytest.fixture
def reason() -> str:
    return "expired_card"


@pytest.fixture
async def runtime(
    settings: Settings, clock: FixedClock, emulator: TelegramEmulator, a: TypeA, reason: str
) -> AsyncIterator[Runtime]:
    """A linked chat that has received the welcome and the case's first message."""
    started = await _started(_tuned(settings, emulator), clock)
    body = _failed(a, reason)
    await started.ingest.accept("canonical", parse_event(body), body)
    link = await started.linking.deep_link(CUSTOMER)
    await emulator.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    yield started
    await started.stop()


def _first(emulator: TelegramEmulator) -> dict[str, Any]:
    return emulator.sent_messages(CHAT)[1]


def _chat(emulator: TelegramEmulator) -> Chat:
    chat = Chat(emulator)
    chat.seen = len(emulator.sent_messages(CHAT))
    return chat


async def _redeem(runtime: Runtime, url: str, prefix: str, purpose: str) -> str | None:
    token = url.removeprefix(prefix)
    async with runtime.store.transaction() as tx:
        return await tx.use_token(hash_token(token), purpose=purpose, now=runtime.clock.now())


async def _billing(runtime: Runtime) -> list[tuple[str, dict[str, Any]]]:
    contacts = await runtime.store.list_contacts()
    return [(c.template, c.params) for c in contacts if c.channel == "billing"]


def _menu_labels(a: TypeA) -> list[str]:
    w = a.words
    return [
        a.update,
        w.pay,
        a.retry,
        w.plan,
        w.promise,
        w.paid,
        w.hardship,
        w.language,
        w.person,
        w.stop,
    ]


async def test_first_message_says_the_card_expired_with_the_links(
    runtime: Runtime, emulator: TelegramEmulator, a: TypeA
) -> None:
    first = _first(emulator)
    update, pay, person, stop = buttons(first)

    assert first["text"] == a.first_message(a.expired_card)
    assert labels(first) == [a.update, a.words.pay, a.words.person, a.words.stop]
    assert update["url"].startswith(UPDATE_URL)
    assert pay["url"].startswith(PAY_URL)
    assert (person["callback_data"], stop["callback_data"]) == ("escalate:person:0", "stop::0")
    assert [(c.case.type, c.case.reason.value) for c in await runtime.store.list_cases()] == [
        (CaseType.A, "expired_card")
    ]


async def test_first_message_links_are_single_use_tokens_of_the_customer(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    update, pay = (b["url"] for b in buttons(_first(emulator))[:2])

    redeemed = [
        await _redeem(runtime, update, UPDATE_URL, UPDATE_PAYMENT),
        await _redeem(runtime, pay, PAY_URL, PAY),
        await _redeem(runtime, update, UPDATE_URL, UPDATE_PAYMENT),
        await _redeem(runtime, pay, PAY_URL, PAY),
    ]

    assert redeemed == [CUSTOMER, CUSTOMER, None, None]
    assert CUSTOMER not in update + pay
    assert "INV-7" not in update + pay


async def test_menu_of_a_type_a_case_offers_the_retry(
    runtime: Runtime, emulator: TelegramEmulator, a: TypeA
) -> None:
    menu = await _chat(emulator).say("/menu")

    assert menu["text"] == a.words.menu.format(amount=a.words.money(30000))
    assert labels(menu) == _menu_labels(a)
    update, pay = buttons(menu)[:2]
    assert update["url"].startswith(UPDATE_URL)
    assert pay["url"].startswith(PAY_URL)
    assert await _redeem(runtime, update["url"], UPDATE_URL, UPDATE_PAYMENT) == CUSTOMER


async def test_try_the_payment_again_confirms_and_asks_billing_once(
    runtime: Runtime, emulator: TelegramEmulator, a: TypeA
) -> None:
    chat = _chat(emulator)
    menu = await chat.say("/menu")

    retried = await chat.tap(menu, a.retry)

    assert retried["text"] == a.retry_requested
    assert labels(retried) == [a.words.person, a.words.stop]
    billing = await _billing(runtime)
    assert [(template, params["reason"], params["customer"]) for template, params in billing] == [
        ("retry_requested", "expired_card", {"id": CUSTOMER})
    ]


@pytest.mark.parametrize(
    "a",
    [
        pytest.param(ARABIC_A, id="ar"),
        pytest.param(ENGLISH_A, id="en"),
        pytest.param(HEBREW_A, id="he"),
        pytest.param(RUSSIAN_A, id="ru"),
    ],
)
async def test_updated_payment_method_is_thanked_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, a: TypeA
) -> None:
    chat = _chat(emulator)
    await chat.tap(await chat.say("/menu"), a.retry)
    body = _method_updated()

    await runtime.ingest.accept("canonical", parse_event(body), body)
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=chat.seen + 1, timeout=10)

    thanks = emulator.sent_messages(CHAT)[-1]
    # The customer's tap asked for a retry on the old method; the new one is retried again.
    assert [template for template, _ in await _billing(runtime)] == [
        "retry_requested",
        "retry_requested",
    ]
    assert thanks["text"] == a.method_updated
    assert labels(thanks) == [a.words.person, a.words.stop]


@pytest.mark.parametrize("reason", ["stolen_card"])
async def test_stolen_card_reads_as_a_declined_card(
    runtime: Runtime, emulator: TelegramEmulator, a: TypeA, reason: str
) -> None:
    first = _first(emulator)

    said = first["text"].casefold()
    assert [word for word in a.confidential if word.casefold() in said] == []
    assert first["text"] == a.first_message(a.card_declined)
    assert labels(first) == [a.update, a.words.pay, a.words.person, a.words.stop]
    assert [c.case.reason.value for c in await runtime.store.list_cases()] == ["stolen_card"]
