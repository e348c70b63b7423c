"""What answers keep per order frame instead of scanning every order per
request (OrderFrame.memo), and the partition behind the Pareto share: the
same numbers, to the last bit, as the scans they replace."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.frame import MEMO_KEEP, frame_from_columns
from analytics.kpis import Scope, customer_revenue, largest_sum, last_order_before, last_orders_before


def _frame(seed: int, orders: int = 5000, customers: int = 300):
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(1_600_000_000, 1_700_000_000, orders))
    cust = rng.integers(0, customers, orders).astype(np.int32)
    amount = np.round(rng.exponential(80, orders), 2)
    return frame_from_columns(ts, cust, amount, np.arange(1, customers + 1, dtype=np.int64), None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2)), max_size=400), st.floats(0, 1))
def test_the_largest_values_add_up_as_a_full_descending_sort_adds_them(values, share):
    v = np.array(values, dtype=np.float64)
    n = math.ceil(share * len(v))
    assert largest_sum(v, n) == float(np.sort(v)[::-1][:n].sum())


def test_each_customers_revenue_and_last_order_are_computed_once_and_read_only():
    frame = _frame(1)
    hi = int(frame.ts[3000])
    j = frame.upto(hi)
    revenue = customer_revenue(frame, hi)
    assert customer_revenue(frame, hi) is revenue
    assert not revenue.flags.writeable
    assert np.array_equal(revenue, np.bincount(frame.cust[:j], weights=frame.amount[:j], minlength=frame.n_customers))
    last = last_orders_before(frame, hi)
    for pos in range(0, frame.n_customers, 7):
        mine = frame.ts[:j][frame.cust[:j] == pos]
        assert last[pos] == (mine.max() if len(mine) else 0)


def test_a_scopes_newest_order_is_the_newest_of_its_customers_newest():
    frame = _frame(2)
    keep = np.zeros(frame.n_customers, dtype=bool)
    keep[::5] = True
    scope = Scope(keep)
    for hi in (int(frame.ts[0]), int(frame.ts[100]) + 1, int(frame.ts[-1]) + 1):
        j = frame.upto(hi)
        hits = np.flatnonzero(keep[frame.cust[:j]])
        assert last_order_before(frame, scope, hi) == (int(frame.ts[hits[-1]]) if len(hits) else None)
    assert last_order_before(frame, Scope(np.zeros(frame.n_customers, dtype=bool)), int(frame.ts[-1]) + 1) is None


def test_the_memo_keeps_the_newest_results_only():
    frame = _frame(3)
    for i in range(MEMO_KEEP + 10):
        customer_revenue(frame, int(frame.ts[i * 100]))
    assert len(frame._memo) <= MEMO_KEEP
