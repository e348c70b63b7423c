"""Monthly cohorts: customers grouped by the month of their first counted
order (workspace time zone), and the share of each cohort that ordered in
each later month. Month 0 is always 100%: the first order is in it.

The as-of month is usually not over: its cells count only the days so far
(`partial`), so they are marked and left out of averages."""

from dataclasses import dataclass

import numpy as np

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.frame import OrderFrame
from analytics.kpis import Scope


@dataclass(frozen=True)
class Cohorts:
    months: list[str]  # cohort labels, oldest first ("2026-01")
    sizes: list[int]
    active: list[list[float | None]]  # per cohort: % active in month 0, 1, … (None: empty cohort)
    partial: bool = False  # the last month (each row's last cell) is cut short by the as-of day

    def to_dict(self) -> dict:
        return {
            "cohorts": [
                {"cohort": m, "size": s, "active_pct": a}
                for m, s, a in zip(self.months, self.sizes, self.active, strict=True)
            ],
            "partial_month": self.months[-1] if self.partial and self.months else None,
        }

    def average(self, since: int) -> float | None:
        """Mean % ordering `since` months after the first, over the cohorts
        where that month is whole (a month cut short would pull it down)."""
        cells = [
            cell
            for size, row in zip(self.sizes, self.active, strict=True)
            if size
            and len(row) > since
            and not (self.partial and len(row) == since + 1)
            and (cell := row[since]) is not None
        ]  # None only in an empty cohort
        return sum(cells) / len(cells) if cells else None


def month_label(index: int) -> str:
    """year*12 + month-1 → "YYYY-MM"."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def compute_cohorts(
    frame: OrderFrame,
    scope: Scope,
    tz_name: str,
    cutoff: int,
    last_month: int,
    count: int,
    partial: bool = False,
    calendar: Calendar = GREGORIAN_CALENDAR,
) -> Cohorts:
    """The `count` monthly cohorts ending with `last_month` (year*12 + month-1
    in `calendar`, the as-of month), from counted orders before `cutoff`;
    `partial` when the as-of day is not that month's last. Kept per frame
    (OrderFrame.memo): the window's orders are read once per store content,
    time zone, cutoff and scope, not per request."""
    key = ("cohorts", tz_name, calendar.name, frame.upto(cutoff), last_month, count, partial, scope.key)
    return frame.memo(key, lambda: _cohorts(frame, scope, tz_name, cutoff, last_month, count, partial, calendar))


def _cohorts(
    frame: OrderFrame,
    scope: Scope,
    tz_name: str,
    cutoff: int,
    last_month: int,
    count: int,
    partial: bool,
    calendar: Calendar,
) -> Cohorts:
    first_month = last_month - count + 1
    months = frame.local_months(tz_name, calendar)[: frame.upto(cutoff)]
    recent = np.flatnonzero(months >= first_month)
    cust, first = frame.cust[recent], frame.first[recent]
    offset = months[recent] - first_month  # months since the first one shown
    if scope.keep is not None:
        kept = scope.keep[cust]
        cust, first, offset = cust[kept], first[kept], offset[kept]
    cohort_of = np.full(frame.n_customers, -1, dtype=np.int64)
    cohort_of[cust[first]] = offset[first]
    members = np.flatnonzero(cohort_of >= 0)
    sizes = np.bincount(cohort_of[members], minlength=count)
    active = _active_counts(cust, offset, members, cohort_of[members], frame.n_customers)
    table = np.zeros((count, count), dtype=np.int64)
    cohort, month = np.nonzero(active)
    np.add.at(table, (cohort, month - cohort), active[cohort, month])
    shares = []
    for c in range(count):
        span = count - c  # months from the cohort's month to the as-of month
        shares.append([float(table[c, k] / sizes[c] * 100) if sizes[c] else None for k in range(span)])
    return Cohorts([month_label(first_month + c) for c in range(count)], [int(s) for s in sizes], shares, partial)


def _active_counts(
    cust: np.ndarray, offset: np.ndarray, members: np.ndarray, member_cohort: np.ndarray, n_customers: int
) -> np.ndarray:
    """[cohort, month offset] → how many of the cohort's customers ordered in
    that month: each (customer, month) counted once, however many orders. A
    bit per cohort member and month (one scatter, no sort of the orders: a
    unique over the year's millions of orders took seconds)."""
    slot = np.full(n_customers, -1, dtype=np.int32)
    slot[members] = np.arange(len(members), dtype=np.int32)
    where = slot[cust]
    mine = where >= 0  # orders of customers whose first order is in these months
    where, offset = where[mine].astype(np.int64), offset[mine]
    width = int(offset.max()) + 1 if len(offset) else 1
    seen = np.zeros(len(members) * width, dtype=bool)
    seen[where * width + offset] = True
    who, month = np.divmod(np.flatnonzero(seen), width)
    cohorts = int(member_cohort.max()) + 1 if len(member_cohort) else 1
    counts = np.bincount(member_cohort[who] * width + month, minlength=cohorts * width)
    return counts.reshape(cohorts, width)
