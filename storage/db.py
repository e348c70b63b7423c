"""Opening the store: one function that every entry point goes through.

It refuses what it must not touch (a foreign or corrupt file, a schema from a
newer release) before writing anything, so a mistyped `--db` never damages a
file.
"""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
    conn = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        # Checked before the first write (switching to WAL rewrites the
        # header), so a file we refuse stays byte for byte as it was.
        _check_known_migrations(db, path)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
    except StoreError:
        conn.close()
        raise
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        raise StoreError(explain_sqlite_error(e, path) or f"{path}: cannot open the database: {e}") from e
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock before it reads (BEGIN
    IMMEDIATE), so it waits its turn behind another writer for the busy
    timeout. A deferred one that has already read cannot wait: SQLite refuses
    its first write at once while another connection writes (its snapshot
    would be stale)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def explain_sqlite_error(e: sqlite3.Error, path: str | os.PathLike) -> str | None:
    """What to tell a person about the SQLite failures they can act on (the
    store is busy, the disk is full or failing, the file is damaged); None
    for the rest, which are bugs and keep their traceback. SQLite rolls back
    the statement or transaction that failed, which the sentences rely on."""
    code = getattr(e, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return (f"{path}: the store is busy: another process (an import, a score or the running bot) "
                f"kept it locked for more than {BUSY_TIMEOUT_MS // 1000} s. The change in progress "
                "was rolled back; try again when the other one has finished.")
    if primary == sqlite3.SQLITE_FULL:
        return (f"{path}: disk full: SQLite could not write to the store ({e}). The change in progress "
                "was rolled back and the store is as it was; free some disk space and try again.")
    if primary == sqlite3.SQLITE_IOERR:
        return (f"{path}: the disk refused a read or write ({e}): a failing or full disk, or a file "
                "size limit. The change in progress was rolled back; check the disk and try again.")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return (f"{path}: the database file is damaged ({e}). Refusing to use it; nothing was written. "
                f"Restore it from a backup, or save what is left with `sqlite3 {path} .recover`.")
    return None


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
    theirs = [t for t in db.table_names() if t != migrations.migrations_table]
    if not applied and theirs:
        raise StoreError(
            f"{path}: has tables ({', '.join(theirs[:3])}{', …' if len(theirs) > 3 else ''}) but no "
            "retention-bot migration record; it is not a retention-bot store. Refusing to touch it; "
            "use another --db path."
        )


def schema_version(db: Database) -> str:
    """Name of the last applied migration (shown by `status`)."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else "none"


__all__ = ["open_db", "StoreError", "explain_sqlite_error", "schema_version", "write_transaction", "MIGRATION_SET"]
