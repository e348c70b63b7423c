"""KPI definitions on stores small enough to check by hand, built through the
real importer."""

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from analytics.cohorts import compute_cohorts
from analytics.frame import build_order_frame
from analytics.kpis import (
    Bounds,
    Scope,
    compute_feedback,
    compute_order_kpis,
    compute_period_retention,
)
from analytics.periods import parse_period
from commands.frames import load_order_frame
from storage.queries import Filters, load_feedback, load_filter_rowids
from storage.settings import upsert_setting
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, SET_AT, build_store

UTC_TZ = ZoneInfo("UTC")
AS_OF = date(2026, 6, 30)
Q2 = parse_period("2026-Q2", AS_OF)


def test_seed_example_ten_active_two_lost_none_new(tmp_path):
    """The articles' example: 10 customers at the start, 2 lost, none new → 80%."""
    orders = [(f"o{i}", f"c{i}", "2026-03-01", 100, "paid") for i in range(10)]
    orders += [(f"p{i}", f"c{i}", "2026-06-15", 100, "paid") for i in range(8)]
    db = build_store(tmp_path / "seed.db", orders=orders)
    frame = load_order_frame(db)
    r = compute_period_retention(frame, Scope(), Q2, 90, UTC_TZ)
    assert (r.S, r.E, r.N, r.retained, r.reactivated) == (10, 8, 0, 8, 0)
    assert r.crr == 80.0
    assert r.churn_rate == 20.0


# a: regular; b: lost; c, d: new in Q2; e: back after a long gap (reactivated);
# f: only a refund in the S window; g: active, but the contract ended in June.
@pytest.fixture
def small(tmp_path):
    db = build_store(
        tmp_path / "small.db",
        orders=ORDERS,
        customers=CUSTOMERS,
        feedback=FEEDBACK,
        reps=[("U1", "Uma"), ("U2", "Ugo")],
    )
    yield db
    db.conn.close()


def test_s_e_n_windows_refunds_and_contract_ends(small):
    frame = load_order_frame(small)
    r = compute_period_retention(frame, Scope(), Q2, 90, UTC_TZ)
    # S = a, b, g; E = a, c, d, e (g's contract ended); N = c, d; h is after as_of's day in UTC.
    assert (r.S, r.E, r.N, r.retained, r.reactivated) == (3, 4, 2, 1, 1)
    assert r.crr == (4 - 2) / 3 * 100
    assert r.churn_rate == (3 - 1) / 3 * 100


def test_filters_segment_and_rep(small):
    frame = load_order_frame(small)
    enterprise = Scope.build(frame, load_filter_rowids(small, Filters(segment="enterprise")))
    r = compute_period_retention(frame, enterprise, Q2, 90, UTC_TZ)
    assert (r.S, r.E, r.N, r.retained, r.reactivated, r.crr, r.churn_rate) == (2, 2, 1, 1, 0, 50.0, 50.0)
    uma = Scope.build(frame, load_filter_rowids(small, Filters(rep_id="U1")))
    r = compute_period_retention(frame, uma, Q2, 90, UTC_TZ)
    # E counts e, back after a long gap: CRR above 100% — why we show reactivated.
    assert (r.S, r.E, r.N, r.retained, r.reactivated, r.crr) == (1, 2, 0, 1, 1, 200.0)


def test_boundaries_follow_the_workspace_time_zone(small):
    """In New York, h's order at 02:00 UTC on Jul 1 is on Jun 30: in Q2."""
    upsert_setting(small, "timezone", "America/New_York", now=SET_AT)
    frame = load_order_frame(small)
    r = compute_period_retention(frame, Scope(), Q2, 90, ZoneInfo("America/New_York"))
    assert (r.S, r.E, r.N, r.retained, r.reactivated) == (3, 5, 3, 1, 1)


def test_order_kpis_of_a_period(small):
    frame = load_order_frame(small)
    b = Bounds.of(Q2, 90, UTC_TZ)
    k = compute_order_kpis(frame, Scope(), b.s_hi, b.e_hi)
    assert (k.customers, k.orders, k.revenue, k.new_customers) == (5, 7, 350.0, 2)
    assert k.aov == 50.0
    assert k.purchase_frequency == 7 / 5
    assert k.repeat_purchase_rate == 80.0  # a, c, e, g have 2+ orders by Jun 30; d has one
    assert k.pareto_share == 100 / 350 * 100  # top 20% of 5 buyers = c, with 100
    assert k.repeat_revenue_share == (350 - 40 - 10) / 350 * 100  # c's and d's first orders
    assert k.customers_to_date == 7
    assert k.historical_clv == (180 + 200 + 100 + 10 + 570 + 15 + 170) / 7


def test_feedback_scores(small):
    f = compute_feedback(load_feedback(small, "2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", Filters()))
    assert (f.nps_responses, f.promoters, f.passives, f.detractors) == (5, 3, 1, 1)
    assert f.nps == 40.0
    assert (f.csat_responses, f.csat) == (3, 2 / 3 * 100)
    assert (f.ces_responses, f.ces) == (2, 2.5)
    enterprise = compute_feedback(
        load_feedback(small, "2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", Filters(segment="Enterprise"))
    )
    assert (enterprise.nps_responses, enterprise.nps) == (3, 100.0)
    none = compute_feedback(pd.DataFrame({"kind": [], "score": []}))
    assert (none.nps, none.csat, none.ces, none.nps_responses) == (None, None, None, 0)


def test_first_order_among_simultaneous_ones_is_the_smaller():
    orders = pd.DataFrame(
        {"ts": [100, 100, 100, 200], "customer_id": ["x", "x", "y", "y"], "amount": [30.0, 10.0, 5.0, 7.0]}
    )
    frame = build_order_frame(orders, pd.DataFrame({"rowid": [2, 1], "id": ["y", "x"]}))
    firsts = sorted(zip(frame.cust[frame.first].tolist(), frame.amount[frame.first].tolist(), strict=True))
    assert firsts == [(0, 10.0), (1, 5.0)]  # x has rowid 1: position 0
    assert frame.first_ts.tolist() == [100, 100]


def test_cohorts_share_active_by_month(tmp_path):
    orders = [
        # January cohort: 4 customers; 2 order in Feb, 1 in Mar
        ("1", "j1", "2026-01-05", 10, "paid"),
        ("2", "j2", "2026-01-06", 10, "paid"),
        ("3", "j3", "2026-01-07", 10, "paid"),
        ("4", "j4", "2026-01-31T23:00:00Z", 10, "paid"),
        ("5", "j1", "2026-02-02", 10, "paid"),
        ("6", "j1", "2026-02-20", 10, "paid"),
        ("7", "j2", "2026-02-03", 10, "paid"),
        ("8", "j3", "2026-03-03", 10, "paid"),
        # February cohort: 1 customer, back in March; an older customer is in no cohort
        ("9", "f1", "2026-02-10", 10, "paid"),
        ("10", "f1", "2026-03-10", 10, "paid"),
        ("11", "old", "2025-06-01", 10, "paid"),
        ("12", "old", "2026-02-01", 10, "paid"),
        ("13", "j4", "2026-04-01", 10, "refunded"),
    ]
    db = build_store(tmp_path / "cohorts.db", orders=orders)
    frame = load_order_frame(db)
    cutoff = Bounds.of(parse_period("2026-03", date(2026, 3, 31)), 90, UTC_TZ).e_hi
    c = compute_cohorts(frame, Scope(), "UTC", cutoff, 2026 * 12 + 2, 3)
    assert c.months == ["2026-01", "2026-02", "2026-03"]
    assert c.sizes == [4, 1, 0]
    assert c.active == [[100.0, 50.0, 25.0], [100.0, 100.0], [None]]
    # In Tokyo, j4's order at 23:00 UTC on Jan 31 is on Feb 1: a February customer.
    tokyo = compute_cohorts(frame, Scope(), "Asia/Tokyo", cutoff, 2026 * 12 + 2, 3)
    assert tokyo.sizes == [3, 2, 0]
    assert tokyo.active[0] == [100.0, 2 / 3 * 100, 1 / 3 * 100]


def test_empty_frame_gives_zeros_not_errors(fresh_db):
    frame = load_order_frame(fresh_db)
    r = compute_period_retention(frame, Scope(), Q2, 90, UTC_TZ)
    assert (r.S, r.E, r.N, r.crr, r.churn_rate) == (0, 0, 0, None, None)
    k = compute_order_kpis(frame, Scope(), 0, 2**40)
    assert (k.orders, k.aov, k.pareto_share, k.historical_clv) == (0, None, None, None)
    assert compute_cohorts(frame, Scope(), "UTC", 2**40, 2026 * 12, 2).sizes == [0, 0]
    assert np.array_equal(frame.first_ts, np.zeros(0, np.int64))


def test_trend_is_month_by_month_retention_and_revenue(small):
    from analytics.trend import compute_trend, month_periods

    assert [p.label for p in month_periods(date(2026, 6, 30), 3)] == ["2026-04", "2026-05", "2026-06"]
    assert month_periods(date(2026, 6, 15), 1)[0].label == "2026-06 to date (2026-06-15)"
    frame = load_order_frame(small)
    points = compute_trend(frame, Scope(), AS_OF, 3, 90, UTC_TZ)
    for point, p in zip(points, month_periods(AS_OF, 3), strict=True):
        r = compute_period_retention(frame, Scope(), p, 90, UTC_TZ)
        assert (point.S, point.E, point.N, point.crr) == (r.S, r.E, r.N, r.crr)
    assert [(p.orders, p.revenue) for p in points] == [(3, 150.0), (3, 190.0), (1, 10.0)]
