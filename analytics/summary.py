"""The store at a glance: the numbers `/retention` alone answers with."""

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass
class Summary:
    customers: int
    active_customers: int
    orders: int
    revenue: float
    repeat_purchase_rate: float | None  # percent of buyers with 2+ orders
    first_order: str | None
    last_order: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def compute_summary(aggregates: pd.DataFrame, active_since: str, cutoff: str) -> Summary:
    """`aggregates`: one row per customer (storage.load_customer_aggregates),
    already limited to data before `cutoff`. Active = a counted order on or
    after `active_since` and not churned (contract ended) before `cutoff`."""
    buyers = aggregates[aggregates["order_count"] > 0]
    churned = aggregates["churned_at"].fillna("").astype(str)
    churned_before = (churned != "") & (churned < cutoff)
    active = (aggregates["last_order_at"].fillna("") >= active_since) & ~churned_before
    repeat = None
    if len(buyers):
        repeat = float((buyers["order_count"] >= 2).sum() / len(buyers) * 100)
    return Summary(
        customers=int(len(aggregates)),
        active_customers=int(active.sum()),
        orders=int(aggregates["order_count"].sum()),
        revenue=round(float(aggregates["revenue"].sum()), 2),
        repeat_purchase_rate=repeat,
        first_order=str(buyers["first_order_at"].min())[:10] if len(buyers) else None,
        last_order=str(buyers["last_order_at"].max())[:10] if len(buyers) else None,
    )
