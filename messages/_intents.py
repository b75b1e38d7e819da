"""What a customer's free text asks for, by plain keyword and pattern matching.

Each language keeps its phrases in `locale/<lang>/intents.toml`, next to its catalogue;
every language's phrases are tried, whatever the customer's language. Hardship comes
first: a customer who says they lost their job goes to a person even when the same message
mentions a plan (COMPLIANCE rule 10); a debt adviser helping comes next, before anything
that would go on collecting (rule 12). Stop words are checked by the caller with
`is_stop_word` before anything else (rule 6).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache

from bot import Intent
from messages._catalog import _locale_root

__all__ = ["intent_of", "phrases"]

_ORDER = (
    Intent.HARDSHIP,
    Intent.ADVICE,
    Intent.DISPUTE,
    Intent.PAID,
    Intent.PERSON,
    Intent.PLAN,
    Intent.PROMISE,
    Intent.PAY,
    Intent.LANGUAGE,
    Intent.HELP,
)
_KNOWN = {intent.value for intent in _ORDER}


def _fold(text: str) -> str:
    """Lower case, apostrophes unified, marks and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    kept = "".join(c if c.isalnum() or c in " '" else " " for c in text)
    return " ".join(kept.split())


@cache
def phrases() -> dict[Intent, tuple[str, ...]]:
    """Every language's phrases, by intent, read once from the `intents.toml` files."""
    found: dict[Intent, list[str]] = {intent: [] for intent in _ORDER}
    for folder in sorted(_locale_root().iterdir(), key=lambda entry: entry.name):
        source = folder / "intents.toml"
        if not source.is_file():
            continue
        table = tomllib.loads(source.read_text("utf-8"))
        unknown = sorted(set(table) - _KNOWN)
        if unknown:
            msg = (
                f"{folder.name}/intents.toml: unknown intents {unknown}; expected {sorted(_KNOWN)}"
            )
            raise ValueError(msg)
        for name, listed in table.items():
            found[Intent(name)].extend(str(phrase) for phrase in listed)
    return {intent: tuple(listed) for intent, listed in found.items()}


def _pattern(listed: tuple[str, ...]) -> re.Pattern[str]:
    # Russian phrases ending in a stem ("рассрочк") match any ending; others whole words.
    parts = [re.escape(_fold(p)) + (r"\w*" if re.search("[а-яё]$", p) else r"\b") for p in listed]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


@cache
def _patterns() -> tuple[tuple[Intent, re.Pattern[str]], ...]:
    table = phrases()
    return tuple((intent, _pattern(table[intent])) for intent in _ORDER if table[intent])


def intent_of(text: str) -> Intent | None:
    """The first intent, in priority order, whose phrases occur in `text`; None if none."""
    if text.strip() == "?":
        return Intent.HELP
    folded = _fold(text)
    if not folded:
        return None
    return next((intent for intent, pattern in _patterns() if pattern.search(folded)), None)
