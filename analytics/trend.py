"""Month by month: CRR, churn rate and revenue for the charts and `trend`."""

from dataclasses import dataclass
from datetime import date, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.frame import OrderFrame
from analytics.kpis import Bounds, Scope, compute_retention, retention_sets
from analytics.periods import Period, month_period


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2026-11"
    start: str
    end: str
    S: int
    E: int
    N: int
    N_active: int
    crr: float | None
    churn_rate: float | None
    revenue: float
    orders: int
    to_date: bool = False  # the as-of month, cut short: not a whole month's figures

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def month_periods(as_of: date, months: int, calendar: Calendar = GREGORIAN_CALENDAR) -> list[Period]:
    """The `months` months of `calendar` ending with the as-of month (cut at as_of)."""
    last = calendar.month_index(as_of)
    first = max(last - months + 1, calendar.first_year * 12)
    return [month_period(index, as_of, calendar) for index in range(first, last + 1)]


def compute_trend(
    frame: OrderFrame,
    scope: Scope,
    as_of: date,
    months: int,
    window: int,
    tz: tzinfo,
    calendar: Calendar = GREGORIAN_CALENDAR,
) -> list[TrendPoint]:
    points = []
    for p in month_periods(as_of, months, calendar):
        b = Bounds.of(p, window, tz)
        r = compute_retention(*retention_sets(frame, scope, b))
        sl = frame.between(b.s_hi, b.e_hi)
        amount = frame.amount[sl]
        if scope.keep is not None:
            amount = amount[scope.keep[frame.cust[sl]]]
        points.append(
            TrendPoint(
                month=p.label.split(" ")[0],
                start=p.start.isoformat(),
                end=p.end.isoformat(),
                S=r.S,
                E=r.E,
                N=r.N,
                N_active=r.N_active,
                crr=r.crr,
                churn_rate=r.churn_rate,
                revenue=round(float(amount.sum()), 2),
                orders=len(amount),
                to_date=p.to_date,
            )
        )
    return points
