"""The cohort table counts each customer once per month, whatever their
orders: the same shares as counting distinct (customer, month) pairs one
by one, for any orders, scope and cutoff."""

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.cohorts import compute_cohorts
from analytics.frame import frame_from_columns
from analytics.kpis import Scope

START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
YEAR = 366 * 86400


def _by_hand(ts, cust, first, keep, cutoff, first_month, count):
    """Distinct (customer, month) pairs, one order at a time."""
    months = [d.year * 12 + d.month - 1 for d in (datetime.fromtimestamp(int(t), UTC) for t in ts)]
    kept = [i for i in range(len(ts)) if ts[i] < cutoff and months[i] >= first_month and keep[cust[i]]]
    cohort_of = {int(cust[i]): months[i] - first_month for i in kept if first[i]}
    sizes = [sum(1 for c in cohort_of.values() if c == k) for k in range(count)]
    seen = {(int(cust[i]), months[i] - first_month) for i in kept if int(cust[i]) in cohort_of}
    active = []
    for k in range(count):
        row = [sum(1 for who, m in seen if cohort_of[who] == k and m - k == s) for s in range(count - k)]
        active.append([n / sizes[k] * 100 if sizes[k] else None for n in row])
    return sizes, active


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 400),
    st.integers(1, 40),
    st.integers(2, 14),
    st.floats(0, 1),
    st.booleans(),
)
def test_cohort_shares_count_distinct_customers_per_month(seed, orders, customers, count, cut, scoped):
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(START, START + YEAR, orders))
    cust = rng.integers(0, customers, orders).astype(np.int32)
    frame = frame_from_columns(ts, cust, np.ones(orders), np.arange(1, customers + 1, dtype=np.int64), None)
    keep = rng.random(customers) < 0.6 if scoped else np.ones(customers, dtype=bool)
    cutoff = START + int(cut * YEAR)
    last_month = datetime.fromtimestamp(cutoff, UTC)
    last = last_month.year * 12 + last_month.month - 1
    c = compute_cohorts(frame, Scope(keep if scoped else None), "UTC", cutoff, last, count)
    sizes, active = _by_hand(ts, cust, frame.first, keep, cutoff, last - count + 1, count)
    assert c.sizes == sizes
    assert c.active == active
