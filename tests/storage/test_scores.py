"""The scoring read: every counted order before the cutoff, as arrays, the
same whichever road it takes."""

import numpy as np

from storage.importer import import_file
from storage.scores import _load_scoring_orders_rows, load_scoring_orders
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
