import os
import sqlite3
import stat

import pytest
from sqlite_utils import Database

from storage import StoreError, open_db
from storage.db import schema_version
from storage.schema import migrations


def test_open_creates_whole_schema_private_and_wal(db_path):
    db = open_db(db_path)
    assert {
        "customers",
        "orders",
        "reps",
        "feedback",
        "customer_scores",
        "followups",
        "deliveries",
        "settings",
        "audit_log",
        "imports",
    } <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600
    assert schema_version(db) == "m015_customer_search"


def test_opening_twice_applies_nothing_new(db_path):
    open_db(db_path).conn.close()
    db = open_db(db_path)
    names = [m.name for m in migrations.applied(db)]
    assert names == [m.name for m in migrations._migrations]
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(names)


def test_newer_schema_is_refused(db_path):
    db = open_db(db_path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "retention-bot", "name": "m999_future", "applied_at": "2030-01-01"}
    )
    db.conn.close()
    with pytest.raises(StoreError, match=r"newer retention-bot.*m999_future"):
        open_db(db_path)


def test_foreign_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a database\n")
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_db(path)
    assert path.read_text() == "hello, not a database\n"


def test_other_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a retention-bot store"):
        open_db(path)


def test_read_only_directory_gives_clear_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(StoreError, match="not writable"):
            open_db(ro / "x.db")
    finally:
        ro.chmod(0o700)


def test_missing_directory_gives_clear_error_and_creates_nothing(tmp_path):
    with pytest.raises(StoreError, match=r"directory .*nowhere does not exist"):
        open_db(tmp_path / "nowhere" / "x.db")
    assert not (tmp_path / "nowhere").exists()


def test_cli_reports_store_errors_with_exit_1(tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    r = CliRunner().invoke(main, ["--db", str(tmp_path / "nowhere" / "x.db"), "ask", "--json"])
    assert r.exit_code == 1
    assert "no such store" in r.output
    r = CliRunner().invoke(main, ["--db", str(tmp_path / "nowhere" / "x.db"), "import", "orders", "x.csv"])
    assert r.exit_code == 1
    assert "does not exist" in r.output


def test_a_store_from_the_first_release_is_brought_forward_with_its_data(db_path):
    db = Database(db_path)
    migrations.apply(db, stop_before="m002_orders_by_customer_covering")
    db["customers"].insert({"id": "c1", "name": "Ada"})
    db["orders"].insert_all(
        [
            {"id": "o1", "customer_id": "c1", "ordered_at": "2026-01-02T10:00:00Z", "amount": 12.5},
            {"id": "o2", "customer_id": "c1", "ordered_at": "2026-02-03T10:00:00Z", "amount": 7.25},
        ]
    )
    db["customer_scores"].insert({"customer_id": "c1", "as_of": "2026-03-01", "p_alive": 0.5, "quiet": 1})
    db.conn.close()

    db = open_db(db_path)
    assert schema_version(db) == "m015_customer_search"
    assert db["customer_scores"].foreign_keys == []
    assert db.execute("SELECT customer_id, as_of, p_alive, quiet FROM customer_scores").fetchall() == [
        ("c1", "2026-03-01", 0.5, 1)
    ]
    assert db["customer_scores"].pks == ["customer_id"]
    assert [r[2] for r in db.execute("PRAGMA index_info(orders_customer_time)")] == [
        "customer_id",
        "ordered_at",
        "status",
        "amount",
    ]
    plan = " ".join(
        r[-1]
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT ordered_at, amount FROM orders INDEXED BY orders_customer_time "
            "WHERE status = 'paid' AND ordered_at < '2027'"
        )
    )
    assert "COVERING INDEX orders_customer_time" in plan
    assert db.execute("SELECT id, amount, status FROM orders ORDER BY id").fetchall() == [
        ("o1", 12.5, "paid"),
        ("o2", 7.25, "paid"),
    ]
