"""The order frame's read: packed (storage.packed) or row by row, the same
columns to the bit, whichever road a store's values send it down."""

import numpy as np
import pytest

from storage.order_columns import _read_packed, _read_packed_answers, read_order_columns, read_order_rows
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store

TIES = [  # same instant: the time index orders them by customer id, then amount
    ("t1", "z", "2026-03-01T09:00:00Z", 7.25, "paid"),
    ("t2", "b", "2026-03-01T09:00:00Z", 3.5, "paid"),
    ("t3", "z", "2026-03-01T09:00:00Z", 1.125, "paid"),
    ("t4", "a", "1999-12-31T23:59:59Z", 0.000001, "paid"),
]


def _same(a, b) -> None:
    for name in ("ts", "cust", "amount", "rowid"):
        got, want = getattr(a, name), getattr(b, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert a.churned_ts.astype("Int64").equals(b.churned_ts.astype("Int64"))
    for name in ("at", "kind", "score", "cust"):
        assert np.array_equal(getattr(a.answers, name), getattr(b.answers, name)), name


def _read(db, read):
    with db.conn:
        db.execute("BEGIN")
        return read(db)


def _packed_answers(db):
    return _read_packed_answers(db, read_order_rows(db).rowid)


@pytest.fixture
def store(tmp_path):
    db = build_store(tmp_path / "s.db", orders=ORDERS + TIES, customers=CUSTOMERS, feedback=FEEDBACK)
    yield db
    db.conn.close()


def test_packed_read_is_the_row_by_row_read(store, cdnow_db):
    packed = _read(store, _read_packed)
    assert packed is not None and len(packed.ts) == len(ORDERS) + len(TIES) - 1  # one refunded
    _same(packed, _read(store, read_order_rows))
    assert packed.churned_ts.notna().sum() == 1 and len(packed.answers.at) == len(FEEDBACK)
    cdnow = _read(cdnow_db, _read_packed)
    assert cdnow is not None and len(cdnow.ts) > 6000
    _same(cdnow, _read(cdnow_db, read_order_rows))


@pytest.mark.parametrize(
    ("odd", "refused_by"),
    [
        ("UPDATE orders SET ordered_at = '2026-03-01T09:00:00.5Z' WHERE id = 't2'", _read_packed),  # another tool's
        ("UPDATE orders SET amount = 0.1 + 0.2 WHERE id = 'a1'", _read_packed),  # not a 6-decimal amount
        ("UPDATE feedback SET score = 1.0 / 3 WHERE kind = 'ces'", _packed_answers),
        ("UPDATE feedback SET submitted_at = '2026-04-02' WHERE kind = 'csat'", _packed_answers),
    ],
)
def test_values_not_in_the_stored_form_take_the_row_road(store, odd, refused_by):
    with store.conn:
        store.execute(odd)
    assert _read(store, refused_by) is None
    _same(_read(store, read_order_columns), _read(store, read_order_rows))
