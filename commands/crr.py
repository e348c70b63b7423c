"""`/retention crr [period]`: customer retention rate, with the E, N and S
behind it and the retained/reactivated split that keeps it honest."""

from analytics.kpis import Retention, compute_period_retention
from analytics.periods import Period
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import empty_store_message, read_inputs, read_period, vs


@command("crr", usage="crr [period]", summary=N_("Customer retention rate (E − N)/S, with E, N and S behind it"))
def handle_crr(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "crr")
    k = read_inputs(ctx, req)
    previous = period.previous()
    data = retention_data(
        period,
        compute_period_retention(k.frame, k.scope, period, k.window, k.tz),
        previous,
        compute_period_retention(k.frame, k.scope, previous, k.window, k.tz),
        k.window,
    )
    lang = ctx.lang
    title = _(lang, "Customer retention · {period}", period=fmt.period_label(data["period"], lang))
    if not k.has_orders:
        return Answer("crr", data, empty_store_message(title, lang))
    return Answer("crr", data, build_crr_message(data, title, k.scope_text, k.freshness(), lang))


def retention_data(period: Period, cur: Retention, previous: Period, prev: Retention, window: int) -> dict:
    """The JSON result of `crr` and `churn`: numbers only, rates in percent."""
    return {
        "period": period.to_dict(),
        **cur.to_dict(),
        "activity_window": window,
        "previous": {"period": previous.to_dict(), **prev.to_dict()},
    }


def crr_formula(d: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """`CRR = (E − N)/S = (1,211 − 40)/1,300 = 90.1%`: the one way every
    answer writes it. N in the formula is the new customers still active at
    the end (N_active), who are the ones E counts; when some new customers
    already lapsed, the formula says so and `new_note` says why."""
    if not d["S"]:
        return _(lang, "CRR = (E − N)/S needs customers active at the start of the period; S = 0 here.")
    values = formula_figures(d, lang)
    if d["N_active"] == d["N"]:
        return _(lang, "CRR = (E − N)/S = ({E} − {N})/{S} = {crr}", **values)
    return _(lang, "CRR = (E − N still active)/S = ({E} − {N})/{S} = {crr}", **values)


def formula_figures(d: dict, lang: str) -> dict[str, str]:
    return {
        "E": fmt.count(d["E"], lang),
        "N": fmt.count(d["N_active"], lang),
        "S": fmt.count(d["S"], lang),
        "crr": fmt.pct(d["crr"], lang=lang),
    }


def crr_equation(d: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """The short form: `(E 1,211 − N 40) / S 1,300 = 90.1%`."""
    if not d["S"]:
        return _(lang, "S = 0: no customer was active at the start")
    if d["N_active"] == d["N"]:
        return _(lang, "(E {E} − N {N}) / S {S} = {crr}", **formula_figures(d, lang))
    return _(lang, "(E {E} − N still active {N}) / S {S} = {crr}", **formula_figures(d, lang))


def new_note(d: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """Why N (new in the period) and the N the formula takes differ, or ""."""
    lapsed = d["N"] - d["N_active"]
    if lapsed <= 0:
        return ""
    values = {
        "new": fmt.count(d["N"], lang),
        "lapsed": fmt.count(lapsed, lang),
        "active": fmt.count(d["N_active"], lang),
    }
    if d["N"] == 1:
        return _(
            lang,
            "{new} new customer in the period; {lapsed} of them lapsed again before its end, so E does not "
            "count that one and the formula subtracts only the {active} still active",
            **values,
        )
    return _n(
        lang,
        "{new} new customers in the period; {lapsed} of them lapsed again before its end, so E does not "
        "count that one and the formula subtracts only the {active} still active",
        "{new} new customers in the period; {lapsed} of them lapsed again before its end, so E does not "
        "count them and the formula subtracts only the {active} still active",
        lapsed,
        **values,
    )


def window_note(d: dict, scope: str, lang: str = DEFAULT_LANGUAGE) -> str:
    p = d["period"]
    return _(
        lang,
        "{span} · active = a paid order in the {days} days before{scope}",
        span=fmt.span(p, lang),
        days=fmt.count(d["activity_window"], lang),
        scope=scope,
    )


def build_crr_message(d: dict, title: str, scope: str, freshness: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    prev = d["previous"]
    headline = _(lang, "*{rate}* customer retention rate", rate=fmt.pct(d["crr"], lang=lang))
    change = vs(
        d["crr"],
        prev["crr"],
        fmt.period_label(prev["period"], lang),
        fmt.pct(prev["crr"], lang=lang),
        lang=lang,
    )
    if change:
        headline += f"  {change}"
    retained_share = fmt.pct(d["retained"] / d["S"] * 100 if d["S"] else None, lang=lang)
    new = fmt.count(d["N"], lang)
    if d["N_active"] != d["N"]:
        new = _(lang, "{count} ({active} still active)", count=new, active=fmt.count(d["N_active"], lang))
    pairs = [
        (_(lang, "Active at start (S)"), fmt.count(d["S"], lang)),
        (_(lang, "Active at end (E)"), fmt.count(d["E"], lang)),
        (_(lang, "New in period (N)"), new),
        (
            _(lang, "Retained (S ∩ E)"),
            _(lang, "{count} ({share} of S)", count=fmt.count(d["retained"], lang), share=retained_share),
        ),
        (_(lang, "Reactivated"), fmt.count(d["reactivated"], lang)),
        (_(lang, "Churn rate"), fmt.pct(d["churn_rate"], lang=lang)),
    ]
    why = ""
    if d["S"] and d["reactivated"]:
        reactivated = _(
            lang,
            "E includes {count} reactivated customers (inactive at the start, back by the end), so CRR can be "
            "above the share retained ({share}).",
            count=fmt.count(d["reactivated"], lang),
            share=retained_share,
        )
        why = f"\n_{reactivated}_"
    note = new_note(d, lang)
    if note:
        why += f"\n_{note}._"
    text = _(
        lang,
        "{title}: CRR {equation}; retained {retained}, reactivated {reactivated}, churn {churn}",
        title=title,
        equation=crr_equation(d, lang),
        retained=fmt.count(d["retained"], lang),
        reactivated=fmt.count(d["reactivated"], lang),
        churn=fmt.pct(d["churn_rate"], lang=lang),
    )
    return B.message(
        text,
        [
            B.header(title),
            B.section(headline),
            *B.fields(pairs),
            B.section(crr_formula(d, lang) + why),
            B.context(window_note(d, scope, lang), freshness),
        ],
    )
