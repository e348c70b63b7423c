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

from storage.problems import N_, Problem
from storage.schema import MIGRATION_SET, migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class StoreError(Problem):
    """The store cannot be opened or used; the message says why and what to do.

    A Problem (a catalog msgid and its values; str() is the English), so the
    CLI says it in the reader's language (commands.problems.told). A store
    that cannot be opened cannot tell its workspace language, so the CLI
    says this in --language / $RETENTION_LANGUAGE, else English."""


def open_db(path: str | os.PathLike, *, create: bool = True) -> Database:
    """Open (and create/migrate) the SQLite store at `path`.

    WAL lets the bot answer while an import writes; foreign keys keep orders
    attached to customers; the busy timeout makes a second writer wait instead
    of failing at once.
    """
    path = Path(path)
    if path.is_dir():
        raise folder_error(path, path / "retention.db")
    exists = path.exists()
    if not exists and not create:
        raise missing_store(path)
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
            N_(
                "{path}: not a SQLite database (is {option} pointing at the right file?), or its first "
                "page is destroyed. Refusing to touch it."
            ),
            path=str(path),
            option="--db",
        )
    return explain_sqlite_error(e, path) or StoreError(
        N_("{path}: cannot open the database: {reason}"), path=str(path), reason=str(e)
    )


def folder_error(path: str | os.PathLike, example: str | os.PathLike) -> StoreError:
    """--db names a folder: say so, with a file path in it as the example."""
    return StoreError(
        N_("{path}: is a folder, not a store file. Pass {option} with a file path, e.g. {example}"),
        path=str(path),
        option="--db",
        example=f"--db {example}",
    )


def missing_store(path: str | os.PathLike) -> StoreError:
    return StoreError(
        N_(
            "{path}: no such store. Create one with {import_command} or {demo_command}, or pass "
            "{option} (or {variable}) with the path of an existing one."
        ),
        path=str(path),
        import_command="`retention-bot import orders FILE`",
        demo_command="`retention-bot demo`",
        option="--db",
        variable="$RETENTION_DB",
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


def explain_sqlite_error(e: sqlite3.Error, path: str | os.PathLike) -> StoreError | None:
    """What to tell a person about the SQLite failures they can act on (the
    store is busy, the disk is full or failing, the file is damaged), as a
    StoreError to say in their language; None for the rest, which are bugs
    and keep their traceback. SQLite rolls back the statement or transaction
    that failed, which the sentences rely on. SQLite's own words (`reason`)
    stay as SQLite wrote them."""
    primary = _code(e)
    where = {"path": str(path), "reason": str(e)}
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            N_(
                "{path}: the store is busy: another process (an import, a score or the running bot) "
                "kept it locked for more than {seconds} s. The change in progress "
                "was rolled back; try again when the other one has finished."
            ),
            path=str(path),
            seconds=BUSY_TIMEOUT_MS // 1000,
        )
    if primary == sqlite3.SQLITE_FULL:
        return StoreError(
            N_(
                "{path}: disk full: SQLite could not write to the store ({reason}). The change in progress "
                "was rolled back and the store is as it was; free some disk space and try again."
            ),
            **where,
        )
    if primary == sqlite3.SQLITE_IOERR:
        return StoreError(
            N_(
                "{path}: the disk refused a read or write ({reason}): a failing or full disk, or a file "
                "size limit. The change in progress was rolled back; check the disk and try again."
            ),
            **where,
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(
            N_(
                "{path}: the database file is damaged ({reason}). Refusing to use it; nothing was written. "
                "Restore it from a backup, or save what is left with {recover}."
            ),
            recover=f"`sqlite3 {path} .recover`",
            **where,
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
            N_(
                "{path}: cannot create the database: directory {parent} does not exist. "
                "Create it, or pass {option} with another path."
            ),
            path=str(path),
            parent=str(parent),
            option="--db",
        )
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as e:
        raise StoreError(
            N_(
                "{path}: cannot create the database ({reason}): directory {parent} is not writable. "
                "Pass {option} with a path in a writable directory."
            ),
            path=str(path),
            reason=str(e.strerror),
            parent=str(parent),
            option="--db",
        ) from None


def _check_known_migrations(db: Database, path: Path) -> None:
    applied = {m.name for m in migrations.applied(db)}
    known = {m.name for m in migrations._migrations}
    unknown = sorted(applied - known)
    if unknown:
        raise StoreError(
            N_(
                "{path}: this database was written by a newer retention-bot "
                "(unknown migrations: {migrations}). Upgrade retention-bot "
                "({command}) or use a copy made for this version."
            ),
            path=str(path),
            migrations=", ".join(unknown),
            command="pip install -U retention-bot",
        )
    theirs = [t for t in db.table_names() if t != migrations.migrations_table]
    if not applied and theirs:
        raise StoreError(
            N_(
                "{path}: has tables ({tables}) but no "
                "retention-bot migration record; it is not a retention-bot store. Refusing to touch it; "
                "use another {option} path."
            ),
            path=str(path),
            tables=", ".join(theirs[:3]) + (", …" if len(theirs) > 3 else ""),
            option="--db",
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
    "folder_error",
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
