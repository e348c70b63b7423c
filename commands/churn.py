"""`/retention churn [period]`: who was active at the start and is not at the
end, as a rate with its figures, and the most valuable of them by name."""

from datetime import UTC, datetime

import numpy as np

from analytics.arrays import largest_first
from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.kpis import Bounds, compute_retention, customer_revenue, last_orders_before, retention_sets
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.crr import retention_data, window_note
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import KpiInputs, empty_store_message, read_inputs, read_period, vs
from storage.queries import load_customers_by_rowid

LOST_SHOWN = 10


@command("churn", usage="churn [period]", summary=N_("Churn rate and the biggest customers lost"))
def handle_churn(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "churn")
    k = read_inputs(ctx, req)
    b = Bounds.of(period, k.window, k.tz)
    s, e, n = retention_sets(k.frame, k.scope, b)
    previous = period.previous()
    prev = compute_retention(*retention_sets(k.frame, k.scope, Bounds.of(previous, k.window, k.tz)))
    data = retention_data(period, compute_retention(s, e, n), previous, prev, k.window)
    data["churned"] = data["S"] - data["retained"]
    data["lost"] = lost_customers(k, s & ~e, b.e_hi)
    lang = ctx.lang
    title = _(lang, "Churn · {period}", period=fmt.period_label(data["period"], lang))
    if not k.has_orders:
        return Answer("churn", data, empty_store_message(title, lang))
    return Answer(
        "churn",
        data,
        build_churn_message(data, title, ctx.display_currency, k.scope_text, k.freshness(), ctx.calendar, lang),
    )


def lost_customers(k: KpiInputs, lost: np.ndarray, hi: int) -> list[dict]:
    """The lost customers with the most revenue before `hi`, biggest first."""
    where = np.flatnonzero(lost)
    if not len(where):
        return []
    revenue = customer_revenue(k.frame, hi)
    top = where[largest_first(revenue[where], LOST_SHOWN)]
    last_orders = last_orders_before(k.frame, hi)
    names = load_customers_by_rowid(k.ctx.db, k.frame.rowid[top])
    out = []
    for pos in top:
        row = names[int(k.frame.rowid[pos])]
        last = datetime.fromtimestamp(int(last_orders[pos]), UTC).astimezone(k.tz).date()
        out.append(
            {
                "id": row["id"],
                "name": row["name"],
                "company": row["company"],
                "owner_rep_id": row["owner_rep_id"],
                "revenue": round(float(revenue[pos]), 2),
                "last_order": last.isoformat(),
            }
        )
    return out


def build_churn_message(
    d: dict,
    title: str,
    currency: str,
    scope: str,
    freshness: str,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    prev = d["previous"]
    rate = fmt.pct(d["churn_rate"], lang=lang)
    headline = _(lang, "*{rate}* churn rate", rate=rate)
    change = vs(
        d["churn_rate"],
        prev["churn_rate"],
        fmt.period_label(prev["period"], lang),
        fmt.pct(prev["churn_rate"], lang=lang),
        lang=lang,
    )
    if change:
        headline += f"  {change}"
    figures = {
        "S": fmt.count(d["S"], lang),
        "retained": fmt.count(d["retained"], lang),
        "lost": fmt.count(d["churned"], lang),
        "rate": rate,
    }
    if d["S"]:
        formula = _(lang, "Churn = (S − retained)/S = ({S} − {retained})/{S} = {rate}", **figures)
    else:
        formula = _(lang, "Churn = (S − retained)/S needs customers active at the start of the period; S = 0 here.")
    new = fmt.count(d["N"], lang)
    if d["N_active"] != d["N"]:
        new = _(lang, "{count} ({active} still active)", count=new, active=fmt.count(d["N_active"], lang))
    pairs = [
        (_(lang, "Active at start (S)"), figures["S"]),
        (_(lang, "Retained"), figures["retained"]),
        (_(lang, "Lost"), figures["lost"]),
        (_(lang, "Reactivated"), fmt.count(d["reactivated"], lang)),
        (_(lang, "New in period (N)"), new),
        ("CRR", fmt.pct(d["crr"], lang=lang)),
    ]
    blocks = [B.header(title), B.section(headline), *B.fields(pairs), B.section(formula)]
    if d["lost"]:
        lines = [_lost_line(c, currency, calendar, lang) for c in d["lost"]]
        hidden = d["churned"] - len(d["lost"])
        if hidden > 0:
            lines.append(
                _n(lang, "_…and {count} more lost_", "_…and {count} more lost_", hidden, count=fmt.count(hidden, lang))
            )
        blocks.append(
            B.section(
                _n(
                    lang,
                    "*Biggest customers lost* (no paid order in the last {days} day of the period)",
                    "*Biggest customers lost* (no paid order in the last {days} days of the period)",
                    d["activity_window"],
                    days=fmt.count(d["activity_window"], lang),
                )
            )
        )
        blocks += B.lines_section(lines)
    blocks.append(B.context(window_note(d, scope, lang), freshness))
    text = _n(
        lang,
        "{title}: churn {rate} = (S {S} − retained {retained}) / S {S}; {lost} lost",
        "{title}: churn {rate} = (S {S} − retained {retained}) / S {S}; {lost} lost",
        d["churned"],
        title=title,
        **figures,
    )
    return B.message(text, blocks)


def _lost_line(c: dict, currency: str, calendar: Calendar, lang: str) -> str:
    values = {
        "who": B.customer_label(c["name"], c["company"], c["id"]),
        "revenue": fmt.money(c["revenue"], currency, lang=lang),
        "day": fmt.day(c["last_order"], UTC, calendar, lang),
    }
    if c["owner_rep_id"]:
        return _(lang, "• {who} — {revenue} · last order {day} · {owner}", owner=B.mention(c["owner_rep_id"]), **values)
    return _(lang, "• {who} — {revenue} · last order {day}", **values)
