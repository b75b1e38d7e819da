"""Phrases no pre-collection template may contain (COMPLIANCE rules 14 and 15).

Legal wording belongs only in the pre-legal final warning, after staff enabled
it for the case; pressure wording belongs nowhere. Tests run every template
through `forbidden_phrases`.
"""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_PHRASES", "forbidden_phrases"]

FORBIDDEN_PHRASES = (
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
)

# Whole words with their usual endings: "lawyers", "sued", "borrowing", but not "courtesy".
_ENDINGS = "(?:s|es|d|ed|ing|ly|ful|ment|ments)?"

_PATTERNS = tuple(
    (phrase, re.compile(rf"\b{re.escape(phrase)}{_ENDINGS}\b", re.IGNORECASE))
    for phrase in FORBIDDEN_PHRASES
)


def forbidden_phrases(text: str) -> list[str]:
    """The phrases of `FORBIDDEN_PHRASES` that `text` contains, in list order."""
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(text)]
