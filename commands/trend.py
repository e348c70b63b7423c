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
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import empty_store_message, read_inputs
from commands.tables import cell, fence, widths

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
    lang = ctx.lang
    cal = ctx.calendar
    title = _(
        lang,
        "Retention trend · {start} to {end}",
        start=fmt.month_label(points[0].month, cal, lang),
        end=fmt.month_label(points[-1].month, cal, lang),
    )
    if not k.has_orders:
        return Answer("trend", data, empty_store_message(title, lang))
    currency = ctx.display_currency
    png = trend_png(
        [p.month for p in points],
        [p.crr for p in points],
        [p.churn_rate for p in points],
        [p.revenue for p in points],
        title,
        currency,
        lang,
    )
    chart = Chart(f"trend-{ctx.as_of.isoformat()}.png", title, png)
    return Answer(
        "trend",
        data,
        build_trend_message(data, title, currency, k.scope_text, k.freshness(), cal, lang),
        charts=[chart],
    )


def build_trend_message(
    d: dict,
    title: str,
    currency: str,
    scope: str,
    freshness: str,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    head = [_(lang, "month"), "CRR", _(lang, "churn"), "S", "E", "N", _(lang, "N act"), _(lang, "revenue")]
    rows = [head]
    for p in d["months"]:
        month = fmt.digits(p["month"], lang) + ("~" if p["to_date"] else "")
        cells = [
            month,
            fmt.pct(p["crr"], lang=lang),
            fmt.pct(p["churn_rate"], lang=lang),
            *(fmt.count(p[key], lang) for key in ("S", "E", "N", "N_active")),
            fmt.money(p["revenue"], currency, lang=lang),
        ]
        rows.append(cells)
    sizes = widths(rows, (8, 7, 7, 7, 7, 6, 6, 12))
    lines = [_row(row, sizes, lang) for row in rows]
    last = d["months"][-1]
    values = {
        "title": title,
        "month": fmt.month_label(last["month"], calendar, lang),
        "crr": fmt.pct(last["crr"], lang=lang),
        "churn": fmt.pct(last["churn_rate"], lang=lang),
        "revenue": fmt.money(last["revenue"], currency, lang=lang),
    }
    if last["to_date"]:
        text = _(lang, "{title}: latest month {month} to date CRR {crr}, churn {churn}, revenue {revenue}", **values)
    else:
        text = _(lang, "{title}: latest month {month} CRR {crr}, churn {churn}, revenue {revenue}", **values)
    window = {"days": fmt.count(d["activity_window"], lang), "scope": scope}
    if last["to_date"]:
        note = _n(
            lang,
            "~ {month} to date ({day}): the days so far, not a whole month · Each month: CRR = (E − N)/S with N "
            "the new customers still active at its end (N act), active = a paid order in the {days} day before{scope}",
            "~ {month} to date ({day}): the days so far, not a whole month · Each month: CRR = (E − N)/S with N "
            "the new customers still active at its end (N act), active = a paid order in the {days} days before{scope}",
            d["activity_window"],
            month=values["month"],
            day=fmt.day(last["end"], UTC, calendar, lang),
            **window,
        )
    else:
        note = _n(
            lang,
            "Each month: CRR = (E − N)/S with N the new customers still active at its end (N act), "
            "active = a paid order in the {days} day before{scope}",
            "Each month: CRR = (E − N)/S with N the new customers still active at its end (N act), "
            "active = a paid order in the {days} days before{scope}",
            d["activity_window"],
            **window,
        )
    return B.message(
        text,
        [
            B.header(title),
            B.section(fence(lines, lang)),
            B.context(note, freshness),
        ],
    )


def _row(cells: list[str], sizes: tuple[int, ...], lang: str) -> str:
    """One table line: the month left-aligned, the figures right-aligned."""
    return " ".join(cell(c, w, lang, left=i == 0) for i, (c, w) in enumerate(zip(cells, sizes, strict=True)))
