"""A damaged store or somebody else's file passed as `--db`: every command
refuses with one clear line (exit 1, no traceback) and the file keeps every
byte it had — no WAL switch, no tables added, no leftovers beside it.

Damage in the header or the schema is refused on open. Damage deeper in the
data is found when SQLite reads it (checking every page on every open would
cost seconds on a large store), so the commands that read all the data
(import, score) are the ones shown refusing it."""

import hashlib
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import StoreError, open_db
from tests.support.procs import run_cli
from tests.support.stores import orders_csv

pytestmark = pytest.mark.slow

PAGE = 4096


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file in `directory` with the hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def overwrite(path: Path, pages, rng: random.Random, skip: int = 0) -> None:
    with open(path, "r+b") as f:
        for page in pages:
            f.seek(page * PAGE + skip)
            f.write(rng.randbytes(PAGE - skip))


def damaged(kind: str, template: Path, directory: Path) -> Path:
    """A copy of a real store, damaged as `kind` says."""
    path = directory / "store.db"
    shutil.copy(template, path)
    pages = path.stat().st_size // PAGE
    rng = random.Random(kind)
    if kind == "truncated":
        with open(path, "r+b") as f:
            f.truncate(pages // 2 * PAGE)
    elif kind == "torn":  # cut in the middle of a page
        with open(path, "r+b") as f:
            f.truncate(pages // 2 * PAGE + 1234)
    elif kind == "schema-garbage":  # page 1 after its 100-byte header: the schema
        overwrite(path, [0], rng, skip=100)
    elif kind == "data-garbage":  # every third page past the first third: every big table and index,
        # wherever it lies (a first import writes a table's rows, then each index, in one run of pages)
        overwrite(path, range(pages // 3, pages, 3), rng)
    elif kind == "scattered-garbage":
        overwrite(path, rng.sample(range(2, pages), 10), rng)
    return path


def foreign(kind: str, directory: Path, template: Path) -> Path:
    path = directory / "store.db"
    if kind == "text":
        path.write_text("Dear diary, today I passed the wrong file to --db.\n")
    elif kind == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(5000))
    elif kind == "csv":
        orders_csv(path, 100)
    elif kind in ("other-app", "other-sqlite-utils-app"):
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
        if kind == "other-sqlite-utils-app":
            conn.execute(
                "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, "
                "name TEXT, applied_at TEXT)"
            )
            conn.execute(
                "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES ('notes-app', 'm001_notes', '2026-01-01')"
            )
        conn.commit()
        conn.close()
    elif kind == "newer-release":
        shutil.copy(template, path)
        conn = sqlite3.connect(path)
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('retention-bot', 'm999_from_the_future', '2027-01-01')"
        )
        conn.commit()
        conn.close()
    return path


COMMANDS = {
    "ask": ["ask", "--json", "/retention"],
    "score": ["--as-of", "1998-06-30", "score"],
    "import": ["import", "orders", "{orders}"],
    "digest": ["digest", "preview"],
}
ON_OPEN = ("truncated", "torn", "schema-garbage")
IN_DATA = ("data-garbage", "scattered-garbage")
FOREIGN = {
    "text": "not a SQLite database",
    "png": "not a SQLite database",
    "csv": "not a SQLite database",
    "other-app": "not a retention-bot store",
    "other-sqlite-utils-app": "not a retention-bot store",
    "newer-release": "written by a newer retention-bot",
}


def refuse(store: Path, args: list[str], orders: Path, expected: str) -> None:
    """Run one command in-process; it must refuse with `expected`, exit 1."""
    r = CliRunner().invoke(main, ["--db", str(store), *[a.format(orders=orders) for a in args]])
    assert r.exit_code == 1, (args, r.output, r.exception)
    assert expected in r.output, (args, r.output)
    assert "Traceback" not in r.output and not isinstance(r.exception, sqlite3.Error)


@pytest.fixture
def orders(tmp_path) -> Path:
    path = tmp_path / "orders.csv"
    orders_csv(path, 1000)
    return path


@pytest.mark.parametrize("kind", ON_OPEN + IN_DATA)
def test_a_damaged_store_is_refused_and_left_as_it_is(kind, cdnow_path, tmp_path, orders):
    directory = tmp_path / "damaged"
    directory.mkdir()
    store = damaged(kind, cdnow_path, directory)
    before = fingerprint(directory)
    for name in COMMANDS if kind in ON_OPEN else ("score", "import"):
        refuse(store, COMMANDS[name], orders, "the database file is damaged")
        # Found after opening: this process still holds the (WAL) store open,
        # with its empty -wal and -shm beside it until it exits.
        assert fingerprint(directory)[store.name] == before[store.name], name


@pytest.mark.parametrize("kind", list(FOREIGN))
def test_a_foreign_file_is_refused_and_left_as_it_is(kind, cdnow_path, tmp_path, orders):
    directory = tmp_path / "foreign"
    directory.mkdir()
    store = foreign(kind, directory, cdnow_path)
    before = fingerprint(directory)
    for args in COMMANDS.values():
        refuse(store, args, orders, FOREIGN[kind])
        assert fingerprint(directory) == before, args


def test_the_bot_refuses_to_start_on_a_damaged_or_foreign_store(cdnow_path, tmp_path, env):
    for kind, make, expected in (
        ("schema-garbage", damaged, "the database file is damaged"),
        ("other-app", foreign, "not a retention-bot store"),
    ):
        directory = tmp_path / kind
        directory.mkdir()
        store = make(kind, cdnow_path, directory) if make is damaged else make(kind, directory, cdnow_path)
        before = fingerprint(directory)
        r = run_cli(store, "run", "--host", "127.0.0.1", "--port", "0", env=env, timeout=60)
        assert r.returncode == 1 and expected in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert fingerprint(directory) == before


def test_the_foreign_sqlite_file_still_opens_as_what_it_was(tmp_path, cdnow_path, orders):
    store = foreign("other-app", tmp_path, cdnow_path)
    refuse(store, COMMANDS["import"], orders, "not a retention-bot store")
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("notes",)]
    assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]
    conn.close()
    with pytest.raises(StoreError, match="not a retention-bot store"):
        open_db(store)
