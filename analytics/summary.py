"""The store at a glance: the numbers `/retention` alone answers with."""

from dataclasses import asdict, dataclass


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


def compute_summary(totals: dict, active: int) -> Summary:
    """`totals` from storage.load_customer_totals (already as of the cutoff,
    first and last order as local days); `active` counted by the one rule
    (analytics.kpis.active_at). Repeat purchase rate = buyers with 2+ orders
    / buyers with 1+ order."""
    buyers = totals["buyers"] or 0
    return Summary(
        customers=int(totals["customers"]),
        active_customers=int(active),
        orders=int(totals["orders"]),
        revenue=round(float(totals["revenue"]), 2),
        repeat_purchase_rate=float(totals["repeat_buyers"] / buyers * 100) if buyers else None,
        first_order=totals["first_order_at"] if buyers else None,
        last_order=totals["last_order_at"] if buyers else None,
    )
