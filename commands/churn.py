"""`/retention churn [period]`: who was active at the start and is not at the
end, as a rate with its figures, and the most valuable of them by name."""

from datetime import UTC, datetime

import numpy as np

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.kpis import Bounds, compute_retention, customer_revenue, last_orders_before, retention_sets
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.crr import retention_data, window_note
from commands.i18n import N_
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
    title = f"Churn · {period.label}"
    if not k.has_orders:
        return Answer("churn", data, empty_store_message(title))
    return Answer(
        "churn", data, build_churn_message(data, title, ctx.currency, k.scope_text, k.freshness(), ctx.calendar)
    )


def lost_customers(k: KpiInputs, lost: np.ndarray, hi: int) -> list[dict]:
    """The lost customers with the most revenue before `hi`, biggest first."""
    where = np.flatnonzero(lost)
    if not len(where):
        return []
    revenue = customer_revenue(k.frame, hi)
    top = where[np.argsort(-revenue[where], kind="stable")[:LOST_SHOWN]]
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
    d: dict, title: str, currency: str, scope: str, freshness: str, calendar: Calendar = GREGORIAN_CALENDAR
) -> dict:
    prev = d["previous"]
    headline = f"*{fmt.pct(d['churn_rate'])}* churn rate"
    change = vs(d["churn_rate"], prev["churn_rate"], prev["period"]["label"], fmt.pct(prev["churn_rate"]))
    if change:
        headline += f"  {change}"
    if d["S"]:
        formula = f"Churn = (S − retained)/S = ({d['S']:,} − {d['retained']:,})/{d['S']:,} = {fmt.pct(d['churn_rate'])}"
    else:
        formula = "Churn = (S − retained)/S needs customers active at the start of the period; S = 0 here."
    pairs = [
        ("Active at start (S)", fmt.count(d["S"])),
        ("Retained", fmt.count(d["retained"])),
        ("Lost", fmt.count(d["churned"])),
        ("Reactivated", fmt.count(d["reactivated"])),
        (
            "New in period (N)",
            fmt.count(d["N"]) + (f" ({d['N_active']:,} still active)" if d["N_active"] != d["N"] else ""),
        ),
        ("CRR", fmt.pct(d["crr"])),
    ]
    blocks = [B.header(title), B.section(headline), *B.fields(pairs), B.section(formula)]
    if d["lost"]:
        lines = [
            f"• {B.customer_label(c['name'], c['company'], c['id'])}"
            f" — {fmt.money(c['revenue'], currency)} · last order {fmt.day(c['last_order'], UTC, calendar)}"
            + (f" · {B.mention(c['owner_rep_id'])}" if c["owner_rep_id"] else "")
            for c in d["lost"]
        ]
        hidden = d["churned"] - len(d["lost"])
        if hidden > 0:
            lines.append(B.and_more(hidden, "more lost"))
        blocks.append(
            B.section(f"*Biggest customers lost* (no paid order in the last {d['activity_window']} days of the period)")
        )
        blocks += B.lines_section(lines)
    blocks.append(B.context(window_note(d, scope), freshness))
    text = (
        f"{title}: churn {fmt.pct(d['churn_rate'])} = (S {d['S']:,} − retained {d['retained']:,}) / S {d['S']:,}; "
        f"{d['churned']:,} lost"
    )
    return B.message(text, blocks)
