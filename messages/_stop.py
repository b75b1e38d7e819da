"""Stop words: a whole message that opts the customer out at once (COMPLIANCE rule 6).

Only the whole message counts, so "stop" opts out and "can I stop the plan?"
does not. Case, accents, Hebrew and Arabic vowel marks, direction marks and
punctuation are ignored: "STOP!", "/stop", "Arrêter" and "الغاء" all match.
"""

from __future__ import annotations

import unicodedata

__all__ = ["STOP_WORDS", "is_stop_word"]

STOP_WORDS = frozenset(
    {
        # English
        "stop", "stop all", "stop messages", "unsubscribe", "unsub", "cancel", "quit", "end",
        "opt out", "optout", "revoke",
        # Hebrew
        "עצור", "עצרו", "הפסק", "הפסיקו", "הסר", "הסירו", "הסרה", "בטל", "ביטול",
        "הפסקת הודעות",
        # Russian
        "стоп", "отписаться", "отписка", "хватит", "прекратить", "отменить",
        "отписаться от сообщений",
        # Arabic
        "توقف", "قف", "إيقاف", "إلغاء", "الغاء", "إلغاء الاشتراك", "إيقاف الرسائل",
        # Spanish
        "alto", "parar", "baja", "darme de baja", "cancelar", "detener",
        # German
        "stopp", "abbestellen", "abmelden", "beenden",
        # French
        "arrêt", "arrêter", "arreter", "désabonner", "désinscrire", "annuler",
    }
)  # fmt: skip

# Telegram messages run to 4096 characters; no stop word comes near this.
_MAX_LENGTH = 64


def _fold(text: str) -> str:
    """Lower case without accents, marks or punctuation, words split by single spaces."""
    kept = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        category = unicodedata.category(char)
        if char.isspace() or category[0] in "PS":
            kept.append(" ")
        elif category[0] != "C" and category != "Mn":
            kept.append(char)
    return " ".join("".join(kept).split())


_FOLDED = frozenset(_fold(word) for word in STOP_WORDS)


def is_stop_word(text: str) -> bool:
    """Whether the whole message asks to stop messages, in any supported language."""
    if len(text) > _MAX_LENGTH:
        return False
    return _fold(text) in _FOLDED
