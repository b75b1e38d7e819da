"""Which locale a customer reads: parsed once per update and held in a `ContextVar`.

Two answers come from one code such as Telegram's `language_code` "pt-br": the
full locale for numbers and dates (`resolve_locale`, "pt_BR") and the catalogue
language for words (`normalize_locale`, the closest language with a `.po` file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from messages._catalog import SOURCE_LANGUAGE, catalogue_languages

__all__ = ["current_locale", "normalize_locale", "resolve_locale", "use_locale"]

# Telegram's language_code is an IETF tag of a few characters; anything longer is noise.
_MAX_CODE_LENGTH = 35

current_locale: ContextVar[str] = ContextVar("current_locale", default=SOURCE_LANGUAGE)


@lru_cache(maxsize=512)
def _parse(code: str | None) -> Locale | None:
    if not code or len(code) > _MAX_CODE_LENGTH:
        return None
    try:
        locale = Locale.parse(code.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return None if locale.language == "root" else locale


def resolve_locale(code: str | None, *, default: str = SOURCE_LANGUAGE) -> str:
    """The full babel locale for formatting, e.g. "pt-br" -> "pt_BR"; `default` if unknown."""
    locale = _parse(code)
    return default if locale is None else str(locale)


def _candidates(locale: Locale) -> Iterator[str]:
    """Most specific first: "zh_Hant_TW", "zh_Hant", "zh"."""
    yield str(locale)
    if locale.script:
        yield f"{locale.language}_{locale.script}"
    if locale.territory:
        yield f"{locale.language}_{locale.territory}"
    yield locale.language


def normalize_locale(code: str | None, *, default: str = SOURCE_LANGUAGE) -> str:
    """The catalogue language closest to `code`, e.g. "en-US" -> "en"; `default` if none fits."""
    locale = _parse(code)
    if locale is None:
        return default
    available = catalogue_languages()
    return next((c for c in _candidates(locale) if c in available), default)


@contextmanager
def use_locale(code: str | None) -> Iterator[str]:
    """Hold the full locale of `code` in `current_locale` for the block, and yield it."""
    locale = resolve_locale(code)
    token = current_locale.set(locale)
    try:
        yield locale
    finally:
        current_locale.reset(token)
