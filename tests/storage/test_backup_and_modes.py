"""Customer data stays private on disk: the store, its WAL and shared-memory
files, and every backup are readable by their owner only (0600), whatever
the umask. `retention-bot backup` copies a live store with SQLite's online
backup API: a consistent copy (integrity_check ok, every row equal), never
over an existing file."""

import os
import sqlite3
import stat
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import StoreError, open_db
from storage.backup import backup_store
from storage.deliveries import enqueue_delivery
from tests.support.stores import dump


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """A umask that would make new files world-readable (0644)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_store_wal_and_shm_files_are_private(db_path, loose_umask):
    db = open_db(db_path)
    enqueue_delivery(db, "k", "digest", "C1", {"text": "x"}, datetime.now(UTC))  # a write: the WAL is in use
    wal, shm = f"{db_path}-wal", f"{db_path}-shm"
    assert os.path.exists(wal) and os.path.exists(shm)
    assert {str(p): mode(p) for p in (db_path, wal, shm)} == {str(p): 0o600 for p in (db_path, wal, shm)}
    db.conn.close()


def test_backup_is_a_private_consistent_copy(cdnow_db, tmp_path, loose_umask):
    target = tmp_path / "backup.db"
    enqueue_delivery(cdnow_db, "digest:2026-11-23:C1", "digest", "C1", {"text": "x"}, datetime.now(UTC))
    size = backup_store(cdnow_db, target)  # while the source has uncheckpointed WAL content
    assert size == target.stat().st_size > 0
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == ["backup.db"]
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        copy.close()
    restored = open_db(target, create=False)
    try:
        assert dump(restored) == dump(cdnow_db)
    finally:
        restored.conn.close()


def test_backup_never_overwrites(cdnow_db, tmp_path):
    target = tmp_path / "precious.db"
    target.write_bytes(b"keep me")
    with pytest.raises(StoreError, match="already exists; refusing to overwrite"):
        backup_store(cdnow_db, target)
    assert target.read_bytes() == b"keep me"
    with pytest.raises(StoreError, match="does not exist"):
        backup_store(cdnow_db, tmp_path / "missing" / "b.db")


def test_backup_command(cdnow_path, tmp_path):
    target = tmp_path / "nightly.db"
    r = CliRunner().invoke(main, ["--db", str(cdnow_path), "backup", str(target)])
    assert r.exit_code == 0, r.output
    assert f"to {target}" in r.output and mode(target) == 0o600
    again = CliRunner().invoke(main, ["--db", str(cdnow_path), "backup", str(target)])
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    missing = CliRunner().invoke(main, ["--db", str(tmp_path / "nope.db"), "backup", str(tmp_path / "b2.db")])
    assert missing.exit_code == 1 and "no such store" in missing.output
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "b2.db").exists()
