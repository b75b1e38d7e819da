"""The public face of `messages` and what it may import."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import messages

PACKAGE = Path(messages.__file__).parent
# fpdf and segno draw the PDF documents (letters, copies, case files) and their QR codes.
ALLOWED_ROOTS = {"babel", "bot", "fpdf", "messages", "segno"}


def _imported_roots(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: the order ruff's RUF022 keeps."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted() -> None:
    assert messages.__all__ == sorted(messages.__all__, key=_isort_key)


def test_all_names_exist() -> None:
    missing = [name for name in messages.__all__ if not hasattr(messages, name)]

    assert missing == []


def test_imports_only_domain_babel_and_stdlib() -> None:
    foreign = {
        f"{source.name}: {root}"
        for source in PACKAGE.glob("*.py")
        for root in _imported_roots(source)
        if root not in ALLOWED_ROOTS and root not in sys.stdlib_module_names
    }

    assert foreign == set()


def test_imports_from_bot_only_the_package_top() -> None:
    deep = {
        source.name
        for source in PACKAGE.glob("*.py")
        if "from bot." in source.read_text(encoding="utf-8")
    }

    assert deep == set()
