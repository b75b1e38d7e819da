"""Hebrew, Russian and Arabic first contacts, word for word; right-to-left ones isolate facts.

In Hebrew and Arabic text each formatted amount and date sits between FSI (U+2068) and
PDI (U+2069), so the bidirectional algorithm keeps it whole (UAX #9); Russian text,
like English, is left as babel formats it.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot import Money, Reason
from messages import first_contact
from messages._format import isolate

FSI, PDI = "\u2068", "\u2069"
RLM, NBSP, NNBSP = "\u200f", "\u00a0", "\u202f"
UPDATE_URL = "https://pay.example.test/update/abc"
PAY_URL = "https://pay.example.test/pay/abc"
DUE_ON = date(2024, 3, 1)


def _facts(money: Money, locale: str) -> list[str]:
    """The amount and date lines of a first contact."""
    text = first_contact(
        Reason.CARD_DECLINED,
        amount_due=money,
        due_on=DUE_ON,
        update_url=None,
        pay_url=None,
        locale=locale,
    ).text
    return text.split("\n\n")[1].splitlines()


def test_hebrew_first_contact_in_shekels_reads_in_full() -> None:
    rendered = first_contact(
        Reason.EXPIRED_CARD,
        amount_due=Money(41290, "ILS"),
        due_on=DUE_ON,
        update_url=UPDATE_URL,
        pay_url=PAY_URL,
        locale="he-IL",
    )

    assert rendered.text == (
        "שלום! תוקף הכרטיס שבחשבון שלכם פג, ולכן התשלום האחרון לא עבר."
        "\n\n"
        f"סכום לתשלום: {FSI}{RLM}412.90{NBSP}{RLM}₪{PDI}\n"
        f"מועד התשלום: {FSI}1 במרץ 2024{PDI}"
        "\n\n"
        "אפשר לעדכן את אמצעי התשלום או לשלם עכשיו בכפתורים שלמטה. זה לוקח רק דקה."
    )


def test_russian_first_contact_in_roubles_reads_in_full_without_isolates() -> None:
    rendered = first_contact(
        Reason.EXPIRING,
        amount_due=Money(123450, "RUB"),
        due_on=DUE_ON,
        update_url=UPDATE_URL,
        pay_url=None,
        locale="ru-RU",
    )

    assert rendered.text == (
        "Здравствуйте! Срок действия карты, привязанной к вашему аккаунту, скоро истекает. "
        "Если обновить её сейчас, платежи будут проходить без сбоев."
        "\n\n"
        f"Следующий платёж: 1{NBSP}234,50{NBSP}₽\n"
        f"Дата следующего платежа: 1 мар. 2024{NNBSP}г."
        "\n\n"
        "Обновить способ оплаты можно кнопкой ниже. Это займёт всего минуту."
    )


def test_arabic_first_contact_in_egyptian_pounds_reads_in_full() -> None:
    rendered = first_contact(
        Reason.INSUFFICIENT_FUNDS,
        amount_due=Money(123450, "EGP"),
        due_on=DUE_ON,
        update_url=None,
        pay_url=None,
        locale="ar-EG",
    )

    assert rendered.text == (
        "مرحبًا! لم تتم عملية الدفع الأخيرة. إذا لم يكن الوقت مناسبًا الآن، فلا بأس: يمكنك "
        "الرد هنا أو الضغط على «التحدث إلى موظف»، وسنتفق معك على موعد لاحق يناسبك."
        "\n\n"
        f"المبلغ المستحق: {FSI}{RLM}1,234.50{NBSP}ج.م.{RLM}{PDI}\n"
        f"تاريخ الاستحقاق: {FSI}01{RLM}/03{RLM}/2024{PDI}"
    )


@pytest.mark.parametrize(
    ("money", "locale", "amount"),
    [
        (Money(123450, "SAR"), "ar_SA", f"{RLM}1,234.50{NBSP}ر.س.{RLM}"),
        (Money(1235, "JPY"), "ar_SA", f"{RLM}1,235{NBSP}JP¥"),
        (Money(1234, "KWD"), "ar_KW", f"{RLM}1.234{NBSP}د.ك.{RLM}"),
        (Money(1235, "JPY"), "he_IL", f"{RLM}1,235{NBSP}{RLM}¥"),
    ],
)
def test_right_to_left_amount_keeps_its_currency_digits_inside_isolates(
    money: Money, locale: str, amount: str
) -> None:
    assert _facts(money, locale)[0].endswith(f": {FSI}{amount}{PDI}")


@pytest.mark.parametrize(
    ("language", "count", "words"),
    [
        ("he", 1, "חשבונית אחת"),
        ("he", 2, "2 חשבוניות"),
        ("he", 7, "7 חשבוניות"),
        ("ru", 1, "есть 1 счёт,"),
        ("ru", 3, "есть 3 счёта,"),
        ("ru", 5, "есть 5 счетов,"),
        ("ru", 21, "есть 21 счёт,"),
        ("ar", 1, "هناك فاتورة على"),
        ("ar", 2, "هناك فاتورتان على"),
        ("ar", 3, "هناك 3 فواتير على"),
        ("ar", 11, "هناك 11 فاتورة على"),
        ("ar", 100, "هناك 100 فاتورة على"),
    ],
)
def test_overdue_invoices_follow_the_languages_plural_rule(
    language: str, count: int, words: str
) -> None:
    text = first_contact(
        Reason.SUBSTANTIAL_OVERDUE,
        amount_due=None,
        due_on=None,
        update_url=None,
        pay_url=None,
        locale=language,
        invoice_count=count,
    ).text

    assert words in text.split("\n\n")[0]


@pytest.mark.parametrize("language", ["he", "ar"])
def test_isolate_wraps_a_value_in_right_to_left_text(language: str) -> None:
    assert isolate("x", language) == f"{FSI}x{PDI}"


@pytest.mark.parametrize("language", ["en", "ru", "pt_BR"])
def test_isolate_leaves_left_to_right_text_alone(language: str) -> None:
    assert isolate("x", language) == "x"
