"""Free text finds its intent in every language; hardship wins; ordinary sentences stay quiet.

Sentences are what customers write, typos and dialect included (Egyptian Arabic beside
Modern Standard). A button's label typed as text finds the button's intent.
"""

from __future__ import annotations

import pytest

from bot import Intent
from messages import intent_of

SAID = {
    Intent.HARDSHIP: [
        ("en", "I lost my job last month"),
        ("en", "I'm in hospital until Friday"),
        ("en", "Sorry, I can't afford it right now"),
        ("en", "My husband passed away in May"),
        ("he", "פוטרתי בחודש שעבר ואין לי איך לשלם"),
        ("he", "אני מאושפזת בבית החולים, אחזור אליכם כשאצא"),
        ("he", "אין לי כסף כרגע לשלם את החשבון"),
        ("he", "בעלי חולה ואנחנו במצוקה כלכלית"),
        ("he", "יש לי קשיים כלכליים"),
        ("ru", "Я потерял работу и сейчас не могу платить"),
        ("ru", "Лежу в больнице, напишу после выписки"),
        ("ru", "Сейчас совсем нет денег, муж болеет"),
        ("ru", "Мама умерла, мне сейчас не до этого"),
        ("ru", "У меня финансовые трудности"),
        ("ar", "أنا في المستشفى حاليًا"),
        ("ar", "والدي مريض وظروفنا صعبة"),
        ("ar", "معيش فلوس دلوقتي"),
        ("ar", "فقدت وظيفتي ولا أملك المال"),
        ("ar", "أواجه صعوبات مالية"),
    ],
    Intent.DISPUTE: [
        ("en", "I dispute this"),
        ("en", "This is not mine"),
        ("en", "Wrong amount, I was overcharged"),
        ("en", "I never ordered anything from you"),
        ("he", "יש טעות בחיוב, לא הזמנתי את השירות הזה"),
        ("he", "החיוב הזה לא שלי"),
        ("he", "אני לא חייב לכם כלום, ביטלתי את המנוי"),
        ("he", "הסכום שגוי, חויבתי פעמיים"),
        ("he", "לדעתי יש טעות בחיוב"),
        ("ru", "Это ошибка, я ничего не заказывал"),
        ("ru", "Я вам ничего не должна"),
        ("ru", "Вы выставили неправильную сумму"),
        ("ru", "Это не мой счёт"),
        ("ru", "Оспорить начисление"),
        ("ar", "هناك خطأ في المبلغ المطلوب"),
        ("ar", "هذا الحساب ليس لي"),
        ("ar", "لم أطلب هذه الخدمة أبدًا"),
        ("ar", "المبلغ غلط، اتخصم مني مرتين"),
        ("ar", "الاعتراض على المبلغ"),
    ],
    Intent.PAID: [
        ("en", "I already paid"),
        ("en", "I paid it yesterday"),
        ("en", "I've paid by bank transfer"),
        ("en", "Paid already, check again please"),
        ("he", "כבר שילמתי את החשבון"),
        ("he", "שילמתי אתמול בהעברה בנקאית"),
        ("he", "העברתי את הכסף ביום ראשון"),
        ("he", "זה שולם כבר לפני שבוע"),
        ("ru", "Я уже оплатил вчера"),
        ("ru", "Я оплатила через приложение банка"),
        ("ru", "Всё оплачено ещё в пятницу"),
        ("ru", "Уже перевёл деньги на ваш счёт"),
        ("ru", "Уже оплачено"),
        ("ar", "دفعت الفاتورة أمس"),
        ("ar", "سددت المبلغ كاملًا الأسبوع الماضي"),
        ("ar", "حولت الفلوس امبارح"),
        ("ar", "قمت بالتحويل من البنك"),
        ("ar", "تم الدفع بالفعل"),
    ],
    Intent.PERSON: [
        ("en", "Can I talk to a person?"),
        ("en", "I want a human, not a bot"),
        ("en", "Please call me tomorrow"),
        ("en", "Put me through to an agent"),
        ("he", "אפשר לדבר עם נציג?"),
        ("he", "אני רוצה לדבר עם בן אדם ולא עם בוט"),
        ("he", "תעבירו אותי לנציג בבקשה"),
        ("he", "תתקשרו אליי בבקשה"),
        ("he", "שיחה עם נציג"),
        ("ru", "Можно поговорить с живым человеком?"),
        ("ru", "Соедините с оператором"),
        ("ru", "Позвоните мне, пожалуйста"),
        ("ru", "Нужна консультация специалиста"),
        ("ru", "Связаться с сотрудником"),
        ("ar", "أريد التحدث مع موظف"),
        ("ar", "ممكن أكلم حد من خدمة العملاء؟"),
        ("ar", "اتصلوا بي من فضلكم"),
        ("ar", "عايز أتكلم مع شخص حقيقي"),
        ("ar", "التحدث إلى موظف"),
    ],
    Intent.PLAN: [
        ("en", "Can I pay in instalments?"),
        ("en", "Could we split it over three months?"),
        ("en", "I'd like a payment plan"),
        ("en", "Monthly payments would help"),
        ("he", "אפשר לשלם בתשלומים?"),
        ("he", "אני רוצה לפרוס את הסכום"),
        ("he", "אפשר הסדר תשלומים?"),
        ("he", "יש אפשרות לפריסה לשלושה חודשים?"),
        ("he", "בחירת תוכנית תשלומים"),
        ("ru", "Можно оплатить в рассрочку?"),
        ("ru", "Хочу платить частями"),
        ("ru", "Можно разбить на несколько платежей?"),
        ("ru", "Давайте составим график платежей"),
        ("ru", "Выбрать план платежей"),
        ("ar", "هل يمكنني الدفع بالتقسيط؟"),
        ("ar", "ممكن أقسط المبلغ على ثلاث شهور؟"),
        ("ar", "ممكن أدفع على دفعات؟"),
        ("ar", "أريد جدولة المبلغ"),
        ("ar", "اختيار خطة سداد"),
    ],
    Intent.PROMISE: [
        ("en", "I'll pay next week"),
        ("en", "Can I pay by the end of the month?"),
        ("en", "I promise to sort it on payday"),
        ("en", "Later, after the weekend"),
        ("he", "אשלם בשבוע הבא"),
        ("he", "אני אשלם אחרי המשכורת, בעשירי לחודש"),
        ("he", "אפשר לשלם בסוף החודש?"),
        ("he", "מבטיחה להסדיר את זה בחודש הבא"),
        ("he", "קביעת מועד לתשלום"),
        ("ru", "Оплачу в конце месяца"),
        ("ru", "Заплачу после зарплаты, 10-го числа"),
        ("ru", "Можно перенести оплату на следующую неделю?"),
        ("ru", "Обещаю оплатить до пятницы"),
        ("ru", "Назначить дату оплаты"),
        ("ar", "سأدفع الأسبوع القادم"),
        ("ar", "هدفع أول الشهر إن شاء الله"),
        ("ar", "ممكن تأجيل الدفع لنهاية الشهر؟"),
        ("ar", "أعدك أن أدفع بعد الراتب"),
        ("ar", "تحديد موعد للدفع"),
    ],
    Intent.PAY: [
        ("en", "I want to pay now"),
        ("en", "Send me the payment link"),
        ("en", "How do I pay?"),
        ("en", "Can I use another card?"),
        ("he", "אני רוצה לשלם עכשיו"),
        ("he", "איך אפשר לשלם?"),
        ("he", "שלחו לי קישור לתשלום"),
        ("he", "אפשר לעשות תשלום בכרטיס אשראי?"),
        ("ru", "Хочу оплатить сейчас"),
        ("ru", "Как заплатить картой?"),
        ("ru", "Пришлите ссылку на оплату"),
        ("ru", "Где можно внести оплату?"),
        ("ar", "أريد الدفع الآن"),
        ("ar", "أرسل لي رابط الدفع"),
        ("ar", "كيف أدفع بالبطاقة؟"),
        ("ar", "عايز أسدد المبلغ"),
    ],
    Intent.HELP: [
        ("en", "help"),
        ("en", "Show me the menu"),
        ("en", "What are my options?"),
        ("en", "?"),
        ("he", "עזרה"),
        ("he", "תפריט בבקשה"),
        ("he", "מה אפשר לעשות כאן?"),
        ("he", "איזה אפשרויות יש לי?"),
        ("he", "הצגת האפשרויות"),
        ("ru", "Помощь"),
        ("ru", "Помогите, пожалуйста"),
        ("ru", "Покажите меню"),
        ("ru", "Что мне делать?"),
        ("ru", "Показать варианты"),
        ("ar", "مساعدة"),
        ("ar", "ساعدني من فضلك"),
        ("ar", "أظهر القائمة"),
        ("ar", "ماذا أفعل الآن؟"),
        ("ar", "عرض الخيارات"),
    ],
}

# Hardship beside another intent in the same message still goes to a person (rule 10).
HARDSHIP_FIRST = [
    ("en", "I lost my job, can I have a plan?"),
    ("he", "איבדתי את העבודה שלי, אפשר לפרוס לתשלומים?"),
    ("he", 'אני בחל"ת עד סוף החודש, אשלם אחר כך'),
    ("he", "אני לא יכולה לשלם, אפשר לדבר עם נציג?"),
    ("ru", "Меня уволили в прошлом месяце, можно рассрочку?"),
    ("ru", "Я в больнице, оплачу позже"),
    ("ru", "Нечем платить, соедините с оператором"),
    ("ar", "اترفدت من الشغل، ممكن تقسيط؟"),
    ("ar", "أنا مريض وسأدفع الشهر القادم"),
    ("ar", "لا أستطيع الدفع، أريد التحدث مع موظف"),
]

# Ordinary sentences that share a word with a phrase, and what they really ask (or None).
ORDINARY = [
    ("he", "תודה רבה!", None),
    ("he", "שלום, בוקר טוב", None),
    ("he", "אדם הוא הבן שלי", None),
    ("he", "סליחה, טעות שלי", None),
    ("he", "עוד לא שילמתי", None),
    ("he", "אני לא חייב לשלם היום, נכון?", Intent.PAY),
    ("ru", "Спасибо большое!", None),
    ("ru", "Добрый день", None),
    ("ru", "Планирую купить новый телефон", None),
    ("ru", "На сайте произошла ошибка", None),
    ("ru", "Я ещё не оплатил", None),
    ("ru", "Нас в семье пять человек", None),
    ("ar", "شكرًا جزيلًا", None),
    ("ar", "صباح الخير", None),
    ("ar", "أنا موظف في شركة كبيرة", None),
    ("ar", "أعد المحاولة", None),
    ("ar", "حدث خطأ في الموقع", None),
]


def _cases() -> list[tuple[Intent, str, str]]:
    return [(intent, lang, text) for intent, said in SAID.items() for lang, text in said]


@pytest.mark.parametrize(("intent", "language", "text"), _cases())
def test_free_text_finds_its_intent(intent: Intent, language: str, text: str) -> None:
    assert intent_of(text) is intent


@pytest.mark.parametrize(("language", "text"), HARDSHIP_FIRST)
def test_hardship_wins_over_any_other_intent_in_the_message(language: str, text: str) -> None:
    assert intent_of(text) is Intent.HARDSHIP


@pytest.mark.parametrize(("language", "text", "expected"), ORDINARY)
def test_ordinary_sentences_do_not_misfire(
    language: str, text: str, expected: Intent | None
) -> None:
    assert intent_of(text) is expected


@pytest.mark.parametrize("language", ["en", "he", "ru", "ar"])
@pytest.mark.parametrize("intent", list(SAID))
def test_every_language_has_four_sentences_for_every_intent(language: str, intent: Intent) -> None:
    assert len([text for lang, text in SAID[intent] if lang == language]) >= 4
