"""`/retention nps [period]`: Net Promoter Score, CSAT and CES from the
survey answers submitted in the period, with their counts."""

from analytics.kpis import compute_feedback
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.frames import feedback_counts
from commands.i18n import N_
from commands.kpi_inputs import empty_store_message, period_utc, read_inputs, read_period, vs

NO_ANSWERS = "No survey answers in this period — import them with `retention-bot import feedback FILE`."


@command("nps", usage="nps [period]", summary=N_("NPS, CSAT and CES from survey answers"), aliases=("csat", "ces"))
def handle_nps(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "nps")
    k = read_inputs(ctx, req)
    previous = period.previous()
    cur = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(period, k.tz)))
    prev = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(previous, k.tz)))
    data = {"period": period.to_dict(), **cur.to_dict(), "previous": {"period": previous.to_dict(), **prev.to_dict()}}
    title = f"Customer feedback · {period.label}"
    if not k.has_orders and not (cur.nps_responses + cur.csat_responses + cur.ces_responses):
        return Answer("nps", data, empty_store_message(title))
    return Answer("nps", data, build_nps_message(data, title, k.scope_text, k.freshness()))


def _share(part: int, whole: int) -> str:
    return fmt.pct(part / whole * 100 if whole else None)


def build_nps_message(d: dict, title: str, scope: str, freshness: str) -> dict:
    prev = d["previous"]
    p = d["period"]
    note = B.context(f"{fmt.span(p)}{scope}", freshness)
    answers = d["nps_responses"] + d["csat_responses"] + d["ces_responses"]
    if not answers:
        return B.message(f"{title}: no survey answers", [B.header(title), B.section(NO_ANSWERS), note])
    blocks = [B.header(title)]
    if d["nps_responses"]:
        n = d["nps_responses"]
        headline = f"*NPS {d['nps']:.1f}*"
        change = vs(
            d["nps"],
            prev["nps"],
            prev["period"]["label"],
            "—" if prev["nps"] is None else f"{prev['nps']:.1f}",
            unit="",
        )
        if change:
            headline += f"  {change}"
        # Counts, not rounded shares, so the line adds up as written.
        blocks.append(
            B.section(
                f"{headline}\nNPS = (promoters − detractors)/answers × 100 = ({d['promoters']:,} − "
                f"{d['detractors']:,})/{n:,} × 100 = {d['nps']:.1f}"
            )
        )
        blocks += B.fields(
            [
                ("Promoters (9–10)", f"{d['promoters']:,} ({_share(d['promoters'], n)})"),
                ("Passives (7–8)", f"{d['passives']:,} ({_share(d['passives'], n)})"),
                ("Detractors (0–6)", f"{d['detractors']:,} ({_share(d['detractors'], n)})"),
                ("Answers", f"{n:,}"),
            ]
        )
    else:
        blocks.append(B.section("No NPS answers in this period."))
    more = []
    if d["csat_responses"]:
        change = fmt.delta(d["csat"], prev["csat"])
        more.append(
            (
                "CSAT (% answering 4–5 of 5)",
                f"{fmt.pct(d['csat'])} of {d['csat_responses']:,}" + (f"  {change}" if change else ""),
            )
        )
    if d["ces_responses"]:
        change = fmt.delta(d["ces"], prev["ces"], unit="", decimals=2)
        more.append(
            (
                "CES (mean effort, lower is easier)",
                f"{d['ces']:.2f} from {d['ces_responses']:,}" + (f"  {change}" if change else ""),
            )
        )
    blocks += B.fields(more)
    blocks.append(note)
    nps_text = (
        f"NPS {d['nps']:.1f} from {fmt.plural(d['nps_responses'], 'answer')}"
        if d["nps_responses"]
        else "no NPS answers"
    )
    ces = "—" if d["ces"] is None else f"{d['ces']:.2f}"
    text = f"{title}: {nps_text}; CSAT {fmt.pct(d['csat'])}; CES {ces}"
    return B.message(text, blocks)
