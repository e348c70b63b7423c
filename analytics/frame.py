"""The order frame: every counted order of a store as three numpy columns
(UTC epoch seconds, customer position, amount), sorted by time, plus each
customer's first-order time and contract end. Any period window is then two
binary searches and a slice, so CRR, KPIs, cohorts and trends answer in
milliseconds instead of a distinct-customer SQL scan per window (~150 ms
each at 1M orders).

Built from plain columns (storage.order_columns reads them; commands.frames
keeps one per store content in the process), so the maths knows nothing of
where the orders come from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from analytics.calendars import GREGORIAN_CALENDAR, Calendar

NO_ORDER = np.iinfo(np.int64).max  # first-order time of a customer without orders
MEMO_KEEP = 32  # results kept per frame (each 1–8 MB at a million customers)


@dataclass
class OrderFrame:
    """Counted orders of one store, sorted by time; customers by position.

    `ts`, `cust`, `amount` are per order, time ascending. `first` marks each
    customer's first-ever counted order. `rowid`, `first_ts` and `churned_ts`
    (contract end) are per customer position. The `answer_*` columns are the
    survey answers of the same content, by submission time (the stored UTC
    text, as bytes, so a period's bounds cut them exactly as SQL compares
    text): kind (index into `answer_kinds`), score, customer position."""

    ts: np.ndarray  # int64 epoch seconds (UTC)
    cust: np.ndarray  # int32 customer position
    amount: np.ndarray  # float64
    first: np.ndarray  # bool
    rowid: np.ndarray  # int64 customers.rowid per position, ascending
    first_ts: np.ndarray  # int64 per position; NO_ORDER when none
    churned_ts: np.ndarray  # int64 per position; NO_ORDER when the contract has not ended
    answer_at: np.ndarray = field(default_factory=lambda: np.zeros(0, "S20"))  # bytes, ascending
    answer_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    answer_score: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    answer_cust: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    _months: dict = field(default_factory=dict, repr=False)
    # Store-wide totals of the same content (customers, buyers, orders,
    # revenue…), true as of any cutoff after totals["after"]: set by whoever
    # reads the orders (commands.frames), None when unknown.
    totals: dict | None = None
    # Each customer's orders and running revenue (customer_runs), saved with
    # the frame; None when not made (then per-customer figures add up orders).
    runs: CustomerRuns | None = None
    _memo: dict = field(default_factory=dict, repr=False, init=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, init=False)

    @property
    def n_customers(self) -> int:
        return len(self.rowid)

    def upto(self, bound: int) -> int:
        """Index of the first order at or after `bound` (exclusive slice end)."""
        return int(np.searchsorted(self.ts, bound, side="left"))

    def between(self, lo: int, hi: int) -> slice:
        """Orders with lo <= ts < hi."""
        return slice(self.upto(lo), self.upto(hi))

    def positions(self, rowids) -> np.ndarray:
        """Positions of the given customers.rowid values (unknown ones dropped)."""
        r = np.asarray(rowids, dtype=np.int64)
        pos = np.searchsorted(self.rowid, r)
        ok = pos < len(self.rowid)
        ok[ok] = self.rowid[pos[ok]] == r[ok]
        return pos[ok]

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per frame and key: a result over a prefix of the
        orders (each customer's revenue to a day, the revenue to date of a
        scope), which would otherwise cost a scan of millions of orders per
        request. A frame is one store content, so a result never goes stale;
        the newest MEMO_KEEP are kept. Arrays come back read-only (shared)."""
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        with self._memo_lock:
            self._memo[key] = value
            while len(self._memo) > MEMO_KEEP:
                del self._memo[next(iter(self._memo))]
        return value

    def local_months(self, tz_name: str, calendar: Calendar = GREGORIAN_CALENDAR) -> np.ndarray:
        """Per order, its month of `calendar` in the workspace time zone as
        year*12 + month-1 (once per time zone and calendar; the orders are in
        time order, so it is a cut per month, milliseconds at millions)."""
        key = (tz_name, calendar.name)
        if key not in self._months:
            self._months[key] = calendar.month_numbers(self.ts, tz_name)
        return self._months[key]


def build_order_frame(orders: pd.DataFrame, customers: pd.DataFrame) -> OrderFrame:
    """Frame from counted orders (`ts` epoch seconds, `customer_id`, `amount`)
    and customers (`rowid`, `id`, optional `churned_ts`). Pure, so tests can
    build one."""
    import pandas as pd

    customers = customers.sort_values("rowid")
    ids = pd.Index(customers["id"].to_numpy(object))
    orders = orders.sort_values("ts", kind="stable")
    cust = ids.get_indexer(orders["customer_id"].to_numpy(object))
    if (cust < 0).any():
        raise ValueError("orders refer to customers that are not in the customers table")
    return frame_from_columns(
        orders["ts"].to_numpy(np.int64),
        cust.astype(np.int32),
        orders["amount"].to_numpy(np.float64),
        customers["rowid"].to_numpy(np.int64),
        contract_ends(customers.get("churned_ts")),
    )


def contract_ends(values: pd.Series | None) -> np.ndarray | None:
    """Contract ends per customer position (epoch seconds), NO_ORDER where none."""
    if values is None:
        return None
    return values.astype("Int64").fillna(NO_ORDER).to_numpy(np.int64)


@dataclass(frozen=True)
class CustomerRuns:
    """The frame's orders customer by customer: `order` holds frame indices,
    each customer's in time order from `start` (per position), `count` of
    them; `revenue` is the running sum along `order`, restarting at each
    customer, added in the same order and from the same 0.0 a bincount over
    the orders in time order adds — so a customer's revenue before any
    instant is one look-up, the very float the bincount would give, instead
    of a pass over every earlier order (churn as of a quarter's end, a rep's
    revenue a year ago: ~7M orders at a million customers)."""

    order: np.ndarray
    start: np.ndarray
    count: np.ndarray
    revenue: np.ndarray

    def last_before(self, cust: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions with an order among the frame's first `j`, and where
        each one's newest such order is in `order`."""
        before = self._before(cust, j)
        has = np.flatnonzero(before > 0)
        return has, self.start[has] + before[has] - 1

    def grouped(self, cust: np.ndarray, j: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The frame's first `j` orders customer by customer — the customers
        of `positions` in that order, each one's orders in time order (ties
        as the frame has them) — as each customer's count (0 for one without
        any) and the orders' frame indices: what a score reads, without a
        pass over the orders in SQL. A customer's orders among the first `j`
        are the start of its run (a run is in frame order)."""
        counts = self._before(cust, j)[positions]
        starts = self.start[positions]
        offsets = np.cumsum(counts) - counts  # where each customer's orders begin in the result
        index = np.arange(int(counts.sum()), dtype=np.int64)
        index -= np.repeat(offsets - starts, counts)  # in place: two order-long arrays at a time, not three
        return counts, self.order[index]

    def _before(self, cust: np.ndarray, j: int) -> np.ndarray:
        """Per position, how many of its orders are among the frame's first `j`."""
        return self.count - np.bincount(cust[j:], minlength=len(self.count))


def customer_runs(cust: np.ndarray, amount: np.ndarray, n_customers: int) -> CustomerRuns:
    """CustomerRuns of orders in time order. The running sums go a round at a
    time — every customer's first order, then every second one… — so each
    customer's sum is added in its own order, vectorised across customers."""
    order = np.argsort(cust, kind="stable").astype(np.int64)
    count = np.bincount(cust, minlength=n_customers).astype(np.int64)
    start = np.zeros(n_customers, dtype=np.int64)
    np.cumsum(count[:-1], out=start[1:])
    spent = np.asarray(amount, dtype=np.float64)[order]
    revenue = np.empty_like(spent)
    most_first = np.argsort(-count, kind="stable")
    descending = -count[most_first]  # ascending
    for r in range(int(count.max(initial=0))):
        with_more = most_first[: int(np.searchsorted(descending, -r, side="left"))]  # count > r
        at = start[with_more] + r
        revenue[at] = (0.0 if r == 0 else revenue[at - 1]) + spent[at]
    return CustomerRuns(order, start, count, revenue)


def frame_from_columns(
    ts: np.ndarray, cust: np.ndarray, amount: np.ndarray, rowid: np.ndarray, churned_ts: np.ndarray | None
) -> OrderFrame:
    """`ts` must be ascending. A customer's first order is the earliest; of
    several at that instant, the smallest amount (any, if amounts tie too)."""
    first = np.zeros(len(ts), dtype=bool)
    first_ts = np.full(len(rowid), NO_ORDER, dtype=np.int64)
    if len(ts):
        _, at = np.unique(cust, return_index=True)
        first_ts[cust[at]] = ts[at]
        tied = np.flatnonzero(ts == first_ts[cust])
        tied = tied[np.lexsort((amount[tied], cust[tied]))]
        keep = np.r_[True, cust[tied][1:] != cust[tied][:-1]]
        first[tied[keep]] = True
    if churned_ts is None:
        churned_ts = np.full(len(rowid), NO_ORDER, dtype=np.int64)
    return OrderFrame(ts, cust, amount, first, rowid, first_ts, churned_ts)
