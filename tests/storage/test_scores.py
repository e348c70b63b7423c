"""The scoring read: every counted order before the cutoff, as arrays, the
same whichever road it takes; and the scores snapshot's write, skipped only
for the very snapshot stored."""

import numpy as np

from storage.db import transaction
from storage.importer import import_file
from storage.packed import stored_seconds as _stored_seconds
from storage.scores import (
    SCORE_COLUMNS,
    _load_scoring_orders_rows,
    load_customers_by_id,
    load_scoring_orders,
    upsert_scores,
)
from tests.support.stores import IMPORTED_AT


def _same(a, b):
    assert a.ids.tolist() == b.ids.tolist()
    for name in ("codes", "seconds", "amounts"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_scoring_read_matches_the_plain_query(cdnow_db):
    fast = load_scoring_orders(cdnow_db, "1997-10-01T00:00:00Z")
    slow = _load_scoring_orders_rows(cdnow_db, "1997-10-01T00:00:00Z")
    _same(fast, slow)
    assert fast.ids.size == 2357 and fast.codes.size == 4960  # sample rows dated up to 1997-09-30
    assert fast.amounts.sum() == slow.amounts.sum()


def test_refunds_and_later_orders_are_left_out_and_odd_ids_survive(fresh_db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "id,customer_id,ordered_at,amount,status\n"
        "1,a\x1eb,2026-01-01T10:00:00Z,10.123456,paid\n"
        "2,a\x1eb,2026-01-02T10:00:00Z,5,refunded\n"
        "3,c,2026-01-03T10:00:00Z,7,paid\n"
        "4,c,2026-02-03T10:00:00Z,9,paid\n"
    )
    import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    got = load_scoring_orders(fresh_db, "2026-02-01T00:00:00Z")
    assert got.ids.tolist() == ["a\x1eb", "c"]
    assert got.codes.tolist() == [0, 1] and got.amounts.tolist() == [10.123456, 7.0]
    assert got.seconds.tolist() == [1767261600, 1767434400]
    empty = load_scoring_orders(fresh_db, "2025-01-01T00:00:00Z")
    assert empty.ids.size == 0 and empty.codes.size == 0


def test_times_read_from_their_digits_match_sqlite(fresh_db):
    """Leap days, century years and times before 1970 give SQLite's own Unix seconds."""
    times = [
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "1900-03-01T12:00:00Z",
        "2000-02-29T23:59:59Z",
        "2024-02-29T00:00:01Z",
        "2100-03-01T06:30:00Z",
        "1997-01-01T00:00:00Z",
    ]
    expected = [fresh_db.execute("SELECT unixepoch(?)", [t]).fetchone()[0] for t in times]
    assert _stored_seconds("".join(times).encode(), len(times)).tolist() == expected


def test_a_time_not_in_the_stored_form_takes_the_exact_road(fresh_db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,customer_id,ordered_at,amount\n1,a,2026-01-01T10:00:00Z,10\n2,b,2026-01-02T10:00:00Z,5\n")
    import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    with fresh_db.conn:  # a row some other tool wrote, with fractional seconds
        fresh_db.execute("UPDATE orders SET ordered_at = '2026-01-02T10:00:00.5Z' WHERE id = '2'")
    got = load_scoring_orders(fresh_db, "2026-02-01T00:00:00Z")
    _same(got, _load_scoring_orders_rows(fresh_db, "2026-02-01T00:00:00Z"))
    assert got.seconds.tolist() == [1767261600, 1767348000]
    assert _stored_seconds(b"2026-01-02T10:0x:00Z", 1) is None
    assert _stored_seconds(b"2026-01-02 10:00:00Z", 1) is None


def _snapshot(ids, reason_codes):
    import pandas as pd

    n = len(ids)
    numbers = {name: np.arange(n, dtype=np.float64) for name in SCORE_COLUMNS[2:-2]}
    return pd.DataFrame(
        {**numbers, "quiet": [code is not None for code in reason_codes], "reason_code": reason_codes},
        index=pd.Index(ids, name="customer_id"),
    )


def test_a_snapshot_is_rewritten_when_only_its_ids_split_differently(fresh_db):
    """The digest joins ids with a separator; ids holding it are told apart
    (a|b + c is not a + b|c), and a missing reason code is not the text 'None'."""
    with transaction(fresh_db):
        assert upsert_scores(fresh_db, "2026-01-01", _snapshot(["a\x1eb", "c"], [None, "own_gap"])) == 2
        assert upsert_scores(fresh_db, "2026-01-01", _snapshot(["a\x1eb", "c"], [None, "own_gap"])) == 0
        assert upsert_scores(fresh_db, "2026-01-01", _snapshot(["a", "b\x1ec"], [None, "own_gap"])) == 2
        assert upsert_scores(fresh_db, "2026-01-01", _snapshot(["a", "b\x1ec"], ["None", "own_gap"])) == 2
        assert upsert_scores(fresh_db, "2026-01-02", _snapshot(["a", "b\x1ec"], ["None", "own_gap"])) == 2
    rows = fresh_db.execute("SELECT customer_id, as_of, quiet, reason_code FROM customer_scores ORDER BY 1").fetchall()
    assert rows == [("a", "2026-01-02", 1, "None"), ("b\x1ec", "2026-01-02", 1, "own_gap")]


def test_customers_come_in_id_order_with_their_rowids_odd_ids_too(fresh_db, tmp_path):
    """The order a score lists customers in (the orders index's): '10'
    before '9', an id holding the separator the packed read splits on."""
    path = tmp_path / "customers.csv"
    path.write_text("id,name\nb,B\n10,Ten\n9,Nine\na,A\n")
    import_file(fresh_db, "customers", path, now=IMPORTED_AT)
    rowids, ids = load_customers_by_id(fresh_db)
    assert (ids.tolist(), rowids.tolist()) == (["10", "9", "a", "b"], [2, 3, 4, 1])
    path.write_text("id,name\na\x1eb,Odd\n")
    import_file(fresh_db, "customers", path, now=IMPORTED_AT)
    rowids, ids = load_customers_by_id(fresh_db)
    assert (ids.tolist(), rowids.tolist()) == (["10", "9", "a", "a\x1eb", "b"], [2, 3, 4, 5, 1])
