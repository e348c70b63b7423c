"""`/retention` alone: the store at a glance."""

from datetime import timedelta

from analytics.kpis import active_at, day_bound
from analytics.summary import compute_summary
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.frames import customer_totals
from commands.i18n import N_
from commands.kpi_inputs import read_inputs
from commands.messages import EMPTY_STORE_HINT, filter_label, freshness


@command("summary", usage="", summary=N_("The store at a glance (also `/retention` alone)"))
def handle_summary(ctx: Context, req: Request) -> Answer:
    k = read_inputs(ctx, req)
    totals = customer_totals(ctx.db, ctx.cutoff, req.filters)
    # Active by the one rule every answer uses (analytics.kpis.active_at).
    since = day_bound(ctx.as_of - timedelta(days=k.window - 1), k.tz)
    active = int(active_at(k.frame, k.scope, since, k.cutoff).sum())
    days = {key: fmt.day(totals[key], ctx.tz) if totals[key] else None for key in ("first_order_at", "last_order_at")}
    s = compute_summary({**totals, **days}, active)
    return Answer("summary", s.to_dict(), build_summary_message(ctx, s, filter_label(req), k.window))


def build_summary_message(ctx: Context, s, scope: str, window: int) -> dict:
    title = f"Retention at a glance{scope}"
    if s.orders == 0:
        return B.message(f"{title}: no orders yet", [B.header(title), B.section(EMPTY_STORE_HINT)])
    cur = ctx.currency
    pairs = [
        ("Customers", fmt.count(s.customers)),
        (
            f"Active ({window} days)",
            f"{fmt.count(s.active_customers)} ({fmt.pct(s.active_customers / s.customers * 100 if s.customers else None)})",
        ),
        ("Orders", fmt.count(s.orders)),
        ("Revenue", fmt.money(s.revenue, cur)),
        ("Repeat purchase rate", fmt.pct(s.repeat_purchase_rate)),
        (
            "Orders from",
            f"{fmt.day(s.first_order, ctx.tz, ctx.calendar)} to {fmt.day(s.last_order, ctx.tz, ctx.calendar)}",
        ),
    ]
    text = (
        f"{title}: {fmt.plural(s.customers, 'customer')}, {s.active_customers:,} active, {fmt.plural(s.orders, 'order')}, "
        f"{fmt.money(s.revenue, cur)} revenue"
    )
    return B.message(
        text,
        [
            B.header(title),
            *B.fields(pairs),
            B.context(
                freshness(ctx, s.last_order, s.customers), "Try `/retention crr last-quarter` or `/retention help`"
            ),
        ],
    )
