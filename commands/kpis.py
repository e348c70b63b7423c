"""`/retention kpis [period]`: every retention KPI of a period next to the
previous one: CRR and churn, orders and revenue, AOV, frequency, repeat
rates, Pareto share, historical CLV, NPS / CSAT / CES."""

from analytics.kpis import (
    Bounds,
    compute_feedback,
    compute_order_kpis,
    compute_retention,
    retention_sets,
)
from analytics.periods import Period
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.crr import crr_formula, new_note
from commands.kpi_inputs import (
    KpiInputs,
    empty_store_message,
    money_delta,
    period_utc,
    read_inputs,
    read_period,
)
from storage.queries import load_feedback


@command(
    "kpis",
    usage="kpis [period]",
    summary="All retention KPIs for a period, with change vs the previous one",
    aliases=("kpi",),
)
def handle_kpis(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "kpis")
    k = read_inputs(ctx, req)
    previous = period.previous()
    data = {
        "period": period.to_dict(),
        **period_kpis(k, period),
        "activity_window": k.window,
        "previous": {"period": previous.to_dict(), **period_kpis(k, previous)},
    }
    title = f"Retention KPIs · {period.label}"
    if not k.has_orders:
        return Answer("kpis", data, empty_store_message(title))
    return Answer("kpis", data, build_kpis_message(data, title, ctx.currency, k.scope_text, k.freshness()))


def period_kpis(k: KpiInputs, period: Period) -> dict:
    b = Bounds.of(period, k.window, k.tz)
    r = compute_retention(*retention_sets(k.frame, k.scope, b))
    o = compute_order_kpis(k.frame, k.scope, b.s_hi, b.e_hi)
    f = compute_feedback(load_feedback(k.ctx.db, *period_utc(period, k.tz), k.filters))
    return {
        "S": r.S,
        "E": r.E,
        "N": r.N,
        "N_active": r.N_active,
        "crr": r.crr,
        "retained": r.retained,
        "reactivated": r.reactivated,
        "churn_rate": r.churn_rate,
        **o.to_dict(),
        "nps": f.nps,
        "nps_responses": f.nps_responses,
        "csat": f.csat,
        "csat_responses": f.csat_responses,
        "ces": f.ces,
        "ces_responses": f.ces_responses,
    }


# (label, key, how to show it, how to show a change) — the message's rows.
def _rows(currency: str):
    p = lambda v: fmt.pct(v)  # noqa: E731
    m = lambda v: fmt.money(v, currency)  # noqa: E731
    pts = lambda a, b: fmt.delta(a, b)  # noqa: E731
    return [
        ("Customer retention (CRR)", "crr", p, pts),
        ("Churn rate", "churn_rate", p, pts),
        ("Customers who ordered", "customers", fmt.count, lambda a, b: fmt.delta(a, b, unit="", decimals=0)),
        ("New customers (N)", "new_customers", fmt.count, lambda a, b: fmt.delta(a, b, unit="", decimals=0)),
        ("Orders", "orders", fmt.count, lambda a, b: fmt.delta(a, b, unit="", decimals=0)),
        ("Revenue", "revenue", m, lambda a, b: money_delta(a, b, currency)),
        (
            "Average order value",
            "aov",
            lambda v: fmt.money(v, currency, cents=True),
            lambda a, b: money_delta(a, b, currency, cents=True),
        ),
        (
            "Purchase frequency",
            "purchase_frequency",
            lambda v: "—" if v is None else f"{v:.2f} orders/customer",
            lambda a, b: fmt.delta(a, b, unit="", decimals=2),
        ),
        ("Repeat purchase rate", "repeat_purchase_rate", p, pts),
        ("Repeat revenue share", "repeat_revenue_share", p, pts),
        ("Pareto share (top 20%)", "pareto_share", p, pts),
        ("Historical CLV", "historical_clv", m, lambda a, b: money_delta(a, b, currency)),
        ("NPS", "nps", lambda v: "—" if v is None else f"{v:.1f}", lambda a, b: fmt.delta(a, b, unit="")),
        ("CSAT", "csat", p, pts),
        (
            "CES (mean effort)",
            "ces",
            lambda v: "—" if v is None else f"{v:.2f}",
            lambda a, b: fmt.delta(a, b, unit="", decimals=2),
        ),
    ]


def build_kpis_message(d: dict, title: str, currency: str, scope: str, freshness: str) -> dict:
    prev = d["previous"]
    pairs = []
    for label, key, show, change in _rows(currency):
        value = show(d[key])
        delta = change(d[key], prev[key])
        pairs.append((label, f"{value}  {delta}" if delta else value))
    explain = crr_formula(d) + (f" ({new_note(d)})" if new_note(d) else "")
    explain += (
        f" · retained {d['retained']:,}, reactivated {d['reactivated']:,}"
        f" · AOV = revenue/orders · frequency = orders/customers · CLV = revenue to date/"
        + fmt.plural(d["customers_to_date"], "customer")
    )
    text = (
        f"{title}: CRR {fmt.pct(d['crr'])}, churn {fmt.pct(d['churn_rate'])}, {fmt.plural(d['orders'], 'order')}, "
        f"{fmt.money(d['revenue'], currency)} revenue, AOV {fmt.money(d['aov'], currency, cents=True)}, "
        f"repeat purchase rate {fmt.pct(d['repeat_purchase_rate'])}"
    )
    p = d["period"]
    return B.message(
        text,
        [
            B.header(title),
            *B.fields(pairs),
            B.context(explain),
            B.context(f"{fmt.span(p)} · changes vs {prev['period']['label']}{scope}", freshness),
        ],
    )
