"""The conversation of `test_conversation_flow` in English, Hebrew, Russian and Arabic.

The customer's billing record carries the locale; Telegram says "en", and the record wins.
Expected words are written out from the catalogues, never looked up through `messages`,
so a wrong or missing translation fails here. Money and dates come from babel for the
customer's locale, and in Hebrew and Arabic sit between FSI and PDI (UAX #9).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from babel import dates, numbers

from bot import Agreement, CaseStatus, Settings, parse_event
from bot.app import Runtime
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock
from tests.handlers.telegram.test_conversation_flow import (
    CHAT,
    TOKEN,
    Chat,
    _started,
    _tuned,
    labels,
)

FSI, PDI = "\u2068", "\u2069"
# The fixture clock is 2024-03-04 10:00 UTC, 05:00 in the customer's New York.
FIRST_DUE, SECOND_DUE, THIRD_DUE = date(2024, 3, 11), date(2024, 4, 11), date(2024, 5, 11)
IN_3_DAYS, IN_A_WEEK, MONTH_END = date(2024, 3, 7), date(2024, 3, 11), date(2024, 3, 31)
# The last day a customer may type for a promise: today plus the 30-day window.
LAST_PROMISE_DAY = date(2024, 4, 3)
# 300.00 split two to six ways, in minor units.
FIRST_PAYMENTS = {2: 15000, 3: 10000, 4: 7500, 5: 6000, 6: 5000}
REFERENCE = "BANK-REF-99"


@dataclass(frozen=True, slots=True)
class Words:
    """One language's side of the conversation, as its catalogue words it."""

    locale: str
    currency: str
    pay: str
    plan: str
    promise: str
    paid: str
    dispute: str
    hardship: str
    language: str
    person: str
    stop: str
    agree: str
    back: str
    more_time: str
    today: str
    yesterday: str
    menu: str
    plans: str
    # The plan buttons by instalment count, each with {amount}, the first payment.
    options: dict[int, str]
    plan_header: str
    plan_line: str
    plan_confirm: str
    plan_agreed: str
    terms_plan: str
    promises: str
    in_3_days: str
    in_a_week: str
    month_end: str
    type_date: str
    promise_screen: str
    promise_part: str
    promise_made: str
    terms_promise: str
    ask_paid_date: str
    ask_paid_reference: str
    paid_noted: str
    hardship_said: str
    escalated_hardship: str

    @property
    def right_to_left(self) -> bool:
        return self.locale[:2] in {"he", "ar"}

    def isolated(self, value: str) -> str:
        return f"{FSI}{value}{PDI}" if self.right_to_left else value

    def money(self, minor: int) -> str:
        value = Decimal(minor).scaleb(-2)
        return self.isolated(numbers.format_currency(value, self.currency, locale=self.locale))

    def day(self, day: date) -> str:
        return self.isolated(dates.format_date(day, "medium", locale=self.locale))

    def option(self, count: int) -> str:
        return self.options[count].format(count=count, amount=self.money(FIRST_PAYMENTS[count]))


ENGLISH = Words(
    locale="en_US",
    currency="USD",
    pay="Pay now",
    plan="Choose a payment plan",
    promise="Promise a date",
    paid="I already paid",
    dispute="I dispute this",
    hardship="I'm in financial difficulty",
    language="Language",
    person="Talk to a person",
    stop="Stop messages",
    agree="I agree",
    back="Back",
    more_time="I need more time to pay",
    today="Today",
    yesterday="Yesterday",
    menu="Amount due: {amount}. What would you like to do?",
    plans=(
        "You can spread {amount} over several payments. Pick the plan that suits you; you'll "
        "see every date before you agree."
    ),
    options=dict.fromkeys(range(2, 7), "{count} payments from {amount}"),
    plan_header="Your plan for {amount}:",
    plan_line="{number}. {date}: {amount}",
    plan_confirm="Tap I agree to confirm, or Back to choose another plan.",
    plan_agreed="Thank you, your plan is set. We'll remind you the day before each payment.",
    terms_plan="Payment plan for {amount}, agreed in this chat:",
    promises="When can you pay {amount}?",
    in_3_days="In 3 days ({date})",
    in_a_week="In a week ({date})",
    month_end="By the end of the month ({date})",
    type_date="You can also type a date, up to {date}.",
    promise_screen="You'll pay {amount} by {date}. Tap I agree to confirm.",
    promise_part="Paying only part of it by then? Type the amount.",
    promise_made=(
        "Thank you, we've noted that you'll pay {amount} by {date}. We'll remind you the day "
        "before."
    ),
    terms_promise="Promise to pay {amount} by {date}, agreed in this chat.",
    ask_paid_date=(
        "Thanks for letting us know. When did you pay? Tap a day, or type the date, for "
        "example 01.03.2024."
    ),
    ask_paid_reference=(
        "And the payment reference, if you have one? Type it, or send a dash (-) if you don't."
    ),
    paid_noted=(
        "Thank you. We'll look for your payment and won't message you about this for the next "
        "3 days."
    ),
    hardship_said="I lost my job last month, can I have a plan?",
    escalated_hardship=(
        "Thank you for telling us, and we're sorry things are hard right now. We've paused "
        "reminders, and a member of our team will reply here to find a way that works for you."
    ),
)

HEBREW = Words(
    locale="he_IL",
    currency="ILS",
    pay="תשלום עכשיו",
    plan="בחירת תוכנית תשלומים",
    promise="קביעת מועד לתשלום",
    paid="כבר שילמתי",
    dispute="לדעתי יש טעות בחיוב",
    hardship="יש לי קשיים כלכליים",
    language="שפה",
    person="שיחה עם נציג",
    stop="הפסקת הודעות",
    agree="אישור",
    back="חזרה",
    more_time="צריך יותר זמן לתשלום",
    today="היום",
    yesterday="אתמול",
    menu="סכום לתשלום: {amount}. מה תרצו לעשות?",
    plans=(
        "אפשר לפרוס את {amount} לכמה תשלומים. בחרו את התוכנית שמתאימה לכם; לפני שתאשרו, "
        "תוכלו לראות את כל המועדים."
    ),
    options=dict.fromkeys(range(2, 7), "{count} תשלומים החל מ-{amount}"),
    plan_header="התוכנית שלכם עבור {amount}:",
    plan_line="תשלום {number}: {date}, {amount}",
    plan_confirm='אם התוכנית מתאימה לכם, לחצו על "אישור", או על "חזרה" כדי לבחור תוכנית אחרת.',
    plan_agreed="תודה, התוכנית שלכם נקבעה. נזכיר לכם יום לפני כל תשלום.",
    terms_plan="תוכנית תשלומים עבור {amount}, שסוכמה בצ'אט הזה:",
    promises="מתי יהיה לכם נוח לשלם {amount}?",
    in_3_days="בעוד 3 ימים ({date})",
    in_a_week="בעוד שבוע ({date})",
    month_end="עד סוף החודש ({date})",
    type_date="אפשר גם לכתוב תאריך, עד {date}.",
    promise_screen='תשלמו {amount} עד {date}. אם זה מתאים לכם, לחצו על "אישור".',
    promise_part="אם עד אז תשלמו רק חלק מהסכום, כתבו כמה תשלמו.",
    promise_made="תודה, רשמנו שתשלמו {amount} עד {date}. נזכיר לכם יום לפני.",
    terms_promise="התחייבות לשלם {amount} עד {date}, שסוכמה בצ'אט הזה.",
    ask_paid_date=(
        "תודה שעדכנתם אותנו. מתי שילמתם? לחצו על היום המתאים, או כתבו את התאריך, למשל 01.03.2024."
    ),
    ask_paid_reference="יש לכם אסמכתה לתשלום? כתבו אותה, או שלחו מקף (-) אם אין לכם.",
    paid_noted="תודה. נבדוק את התשלום שלכם, ובשלושת הימים הקרובים לא נשלח לכם הודעות בנושא הזה.",
    hardship_said="איבדתי את העבודה שלי בחודש שעבר, אפשר לפרוס לתשלומים?",
    escalated_hardship=(
        "תודה שסיפרתם לנו, ואנחנו מצטערים לשמוע שקשה לכם עכשיו. השהינו את התזכורות, "
        "ונציג מהצוות שלנו יענה לכם כאן כדי למצוא יחד דרך שמתאימה לכם."
    ),
)

RUSSIAN = Words(
    locale="ru_RU",
    currency="RUB",
    pay="Оплатить сейчас",
    plan="Выбрать план платежей",
    promise="Назначить дату оплаты",
    paid="Уже оплачено",
    dispute="Оспорить начисление",
    hardship="У меня финансовые трудности",
    language="Язык",
    person="Связаться с сотрудником",
    stop="Отписаться от сообщений",
    agree="Подтверждаю",
    back="Назад",
    more_time="Нужно больше времени на оплату",
    today="Сегодня",
    yesterday="Вчера",
    menu="Сумма к оплате: {amount}. Что бы вы хотели сделать?",
    plans=(
        "Сумму {amount} можно разделить на несколько платежей. Выберите удобный план: "
        "перед подтверждением вы увидите все даты."
    ),
    options={
        2: "{count} платежа от {amount}",
        3: "{count} платежа от {amount}",
        4: "{count} платежа от {amount}",
        5: "{count} платежей от {amount}",
        6: "{count} платежей от {amount}",
    },
    plan_header="Ваш план на сумму {amount}:",
    plan_line="{number}. {date} — {amount}",
    plan_confirm="Нажмите «Подтверждаю», если всё верно, или «Назад», чтобы выбрать другой план.",
    plan_agreed="Спасибо, ваш план оформлен. Мы напомним вам за день до каждого платежа.",
    terms_plan="План платежей на сумму {amount}, согласованный в этом чате:",
    promises="Когда вам будет удобно оплатить {amount}?",
    in_3_days="Через 3 дня ({date})",
    in_a_week="Через неделю ({date})",
    month_end="До конца месяца ({date})",
    type_date="Можно также написать дату — до {date} включительно.",
    promise_screen=(
        "Не позднее {date} вы оплатите {amount}. Нажмите «Подтверждаю», если всё верно."
    ),
    promise_part="Если к этому сроку вы оплатите только часть, напишите сумму.",
    promise_made=(
        "Спасибо, мы записали: не позднее {date} вы оплатите {amount}. Мы напомним вам накануне."
    ),
    terms_promise="Обещание оплатить {amount} не позднее {date}, согласованное в этом чате.",
    ask_paid_date=(
        "Спасибо, что сообщили. Когда вы заплатили? Нажмите на день или напишите дату, "
        "например 01.03.2024."
    ),
    ask_paid_reference=(
        "А номер операции у вас есть? Напишите его или отправьте прочерк (-), если номера нет."
    ),
    paid_noted=(
        "Спасибо. Мы проверим поступление платежа и в ближайшие 3 дня не будем писать вам об этом."
    ),
    hardship_said="Я потерял работу в прошлом месяце, можно рассрочку?",
    escalated_hardship=(
        "Спасибо, что рассказали, и нам жаль, что сейчас вам непросто. Мы приостановили "
        "напоминания, и сотрудник нашей команды ответит вам здесь, чтобы вместе найти "
        "подходящее решение."
    ),
)

ARABIC = Words(
    locale="ar_EG",
    currency="EGP",
    pay="الدفع الآن",
    plan="اختيار خطة سداد",
    promise="تحديد موعد للدفع",
    paid="تم الدفع بالفعل",
    dispute="الاعتراض على المبلغ",
    hardship="أواجه صعوبات مالية",
    language="اللغة",
    person="التحدث إلى موظف",
    stop="إيقاف الرسائل",
    agree="أوافق",
    back="رجوع",
    more_time="أحتاج إلى وقت أطول للدفع",
    today="اليوم",
    yesterday="أمس",
    menu="المبلغ المستحق: {amount}. ماذا تود أن تفعل؟",
    plans=(
        "يمكنك تقسيط مبلغ {amount} على عدة دفعات. اختر الخطة التي تناسبك؛ سترى كل "
        "التواريخ قبل أن توافق."
    ),
    options={
        2: "دفعتان ابتداءً من {amount}",
        3: "{count} دفعات ابتداءً من {amount}",
        4: "{count} دفعات ابتداءً من {amount}",
        5: "{count} دفعات ابتداءً من {amount}",
        6: "{count} دفعات ابتداءً من {amount}",
    },
    plan_header="خطتك لسداد {amount}:",
    plan_line="الدفعة {number}: {date}، {amount}",
    plan_confirm="اضغط على «أوافق» للتأكيد، أو على «رجوع» لاختيار خطة أخرى.",
    plan_agreed="شكرًا لك، تم إعداد خطتك. سنذكّرك قبل موعد كل دفعة بيوم.",
    terms_plan="خطة سداد لمبلغ {amount}، تم الاتفاق عليها في هذه المحادثة:",
    promises="متى يناسبك دفع {amount}؟",
    in_3_days="بعد 3 أيام ({date})",
    in_a_week="بعد أسبوع ({date})",
    month_end="بحلول نهاية الشهر ({date})",
    type_date="يمكنك أيضًا كتابة تاريخ آخر، على ألا يتجاوز {date}.",
    promise_screen="ستدفع {amount} بحلول {date}. اضغط على «أوافق» للتأكيد.",
    promise_part="هل ستدفع جزءًا من المبلغ فقط بحلول ذلك الموعد؟ اكتب المبلغ.",
    promise_made="شكرًا لك، سجّلنا أنك ستدفع {amount} بحلول {date}. سنذكّرك قبل الموعد بيوم.",
    terms_promise="وعد بدفع {amount} بحلول {date}، تم الاتفاق عليه في هذه المحادثة.",
    ask_paid_date="شكرًا لإبلاغنا. متى دفعت؟ اختر يومًا، أو اكتب التاريخ، مثلًا 01.03.2024.",
    ask_paid_reference="وهل لديك رقم مرجعي للدفع؟ اكتبه، أو أرسل العلامة (-) إن لم يكن لديك.",
    paid_noted=(
        "شكرًا لك. سنتحقق من وصول دفعتك، ولن نراسلك بهذا الشأن خلال الأيام الثلاثة القادمة."
    ),
    hardship_said="فقدت عملي الشهر الماضي، هل يمكن التقسيط؟",
    escalated_hardship=(
        "شكرًا لإخبارنا، ونأسف لأن الظروف صعبة عليك الآن. أوقفنا التذكيرات مؤقتًا، وسيرد "
        "عليك أحد أعضاء فريقنا هنا لنجد معًا حلًا يناسبك."
    ),
)

LANGUAGES = {"en": ENGLISH, "he": HEBREW, "ru": RUSSIAN, "ar": ARABIC}


def _overdue(words: Words) -> str:
    return json.dumps(
        {
            "id": "o1",
            "type": "invoice_overdue",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {"id": "C-7", "locale": words.locale, "timezone": "America/New_York"},
            "invoice": {
                "id": "INV-7",
                "amount": "300.00",
                "currency": words.currency,
                "issued_on": "2024-01-01",
                "due_on": "2024-02-01",
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_talk_bot") as emu:
        yield emu


@pytest.fixture(params=sorted(LANGUAGES))
def words(request: pytest.FixtureRequest) -> Words:
    return LANGUAGES[request.param]


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


async def _agreements(runtime: Runtime) -> list[Agreement]:
    case_id = (await runtime.store.list_cases())[0].case.id
    async with runtime.store.transaction() as tx:
        return list(await tx.agreements_of(case_id))


def _plan_of_three(words: Words) -> list[str]:
    return [
        words.plan_line.format(number=number, date=words.day(day), amount=words.money(10000))
        for number, day in enumerate([FIRST_DUE, SECOND_DUE, THIRD_DUE], start=1)
    ]


async def test_menu_reads_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    menu = await Chat(emulator).say("/menu")

    assert menu["text"] == words.menu.format(amount=words.money(30000))
    assert labels(menu) == [
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


async def test_plan_of_three_is_chosen_read_and_agreed_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    plans = await chat.tap(await chat.say("/menu"), words.plan)
    plan = await chat.tap(plans, words.option(3))
    agreed = await chat.tap(plan, words.agree)

    assert plans["text"] == words.plans.format(amount=words.money(30000))
    assert labels(plans) == [
        *(words.option(count) for count in range(2, 7)),
        words.more_time,
        words.back,
        words.person,
        words.stop,
    ]
    assert plan["text"] == "\n".join(
        [
            words.plan_header.format(amount=words.money(30000)),
            *_plan_of_three(words),
            "",
            words.plan_confirm,
        ]
    )
    assert labels(plan) == [words.agree, words.back, words.person, words.stop]
    assert agreed["text"] == words.plan_agreed


async def test_agreed_plan_keeps_its_terms_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    plans = await chat.tap(await chat.say("/menu"), words.plan)
    await chat.tap(await chat.tap(plans, words.option(3)), words.agree)

    agreements = await _agreements(runtime)

    terms = "\n".join([words.terms_plan.format(amount=words.money(30000)), *_plan_of_three(words)])
    assert [(a.kind, a.terms_text, a.locale) for a in agreements] == [
        ("plan", terms, words.locale)
    ]
    assert (await runtime.store.list_cases())[0].case.status is CaseStatus.AGREED


async def test_promise_by_the_end_of_the_month_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    promises = await chat.tap(await chat.say("/menu"), words.promise)
    promise = await chat.tap(promises, words.month_end.format(date=words.day(MONTH_END)))
    made = await chat.tap(promise, words.agree)

    amount, day = words.money(30000), words.day(MONTH_END)
    last_day = words.day(LAST_PROMISE_DAY)
    assert promises["text"] == "\n\n".join(
        [words.promises.format(amount=amount), words.type_date.format(date=last_day)]
    )
    assert labels(promises) == [
        words.in_3_days.format(date=words.day(IN_3_DAYS)),
        words.in_a_week.format(date=words.day(IN_A_WEEK)),
        words.month_end.format(date=day),
        words.back,
        words.person,
        words.stop,
    ]
    assert promise["text"] == "\n\n".join(
        [words.promise_screen.format(amount=amount, date=day), words.promise_part]
    )
    assert made["text"] == words.promise_made.format(amount=amount, date=day)
    assert [(a.kind, a.terms_text) for a in await _agreements(runtime)] == [
        ("promise", words.terms_promise.format(amount=amount, date=day))
    ]


async def test_already_paid_asks_for_date_and_reference_in_the_customers_language(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    chat = Chat(emulator)
    asked = await chat.tap(await chat.say("/menu"), words.paid)
    reference = await chat.tap(asked, words.yesterday)
    noted = await chat.say(REFERENCE)

    assert asked["text"] == words.ask_paid_date
    assert labels(asked) == [words.today, words.yesterday, words.back, words.person, words.stop]
    assert reference["text"] == words.ask_paid_reference
    assert noted["text"] == words.paid_noted
    view = (await runtime.store.list_cases())[0]
    assert view.case.status is CaseStatus.PAUSED
    assert view.audit[-1].detail == {"paid_on": "2024-03-03", "reference": REFERENCE}


async def test_hardship_in_the_customers_language_goes_to_a_person(
    runtime: Runtime, emulator: TelegramEmulator, words: Words
) -> None:
    reply = await Chat(emulator).say(words.hardship_said)

    view = (await runtime.store.list_cases())[0]
    assert (reply["text"], labels(reply)) == (words.escalated_hardship, [words.stop])
    assert view.case.status is CaseStatus.ESCALATED
    assert view.audit[-1].reason == "customer reports hardship"
