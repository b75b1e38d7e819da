"""The final warning letter and the agreement copy as PDFs, in every language.

The PDF is read back twice: its text (pypdf) for what it says, and its first page as a
picture (pdfium) for how it looks. The pictures are kept under `SETTLE_TEST_ARTEFACTS`
(default: the test's temporary folder) for a person to look at.
"""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from bot import Agreement, AgreementKind, Instalment, Invoice, InvoiceStatus, LetterFacts, Money
from messages import (
    LEGAL_PHRASES,
    forbidden_phrases,
    load_catalogues,
    pressure_phrases,
    render_agreement_copy,
    render_letter,
)
from messages import _prelegal_texts as p
from messages._catalog import translate, translate_plural

LOCALES = {"en": "en_US", "he": "he_IL", "ru": "ru_RU", "ar": "ar_EG"}
CURRENCIES = {"en": "USD", "he": "ILS", "ru": "RUB", "ar": "EGP"}
LETTER_TEXTS = [value for name, value in vars(p).items() if name.startswith("LETTER_")]


@pytest.fixture(scope="module", autouse=True)
def _catalogues() -> None:
    load_catalogues()


def _facts(language: str) -> LetterFacts:
    currency = CURRENCIES[language]
    invoices = tuple(
        Invoice(
            id=f"INV-{number}",
            customer_id="C-77",
            amount=Money(amount, currency),
            amount_due=Money(amount, currency),
            issued_on=date(2023, number, 1),
            due_on=date(2023, number, 15),
            status=InvoiceStatus.OVERDUE,
            fact_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
        for number, amount in ((9, 41290), (10, 12000))
    )
    names = {"en": "Dana Levi", "he": "דנה לוי", "ru": "Дана Леви", "ar": "دانة ليفي"}
    return LetterFacts(
        case_id=12,
        customer_id="C-77",
        name=names[language],
        locale=LOCALES[language],
        invoices=invoices,
        total=Money(53290, currency),
        contacts=5,
        first_contact=date(2024, 1, 10),
        deadline=date(2024, 3, 18),
        link="https://t.me/settle_bot?start=Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        written_on=date(2024, 3, 4),
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


def _picture(pdf: bytes, name: str, folder: Path) -> Path:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=1.5).to_pil()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    image.save(path)
    return path


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    return Path(os.environ.get("SETTLE_TEST_ARTEFACTS", tmp_path)) / "letters"


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_letter_says_the_debt_by_invoice_the_deadline_and_the_link(language: str) -> None:
    pdf = render_letter(_facts(language))

    text = _text(pdf)
    title = translate(p.LETTER_TITLE, language)
    assert pdf.startswith(b"%PDF-")
    assert {"INV", "9", "10", "C", "77"} <= _words(text)
    assert _words(title) <= _words(text)
    assert "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" in text.replace("\n", "")


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_letter_renders_the_same_bytes_twice(language: str) -> None:
    assert render_letter(_facts(language)) == render_letter(_facts(language))


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_letter_page_is_drawn_with_ink_on_both_halves(language: str, artefacts: Path) -> None:
    path = _picture(render_letter(_facts(language)), f"letter-{language}", artefacts)

    from PIL import Image

    with Image.open(path) as image:
        gray = image.convert("L")
        width, height = gray.size
        left = gray.crop((0, 0, width // 2, height // 2)).getextrema()
        right = gray.crop((width // 2, 0, width, height // 2)).getextrema()
    # Ink on both halves of the top of the page: text runs across it (or from the right).
    assert (left[0] < 100, right[0] < 100) == (True, True)


@pytest.mark.parametrize("language", ["he", "ar"])
def test_right_to_left_letters_are_shaped_not_mirrored(language: str) -> None:
    """Read back in logical order, the title's words come out as written, not reversed."""
    text = _text(render_letter(_facts(language)))
    title = translate(p.LETTER_TITLE, language)

    reversed_words = {word[::-1] for word in _words(title) if len(word) > 2}
    assert _words(title) & _words(text) == _words(title)
    assert reversed_words & _words(text) == set()


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_letter_has_legal_wording_and_no_pressure(language: str) -> None:
    texts = [translate(message, language) for message in LETTER_TEXTS if isinstance(message, str)]
    texts += [
        translate_plural(message, count, language)
        for message in LETTER_TEXTS
        if isinstance(message, tuple)
        for count in (1, 2, 5, 11, 100)
    ]
    words = "\n".join(texts)

    assert pressure_phrases(words) == []
    assert set(forbidden_phrases(words)) & set(LEGAL_PHRASES) != set()


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_agreement_copy_carries_the_terms_word_for_word_and_their_hash(
    language: str, artefacts: Path
) -> None:
    currency = CURRENCIES[language]
    items = tuple(Instalment(n, date(2024, 3 + n, 11), Money(5000, currency)) for n in (1, 2))
    terms = "\n".join(["Terms line one, as agreed", "Second line: 2 × 50.00"])
    agreement = Agreement(
        case_id=12,
        customer_id="C-77",
        kind=AgreementKind.PLAN,
        total=Money(10000, currency),
        items=items,
        terms_text=terms,
        terms_version="terms-test",
        locale=LOCALES[language],
        channel="telegram",
        accepted_at=datetime(2024, 3, 4, 19, 0, tzinfo=UTC),
        id=7,
    )

    pdf = render_agreement_copy(agreement, locale=LOCALES[language])
    _picture(pdf, f"agreement-{language}", artefacts)

    flat = _text(pdf).replace("\n", "")
    assert agreement.terms_hash in flat
    assert "Terms line one, as agreed" in _text(pdf)
