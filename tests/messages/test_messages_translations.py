"""Every catalogue language translates every text the code uses, placeholders and all."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

import messages
from messages import _texts as t
from messages import catalogue_languages
from messages._catalog import SOURCE_LANGUAGE, translate, translate_plural, translations

PACKAGE = Path(messages.__file__).parent
TRANSLATED = sorted(catalogue_languages() - {SOURCE_LANGUAGE})
BUTTONS = [t.UPDATE_BUTTON, t.PAY_BUTTON, t.PERSON_BUTTON, t.STOP_BUTTON]
# A Telegram command such as /start, which the customer types as it is.
COMMAND = re.compile(r"(?<!\w)/[a-z]+")
# Enough counts to meet every plural form of every language (Arabic's "other" starts at 100).
COUNTS = range(1000)

MsgId = str | tuple[str, ...]


def _code_msgids() -> list[MsgId]:
    """What `pybabel extract -F messages/babel.cfg` finds, as messages/README.md runs it."""
    with (PACKAGE / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found = extract_from_dir(PACKAGE, method_map, options_map)
    return sorted({message for _, _, message, _, _ in found}, key=str)


def _catalogue(language: str) -> Catalog:
    po = PACKAGE / "locale" / language / "LC_MESSAGES" / "settle.po"
    with po.open("rb") as source:
        return read_po(source, locale=language)


def _forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _numbers_per_form(language: str) -> dict[int, int]:
    """How many counts of `COUNTS` each plural form serves, by the catalogue's own rule."""
    served: dict[int, int] = {}
    for count in COUNTS:
        form = translations(language).plural(count)
        served[form] = served.get(form, 0) + 1
    return served


def _drops_or_adds_fields(text: str, plural: str, *, exact: bool) -> bool:
    """Whether `text` differs from the plural msgid's fields (or, if not `exact`, adds one)."""
    wanted = _fields(plural)
    return _fields(text) != wanted if exact else not _fields(text) <= wanted


def _singular_texts() -> list[str]:
    return [msgid for msgid in _code_msgids() if isinstance(msgid, str)]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_msgid_in_the_code_has_a_translation(language: str) -> None:
    catalogue = _catalogue(language)

    missing = [
        msgid
        for msgid in _code_msgids()
        if (message := catalogue.get(msgid)) is None or message.fuzzy or not all(_forms(message))
    ]

    assert missing == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_reads_in_its_language_once_compiled(language: str) -> None:
    english = [text for text in _singular_texts() if translate(text, language) == text]
    english_plurals = [
        count
        for count in COUNTS
        if translate_plural(t.INVOICES_OVERDUE, count, language) in t.INVOICES_OVERDUE
    ]

    assert (english, english_plurals) == ([], [])


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_exactly_the_placeholders(language: str) -> None:
    catalogue = _catalogue(language)

    broken = [
        message.id
        for message in catalogue
        if isinstance(message.id, str)
        and message.id
        and _fields(message.string) != _fields(message.id)
    ]

    assert broken == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_serving_many_numbers_show_the_count(language: str) -> None:
    """A form for one number alone ("one" in Hebrew) may spell it out; the others keep it."""
    many = {form for form, numbers in _numbers_per_form(language).items() if numbers > 1}
    catalogue = _catalogue(language)

    broken = [
        (message.id[0][:40], form)
        for message in catalogue
        if isinstance(message.id, tuple)
        for form, text in enumerate(_forms(message))
        if _drops_or_adds_fields(text, message.id[1], exact=form in many)
    ]

    assert broken == []


@pytest.mark.parametrize("language", sorted(catalogue_languages()))
def test_plural_header_is_babels_rule_for_the_language(language: str) -> None:
    catalogue, rule = _catalogue(language), get_plural(language)

    assert (catalogue.num_plurals, catalogue.plural_expr) == (rule.num_plurals, rule.plural_expr)


@pytest.mark.parametrize(("language", "forms"), [("en", 2), ("he", 3), ("ru", 3), ("ar", 6)])
def test_language_has_its_number_of_plural_forms(language: str, forms: int) -> None:
    assert _catalogue(language).num_plurals == forms


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_entries_have_one_text_per_form(language: str) -> None:
    catalogue = _catalogue(language)

    counts = {len(_forms(m)) for m in catalogue if isinstance(m.id, tuple)}

    assert counts == {catalogue.num_plurals}


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_text_naming_a_button_uses_its_translated_label(language: str) -> None:
    mismatched = [
        (button, text[:40])
        for button in BUTTONS
        for text in _singular_texts()
        if button in text
        and text != button
        and translate(button, language) not in translate(text, language)
    ]

    assert mismatched == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_telegram_commands_stay_untranslated(language: str) -> None:
    changed = [
        text[:40]
        for text in _singular_texts()
        if COMMAND.findall(translate(text, language)) != COMMAND.findall(text)
    ]

    assert changed == []
