"""The RFM summary: from raw CDNOW orders through the real importer, it must
reproduce the published calibration summary; and the definitions on small,
hand-checked cases."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.rfm import compute_rfm, in_unit
from commands.core import Context
from commands.scoring import compute_store_rfm
from tests.support.stores import DATA

CALIBRATION_END = date(1997, 9, 30)


def test_cdnow_summary_reproduces_the_published_file(cdnow_db):
    rfm = compute_store_rfm(Context(cdnow_db, as_of=CALIBRATION_END))
    published = pd.read_csv(DATA / "cdnow_customers_summary.csv", index_col="ID")
    weeks = in_unit(rfm, "weeks")
    weeks.index = weeks.index.astype(int)
    weeks = weeks.loc[published.index]
    assert len(weeks) == len(published) == 2357
    assert (weeks["frequency"].to_numpy() == published["frequency"].to_numpy()).all()
    assert np.abs(weeks["recency"] - published["recency"]).max() < 0.005
    assert np.abs(weeks["T"] - published["T"]).max() < 0.005
    assert int((rfm["frequency"] > 0).sum()) == 946


def test_t_counts_days_up_to_as_of_itself(cdnow_db):
    """The published T = 38.86 weeks for a first purchase on 1997-01-01 is
    272 days: as_of 1997-09-30, not the day after (273 days = 39.0 weeks)."""
    rfm = compute_store_rfm(Context(cdnow_db, as_of=CALIBRATION_END))
    assert rfm.loc["1", "tenure_days"] == 272
    later = compute_store_rfm(Context(cdnow_db, as_of=date(1997, 10, 1)))
    assert later.loc["1", "tenure_days"] == 273


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], utc=True)
    return df


def test_definitions_on_a_small_case():
    orders = _orders(
        [
            ("a", "2026-01-01T09:00:00Z", 10.0),
            ("a", "2026-01-01T15:00:00Z", 5.0),  # same day: one purchase of 15
            ("a", "2026-01-11T10:00:00Z", 20.0),
            ("a", "2026-01-31T10:00:00Z", 40.0),
            ("a", "2026-03-01T10:00:00Z", 99.0),  # after as_of: ignored
            ("b", "2025-01-15T10:00:00Z", 7.0),
            ("c", "2025-06-01T10:00:00Z", 8.0),
            ("c", "2026-02-01T10:00:00Z", 12.0),
        ]
    )
    rfm = compute_rfm(orders, date(2026, 2, 10))
    a, b, c = rfm.loc["a"], rfm.loc["b"], rfm.loc["c"]
    assert (a["orders"], a["purchase_days"], a["frequency"]) == (4, 3, 2)
    assert (a["recency_days"], a["tenure_days"], a["days_since_last"]) == (30, 40, 10)
    assert a["revenue"] == 75.0 and a["monetary"] == 30.0  # mean of the repeat days (20, 40)
    assert a["typical_gap_days"] == 15.0 and a["own_gap"]
    assert (b["frequency"], b["recency_days"], b["tenure_days"]) == (0, 0, 391)
    assert np.isnan(b["monetary"]) and b["revenue_12m"] == 0.0
    assert c["revenue_12m"] == 20.0 and c["monetary"] == 12.0
    # Fewer than 3 purchase days: the store's usual gap (median over 3+ day buyers = a's 15).
    assert not c["own_gap"] and c["typical_gap_days"] == 15.0 and not b["own_gap"]


def test_calendar_days_are_local_days():
    # 03:00 UTC on Jan 2 is still Jan 1 in New York: one purchase day there, two in UTC.
    orders = _orders([("a", "2026-01-01T15:00:00Z", 1.0), ("a", "2026-01-02T03:00:00Z", 1.0)])
    assert compute_rfm(orders, date(2026, 1, 5))["frequency"].iloc[0] == 1
    assert compute_rfm(orders, date(2026, 1, 5), "America/New_York")["frequency"].iloc[0] == 0


def test_no_orders_gives_an_empty_summary():
    rfm = compute_rfm(_orders([("a", "2026-03-01T10:00:00Z", 1.0)]), date(2026, 1, 1))
    assert rfm.empty


@pytest.mark.parametrize(("unit", "scale"), [("days", 1), ("weeks", 7)])
def test_in_unit_scales_recency_and_t(unit, scale):
    rfm = compute_rfm(
        _orders([("a", "2026-01-01T10:00:00Z", 1.0), ("a", "2026-01-15T10:00:00Z", 1.0)]), date(2026, 1, 29)
    )
    out = in_unit(rfm, unit)
    assert (out["frequency"].iloc[0], out["recency"].iloc[0], out["T"].iloc[0]) == (1, 14 / scale, 28 / scale)
