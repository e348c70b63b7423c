"""`/retention nps [period]`: Net Promoter Score, CSAT and CES from the
survey answers submitted in the period, with their counts."""

from analytics.kpis import compute_feedback
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.frames import feedback_counts
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import empty_store_message, period_utc, read_inputs, read_period, vs


@command("nps", usage="nps [period]", summary=N_("NPS, CSAT and CES from survey answers"), aliases=("csat", "ces"))
def handle_nps(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "nps")
    k = read_inputs(ctx, req)
    previous = period.previous()
    cur = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(period, k.tz)))
    prev = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(previous, k.tz)))
    data = {"period": period.to_dict(), **cur.to_dict(), "previous": {"period": previous.to_dict(), **prev.to_dict()}}
    lang = ctx.lang
    title = _(lang, "Customer feedback · {period}", period=fmt.period_label(data["period"], lang))
    if not k.has_orders and not (cur.nps_responses + cur.csat_responses + cur.ces_responses):
        return Answer("nps", data, empty_store_message(title, lang))
    return Answer("nps", data, build_nps_message(data, title, k.scope_text, k.freshness(), lang))


def _share(part: int, whole: int, lang: str) -> str:
    return fmt.pct(part / whole * 100 if whole else None, lang=lang)


def _score(value: float | None, decimals: int, lang: str) -> str:
    """NPS (one decimal) or CES (two), "—" when there is none."""
    return "—" if value is None else fmt.number(value, lang, decimals)


def build_nps_message(d: dict, title: str, scope: str, freshness: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    prev = d["previous"]
    p = d["period"]
    note = B.context(f"{fmt.span(p, lang)}{scope}", freshness)
    answers = d["nps_responses"] + d["csat_responses"] + d["ces_responses"]
    if not answers:
        return B.message(
            _(lang, "{title}: no survey answers", title=title),
            [
                B.header(title),
                B.section(
                    _(
                        lang,
                        "No survey answers in this period — import them with {command}.",
                        command="`retention-bot import feedback FILE`",
                    )
                ),
                note,
            ],
        )
    blocks = [B.header(title)]
    n = d["nps_responses"]
    if n:
        nps = _score(d["nps"], 1, lang)
        headline = _(lang, "*NPS {nps}*", nps=nps)
        change = vs(
            d["nps"],
            prev["nps"],
            fmt.period_label(prev["period"], lang),
            _score(prev["nps"], 1, lang),
            unit="",
            lang=lang,
        )
        if change:
            headline += f"  {change}"
        # Counts, not rounded shares, so the line adds up as written.
        formula = _(
            lang,
            "NPS = (promoters − detractors)/answers × 100 = ({promoters} − {detractors})/{answers} × 100 = {nps}",
            promoters=fmt.count(d["promoters"], lang),
            detractors=fmt.count(d["detractors"], lang),
            answers=fmt.count(n, lang),
            nps=nps,
        )
        blocks.append(B.section(f"{headline}\n{formula}"))
        blocks += B.fields(
            [
                (_(lang, label), f"{fmt.count(d[key], lang)} ({_share(d[key], n, lang)})")
                for label, key in (
                    (N_("Promoters (9–10)"), "promoters"),
                    (N_("Passives (7–8)"), "passives"),
                    (N_("Detractors (0–6)"), "detractors"),
                )
            ]
            + [(_(lang, "Answers"), fmt.count(n, lang))]
        )
    else:
        blocks.append(B.section(_(lang, "No NPS answers in this period.")))
    more = []
    if d["csat_responses"]:
        change = fmt.delta(d["csat"], prev["csat"], lang=lang)
        shown = _(
            lang, "{score} of {count}", score=fmt.pct(d["csat"], lang=lang), count=fmt.count(d["csat_responses"], lang)
        )
        more.append((_(lang, "CSAT (% answering 4–5 of 5)"), shown + (f"  {change}" if change else "")))
    if d["ces_responses"]:
        change = fmt.delta(d["ces"], prev["ces"], unit="", decimals=2, lang=lang)
        shown = _(
            lang, "{score} from {count}", score=_score(d["ces"], 2, lang), count=fmt.count(d["ces_responses"], lang)
        )
        more.append((_(lang, "CES (mean effort, lower is easier)"), shown + (f"  {change}" if change else "")))
    blocks += B.fields(more)
    blocks.append(note)
    values = {"title": title, "csat": fmt.pct(d["csat"], lang=lang), "ces": _score(d["ces"], 2, lang)}
    if n:
        text = _n(
            lang,
            "{title}: NPS {nps} from {count} answer; CSAT {csat}; CES {ces}",
            "{title}: NPS {nps} from {count} answers; CSAT {csat}; CES {ces}",
            n,
            nps=_score(d["nps"], 1, lang),
            count=fmt.count(n, lang),
            **values,
        )
    else:
        text = _(lang, "{title}: no NPS answers; CSAT {csat}; CES {ces}", **values)
    return B.message(text, blocks)
