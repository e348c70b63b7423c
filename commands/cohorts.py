"""`/retention cohorts [months]`: monthly first-order cohorts and the share
of each that ordered in each later month, as a table and a heatmap."""

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.cohorts import compute_cohorts
from commands import blocks as B
from commands import format as fmt
from commands.charts import cohort_heatmap_png
from commands.core import Answer, Chart, Context, Request, UsageError, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import empty_store_message, read_inputs
from commands.parse import whole_number
from commands.tables import cell, fence

DEFAULT_MONTHS = 12
MAX_MONTHS = 18  # the widest table that fits one Slack section


@command(
    "cohorts",
    usage="cohorts [months]",
    summary=N_("Monthly cohorts heatmap: who keeps ordering (chart)"),
    slow=True,
    aliases=("cohort",),
)
def handle_cohorts(ctx: Context, req: Request) -> Answer:
    count = read_months(req.args, "cohorts")
    k = read_inputs(ctx, req)
    cal = ctx.calendar
    as_of_month = cal.month_index(ctx.as_of)
    partial = not cal.is_month_end(ctx.as_of)  # the month is not over yet
    c = compute_cohorts(k.frame, k.scope, ctx.settings["timezone"], k.cutoff, as_of_month, count, partial, cal)
    data = {"months": count, "as_of": ctx.as_of.isoformat(), **c.to_dict(), "m1_average": c.average(1)}
    lang = ctx.lang
    title = _(
        lang,
        "Monthly cohorts · {start} to {end}",
        start=fmt.month_label(c.months[0], cal, lang),
        end=fmt.month_label(c.months[-1], cal, lang),
    )
    if not k.has_orders:
        return Answer("cohorts", data, empty_store_message(title, lang))
    charts = []
    if sum(c.sizes):
        chart_title = _(lang, "{title}: % of each cohort ordering", title=title)
        png = cohort_heatmap_png(c.months, c.sizes, c.active, chart_title, lang)
        charts.append(Chart(f"cohorts-{ctx.as_of.isoformat()}.png", title, png))
    message = build_cohorts_message(data, title, k.scope_text, k.freshness(), cal, lang)
    return Answer("cohorts", data, message, charts=charts)


def read_months(args: list[str], command: str) -> int:
    if not args:
        return DEFAULT_MONTHS
    word = args[0].lower().removesuffix("months").removesuffix("m")
    months = whole_number(word, max_digits=3)
    if len(args) > 1 or months is None or not 2 <= months <= MAX_MONTHS:
        shown = B.clip(" ".join(args), 40)
        raise UsageError(
            "{asked}: give a number of months from {least} to {most}, e.g. {example}",
            command=command,
            asked=f"`{shown}`",
            least=2,
            most=MAX_MONTHS,
            example=f"`/retention {command} 6`",
        )
    return months


def build_cohorts_message(
    d: dict,
    title: str,
    scope: str,
    freshness: str,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    rows = d["cohorts"]
    n = len(rows)
    cohort, size = _(lang, "cohort"), _(lang, "size")
    # The size heading ends where the English "cohort    size" puts it.
    head = cell(cohort, max(len(cohort) + 1, 14 - len(size)), lang, left=True) + cell(size, len(size), lang) + "  "
    lines = [head + " ".join(cell(_(lang, "M{month}", month=fmt.digits(str(k), lang)), 4, lang) for k in range(n))]
    partial = d["partial_month"]
    for r in rows:
        cells = ["   —" if v is None else fmt.digits(f"{v:4.0f}", lang) for v in r["active_pct"]]
        if partial and cells and r["active_pct"][-1] is not None:
            cells[-1] = fmt.digits(f"{r['active_pct'][-1]:3.0f}~", lang)  # the as-of month, so far
        lines.append(f"{fmt.digits(r['cohort'], lang)}  {fmt.count(r['size'], lang):>6}  {' '.join(cells)}")
    table = fence(lines, lang)
    summary = ""
    if d["m1_average"] is not None:
        average = fmt.pct(d["m1_average"], lang=lang)
        if partial:
            summary = _(
                lang,
                "On average {share} of a cohort orders again in its second month (M1). {month} is not over yet: "
                "its cells (~) count the days so far and are left out.",
                share=average,
                month=fmt.month_label(partial, calendar, lang),
            )
        else:
            summary = _(lang, "On average {share} of a cohort orders again in its second month (M1).", share=average)
    sizes = _(lang, "; ").join(
        _n(
            lang,
            "{cohort} {count} customer",
            "{cohort} {count} customers",
            r["size"],
            cohort=fmt.month_label(r["cohort"], calendar, lang),
            count=fmt.count(r["size"], lang),
        )
        for r in rows[-3:]
    )
    if summary:
        text = _(lang, "{title}: {sizes}. {summary}", title=title, sizes=sizes, summary=summary)
    else:
        text = _(lang, "{title}: {sizes}", title=title, sizes=sizes)
    blocks = [B.header(title)]
    if summary:
        blocks.append(B.section(summary))
    if not any(r["size"] for r in rows):
        if n < MAX_MONTHS:
            empty = _(
                lang,
                "No customer placed a first order in these {count} months. Try {command}.",
                count=fmt.count(n, lang),
                command=f"`/retention cohorts {MAX_MONTHS}`",
            )
        else:
            empty = _(lang, "No customer placed a first order in these {count} months.", count=fmt.count(n, lang))
        blocks.append(B.section(empty))
    blocks.append(B.section(table))
    blocks.append(
        B.context(
            _(
                lang,
                "Rows: month of first paid order (cohort size). Columns: months since. Cells: % of the cohort "
                "with a paid order that month{scope}",
                scope=scope,
            ),
            freshness,
        )
    )
    return B.message(text, blocks)
