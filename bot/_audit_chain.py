"""The audit trail as a hash chain: each record holds the hash of the one before it.

A record's hash covers its id, its fields and the previous hash, so an edited record no
longer matches its hash and a deleted one breaks the link of the next. Records removed on
purpose (the retention purge) leave a tombstone with their id and hashes, and the purge
appends a checkpoint record whose detail carries a digest of those tombstones: the chain
stays verifiable across the gap, and the gap itself is evidence (COMPLIANCE rule 18).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHECKPOINT",
    "GENESIS",
    "ChainBreak",
    "ChainLink",
    "ChainReport",
    "Tombstone",
    "record_hash",
    "tombstone_digest",
    "verify_chain",
]

# The previous hash of the first record.
GENESIS = "0" * 64
# The action of the record a purge appends after removing records.
CHECKPOINT = "audit checkpoint"


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the record's fields in one canonical JSON form."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One stored record as the verifier reads it: its fields and the hashes stored with it."""

    id: int
    fields: dict[str, Any]
    prev_hash: str | None
    hash: str | None
    action: str
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What a purge left of a removed record: enough to carry the chain across it."""

    id: int
    prev_hash: str
    hash: str
    checkpoint_id: int


def tombstone_digest(tombstones: Iterable[Tombstone]) -> str:
    """SHA-256 over the removed records' ids and hashes, in id order."""
    lines = "".join(f"{t.id}:{t.hash}\n" for t in sorted(tombstones, key=lambda t: t.id))
    return hashlib.sha256(lines.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first place the chain does not hold, and why."""

    record_id: int
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    removed: int
    checkpoints: int
    head: str
    breaks: tuple[ChainBreak, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify_chain(links: Sequence[ChainLink], tombstones: Sequence[Tombstone]) -> ChainReport:
    """Walk records and tombstones in id order; report every link that does not hold."""
    stones = {t.id: t for t in tombstones}
    entries: list[ChainLink | Tombstone] = sorted([*links, *tombstones], key=lambda e: e.id)
    breaks: list[ChainBreak] = []
    prev = GENESIS
    for entry in entries:
        if isinstance(entry, Tombstone):
            if entry.prev_hash != prev:
                breaks.append(ChainBreak(entry.id, "a record before this removed one is missing"))
            prev = entry.hash
            continue
        if entry.id in stones:
            breaks.append(ChainBreak(entry.id, "both kept and recorded as removed"))
        if entry.hash is None or entry.prev_hash is None:
            breaks.append(ChainBreak(entry.id, "has no hash: written outside the audit chain"))
            continue
        if entry.prev_hash != prev:
            breaks.append(ChainBreak(entry.id, "does not follow the record before it (deleted?)"))
        if record_hash(entry.prev_hash, entry.fields) != entry.hash:
            breaks.append(ChainBreak(entry.id, "its content does not match its hash (edited?)"))
        prev = entry.hash
    breaks.extend(_check_checkpoints(links, tombstones))
    checkpoints = sum(1 for link in links if link.action == CHECKPOINT)
    return ChainReport(len(links), len(tombstones), checkpoints, prev, tuple(breaks))


def _check_checkpoints(
    links: Sequence[ChainLink], tombstones: Sequence[Tombstone]
) -> list[ChainBreak]:
    """Every tombstone belongs to a checkpoint whose digest and count match its group."""
    groups: dict[int, list[Tombstone]] = {}
    for stone in tombstones:
        groups.setdefault(stone.checkpoint_id, []).append(stone)
    checkpoints = {link.id: link for link in links if link.action == CHECKPOINT}
    breaks = []
    for checkpoint_id, group in sorted(groups.items()):
        checkpoint = checkpoints.get(checkpoint_id)
        first = min(stone.id for stone in group)
        if checkpoint is None:
            breaks.append(ChainBreak(first, "removed without a checkpoint record"))
            continue
        detail = checkpoint.detail or {}
        if detail.get("removed") != len(group) or detail.get("digest") != tombstone_digest(group):
            breaks.append(ChainBreak(checkpoint_id, "checkpoint does not match what it removed"))
    for checkpoint_id, checkpoint in sorted(checkpoints.items()):
        if checkpoint_id not in groups and (checkpoint.detail or {}).get("removed"):
            problem = "the records this checkpoint removed are gone"
            breaks.append(ChainBreak(checkpoint_id, problem))
    return breaks
