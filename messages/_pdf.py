"""PDF documents in the customer's language: fonts, right-to-left shaping, paragraphs and
tables, drawn with fpdf2.

DejaVu Sans (shipped in `fonts/`, licence beside it) covers Latin, Cyrillic, Hebrew and
Arabic. Hebrew and Arabic are shaped by HarfBuzz (uharfbuzz) and laid out right to left;
without shaping fpdf2 raises no error but mirrors Hebrew and leaves Arabic unjoined.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

__all__ = ["Document"]

_FONTS = Path(__file__).with_name("fonts")
_FAMILY = "DejaVu"
# OpenType script and language tags (https://learn.microsoft.com/typography/opentype/spec).
_SHAPING = {"he": ("hebr", "heb"), "ar": ("arab", "ara")}
# Direction marks and isolates that chat texts carry for right-to-left screens: fpdf2 lays
# out bidirectional text itself, and DejaVu has no glyphs for them.
_BIDI_CONTROLS = dict.fromkeys([0x200E, 0x200F, 0x2066, 0x2067, 0x2068, 0x2069])
_LINE = 6.0


class Document:
    """One A4 document; paragraphs and tables follow the language's direction."""

    def __init__(self, language: str, *, title: str, created: datetime) -> None:
        # Imported here: fpdf2 and its font tools take a large share of the service's
        # start-up time and memory, and only letters and case files need them.
        from fpdf import FPDF

        self.language = language
        self.rtl = language in _SHAPING
        pdf = FPDF(format="A4")
        pdf.set_margins(20, 20, 20)
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.add_font(_FAMILY, "", str(_FONTS / "DejaVuSans.ttf"))
        pdf.add_font(_FAMILY, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        script, tag = _SHAPING.get(language, (None, None))
        pdf.set_text_shaping(
            use_shaping_engine=True,
            direction="rtl" if self.rtl else "ltr",
            script=script,
            language=tag,
        )
        pdf.set_title(title)
        pdf.set_lang(language)
        pdf.set_creator("Settle")
        # A fixed creation date: the same letter renders to the same bytes (and hash).
        pdf.set_creation_date(created)
        pdf.add_page()
        self._pdf = pdf

    def heading(self, text: str) -> None:
        self._pdf.set_font(_FAMILY, "B", 15)
        self._write(text, height=9)
        self._pdf.ln(3)

    def paragraph(self, text: str, *, bold: bool = False, size: float = 10.5) -> None:
        self._pdf.set_font(_FAMILY, "B" if bold else "", size)
        self._write(text)
        self._pdf.ln(2)

    def small(self, text: str) -> None:
        self._pdf.set_font(_FAMILY, "", 8)
        self._write(text, height=4.5)

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        """Columns of equal width; the first column comes first in reading order."""
        self._pdf.set_font(_FAMILY, "", 9.5)
        if self.rtl:
            headers, rows = headers[::-1], [row[::-1] for row in rows]
        with self._pdf.table(
            text_align="RIGHT" if self.rtl else "LEFT", line_height=_LINE
        ) as table:
            row = table.row()
            for header in headers:
                row.cell(_clean(header))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_clean(value))
        self._pdf.ln(3)

    def qr(self, link: str, *, size: float = 32) -> None:
        """`link` as a QR code, on the reading side of the page."""
        import segno

        image = io.BytesIO()
        segno.make(link, error="m").save(image, kind="png", scale=6, border=2)
        image.seek(0)
        left = self._pdf.w - self._pdf.r_margin - size if self.rtl else self._pdf.l_margin
        self._pdf.image(image, x=left, w=size, h=size)
        self._pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self._pdf.output())

    def _write(self, text: str, *, height: float = _LINE) -> None:
        from fpdf.enums import XPos, YPos

        self._pdf.multi_cell(
            0,
            height,
            _clean(text),
            align="R" if self.rtl else "L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _clean(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)
