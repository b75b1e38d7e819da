"""What a customer's free text asks for, by plain keyword and pattern matching.

Hardship comes first: a customer who says they lost their job goes to a person even when
the same message mentions a plan (COMPLIANCE rule 10). Stop words are checked by the
caller with `is_stop_word` before anything else (rule 6).
"""

from __future__ import annotations

import re
import unicodedata

from bot import Intent

__all__ = ["intent_of"]

# Each intent's phrases, in every supported language, matched as whole words or phrases.
_PHRASES: dict[Intent, tuple[str, ...]] = {
    Intent.HARDSHIP: (
        "lost my job",
        "lost job",
        "unemployed",
        "redundant",
        "hospital",
        "sick",
        "i am ill",
        "i'm ill",
        "can't afford",
        "cannot afford",
        "hardship",
        "struggling",
        "no money",
        "bereavement",
        "passed away",
        "died",
        "disabled",
        "depressed",
        "פוטרתי",
        "מובטל",
        "בית חולים",
        "חולה",
        "אין לי כסף",
        "קשיים",
        "потерял работу",
        "потеряла работу",
        "безработн",
        "больниц",
        "болею",
        "нет денег",
        "трудности",
        "فقدت عملي",
        "عاطل",
        "مستشفى",
        "مريض",
        "ليس لدي مال",
        "صعوبات",
    ),
    Intent.DISPUTE: (
        "dispute",
        "not mine",
        "wrong amount",
        "don't owe",
        "do not owe",
        "never ordered",
        "mistake",
        "incorrect",
        "overcharged",
        "טעות",
        "לא שלי",
        "אני לא חייב",
        "מחלוקת",
        "ошибка",
        "не мой",
        "не должен",
        "оспорить",
        "оспариваю",
        "خطأ",
        "ليس لي",
        "لا أدين",
        "اعتراض",
    ),
    Intent.PAID: (
        "already paid",
        "i paid",
        "i have paid",
        "i've paid",
        "paid already",
        "paid it",
        "כבר שילמתי",
        "שילמתי",
        "уже оплатил",
        "уже оплатила",
        "я оплатил",
        "я оплатила",
        "уже заплатил",
        "دفعت",
        "سددت",
        "قمت بالدفع",
    ),
    Intent.PERSON: (
        "person",
        "human",
        "agent",
        "operator",
        "someone",
        "call me",
        "talk to",
        "נציג",
        "בן אדם",
        "אדם",
        "человек",
        "оператор",
        "сотрудник",
        "позвоните",
        "شخص",
        "موظف",
        "ممثل",
        "اتصل بي",
    ),
    Intent.PLAN: (
        "plan",
        "instalment",
        "installment",
        "instalments",
        "installments",
        "split",
        "monthly",
        "תשלומים",
        "פריסה",
        "рассрочк",
        "частями",
        "план",
        "تقسيط",
        "أقساط",
        "خطة",
    ),
    Intent.PROMISE: (
        "promise",
        "later",
        "next week",
        "payday",
        "pay on",
        "pay by",
        "end of the month",
        "אשלם",
        "בשבוע הבא",
        "מאוחר יותר",
        "позже",
        "обещаю",
        "на следующей неделе",
        "в конце месяца",
        "لاحقا",
        "الأسبوع القادم",
        "أعد",
        "نهاية الشهر",
    ),
    Intent.PAY: (
        "pay now",
        "pay",
        "payment link",
        "card",
        "לשלם",
        "תשלום",
        "оплатить",
        "заплатить",
        "оплата",
        "ادفع",
        "دفع",
    ),
    Intent.HELP: (
        "help",
        "menu",
        "options",
        "start",
        "עזרה",
        "תפריט",
        "помощь",
        "меню",
        "مساعدة",
        "قائمة",
    ),
}

_ORDER = (
    Intent.HARDSHIP,
    Intent.DISPUTE,
    Intent.PAID,
    Intent.PERSON,
    Intent.PLAN,
    Intent.PROMISE,
    Intent.PAY,
    Intent.HELP,
)


def _fold(text: str) -> str:
    """Lower case, apostrophes unified, marks and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    kept = "".join(c if c.isalnum() or c in " '" else " " for c in text)
    return " ".join(kept.split())


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Russian phrases ending in a stem ("рассрочк") match any ending; others whole words.
    parts = [re.escape(_fold(p)) + (r"\w*" if re.search("[а-я]$", p) else r"\b") for p in phrases]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


_PATTERNS = {intent: _pattern(_PHRASES[intent]) for intent in _ORDER}


def intent_of(text: str) -> Intent | None:
    """The first intent, in priority order, whose phrases occur in `text`; None if none."""
    folded = _fold(text)
    if folded in {"?", ""}:
        return Intent.HELP if text.strip() == "?" else None
    for intent in _ORDER:
        if _PATTERNS[intent].search(folded):
            return intent
    return None
