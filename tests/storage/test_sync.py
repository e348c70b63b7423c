"""The sync engine on a real SQLite shop database through SQLAlchemy: the
import's validation and merge, batches atomic with their cursor, increments,
updates at the source, and interruptions that lose nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from storage.importer import import_file
from storage.order_columns import content_key
from storage.problems import Said
from storage.sources import Batch
from storage.sources.sql import open_source
from storage.sources.state import load_source_state, stored_error
from storage.sources.sync import INVALID_ROW, sync_source
from tests.support.sources import data_of, sql_config, sqlite_shop
from tests.support.stores import IMPORTED_AT, write_csv

NOW = datetime(2026, 11, 24, 7, 12, tzinfo=UTC)


def shop_rows(n: int, start: int = 1) -> list[tuple]:
    return [
        (
            i,
            f"c{i % 7}",
            f"2026-{1 + i % 9:02d}-{10 + i % 10}",
            10.0 + i,
            "USD",
            "paid",
            f"2026-10-01T00:{i // 60:02d}:{i % 60:02d}",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def shop(tmp_path, monkeypatch):
    path = tmp_path / "shop.db"
    conn = sqlite_shop(path, shop_rows(40))
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{path}")
    yield conn
    conn.close()


def run(db, tmp_path, *, full=False, dry_run=False, now=NOW, **extra):
    import os

    source = open_source(sql_config(tmp_path / "sources.toml", **extra), os.environ)
    try:
        return sync_source(db, source, now=now, tz=UTC, full=full, dry_run=dry_run)
    finally:
        source.close()


def test_backfill_then_no_changes_then_increments(fresh_db, shop, tmp_path):
    first = run(fresh_db, tmp_path, batch_size=7)
    assert (first.added, first.updated, first.batches, first.error) == (40, 0, 6, None)
    assert first.summary() == "shop_db: synced 40 added, 0 updated (7 new customers)"
    assert run(fresh_db, tmp_path).summary() == "shop_db: no changes"
    shop.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i, "c1", "2026-11-01", 5.0, "USD", "paid", f"2026-10-02T00:00:{i - 40:02d}") for i in range(41, 51)],
    )
    shop.execute("UPDATE orders SET status = 'refunded', updated_at = '2026-10-03' WHERE id = 5")
    inc = run(fresh_db, tmp_path)
    assert (inc.added, inc.updated, inc.rows) == (10, 1, 11)
    assert fresh_db.execute("SELECT status FROM orders WHERE id = '5'").fetchone()[0] == "refunded"
    state = load_source_state(fresh_db, "shop_db")
    assert state["synced_at"] == "2026-11-24T07:12:00Z" and (state["added"], state["updated"]) == (10, 1)
    assert run(fresh_db, tmp_path).summary() == "shop_db: no changes"


def test_same_rows_as_the_csv_import(fresh_db, shop, tmp_path, db_path):
    from storage import open_db

    run(fresh_db, tmp_path, batch_size=9)
    other = open_db(tmp_path / "csv.db")
    header = ["id", "customer_id", "ordered_at", "amount", "currency", "status", "updated_at"]
    import_file(other, "orders", write_csv(tmp_path / "o.csv", header, shop_rows(40)), now=NOW)
    assert data_of(fresh_db) == data_of(other)


def test_rows_sharing_a_cursor_value_split_and_resume_exactly(fresh_db, shop, tmp_path):
    shop.execute("UPDATE orders SET updated_at = '2026-10-0' || (1 + id / 10)")  # runs of up to 10 equal values
    assert [len(b.rows) for b in _batches(tmp_path, batch_size=3)] == [3] * 13 + [1]
    source = open_source(sql_config(tmp_path / "sources.toml", batch_size=3), __import__("os").environ)
    batches = source.batches(None)
    for _ in range(4):  # stop after 12 rows: ids 1-9 share a value, 10-19 the next
        batch = next(batches)
    batches.close()  # the process stops reading here
    source.close()
    rest = _batches(tmp_path, batch_size=3, cursor=batch.cursor)
    assert [int(r["id"]) for b in rest for r in b.rows] == list(range(13, 41))
    report = run(fresh_db, tmp_path, batch_size=3)
    assert report.added == 40
    shop.execute("INSERT INTO orders VALUES (99, 'c1', '2026-11-01', 1, 'USD', 'paid', '2026-10-05')")
    assert run(fresh_db, tmp_path, batch_size=3).added == 1  # same cursor value as the last row, larger id


def _batches(tmp_path, cursor=None, **extra) -> list[Batch]:
    import os

    source = open_source(sql_config(tmp_path / "sources.toml", **extra), os.environ)
    try:
        return list(source.batches(cursor))
    finally:
        source.close()


def test_a_bad_row_names_the_source_and_row_and_stops_its_batch(fresh_db, shop, tmp_path):
    shop.execute("UPDATE orders SET amount = -3 WHERE id = 23")
    report = run(fresh_db, tmp_path, batch_size=10)
    assert report.errors == [
        "source shop_db, row id 23: amount: negative amount '-3.0' (record refunds with status 'refunded', "
        "not a negative amount)"
    ]
    assert report.added == 20  # the two batches before it; nothing of its own
    assert "skip_invalid = true" in report.error
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 20
    state = load_source_state(fresh_db, "shop_db")
    assert state["last_error"] == report.error == str(stored_error(state))
    assert stored_error(state) == Said(INVALID_ROW, {"count": 1, "rows": 10})  # said in any language when read
    again = run(fresh_db, tmp_path, batch_size=10, skip_invalid=True)
    assert (again.added, again.rejected, again.error) == (19, 1, None)
    assert load_source_state(fresh_db, "shop_db")["last_error"] is None
    assert stored_error(load_source_state(fresh_db, "shop_db")) is None


def test_dry_run_writes_nothing(fresh_db, shop, tmp_path):
    from tests.support.stores import dump

    before = dump(fresh_db)
    report = run(fresh_db, tmp_path, batch_size=10, dry_run=True)
    assert report.added == 40 and report.summary().startswith("shop_db: would sync 40 added")
    assert dump(fresh_db) == before


class Crash(Exception):
    pass


def test_interrupted_then_resumed_gives_the_rows_of_one_sync(fresh_db, shop, tmp_path, db_path):
    import os

    from storage import open_db

    whole = open_db(tmp_path / "whole.db")
    run(whole, tmp_path, batch_size=6)
    source = open_source(sql_config(tmp_path / "sources.toml", batch_size=6), os.environ)
    real = source.batches

    def crashing(cursor):
        for n, batch in enumerate(real(cursor)):
            if n == 3:
                raise Crash  # the process dies between two batches
            yield batch

    source.batches = crashing  # type: ignore[method-assign]
    with pytest.raises(Crash):
        sync_source(fresh_db, source, now=NOW, tz=UTC)
    source.close()
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 18
    resumed = run(fresh_db, tmp_path, batch_size=6)
    assert resumed.added == 22
    assert data_of(fresh_db) == data_of(whole)


def test_a_refund_at_the_source_takes_back_the_win(fresh_db, shop, tmp_path):
    run(fresh_db, tmp_path)
    fresh_db.execute(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at) VALUES ('c3', 'U1', 'open', '2026-10-20T00:00:00Z')"
    )
    fresh_db.conn.commit()
    shop.execute("INSERT INTO orders VALUES (77, 'c3', '2026-11-01', 50, 'USD', 'paid', '2026-10-09')")
    won = run(fresh_db, tmp_path)
    assert (won.added, won.won_back) == (1, 1)
    assert fresh_db.execute("SELECT state FROM followups").fetchone()[0] == "won_back"
    shop.execute("UPDATE orders SET status = 'refunded', updated_at = '2026-10-10' WHERE id = 77")
    unwon = run(fresh_db, tmp_path)
    assert (unwon.updated, unwon.unwon) == (1, 1)
    state, closed, note = fresh_db.execute("SELECT state, closed_at, note FROM followups").fetchone()
    assert (state, closed) == ("open", None) and "no longer counts" in note


def test_the_content_key_moves_with_changed_rows_not_with_a_sync(fresh_db, shop, tmp_path):
    """The answers' order data (the frame) is kept per content key: a sync
    that changes nothing, even one re-reading every row, keeps it; an update
    that adds no row (a refund) moves it."""
    run(fresh_db, tmp_path)
    key = content_key(fresh_db)
    later = NOW + timedelta(minutes=5)
    assert run(fresh_db, tmp_path, now=later).summary() == "shop_db: no changes"
    assert run(fresh_db, tmp_path, full=True, now=later).summary() == "shop_db: no changes"
    assert content_key(fresh_db) == key
    shop.execute("UPDATE orders SET status = 'refunded', updated_at = '2026-10-10' WHERE id = 3")
    assert run(fresh_db, tmp_path, now=later).updated == 1  # in the same second as the syncs before it
    assert content_key(fresh_db) != key


def test_the_csv_importer_takes_back_a_win_too(fresh_db, tmp_path):
    header = ["id", "customer_id", "ordered_at", "amount", "status"]
    import_file(
        fresh_db,
        "orders",
        write_csv(tmp_path / "a.csv", header, [("o1", "c1", "2026-01-01", 5, "paid")]),
        now=IMPORTED_AT,
    )
    fresh_db.execute(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at) VALUES ('c1', 'U1', 'open', '2026-02-01T00:00:00Z')"
    )
    fresh_db.conn.commit()
    rows = [("o1", "c1", "2026-01-01", 5, "paid"), ("o2", "c1", "2026-03-01", 9, "paid")]
    assert import_file(fresh_db, "orders", write_csv(tmp_path / "b.csv", header, rows), now=IMPORTED_AT).won_back == 1
    rows[1] = ("o2", "c1", "2026-03-01", 9, "cancelled")
    report = import_file(fresh_db, "orders", write_csv(tmp_path / "c.csv", header, rows), now=IMPORTED_AT)
    assert (report.updated, report.unwon) == (1, 1)
    assert "1 won-back follow-ups reopened" in report.summary()
