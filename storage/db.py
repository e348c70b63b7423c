"""Opening the store: one function that every entry point goes through.

It refuses what it must not touch (a foreign or corrupt file, a schema from a
newer release) before writing anything, so a mistyped `--db` never damages a
file.

Nothing here, or anywhere else, opens the store file except through SQLite:
closing *any* descriptor of a file drops every POSIX lock the process holds
on it (sqlite.org, "How To Corrupt An SQLite Database File", 2.2), after
which another process may checkpoint and delete the live `-wal` under this
one's connections. So the "is this SQLite at all" check is SQLite's own
(SQLITE_NOTADB on the first read), and long-running processes keep one
connection per thread (`thread_db`) instead of reopening per request.
"""

import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from storage.schema import MIGRATION_SET, migrations

log = logging.getLogger(__name__)

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
    if path.is_dir():
        raise StoreError(
            f"{path}: is a folder, not a store file. Pass --db with a file path, e.g. --db {path / 'retention.db'}"
        )
    exists = path.exists()
    if not exists and not create:
        raise StoreError(missing_store(path))
    if not exists:
        _create_private(path)
    conn = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        # Checked before the first write (switching to WAL rewrites the
        # header), so a file we refuse stays byte for byte as it was. The
        # first read is where SQLite itself says "not a database".
        _check_known_migrations(db, path)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
    except StoreError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        raise open_error(e, path) from e
    return db


def open_error(e: sqlite3.DatabaseError, path: str | os.PathLike) -> StoreError:
    """What to say when SQLite cannot open `path` as a store."""
    if _code(e) == sqlite3.SQLITE_NOTADB:
        return StoreError(
            f"{path}: not a SQLite database (is --db pointing at the right file?), or its first "
            "page is destroyed. Refusing to touch it."
        )
    return StoreError(explain_sqlite_error(e, path) or f"{path}: cannot open the database: {e}")


def missing_store(path: str | os.PathLike) -> str:
    return (
        f"{path}: no such store. Create one with `retention-bot import orders FILE` or "
        "`retention-bot demo`, or pass --db (or $RETENTION_DB) with the path of an existing one."
    )


class ThreadStores(threading.local):
    """Each thread's own long-lived connection to each store it uses."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[Database, tuple[int, int]]] = {}


_threads = ThreadStores()


def thread_db(path: str | os.PathLike) -> Database:
    """This thread's connection to the existing store at `path`, opened
    (and migrated) on first use and kept: servers, listeners and scheduled
    jobs call this per request instead of opening and closing a connection
    each time. sqlite3 connections must not be shared between threads that
    run at once, hence one per thread.

    Handed out clean: a transaction left open by an earlier failure is
    rolled back (it would hold the write lock for good). A store file that
    is gone or was replaced (another inode) is opened afresh, so a health
    check never answers from a deleted file."""
    key = os.fspath(path)
    try:
        st = os.stat(key)
        identity = (st.st_dev, st.st_ino)
    except OSError:
        identity = None
    held = _threads.open.get(key)
    if held is not None:
        db, seen = held
        if seen == identity:
            if db.conn.in_transaction:
                log.warning("rolling back a transaction left open on %s", key)
                db.conn.rollback()
            return db
        del _threads.open[key]
        db.conn.close()
    db = open_db(key, create=False)
    st = os.stat(key)
    _threads.open[key] = (db, (st.st_dev, st.st_ino))
    return db


def store_path(db: Database) -> str:
    """The file `db` is connected to ("" for an in-memory store)."""
    return next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")


def is_store_file(db: Database, path: str | os.PathLike) -> bool:
    """Whether `path` is `db`'s file or its -wal/-shm (compared by inode,
    without opening anything)."""
    main = store_path(db)
    if not main:
        return False
    try:
        target = os.stat(path)
    except OSError:
        return False
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            st = os.stat(main + suffix)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def open_memory_db() -> Database:
    """An empty store in memory, with the whole schema: what `import
    --dry-run` checks a file against when there is no store yet."""
    db = Database(sqlite3.connect(":memory:", check_same_thread=False))
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    return db


def close_thread_dbs() -> None:
    """Close this thread's kept connections (tests, and threads that end)."""
    while _threads.open:
        _, (db, _) = _threads.open.popitem()
        db.conn.close()


@contextmanager
def transaction(db: Database, *, write: bool = True) -> Iterator[Database]:
    """The one transaction helper. A write transaction takes the write lock
    before it reads (BEGIN IMMEDIATE), so it waits its turn behind another
    writer for the busy timeout: a deferred one that has already read cannot
    wait — SQLite refuses its first write at once while another connection
    writes (its snapshot would be stale). `write=False` is a read snapshot
    (several SELECTs that see the same data) or writes to the temp database
    only, which must not lock the store. Inside a transaction it is a
    savepoint of it, so helpers nest."""
    if db.conn.in_transaction:
        name = f"sp_{secrets.token_hex(6)}"
        db.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.execute(f"ROLLBACK TO {name}")
                db.execute(f"RELEASE {name}")
            raise
        db.execute(f"RELEASE {name}")
        return
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
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
    primary = _code(e)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return (
            f"{path}: the store is busy: another process (an import, a score or the running bot) "
            f"kept it locked for more than {BUSY_TIMEOUT_MS // 1000} s. The change in progress "
            "was rolled back; try again when the other one has finished."
        )
    if primary == sqlite3.SQLITE_FULL:
        return (
            f"{path}: disk full: SQLite could not write to the store ({e}). The change in progress "
            "was rolled back and the store is as it was; free some disk space and try again."
        )
    if primary == sqlite3.SQLITE_IOERR:
        return (
            f"{path}: the disk refused a read or write ({e}): a failing or full disk, or a file "
            "size limit. The change in progress was rolled back; check the disk and try again."
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return (
            f"{path}: the database file is damaged ({e}). Refusing to use it; nothing was written. "
            f"Restore it from a backup, or save what is left with `sqlite3 {path} .recover`."
        )
    return None


def _code(e: sqlite3.Error) -> int | None:
    """SQLite's primary result code of `e` (the low byte of the extended one)."""
    code = getattr(e, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


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


__all__ = [
    "MIGRATION_SET",
    "StoreError",
    "close_thread_dbs",
    "explain_sqlite_error",
    "is_store_file",
    "missing_store",
    "open_db",
    "open_error",
    "open_memory_db",
    "schema_version",
    "store_path",
    "thread_db",
    "transaction",
]
