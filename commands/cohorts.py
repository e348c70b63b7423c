"""`/retention cohorts [months]`: monthly first-order cohorts and the share
of each that ordered in each later month, as a table and a heatmap."""

from analytics.cohorts import compute_cohorts
from commands import blocks as B
from commands import format as fmt
from commands.charts import cohort_heatmap_png
from commands.core import Answer, Chart, Context, Request, UsageError, command
from commands.i18n import N_
from commands.kpi_inputs import empty_store_message, read_inputs
from commands.parse import whole_number

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
    title = f"Monthly cohorts · {c.months[0]} to {c.months[-1]}"
    if not k.has_orders:
        return Answer("cohorts", data, empty_store_message(title))
    charts = []
    if sum(c.sizes):
        png = cohort_heatmap_png(c.months, c.sizes, c.active, f"{title}: % of each cohort ordering")
        charts.append(Chart(f"cohorts-{ctx.as_of.isoformat()}.png", title, png))
    return Answer("cohorts", data, build_cohorts_message(data, title, k.scope_text, k.freshness()), charts=charts)


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


def build_cohorts_message(d: dict, title: str, scope: str, freshness: str) -> dict:
    rows = d["cohorts"]
    n = len(rows)
    head = "cohort    size  " + " ".join(f"{f'M{k}':>4}" for k in range(n))
    lines = [head]
    partial = d["partial_month"]
    for r in rows:
        cells = ["   —" if v is None else f"{v:4.0f}" for v in r["active_pct"]]
        if partial and cells and r["active_pct"][-1] is not None:
            cells[-1] = f"{r['active_pct'][-1]:3.0f}~"  # the as-of month, so far
        lines.append(f"{r['cohort']}  {r['size']:>6,}  {' '.join(cells)}")
    table = "```\n" + "\n".join(lines) + "\n```"
    summary = ""
    if d["m1_average"] is not None:
        summary = f"On average {d['m1_average']:.1f}% of a cohort orders again in its second month (M1)."
        if partial:
            summary += f" {partial} is not over yet: its cells (~) count the days so far and are left out."
    text = (
        f"{title}: "
        + "; ".join(f"{r['cohort']} {fmt.plural(r['size'], 'customer')}" for r in rows[-3:])
        + (f". {summary}" if summary else "")
    )
    blocks = [B.header(title)]
    if summary:
        blocks.append(B.section(summary))
    if not any(r["size"] for r in rows):
        longer = f" Try `/retention cohorts {MAX_MONTHS}`." if n < MAX_MONTHS else ""
        blocks.append(B.section(f"No customer placed a first order in these {n} months.{longer}"))
    blocks.append(B.section(table))
    blocks.append(
        B.context(
            "Rows: month of first paid order (cohort size). Columns: months since. Cells: % of the cohort "
            f"with a paid order that month{scope}",
            freshness,
        )
    )
    return B.message(text, blocks)
