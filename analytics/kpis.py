"""Retention KPIs, exactly as docs/design.md defines them.

Inputs are an order frame (analytics.frame.OrderFrame: counted orders by
time, customers by position, contract ends) and a Scope (which customers a
`segment:`/`rep:` filter keeps). Every function takes its instants
explicitly (UTC epoch seconds from local day boundaries); nothing here reads
a clock.

For a period [start, end] of local days and activity window W days:
- S = active at the start: a counted order in [start − W, start − 1];
- E = active at the end: a counted order in [end − W + 1, end];
- N = first-ever counted order in [start, end], and N_active = those of N
  active at the end (N ∩ E);
active also requires no contract end (`churned_at`) at or before the instant
the window ends (`active_at`, the one definition every answer uses).
CRR = (E − N_active)/S × 100 — the articles' (E − N)/S with N counted where E
counts it, so E = retained + reactivated + N_active and CRR is never
negative, however long the period. retained = |S ∩ E|,
reactivated = |E \\ S \\ N|, churn rate = (S − retained)/S × 100.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from analytics.arrays import largest_first
from analytics.frame import NO_ORDER, OrderFrame
from analytics.periods import Period

if TYPE_CHECKING:
    import pandas as pd

PARETO_TOP = 0.2  # the "20%" of the 80/20 rule


def day_bound(day: date, tz: tzinfo) -> int:
    """Epoch seconds of local midnight starting `day` in `tz`: the bound every
    period and window is cut at."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def pct(part: float, whole: float) -> float | None:
    """part/whole in percent; None (not 0, not an error) when whole is 0."""
    return part / whole * 100 if whole else None


@dataclass(frozen=True)
class Scope:
    """Which customers count: `keep` per customer position, None = everyone."""

    keep: np.ndarray | None = None

    @classmethod
    def build(cls, frame: OrderFrame, filter_rowids: np.ndarray | None) -> Scope:
        """From the customers.rowid a filter keeps (None = no filter)."""
        if filter_rowids is None:
            return cls(None)
        keep = np.zeros(frame.n_customers, dtype=bool)
        keep[frame.positions(filter_rowids)] = True
        return cls(keep)

    def kept(self, mask: np.ndarray) -> np.ndarray:
        return mask if self.keep is None else mask & self.keep

    @cached_property
    def key(self) -> bytes | None:
        """Which customers it keeps, as a short digest (a key of OrderFrame.memo)."""
        return None if self.keep is None else hashlib.blake2b(self.keep.tobytes(), digest_size=16).digest()


def ordered_between(frame: OrderFrame, scope: Scope, lo: int, hi: int) -> np.ndarray:
    """Per customer position: a counted order in [lo, hi), kept by the scope."""
    mask = np.zeros(frame.n_customers, dtype=bool)
    mask[frame.cust[frame.between(lo, hi)]] = True
    return scope.kept(mask)


def active_at(frame: OrderFrame, scope: Scope, lo: int, hi: int) -> np.ndarray:
    """Active at instant `hi`: ordered in [lo, hi) and no contract end <= hi.
    Everyone's is computed once per frame and window (OrderFrame.memo): the
    same few windows (today's, a quarter's ends) are asked by most answers,
    and each costs a pass over ~90 days of orders; a scope then masks it."""
    return scope.kept(
        frame.memo(("active", lo, hi), lambda: ordered_between(frame, Scope(), lo, hi) & (frame.churned_ts > hi))
    )


def first_between(frame: OrderFrame, scope: Scope, lo: int, hi: int) -> np.ndarray:
    return scope.kept((frame.first_ts >= lo) & (frame.first_ts < hi))


@dataclass(frozen=True)
class Bounds:
    """The instants behind one period's S, E and N."""

    s_lo: int
    s_hi: int  # = start of the period
    e_lo: int
    e_hi: int  # = end of the period (exclusive: midnight after its last day)

    @classmethod
    def of(cls, period: Period, window: int, tz: tzinfo) -> Bounds:
        return cls(
            day_bound(period.start - timedelta(days=window), tz),
            day_bound(period.start, tz),
            day_bound(period.end - timedelta(days=window - 1), tz),
            day_bound(period.end + timedelta(days=1), tz),
        )


@dataclass(frozen=True)
class Retention:
    S: int
    E: int
    N: int  # new customers acquired in the period
    retained: int
    reactivated: int
    crr: float | None  # percent; None when S = 0
    churn_rate: float | None
    N_active: int = 0  # of N, those still active at the end (counted in E)

    @property
    def churned(self) -> int:
        return self.S - self.retained

    def to_dict(self) -> dict:
        return asdict(self)


def compute_retention(s: np.ndarray, e: np.ndarray, n: np.ndarray) -> Retention:
    """From per-customer membership masks of S, E and N."""
    S, E, N = int(s.sum()), int(e.sum()), int(n.sum())
    n_active = int((n & e).sum())
    retained = int((s & e).sum())
    reactivated = int((e & ~s & ~n).sum())
    return Retention(S, E, N, retained, reactivated, pct(E - n_active, S), pct(S - retained, S), n_active)


def retention_sets(frame: OrderFrame, scope: Scope, b: Bounds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        active_at(frame, scope, b.s_lo, b.s_hi),
        active_at(frame, scope, b.e_lo, b.e_hi),
        first_between(frame, scope, b.s_hi, b.e_hi),
    )


def compute_period_retention(frame: OrderFrame, scope: Scope, period: Period, window: int, tz: tzinfo) -> Retention:
    return compute_retention(*retention_sets(frame, scope, Bounds.of(period, window, tz)))


@dataclass(frozen=True)
class OrderKpis:
    """What the period's counted orders say (money in the store's currency)."""

    customers: int  # ordered in the period
    orders: int
    revenue: float
    new_customers: int  # first-ever order in the period
    aov: float | None  # revenue / orders
    purchase_frequency: float | None  # orders / customers
    repeat_purchase_rate: float | None  # % of the period's customers with 2+ orders by its end
    pareto_share: float | None  # % of revenue from the top 20% of the period's customers
    repeat_revenue_share: float | None  # % of revenue from orders after a customer's first
    historical_clv: float | None  # revenue to the period end per customer who had ordered by then
    customers_to_date: int  # customers with an order by the period end

    def to_dict(self) -> dict:
        return asdict(self)


def compute_order_kpis(frame: OrderFrame, scope: Scope, lo: int, hi: int) -> OrderKpis:
    """KPIs of the counted orders in [lo, hi), for the scope's customers:
    once per frame, orders of the span and scope (OrderFrame.memo), as a
    year to date reads millions of orders and everyone asks for the same."""
    return frame.memo(("order kpis", lo, hi, scope.key), lambda: _order_kpis(frame, scope, lo, hi))


def _order_kpis(frame: OrderFrame, scope: Scope, lo: int, hi: int) -> OrderKpis:
    sl = frame.between(lo, hi)
    cust, amount, first = frame.cust[sl], frame.amount[sl], frame.first[sl]
    if scope.keep is not None:
        kept = scope.keep[cust]
        cust, amount, first = cust[kept], amount[kept], first[kept]
    counts = np.bincount(cust, minlength=frame.n_customers)
    buyers = counts > 0
    n_buyers, n_orders = int(buyers.sum()), len(cust)
    revenue = float(amount.sum())
    new = first_between(frame, scope, lo, hi)
    repeaters = buyers & ((frame.first_ts < lo) | (counts >= 2))
    spend = np.bincount(cust, weights=amount, minlength=frame.n_customers)[buyers]
    top_revenue = largest_sum(spend, math.ceil(PARETO_TOP * n_buyers))
    to_date = frame.upto(hi)
    past_revenue = frame.memo(("revenue to date", to_date, scope.key), lambda: revenue_before(frame, scope, to_date))
    customers_to_date = int(scope.kept(frame.first_ts < hi).sum())
    return OrderKpis(
        customers=n_buyers,
        orders=n_orders,
        revenue=round(revenue, 2),
        new_customers=int(new.sum()),
        aov=revenue / n_orders if n_orders else None,
        purchase_frequency=n_orders / n_buyers if n_buyers else None,
        repeat_purchase_rate=pct(int(repeaters.sum()), n_buyers),
        pareto_share=pct(top_revenue, revenue),
        repeat_revenue_share=pct(revenue - float(amount[first].sum()), revenue),
        historical_clv=past_revenue / customers_to_date if customers_to_date else None,
        customers_to_date=customers_to_date,
    )


def largest_sum(values: np.ndarray, n: int) -> float:
    """The sum of the `n` largest values, added largest first: the same
    float as summing a full descending sort's first `n`, with a partition
    (linear) instead of sorting every value."""
    if 0 < n < len(values):
        values = np.partition(values, len(values) - n)[len(values) - n :]
    return float(np.sort(values)[::-1][:n].sum())


def revenue_before(frame: OrderFrame, scope: Scope, j: int) -> float:
    """Revenue of the scope's counted orders among the first `j` (in time order)."""
    amount = frame.amount[:j]
    if scope.keep is not None:
        amount = amount[scope.keep[frame.cust[:j]]]
    return float(amount.sum())


@dataclass(frozen=True)
class Feedback:
    nps: float | None  # % promoters (9–10) − % detractors (0–6)
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    csat: float | None  # % of answers 4–5 on 1–5
    csat_responses: int
    ces: float | None  # mean effort score
    ces_responses: int

    def to_dict(self) -> dict:
        return asdict(self)


def compute_feedback(answers: pd.DataFrame) -> Feedback:
    """From survey answers (`kind` ∈ nps|csat|ces, `score`, and optionally
    `answers`: how many gave that score)."""
    import pandas as pd

    n = answers["answers"] if "answers" in answers else pd.Series(1, index=answers.index)

    def count(kind: str, test=None) -> int:
        rows = answers["kind"] == kind
        if test is not None:
            rows &= test(answers["score"])
        return int(n[rows].sum())

    nps_n, csat_n, ces_n = count("nps"), count("csat"), count("ces")
    promoters, detractors = count("nps", lambda s: s >= 9), count("nps", lambda s: s <= 6)
    ces_sum = float((answers["score"] * n)[answers["kind"] == "ces"].sum())
    return Feedback(
        nps=pct(promoters - detractors, nps_n),
        nps_responses=nps_n,
        promoters=promoters,
        passives=nps_n - promoters - detractors,
        detractors=detractors,
        csat=pct(count("csat", lambda s: s >= 4), csat_n),
        csat_responses=csat_n,
        ces=ces_sum / ces_n if ces_n else None,
        ces_responses=ces_n,
    )


def customer_revenue(frame: OrderFrame, hi: int) -> np.ndarray:
    """Per customer position, revenue of counted orders before `hi` (once
    per frame and instant: OrderFrame.memo; read-only)."""
    j = frame.upto(hi)

    def compute() -> np.ndarray:
        if frame.runs is None:
            return np.bincount(frame.cust[:j], weights=frame.amount[:j], minlength=frame.n_customers)
        revenue = np.zeros(frame.n_customers)
        has, newest = frame.runs.last_before(frame.cust, j)
        revenue[has] = frame.runs.revenue[newest]
        return revenue

    return frame.memo(("customer revenue", j), compute)


def totals_to_end(frame: OrderFrame) -> dict[str, np.ndarray]:
    """Each customer's revenue and newest order over the whole frame — what
    answers as of today ask customer_revenue and last_orders_before for —
    to save with the frame (commands.frames) and remember_totals later."""
    return {"customer_revenue": customer_revenue(frame, NO_ORDER), "last_order": last_orders_before(frame, NO_ORDER)}


def remember_totals(frame: OrderFrame, totals: dict[str, np.ndarray]) -> None:
    """Put saved totals_to_end in the frame's memo: a process that maps a
    saved frame answers without adding up every order first."""
    j = len(frame.ts)
    frame.memo(("customer revenue", j), lambda: totals["customer_revenue"])
    frame.memo(("last order", j), lambda: totals["last_order"])


def last_orders_before(frame: OrderFrame, hi: int) -> np.ndarray:
    """Per customer position, the epoch seconds of the newest counted order
    before `hi`, 0 when none (once per frame and instant; read-only)."""
    j = frame.upto(hi)

    def compute() -> np.ndarray:
        last = np.zeros(frame.n_customers, dtype=np.int64)
        if frame.runs is None:
            last[frame.cust[:j]] = frame.ts[:j]  # orders are time-ascending: the last write is the newest
        else:
            has, newest = frame.runs.last_before(frame.cust, j)
            last[has] = frame.ts[frame.runs.order[newest]]
        return last

    return frame.memo(("last order", j), compute)


def last_order_before(frame: OrderFrame, scope: Scope, hi: int) -> int | None:
    """Epoch seconds of the newest counted order before `hi` in scope."""
    j = frame.upto(hi)
    if scope.keep is None:
        return int(frame.ts[j - 1]) if j else None
    newest = int(last_orders_before(frame, hi)[scope.keep].max(initial=0))  # per customer: no scan of the orders
    return newest or None


@dataclass
class RevenueRanking:
    """The biggest spenders in a window: customer positions, best first."""

    positions: np.ndarray
    revenue: np.ndarray
    orders: np.ndarray
    last_ts: np.ndarray
    buyers: int  # customers in scope who bought in the window


def rank_by_revenue(frame: OrderFrame, scope: Scope, lo: int, hi: int, n: int) -> RevenueRanking:
    """Top `n` customers by counted revenue in [lo, hi): two binary searches
    and a bincount, instead of a GROUP BY over every order in the window."""
    window = frame.between(lo, hi)
    cust, amount, ts = frame.cust[window], frame.amount[window], frame.ts[window]
    revenue = np.bincount(cust, weights=amount, minlength=frame.n_customers)
    orders = np.bincount(cust, minlength=frame.n_customers)
    candidates = np.flatnonzero(scope.kept(orders > 0))
    best = candidates[largest_first(revenue[candidates], n, frame.rowid[candidates])]
    last = np.zeros(frame.n_customers, dtype=np.int64)
    is_best = np.zeros(frame.n_customers, dtype=bool)
    is_best[best] = True
    picked = is_best[cust]
    last[cust[picked]] = ts[picked]  # orders are time-ascending: the last write is the newest
    return RevenueRanking(best, revenue[best], orders[best], last[best], len(candidates))
