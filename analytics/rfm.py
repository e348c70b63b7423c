"""Per-customer RFM summary as of a day: the input of the value models.

Purchases are counted in calendar days (workspace time zone), as in Fader,
Hardie & Lee: two orders on one day are one purchase. With `as_of` day D:

- frequency = purchase days − 1 (repeat purchases),
- recency   = last purchase day − first purchase day (days),
- T         = D − first purchase day (days; a first purchase on D gives 0),
- monetary  = mean value of the repeat purchase days (the first excluded).

`T` counts whole days up to D itself, which is what the published CDNOW
summary does: its calibration ends 1997-09-30, and a customer first seen on
1997-01-01 has T = 272 days = 38.86 weeks there.

The work is a sort of integer keys and a few `reduceat`s, never a pandas
groupby on strings (about 100× slower at a million rows).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

EPOCH = date(1970, 1, 1)
SECONDS_PER_DAY = 86_400
TRAILING_DAYS = 365
OWN_GAP_MIN_PURCHASES = 3  # fewer purchase days: the population's typical gap stands in

RFM_COLUMNS = (
    "orders",
    "revenue",
    "revenue_12m",
    "purchase_days",
    "frequency",
    "recency_days",
    "tenure_days",
    "monetary",
    "first_day",
    "last_day",
    "days_since_last",
    "typical_gap_days",
    "own_gap",
)


def day_number(day: date) -> int:
    """Days since 1970-01-01: the integer form of a calendar day used here."""
    return (day - EPOCH).days


def local_days(ordered_at: pd.Series, tz: str = "UTC") -> np.ndarray:
    """Calendar day numbers of UTC instants, in the time zone `tz`."""
    ts = ordered_at
    if ts.dt.tz is None:
        ts = ts.dt.tz_localize("UTC")
    if str(tz) != "UTC":
        ts = ts.dt.tz_convert(str(tz))
    return _epoch_seconds(ts.dt.tz_localize(None).to_numpy()) // SECONDS_PER_DAY


def days_from_seconds(seconds: np.ndarray, tz: str = "UTC") -> np.ndarray:
    """Calendar day numbers, in `tz`, of Unix times."""
    import pandas as pd

    if str(tz) == "UTC":
        return seconds // SECONDS_PER_DAY
    local = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True)).tz_convert(str(tz)).tz_localize(None)
    return _epoch_seconds(local.to_numpy()) // SECONDS_PER_DAY


def _epoch_seconds(naive: np.ndarray) -> np.ndarray:
    """Seconds since 1970 of naive datetime64 values, whatever their unit
    (pandas 2 gives nanoseconds, pandas 3 seconds or microseconds): the
    unit is converted explicitly, never assumed."""
    return naive.astype("datetime64[s]").astype(np.int64)


def compute_rfm(orders: pd.DataFrame, as_of: date, tz: str = "UTC") -> pd.DataFrame:
    """`orders`: counted orders with `customer_id`, `ordered_at` (datetime64,
    UTC) and `amount`. Orders after `as_of` (local day) are ignored. Returns
    one row per customer with an order, indexed by customer_id."""
    import pandas as pd

    codes, ids = pd.factorize(orders["customer_id"])
    days = local_days(orders["ordered_at"], tz)
    amounts = orders["amount"].to_numpy(dtype="float64")
    return compute_rfm_arrays(codes, np.asarray(ids), days, amounts, day_number(as_of))


def compute_rfm_arrays(
    codes: np.ndarray, ids: np.ndarray, days: np.ndarray, amounts: np.ndarray, as_of_day: int
) -> pd.DataFrame:
    """The same from arrays: `codes` index into `ids`, `days` are day numbers."""
    import pandas as pd

    keep = days <= as_of_day
    if not keep.all():
        codes, days, amounts = codes[keep], days[keep], amounts[keep]
    if codes.size == 0:
        return _empty()
    codes = codes.astype(np.int64, copy=False)
    day0 = int(days.min())
    span = as_of_day - day0 + 1
    key = codes * span + (days - day0)
    if np.any(key[1:] < key[:-1]):
        order = np.argsort(key, kind="stable")
        key, amounts = key[order], amounts[order]
    # One entry per (customer, purchase day).
    day_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    orders_per_day = np.diff(np.r_[day_start, key.size])
    day_value = np.add.reduceat(amounts, day_start)
    day_key = key[day_start]
    day_cust = day_key // span
    day_num = day_key - day_cust * span + day0
    # One entry per customer.
    first = np.flatnonzero(np.r_[True, day_cust[1:] != day_cust[:-1]])
    last = np.r_[first[1:], day_cust.size] - 1
    cust = day_cust[first]
    purchase_days = last - first + 1
    revenue = np.add.reduceat(day_value, first)
    n_orders = np.add.reduceat(orders_per_day, first)
    recent = np.where(day_num > as_of_day - TRAILING_DAYS, day_value, 0.0)
    revenue_12m = np.add.reduceat(recent, first)
    first_day, last_day = day_num[first], day_num[last]
    frequency = purchase_days - 1
    recency = last_day - first_day
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (revenue - day_value[first]) / frequency, np.nan)
        gap = np.where(frequency > 0, recency / frequency, np.nan)
    own = purchase_days >= OWN_GAP_MIN_PURCHASES
    typical = np.where(own, gap, population_gap(gap, purchase_days))
    frame = pd.DataFrame(
        {
            "orders": n_orders.astype(np.int64),
            "revenue": revenue,
            "revenue_12m": revenue_12m,
            "purchase_days": purchase_days,
            "frequency": frequency,
            "recency_days": recency,
            "tenure_days": as_of_day - first_day,
            "monetary": monetary,
            "first_day": first_day,
            "last_day": last_day,
            "days_since_last": as_of_day - last_day,
            "typical_gap_days": typical,
            "own_gap": own,
        },
        index=pd.Index(ids[cust], name="customer_id"),
    )
    return frame


def population_gap(gap: np.ndarray, purchase_days: np.ndarray) -> float:
    """The usual gap between purchases, for customers with too few of their
    own: the median over customers with 3+ purchase days, else over anyone
    with a repeat purchase; NaN when nobody has bought twice."""
    for pool in (gap[purchase_days >= OWN_GAP_MIN_PURCHASES], gap[purchase_days >= 2]):
        if pool.size:
            return float(np.median(pool))
    return float("nan")


def in_unit(rfm: pd.DataFrame, unit: str) -> pd.DataFrame:
    """frequency, recency, T in `unit` ("days" or "weeks"), as the models take them."""
    import pandas as pd

    scale = {"days": 1.0, "weeks": 7.0}[unit]
    return pd.DataFrame(
        {
            "frequency": rfm["frequency"].to_numpy(),
            "recency": rfm["recency_days"].to_numpy() / scale,
            "T": rfm["tenure_days"].to_numpy() / scale,
        },
        index=rfm.index,
    )


def _empty() -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in RFM_COLUMNS})
    frame.index.name = "customer_id"
    return frame
