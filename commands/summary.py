"""`/retention` alone: the store at a glance."""

from datetime import timedelta

from analytics.kpis import active_at, day_bound
from analytics.summary import compute_summary
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.frames import customer_totals
from commands.i18n import N_, _, _n
from commands.kpi_inputs import read_inputs
from commands.messages import empty_store_hint, filter_label, freshness


@command("summary", usage="", summary=N_("The store at a glance (also `/retention` alone)"))
def handle_summary(ctx: Context, req: Request) -> Answer:
    k = read_inputs(ctx, req)
    totals = customer_totals(ctx.db, k.frame, ctx.cutoff, req.filters)
    # Active by the one rule every answer uses (analytics.kpis.active_at).
    since = day_bound(ctx.as_of - timedelta(days=k.window - 1), k.tz)
    active = int(active_at(k.frame, k.scope, since, k.cutoff).sum())
    days = {key: fmt.day(totals[key], ctx.tz) if totals[key] else None for key in ("first_order_at", "last_order_at")}
    s = compute_summary({**totals, **days}, active)
    return Answer("summary", s.to_dict(), build_summary_message(ctx, s, filter_label(req, ctx.lang), k.window))


def build_summary_message(ctx: Context, s, scope: str, window: int) -> dict:
    lang = ctx.lang
    title = _(lang, "Retention at a glance{scope}", scope=scope)
    if s.orders == 0:
        return B.message(
            _(lang, "{title}: no orders yet", title=title), [B.header(title), B.section(empty_store_hint(lang))]
        )
    cur = ctx.display_currency
    share = fmt.pct(s.active_customers / s.customers * 100 if s.customers else None, lang=lang)
    pairs = [
        (_(lang, "Customers"), fmt.count(s.customers, lang)),
        (
            _(lang, "Active ({days} days)", days=fmt.count(window, lang)),
            _(lang, "{count} ({share})", count=fmt.count(s.active_customers, lang), share=share),
        ),
        (_(lang, "Orders"), fmt.count(s.orders, lang)),
        (_(lang, "Revenue"), fmt.money(s.revenue, cur, lang=lang)),
        (_(lang, "Repeat purchase rate"), fmt.pct(s.repeat_purchase_rate, lang=lang)),
        (
            _(lang, "Orders from"),
            _(
                lang,
                "{first} to {last}",
                first=fmt.day(s.first_order, ctx.tz, ctx.calendar, lang),
                last=fmt.day(s.last_order, ctx.tz, ctx.calendar, lang),
            ),
        ),
    ]
    text = _(
        lang,
        "{title}: {customers}, {active} active, {orders}, {revenue} revenue",
        title=title,
        customers=_n(lang, "{count} customer", "{count} customers", s.customers, count=fmt.count(s.customers, lang)),
        active=fmt.count(s.active_customers, lang),
        orders=_n(lang, "{count} order", "{count} orders", s.orders, count=fmt.count(s.orders, lang)),
        revenue=fmt.money(s.revenue, cur, lang=lang),
    )
    return B.message(
        text,
        [
            B.header(title),
            *B.fields(pairs),
            B.context(
                freshness(ctx, s.last_order, s.customers),
                _(lang, "Try {crr} or {help}", crr="`/retention crr last-quarter`", help="`/retention help`"),
            ),
        ],
    )
