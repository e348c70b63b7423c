"""Which commands may create a store, and `demo` never destroying one.

Only `import`, `demo` and `config` create a missing store; every other
command on a missing path says "no such store" (exit 1) and leaves nothing
behind; a folder as --db is one clear line; `import --dry-run` writes
nothing, not even a new file. `demo` refuses any store that is not a demo
store it built, and leaves it byte for byte as it was."""

import hashlib
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.demo import ensure_demo_store
from storage import open_db
from storage.settings import upsert_setting
from tests.support.stores import CDNOW, SET_AT

DAY = date(2026, 11, 20)
NO_STORE = [
    ["ask", "crr"],
    ["console"],
    ["score"],
    ["status"],
    ["backup", "copy.db"],
    ["digest", "preview"],
    ["remind", "preview"],
    ["model", "fit"],
    ["run"],
]


def cli(*args, env=None, input=""):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env or {"SLACK_BOT_TOKEN": None})


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", NO_STORE, ids=lambda a: a[0])
def test_a_missing_store_is_named_and_nothing_is_created(tmp_path, args):
    store = tmp_path / "missing.db"
    r = cli("--db", store, *args, env={"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"})
    assert r.exit_code == 1, r.output
    assert r.output.startswith(f"error: {store}: no such store.") and "retention-bot import orders FILE" in r.output
    assert "Traceback" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [*NO_STORE, ["import", "orders", CDNOW], ["config"], ["demo"]], ids=lambda a: a[0])
def test_a_folder_as_the_store_is_one_clear_line(tmp_path, args):
    r = cli("--db", tmp_path, *args, env={"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"})
    assert r.exit_code == 1, r.output
    assert r.output.strip().count("\n") == 0 and "is a folder, not a store file" in r.output
    assert list(tmp_path.iterdir()) == []


def test_import_dry_run_writes_nothing_not_even_a_file(tmp_path):
    store = tmp_path / "new.db"
    r = cli("--db", store, "import", "orders", CDNOW, "--dry-run")
    assert r.exit_code == 0, r.output
    assert "would import orders: 6919 added" in r.output
    assert list(tmp_path.iterdir()) == []


def test_config_creates_the_store_so_settings_can_come_first(tmp_path):
    store = tmp_path / "new.db"
    r = cli("--db", store, "config", "timezone", "Asia/Tehran")
    assert r.exit_code == 0, r.output
    db = open_db(store, create=False)
    try:
        assert db.execute("SELECT value, updated_by FROM settings WHERE key = 'timezone'").fetchone() == (
            '"Asia/Tehran"',
            "cli",
        )
    finally:
        db.conn.close()
    assert "Asia/Tehran" in cli("--db", store, "config", "timezone").output


def _with(kind: str, path):
    """A store holding only one kind of thing the operator made."""
    db = open_db(path)
    if kind == "reps":
        db.execute("INSERT INTO reps (id, name) VALUES ('U0ANNA', 'Anna')")
    elif kind == "settings":
        upsert_setting(db, "timezone", "Asia/Yerevan", now=SET_AT)
        db.execute("DELETE FROM audit_log")
    elif kind == "audit":
        db.execute("INSERT INTO audit_log (at, action) VALUES ('2026-01-01T00:00:00Z', 'config.set')")
    elif kind == "deliveries":
        db.execute(
            "INSERT INTO deliveries (key, kind, channel, payload, created_at) "
            "VALUES ('digest:2026-01-01:C1', 'digest', 'C1', '{}', '2026-01-01T00:00:00Z')"
        )
    elif kind == "imports":
        db.execute(
            "INSERT INTO imports (kind, file_name, sha256, format, added, updated, unchanged, rejected, "
            "imported_at) VALUES ('reps', 'r.csv', 'x', 'csv', 0, 0, 0, 0, '2026-01-01T00:00:00Z')"
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


@pytest.mark.parametrize("kind", ["reps", "settings", "audit", "deliveries", "imports"])
def test_demo_refuses_any_store_the_operator_made_and_leaves_it_byte_identical(tmp_path, kind):
    store = tmp_path / "store.db"
    _with(kind, store)
    before = sha(store)
    r = cli("--db", store, "demo")
    assert r.exit_code == 1 and "is not a demo store" in r.output and "Refusing to touch it" in r.output
    assert sha(store) == before


def test_demo_refuses_a_demo_store_with_imported_data(tmp_path):
    store = tmp_path / "demo.db"
    db, built = ensure_demo_store(str(store), customers=200, today=DAY)
    assert built
    r = CliRunner().invoke(main, ["--db", str(store), "import", "orders", str(CDNOW)])
    assert r.exit_code == 0, r.output
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    before = sha(store)
    r = cli("--db", store, "--as-of", "2026-11-21", "demo", "--customers", "200")
    assert r.exit_code == 1 and "data imported into it since it was built" in r.output
    assert sha(store) == before


def test_rebuilding_a_demo_store_in_use_replaces_its_content_in_place(tmp_path):
    store = tmp_path / "demo.db"
    first, _ = ensure_demo_store(str(store), customers=200, today=DAY)
    reader = sqlite3.connect(store)  # another process's connection, e.g. a bot serving the demo
    assert reader.execute("SELECT value FROM settings WHERE key = '_demo'").fetchone()[0].count("2026-11-20")
    inode = store.stat().st_ino
    db, built = ensure_demo_store(str(store), customers=200, today=date(2026, 11, 21))
    assert built and store.stat().st_ino == inode  # the same file, rewritten through SQLite
    assert reader.execute("SELECT value FROM settings WHERE key = '_demo'").fetchone()[0].count("2026-11-21")
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("demo.db")) == []
    reader.close()
    first.conn.close()
    db.conn.close()
