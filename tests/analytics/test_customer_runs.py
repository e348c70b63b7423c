"""analytics.frame.CustomerRuns: a customer's revenue and newest order
before any instant, looked up, are the very values the pass over every
earlier order gives (bit for bit: the same additions in the same order)."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.frame import customer_runs, frame_from_columns
from analytics.kpis import customer_revenue, last_orders_before

orders = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),  # time: ties are common
        st.integers(min_value=0, max_value=5),  # customer position (some have none)
        st.sampled_from([0.1, 0.2, 0.3, 19.99, 1e-6, 123456.789, 7.0, -5.55]),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(orders)
def test_looked_up_revenue_and_newest_order_are_the_passes_values(rows):
    rows = sorted(rows, key=lambda r: r[0])
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    cust = np.array([r[1] for r in rows], dtype=np.int32)
    amount = np.array([r[2] for r in rows], dtype=np.float64)
    rowid = np.arange(1, 8, dtype=np.int64)  # 7 customers, the last two never order
    plain = frame_from_columns(ts, cust, amount, rowid, None)
    looked_up = replace(plain, runs=customer_runs(cust, amount, len(rowid)))
    for hi in [*range(-1, 43), np.iinfo(np.int64).max]:
        want = np.bincount(cust[ts < hi], weights=amount[ts < hi], minlength=len(rowid))
        got = customer_revenue(looked_up, hi)
        assert got.tobytes() == want.tobytes() == customer_revenue(plain, hi).tobytes()
        np.testing.assert_array_equal(last_orders_before(looked_up, hi), last_orders_before(plain, hi))


@settings(max_examples=200, deadline=None)
@given(orders, st.permutations(range(7)), st.integers(min_value=-1, max_value=42))
def test_grouped_orders_are_each_listed_customers_orders_before_the_instant(rows, positions, hi):
    """A score's read off the frame: for each listed customer in the listed
    order, its orders before `hi` in the frame's order (ties as the frame
    has them), none of a customer left out or another's mixed in."""
    rows = sorted(rows, key=lambda r: r[0])
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    cust = np.array([r[1] for r in rows], dtype=np.int32)
    amount = np.array([r[2] for r in rows], dtype=np.float64)
    frame = frame_from_columns(ts, cust, amount, np.arange(1, 8, dtype=np.int64), None)
    runs = customer_runs(cust, amount, 7)
    counts, index = runs.grouped(cust, frame.upto(hi), np.array(positions))
    want = [[i for i in range(len(ts)) if cust[i] == p and ts[i] < hi] for p in positions]
    assert counts.tolist() == [len(w) for w in want]
    assert index.tolist() == [i for w in want for i in w]
