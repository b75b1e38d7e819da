"""Gettext catalogues: `locale/<lang>/LC_MESSAGES/settle.po`, compiled in memory.

The repository holds only `.po` sources; each is read with babel and compiled
into a `Translations` object the first time its language is needed, or at start
by `load_catalogues`. Adding a language is adding its `.po` file.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from io import BytesIO

from babel import localedata
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from messages._texts import Plural

__all__ = [
    "DOMAIN",
    "SOURCE_LANGUAGE",
    "catalogue_languages",
    "load_catalogues",
    "read_catalogue",
    "translate",
    "translate_plural",
    "translations",
]

logger = logging.getLogger(__name__)

DOMAIN = "settle"
SOURCE_LANGUAGE = "en"


def _locale_root() -> Traversable:
    return files("messages") / "locale"


def _po_file(root: Traversable, language: str) -> Traversable:
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue_languages() -> frozenset[str]:
    """Languages that have a `settle.po` catalogue, e.g. `{"en"}`."""
    root = _locale_root()
    return frozenset(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and _po_file(root, entry.name).is_file()
    )


def read_catalogue(po: Traversable, language: str) -> Translations:
    """Read one `.po` file and compile it in memory; untranslated entries stay English."""
    with po.open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of a language from `catalogue_languages()`."""
    if language not in catalogue_languages():
        known = ", ".join(sorted(catalogue_languages()))
        msg = f"no catalogue for language {language!r}; expected one of: {known}"
        raise LookupError(msg)
    return read_catalogue(_po_file(_locale_root(), language), language)


def load_catalogues() -> None:
    """Compile every catalogue and load its CLDR data now, so no customer waits for it."""
    for language in sorted(catalogue_languages()):
        translations(language)
        localedata.load(language)  # about 20 ms the first time (PITFALLS.md, babel)
    logger.info("loaded catalogues languages=%s", ",".join(sorted(catalogue_languages())))


def translate(message: str, language: str) -> str:
    """`message` (an English msgid) in `language`."""
    return translations(language).gettext(message)


def translate_plural(message: Plural, count: int, language: str) -> str:
    """The form of `message` that suits `count` in `language`."""
    return translations(language).ngettext(message.singular, message.plural, count)
