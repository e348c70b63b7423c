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
from commands.frames import feedback_counts
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import (
    KpiInputs,
    empty_store_message,
    money_delta,
    period_utc,
    read_inputs,
    read_period,
)


@command(
    "kpis",
    usage="kpis [period]",
    summary=N_("All retention KPIs for a period, with change vs the previous one"),
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
    lang = ctx.lang
    title = _(lang, "Retention KPIs · {period}", period=fmt.period_label(data["period"], lang))
    if not k.has_orders:
        return Answer("kpis", data, empty_store_message(title, lang))
    return Answer(
        "kpis", data, build_kpis_message(data, title, ctx.display_currency, k.scope_text, k.freshness(), lang)
    )


def period_kpis(k: KpiInputs, period: Period) -> dict:
    b = Bounds.of(period, k.window, k.tz)
    r = compute_retention(*retention_sets(k.frame, k.scope, b))
    o = compute_order_kpis(k.frame, k.scope, b.s_hi, b.e_hi)
    f = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(period, k.tz)))
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
def _rows(currency: str, lang: str):
    p = lambda v: fmt.pct(v, lang=lang)  # noqa: E731
    m = lambda v: fmt.money(v, currency, lang=lang)  # noqa: E731
    n = lambda v: fmt.count(v, lang)  # noqa: E731
    pts = lambda a, b: fmt.delta(a, b, lang=lang)  # noqa: E731
    whole = lambda a, b: fmt.delta(a, b, unit="", decimals=0, lang=lang)  # noqa: E731
    return [
        (_(lang, "Customer retention (CRR)"), "crr", p, pts),
        (_(lang, "Churn rate"), "churn_rate", p, pts),
        (_(lang, "Customers who ordered"), "customers", n, whole),
        (_(lang, "New customers (N)"), "new_customers", n, whole),
        (_(lang, "Orders"), "orders", n, whole),
        (_(lang, "Revenue"), "revenue", m, lambda a, b: money_delta(a, b, currency, lang=lang)),
        (
            _(lang, "Average order value"),
            "aov",
            lambda v: fmt.money(v, currency, cents=True, lang=lang),
            lambda a, b: money_delta(a, b, currency, cents=True, lang=lang),
        ),
        (
            _(lang, "Purchase frequency"),
            "purchase_frequency",
            lambda v: "—" if v is None else _(lang, "{value} orders/customer", value=fmt.number(v, lang, 2)),
            lambda a, b: fmt.delta(a, b, unit="", decimals=2, lang=lang),
        ),
        (_(lang, "Repeat purchase rate"), "repeat_purchase_rate", p, pts),
        (_(lang, "Repeat revenue share"), "repeat_revenue_share", p, pts),
        (_(lang, "Pareto share (top 20%)"), "pareto_share", p, pts),
        (_(lang, "Historical CLV"), "historical_clv", m, lambda a, b: money_delta(a, b, currency, lang=lang)),
        (
            "NPS",
            "nps",
            lambda v: "—" if v is None else fmt.number(v, lang, 1),
            lambda a, b: fmt.delta(a, b, unit="", lang=lang),
        ),
        ("CSAT", "csat", p, pts),
        (
            _(lang, "CES (mean effort)"),
            "ces",
            lambda v: "—" if v is None else fmt.number(v, lang, 2),
            lambda a, b: fmt.delta(a, b, unit="", decimals=2, lang=lang),
        ),
    ]


def build_kpis_message(
    d: dict, title: str, currency: str, scope: str, freshness: str, lang: str = DEFAULT_LANGUAGE
) -> dict:
    prev = d["previous"]
    pairs = []
    for label, key, show, change in _rows(currency, lang):
        value = show(d[key])
        delta = change(d[key], prev[key])
        pairs.append((label, f"{value}  {delta}" if delta else value))
    note = new_note(d, lang)
    formula = crr_formula(d, lang)
    if note:
        formula = _(lang, "{formula} ({note})", formula=formula, note=note)
    explain = _n(
        lang,
        "{formula} · retained {retained}, reactivated {reactivated} · AOV = revenue/orders · "
        "frequency = orders/customers · CLV = revenue to date/{count} customer",
        "{formula} · retained {retained}, reactivated {reactivated} · AOV = revenue/orders · "
        "frequency = orders/customers · CLV = revenue to date/{count} customers",
        d["customers_to_date"],
        formula=formula,
        retained=fmt.count(d["retained"], lang),
        reactivated=fmt.count(d["reactivated"], lang),
        count=fmt.count(d["customers_to_date"], lang),
    )
    text = _n(
        lang,
        "{title}: CRR {crr}, churn {churn}, {count} order, {revenue} revenue, AOV {aov}, repeat purchase rate {repeat}",
        "{title}: CRR {crr}, churn {churn}, {count} orders, {revenue} revenue, AOV {aov}, "
        "repeat purchase rate {repeat}",
        d["orders"],
        title=title,
        crr=fmt.pct(d["crr"], lang=lang),
        churn=fmt.pct(d["churn_rate"], lang=lang),
        count=fmt.count(d["orders"], lang),
        revenue=fmt.money(d["revenue"], currency, lang=lang),
        aov=fmt.money(d["aov"], currency, cents=True, lang=lang),
        repeat=fmt.pct(d["repeat_purchase_rate"], lang=lang),
    )
    p = d["period"]
    changes = _(
        lang,
        "{span} · changes vs {period}{scope}",
        span=fmt.span(p, lang),
        period=fmt.period_label(prev["period"], lang),
        scope=scope,
    )
    return B.message(
        text,
        [
            B.header(title),
            *B.fields(pairs),
            B.context(explain),
            B.context(changes, freshness),
        ],
    )
