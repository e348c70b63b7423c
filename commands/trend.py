"""`/retention trend [months]`: CRR, churn rate and revenue month by month,
as a table and a chart."""

from datetime import UTC

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.trend import compute_trend
from commands import blocks as B
from commands import format as fmt
from commands.charts import trend_png
from commands.cohorts import read_months
from commands.core import Answer, Chart, Context, Request, command
from commands.i18n import N_
from commands.kpi_inputs import empty_store_message, read_inputs

DEFAULT_MONTHS = 12


@command(
    "trend",
    usage="trend [months]",
    summary=N_("CRR, churn and revenue month by month (chart)"),
    slow=True,
    aliases=("chart",),
)
def handle_trend(ctx: Context, req: Request) -> Answer:
    months = read_months(req.args, "trend") if req.args else DEFAULT_MONTHS
    k = read_inputs(ctx, req)
    points = compute_trend(k.frame, k.scope, ctx.as_of, months, k.window, k.tz, ctx.calendar)
    data = {"activity_window": k.window, "months": [p.to_dict() for p in points]}
    title = f"Retention trend · {points[0].month} to {points[-1].month}"
    if not k.has_orders:
        return Answer("trend", data, empty_store_message(title))
    png = trend_png(
        [p.month for p in points],
        [p.crr for p in points],
        [p.churn_rate for p in points],
        [p.revenue for p in points],
        title,
        ctx.currency,
    )
    chart = Chart(f"trend-{ctx.as_of.isoformat()}.png", title, png)
    return Answer(
        "trend",
        data,
        build_trend_message(data, title, ctx.currency, k.scope_text, k.freshness(), ctx.calendar),
        charts=[chart],
    )


def build_trend_message(
    d: dict, title: str, currency: str, scope: str, freshness: str, calendar: Calendar = GREGORIAN_CALENDAR
) -> dict:
    lines = [f"{'month':<8} {'CRR':>7} {'churn':>7} {'S':>7} {'E':>7} {'N':>6} {'N act':>6} {'revenue':>12}"]
    for p in d["months"]:
        month = p["month"] + ("~" if p["to_date"] else "")
        lines.append(
            f"{month:<8} {fmt.pct(p['crr']):>7} {fmt.pct(p['churn_rate']):>7} {p['S']:>7,} {p['E']:>7,} "
            f"{p['N']:>6,} {p['N_active']:>6,} {fmt.money(p['revenue'], currency):>12}"
        )
    last = d["months"][-1]
    latest = f"{last['month']} to date" if last["to_date"] else last["month"]
    text = (
        f"{title}: latest month {latest} CRR {fmt.pct(last['crr'])}, churn {fmt.pct(last['churn_rate'])}, "
        f"revenue {fmt.money(last['revenue'], currency)}"
    )
    partial = (
        f"~ {last['month']} to date ({fmt.day(last['end'], UTC, calendar)}): the days so far, not a whole month · "
        if last["to_date"]
        else ""
    )
    return B.message(
        text,
        [
            B.header(title),
            B.section("```\n" + "\n".join(lines) + "\n```"),
            B.context(
                f"{partial}Each month: CRR = (E − N)/S with N the new customers still active at its end "
                f"(N act), active = a paid order in the {d['activity_window']} days before{scope}",
                freshness,
            ),
        ],
    )
