"""The HTML that emails and Settle's own pages share: one plain, inline-styled document.

Mail clients drop `<style>` blocks and scripts, so every style is inline; every value is
escaped here, so a caller never writes markup around text of its own.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from messages._format import is_right_to_left

__all__ = [
    "html_button",
    "html_document",
    "html_footer",
    "html_form_button",
    "html_paragraph",
    "safe_url",
]

_BODY = (
    "margin:0;padding:24px 12px;background:#f4f5f7;color:#1f2933;"
    "font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5"
)
_CARD = "max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px"
_PARAGRAPH = "margin:0 0 16px"
_BUTTON = (
    "display:inline-block;padding:12px 20px;background:#1a56db;color:#ffffff;"
    "text-decoration:none;border-radius:6px;font-weight:bold;border:0;font-size:16px"
)
_RULE = "border:0;border-top:1px solid #e4e7eb;margin:24px 0 0"
_SMALL = "margin:16px 0 0;font-size:13px;color:#52606d"
_SMALL_LINK = "color:#52606d;text-decoration:underline"


def safe_url(url: str) -> str:
    """`url` when it is http or https; a link of any other scheme (javascript:) is a bug."""
    if urlsplit(url).scheme not in ("http", "https"):
        msg = f"refusing a link that is not http or https: {url[:40]!r}"
        raise ValueError(msg)
    return url


def html_paragraph(text: str, *, small: bool = False) -> str:
    """A paragraph of plain text; its line breaks stay line breaks."""
    lines = "<br>".join(escape(line) for line in text.split("\n"))
    return f'<p style="{_SMALL if small else _PARAGRAPH}">{lines}</p>'


def html_button(label: str, url: str) -> str:
    """A link drawn as a button, alone on its line."""
    href = escape(safe_url(url), quote=True)
    return f'<p style="{_PARAGRAPH}"><a href="{href}" style="{_BUTTON}">{escape(label)}</a></p>'


def html_form_button(label: str, action: str) -> str:
    """A button that POSTs to `action`, for what opening a link must not do."""
    target = escape(safe_url(action), quote=True)
    return (
        f'<form method="post" action="{target}" style="{_PARAGRAPH}">'
        f'<button type="submit" style="{_BUTTON}">{escape(label)}</button></form>'
    )


def html_footer(text: str, label: str, url: str) -> str:
    """The small print under a rule, ending with one link."""
    href = escape(safe_url(url), quote=True)
    return (
        f'<hr style="{_RULE}">\n<p style="{_SMALL}">{escape(text)}<br>'
        f'<a href="{href}" style="{_SMALL_LINK}">{escape(label)}</a></p>'
    )


def html_document(title: str, body: str, *, language: str) -> str:
    """A whole document around `body` (markup made by this module), in `language`."""
    direction = "rtl" if is_right_to_left(language) else "ltr"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language, quote=True)}" dir="{direction}">\n'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>\n"
        f'<body style="{_BODY}">\n'
        f'<div dir="{direction}" style="{_CARD}">\n{body}\n</div>\n'
        "</body>\n</html>\n"
    )
