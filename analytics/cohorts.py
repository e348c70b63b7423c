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
    `partial` when the as-of day is not that month's last."""
    first_month = last_month - count + 1
    j = frame.upto(cutoff)
    months = frame.local_months(tz_name, calendar)[:j]
    cust, first = frame.cust[:j], frame.first[:j]
    recent = months >= first_month
    if scope.keep is not None:
        recent &= scope.keep[cust]
    cohort_of = np.full(frame.n_customers, -1, dtype=np.int64)
    starters = recent & first
    cohort_of[cust[starters]] = months[starters]
    mine = recent & (cohort_of[cust] >= 0)
    pairs = np.unique(cust[mine].astype(np.int64) * 4096 + (months[mine] - first_month))
    who, offset = pairs // 4096, pairs % 4096
    cohort = cohort_of[who] - first_month
    since = offset - cohort
    sizes = np.bincount(cohort_of[cohort_of >= 0] - first_month, minlength=count)
    table = np.zeros((count, count), dtype=np.int64)
    np.add.at(table, (cohort, since), 1)
    active = []
    for c in range(count):
        span = count - c  # months from the cohort's month to the as-of month
        active.append([float(table[c, k] / sizes[c] * 100) if sizes[c] else None for k in range(span)])
    return Cohorts([month_label(first_month + c) for c in range(count)], [int(s) for s in sizes], active, partial)
