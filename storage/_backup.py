"""Online backup and restore of the SQLite file through SQLite's backup API.

The backup reads one consistent snapshot while `settle serve` goes on writing (WAL lets a
reader and the writer work side by side); it is written to a temporary file, checked, and
only then renamed into place, so a failed backup leaves no file that looks like one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import ConfigurationError, InvalidInput
from storage._migrate import migrations

__all__ = ["BackupInfo", "backup_database", "restore_database"]

_COUNTED = ("customers", "invoices", "cases", "contacts", "audit_records")


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    schema_version: int
    bytes: int
    rows: dict[str, int]


def backup_database(source: Path, target: Path) -> BackupInfo:
    """Copy the live database at `source` to the new file `target`."""
    if not source.exists():
        raise ConfigurationError(f"no database at {source.resolve()} (SETTLE_DATABASE_URL)")
    if target.exists():
        raise InvalidInput("PATH", f"{target} exists; a backup never overwrites a file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src:
        src.execute("PRAGMA busy_timeout = 10000")
        with contextlib.closing(sqlite3.connect(partial)) as dst:
            # All pages in one step: one read snapshot, however busy the writer is.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            info = _describe(dst, target)
    os.replace(partial, target)
    return BackupInfo(target, info.schema_version, target.stat().st_size, info.rows)


def restore_database(backup: Path, target: Path) -> BackupInfo:
    """Replace the database at `target` with the backup, once the backup checks out.

    Raises:
        InvalidInput: the backup is missing, damaged, not Settle's, or from a newer Settle.
        ConfigurationError: `settle serve` is running on `target`.
    """
    if not backup.is_file():
        raise InvalidInput("PATH", f"no backup at {backup}")
    with contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
        info = _describe(src, backup)
        with _unserved(target), contextlib.closing(sqlite3.connect(target)) as dst:
            dst.execute("PRAGMA busy_timeout = 10000")
            src.backup(dst, pages=-1)
    return BackupInfo(target, info.schema_version, target.stat().st_size, info.rows)


@contextlib.contextmanager
def _unserved(target: Path) -> Iterator[None]:
    """Hold the lock `settle serve` takes, so that neither starts while the other runs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(target.name + ".serve.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            msg = f"{target} is served by a running `settle serve`; stop it before restoring"
            raise ConfigurationError(msg) from None
        yield


def _describe(db: sqlite3.Connection, path: Path) -> BackupInfo:
    """Check that `db` is a whole Settle database this version can run; what it holds."""
    try:
        (check,) = db.execute("PRAGMA integrity_check").fetchone()
        row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as error:
        raise InvalidInput("PATH", f"{path} is not a Settle database: {error}") from None
    if check != "ok":
        raise InvalidInput("PATH", f"{path} is damaged: {check}")
    version, known = int(row[0] or 0), migrations()[-1].version
    if version > known:
        msg = f"{path} has schema version {version}; this Settle knows up to {known}: upgrade"
        raise InvalidInput("PATH", msg)
    rows = {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in _COUNTED}
    return BackupInfo(path, version, 0, rows)
