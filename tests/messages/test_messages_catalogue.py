"""The gettext catalogues: in step with the code, compiled in memory, plural-aware."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

import messages
from messages import _texts as t
from messages import catalogue_languages, load_catalogues
from messages._catalog import read_catalogue, translate, translate_plural, translations

PACKAGE = Path(messages.__file__).parent
PO_FILES = sorted((PACKAGE / "locale").glob("*/LC_MESSAGES/settle.po"))

MsgId = str | tuple[str, ...] | list[str]


def _code_msgids() -> set[MsgId]:
    """What `pybabel extract -F messages/babel.cfg` finds, as README.md runs it."""
    with (PACKAGE / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found = extract_from_dir(PACKAGE, method_map, options_map)
    return {message for _, _, message, _, _ in found}


def _read(po: Path) -> Catalog:
    with po.open("rb") as source:
        return read_po(source)


def _catalogue_msgids(po: Path) -> set[MsgId]:
    return {message.id for message in _read(po) if message.id}


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _write_po(tmp_path: Path, language: str, catalogue: Catalog) -> Path:
    po = tmp_path / f"{language}.po"
    with po.open("wb") as target:
        write_po(target, catalogue)
    return po


def test_english_catalogue_exists() -> None:
    assert "en" in catalogue_languages()


def test_extraction_finds_singular_and_plural_texts() -> None:
    found = _code_msgids()

    assert {t.APOLOGY, tuple(t.INVOICES_OVERDUE)} <= found


def test_every_msgid_in_the_code_is_in_the_english_catalogue() -> None:
    english = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "settle.po"

    assert _code_msgids() - _catalogue_msgids(english) == set()


@pytest.mark.parametrize("po", PO_FILES, ids=lambda po: po.parts[-3])
def test_catalogue_keeps_no_msgid_the_code_dropped(po: Path) -> None:
    assert _catalogue_msgids(po) - _code_msgids() == set()


@pytest.mark.parametrize("po", PO_FILES, ids=lambda po: po.parts[-3])
def test_catalogue_passes_babels_checks(po: Path) -> None:
    problems = [(message.id, errors) for message, errors in _read(po).check()]

    assert problems == []


@pytest.mark.parametrize("po", PO_FILES, ids=lambda po: po.parts[-3])
def test_translations_keep_the_placeholders(po: Path) -> None:
    broken = []
    for message in _read(po):
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        allowed = set().union(*(_fields(i) for i in ids))
        broken += [s for s in strings if s and not _fields(s) <= allowed]

    assert broken == []


def test_repository_holds_no_compiled_catalogue() -> None:
    assert list(PACKAGE.rglob("*.mo")) == []


def test_load_catalogues_compiles_every_language() -> None:
    load_catalogues()

    assert all(translations(language) for language in catalogue_languages())


def test_unknown_language_has_no_catalogue() -> None:
    with pytest.raises(LookupError, match="'xx'"):
        translations("xx")


def test_english_empty_msgstr_reads_as_the_msgid() -> None:
    assert translate(t.APOLOGY, "en") == t.APOLOGY


@pytest.mark.parametrize(("count", "form"), [(1, 0), (2, 1), (0, 1), (21, 1)])
def test_english_plural_follows_the_count(count: int, form: int) -> None:
    assert translate_plural(t.INVOICES_OVERDUE, count, "en") == t.INVOICES_OVERDUE[form]


def test_a_translated_msgstr_is_used(tmp_path: Path) -> None:
    catalogue = Catalog(locale="fr", domain="settle")
    catalogue.add(t.APOLOGY, "Désolé, un problème est survenu de notre côté.")

    compiled = read_catalogue(_write_po(tmp_path, "fr", catalogue), "fr")

    assert compiled.gettext(t.APOLOGY) == "Désolé, un problème est survenu de notre côté."


def test_an_untranslated_msgid_stays_english(tmp_path: Path) -> None:
    catalogue = Catalog(locale="fr", domain="settle")
    catalogue.add(t.APOLOGY, "")

    compiled = read_catalogue(_write_po(tmp_path, "fr", catalogue), "fr")

    assert compiled.gettext(t.APOLOGY) == t.APOLOGY


@pytest.mark.parametrize(("count", "form"), [(1, "one"), (3, "few"), (5, "many"), (21, "one")])
def test_plural_form_follows_the_languages_rule(tmp_path: Path, count: int, form: str) -> None:
    catalogue = Catalog(locale="ru", domain="settle")
    catalogue.add(t.INVOICES_OVERDUE, ("one", "few", "many"))

    compiled = read_catalogue(_write_po(tmp_path, "ru", catalogue), "ru")

    assert compiled.ngettext(*t.INVOICES_OVERDUE, count) == form
