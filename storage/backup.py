"""A consistent copy of the live store, taken while the bot keeps running.

SQLite's online backup API copies the pages under one read transaction: in
WAL mode writers are not blocked and the copy is a snapshot of one moment,
unlike a `cp` of a database (and its -wal file) that is being written. The
copy holds the same customer data as the store, so it is created readable
by its owner only, and an existing file is never overwritten.
"""

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from storage.db import StoreError
from storage.problems import N_


def backup_store(db: Database, target: str | os.PathLike) -> int:
    """Write a copy of `db` to `target` (a new file, mode 0600). Returns its
    size in bytes. A failed copy leaves no partial file behind."""
    target = Path(target)
    if not target.parent.is_dir():
        raise StoreError(
            N_("{path}: directory {parent} does not exist. Create it, or pick another path."),
            path=str(target),
            parent=str(target.parent),
        )
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise StoreError(
            N_("{path}: already exists; refusing to overwrite it. Pick a new file name."), path=str(target)
        ) from None
    except OSError as e:
        raise StoreError(
            N_("{path}: cannot create the backup ({reason})."), path=str(target), reason=str(e.strerror)
        ) from None
    os.close(fd)
    os.chmod(target, 0o600)  # whatever the umask made of it
    try:
        copy = sqlite3.connect(target)
        try:
            db.conn.backup(copy)
        finally:
            copy.close()
    except BaseException as e:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        if isinstance(e, sqlite3.Error):
            raise StoreError(
                N_("{path}: backup failed ({reason}); nothing was written."), path=str(target), reason=str(e)
            ) from e
        raise
    return target.stat().st_size
