"""Phrases no template may contain (COMPLIANCE rules 14 and 15).

Legal wording (`LEGAL_PHRASES`) belongs only in the pre-legal final warning letter,
after staff enabled it for the case; pressure wording (`PRESSURE_PHRASES`) belongs
nowhere, the letter included. Tests run every template, in
every catalogue language, through `forbidden_phrases`.

Each phrase matches as whole words with the usual inflections of its script:
English endings ("lawyers", "sued"), Russian case endings ("суда", "юристу"),
Hebrew and Arabic prefixed particles and the article ("בבית המשפט", "للمحكمة").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "FORBIDDEN_PHRASES",
    "LEGAL_PHRASES",
    "PRESSURE_PHRASES",
    "forbidden_phrases",
    "pressure_phrases",
]

LEGAL_PHRASES = (
    # Rule 15: threats of legal action.
    "lawyer",
    "attorney",
    "solicitor",
    "legal action",
    "legal proceedings",
    "court",
    "lawsuit",
    "sue",
    "bailiff",
    "debt collector",
    "collection agency",
    "collections agency",
    "arrest",
    "police",
    "garnish",
    "seize",
    # Hebrew, rule 15. Forms are listed: a suffix group would turn "מיד" into "מידה".
    "עורך דין",
    "עורכי דין",
    'עו"ד',
    "בית משפט",
    "בתי משפט",
    "משפטי",
    "משפטית",
    "משפטיים",
    "משפטיות",
    "תביעה",
    "תביעות",
    "לתבוע",
    "הוצאה לפועל",
    'הוצל"פ',
    "עיקול",
    "משטרה",
    "מעצר",
    "חברת גבייה",
    "משרד גבייה",
    "גביית חובות",
    # Russian, rule 15 (dictionary forms; case endings match).
    "юрист",
    "адвокат",
    "суд",
    "судебный",
    "иск",
    "исковой",
    "коллектор",
    "коллекторский",
    "пристав",
    "взыскание",
    "полиция",
    "арест",
    # Arabic, rule 15 (the article, particles and usual suffixes match).
    "محام",
    "محكمة",
    "محاكم",
    "قانوني",
    "قضائي",
    "دعوى",
    "مقاضاة",
    "شرطة",
    "اعتقال",
    "حجز على",
    "تحصيل ديون",
    "شركة تحصيل",
)
PRESSURE_PHRASES = (
    # Rule 14: pressure, shame and borrowing.
    "borrow",
    "loan",
    "final notice",
    "last chance",
    "today only",
    "within 24 hours",
    "immediately",
    "urgent",
    "or else",
    "consequences",
    "failure to pay",
    "credit score",
    "credit rating",
    "shame",
    # Hebrew, rule 14.
    "הלוואה",
    "הלוואות",
    "ללוות כסף",
    "הזדמנות אחרונה",
    "התראה אחרונה",
    "אזהרה אחרונה",
    "מיד",
    "מייד",
    "מיידי",
    "מיידית",
    "לאלתר",
    "דחוף",
    "בדחיפות",
    "תוך 24 שעות",
    "דירוג אשראי",
    "בושה",
    # Russian, rule 14.
    "заём",
    "займ",
    "взять кредит",
    "одолжить",
    "в долг",
    "последний шанс",
    "последнее предупреждение",
    "немедленно",
    "срочно",
    "в течение 24 часов",
    "в противном случае",
    "последствия",
    "кредитная история",
    "кредитный рейтинг",
    "позор",
    # Arabic, rule 14.
    "قرض",
    "قروض",
    "اقتراض",
    "استدانة",
    "فرصة أخيرة",
    "إنذار",
    "فورا",
    "فوري",
    "على الفور",
    "عاجل",
    "خلال 24 ساعة",
    "عواقب",
    "تصنيف ائتماني",
    "سجل ائتماني",
)
FORBIDDEN_PHRASES = LEGAL_PHRASES + PRESSURE_PHRASES

# English: whole words with their usual endings, "lawyers", "sued", but not "courtesy".
_ENGLISH_ENDINGS = "(?:s|es|d|ed|ing|ly|ful|ment|ments)?"

# Russian: case and number endings of nouns and adjectives. "займёт" (takes) stays innocent.
_RUSSIAN_ENDINGS = (
    "(?:ыми|ими|ами|ями|иями|ого|его|ому|ему|ием|иям|иях|ом|ем|ой|ей|ою|ью|ов|ев|ам|ям|ах|ях"
    "|ия|ие|ии|ию|ий|ый|ым|им|ых|их|ая|яя|ое|ее|ую|юю|ые|а|я|о|е|у|ю|ы|и|ь|й)?"
)
_RUSSIAN_STEM = re.compile("(?:ый|ий|ой|ая|яя|ое|ее|ые|ие|[аяоеьйыи])$")

# Hebrew: the particles ו ה ב כ ל מ ש written joined to the next word, up to three.
_HEBREW_PREFIX = "[ובכלמשה]{0,3}"

# Arabic: و/ف, then ب/ك/ل, then the article (ال, or ل after ل as in "للمحكمة"); after the
# word, a number or gender ending, then a possessive ("محامينا", our lawyer).
_ARABIC_PREFIX = "(?:[وف]?[بكل]?(?:ال|ل)?)"
_ARABIC_SUFFIX = "(?:تان|ات|ان|ين|ون|ية|يا|اة|ة|ي|ا)?(?:نا|كم|ك|ها|هم|ه)?"

# Vowel points and cantillation (Hebrew), harakat and tatweel (Arabic) carry no meaning
# for the lint; hamza seats and alef maqsura vary by writer.
_LETTER_VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "״": '"', "ё": "е", "Ё": "Е"}
)
_WORD_SEPARATOR = r"[\s\u05be-]+"


def _fold(text: str) -> str:
    kept = (
        char
        for char in text
        if not ("\u0591" <= char <= "\u06ed" and unicodedata.category(char) == "Mn")
        and char != "\u0640"
    )
    return "".join(kept).translate(_LETTER_VARIANTS)


def _script(phrase: str) -> str:
    letter = next(char for char in phrase if char.isalpha())
    return unicodedata.name(letter).split()[0]


def _russian_word(word: str) -> str:
    return re.escape(_RUSSIAN_STEM.sub("", word)) + _RUSSIAN_ENDINGS


def _hebrew_word(word: str) -> str:
    return _HEBREW_PREFIX + re.escape(word)


def _arabic_word(word: str) -> str:
    return _ARABIC_PREFIX + re.escape(word) + _ARABIC_SUFFIX


_WORD_PATTERNS: dict[str, Callable[[str], str]] = {
    "CYRILLIC": _russian_word,
    "HEBREW": _hebrew_word,
    "ARABIC": _arabic_word,
}


def _pattern(phrase: str) -> re.Pattern[str]:
    word_pattern = _WORD_PATTERNS.get(_script(phrase))
    if word_pattern is None:
        return re.compile(rf"\b{re.escape(phrase)}{_ENGLISH_ENDINGS}\b", re.IGNORECASE)
    words = _WORD_SEPARATOR.join(word_pattern(word) for word in _fold(phrase).split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


_PATTERNS = tuple((phrase, _pattern(phrase)) for phrase in FORBIDDEN_PHRASES)
_PRESSURE = frozenset(PRESSURE_PHRASES)


def forbidden_phrases(text: str) -> list[str]:
    """The phrases of `FORBIDDEN_PHRASES` that `text` contains, in list order."""
    folded = _fold(text)
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(folded)]


def pressure_phrases(text: str) -> list[str]:
    """The phrases of `PRESSURE_PHRASES` in `text`: the lint of the final warning letter,
    the one text where legal wording belongs (rule 15), and pressure still does not."""
    return [phrase for phrase in forbidden_phrases(text) if phrase in _PRESSURE]
