"""The documents a customer receives as files: an agreement's PDF copy and a final warning
letter, loaded for the channel that sends them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot._agreements import Agreement
from bot._errors import NotFound
from bot.ports import Store

__all__ = ["CopyRenderer", "Documents", "File"]

# Renders an agreement's copy in a language as PDF bytes.
CopyRenderer = Callable[[Agreement, str], bytes]


@dataclass(frozen=True, slots=True)
class File:
    """A document to send: its name and its bytes."""

    name: str
    data: bytes


class Documents:
    """Loads (and for copies, renders) the PDFs the outbox sends."""

    def __init__(self, store: Store, *, copy: CopyRenderer) -> None:
        self._store = store
        self._copy = copy

    async def agreement_copy(self, agreement_id: int, *, locale: str) -> File:
        """Raises `NotFound` if the agreement is not there."""
        async with self._store.transaction() as tx:
            agreement = await tx.get_agreement(agreement_id)
        if agreement is None:
            raise NotFound("agreement", str(agreement_id))
        return File(f"agreement-{agreement_id}.pdf", self._copy(agreement, locale))

    async def letter(self, letter_id: int) -> File:
        """The letter exactly as kept (its hash is on record); `NotFound` if absent."""
        async with self._store.transaction() as tx:
            found = await tx.get_letter(letter_id)
        if found is None:
            raise NotFound("letter", str(letter_id))
        return File(f"letter-{letter_id}.pdf", found[1])
