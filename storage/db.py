"""Opening the store: one function that every entry point goes through.

It refuses what it must not touch (a foreign or corrupt file, a schema from a
newer release) before writing anything, so a mistyped `--db` never damages a
file.
"""

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from storage.schema import MIGRATION_SET, migrations

BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """The store cannot be opened or used; the message says why and what to do."""


def open_db(path: str | os.PathLike, *, create: bool = True) -> Database:
    """Open (and create/migrate) the SQLite store at `path`.

    WAL lets the bot answer while an import writes; foreign keys keep orders
    attached to customers; the busy timeout makes a second writer wait instead
    of failing at once.
    """
    path = Path(path)
    exists = path.exists()
    if not exists and not create:
        raise StoreError(f"{path}: no such database. Import data or run `retention-bot demo`.")
    if exists:
        _check_is_sqlite(path)
    else:
        _create_private(path)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        _check_known_migrations(db, path)
        migrations.apply(db)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot open the database: {e}") from e
    return db


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only: it holds customer data."""
    parent = path.parent
    if not parent.is_dir():
        raise StoreError(
            f"{path}: cannot create the database: directory {parent} does not exist. "
            "Create it, or pass --db with another path."
        )
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as e:
        raise StoreError(
            f"{path}: cannot create the database ({e.strerror}): directory {parent} is not writable. "
            "Pass --db with a path in a writable directory."
        ) from None


def _check_is_sqlite(path: Path) -> None:
    if path.stat().st_size == 0:
        return
    with open(path, "rb") as f:
        header = f.read(16)
    if header != b"SQLite format 3\x00":
        raise StoreError(
            f"{path}: not a SQLite database (is --db pointing at the right file?). "
            "Refusing to touch it."
        )


def _check_known_migrations(db: Database, path: Path) -> None:
    applied = {m.name for m in migrations.applied(db)}
    known = {m.name for m in migrations._migrations}
    unknown = sorted(applied - known)
    if unknown:
        raise StoreError(
            f"{path}: this database was written by a newer retention-bot "
            f"(unknown migrations: {', '.join(unknown)}). Upgrade retention-bot "
            "(pip install -U retention-bot) or use a copy made for this version."
        )
    if not applied and "customers" in db.table_names() and "_sqlite_migrations" not in db.table_names():
        raise StoreError(
            f"{path}: has tables but no retention-bot migration record; "
            "it is not a retention-bot store. Use another --db path."
        )


def schema_version(db: Database) -> str:
    """Name of the last applied migration (shown by `status`)."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else "none"


__all__ = ["open_db", "StoreError", "schema_version", "MIGRATION_SET"]
