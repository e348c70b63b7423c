"""`/retention crr [period]`: customer retention rate, with the E, N and S
behind it and the retained/reactivated split that keeps it honest."""

from analytics.kpis import Retention, compute_period_retention
from analytics.periods import Period
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.kpi_inputs import empty_store_message, read_inputs, read_period, vs


@command("crr", usage="crr [period]", summary="Customer retention rate (E − N)/S, with E, N and S")
def handle_crr(ctx: Context, req: Request) -> Answer:
    period = read_period(ctx, req.args, "crr")
    k = read_inputs(ctx, req)
    previous = period.previous()
    data = retention_data(
        period, compute_period_retention(k.frame, k.scope, period, k.window, k.tz),
        previous, compute_period_retention(k.frame, k.scope, previous, k.window, k.tz), k.window,
    )
    title = f"Customer retention · {period.label}"
    if not k.has_orders:
        return Answer("crr", data, empty_store_message(title))
    return Answer("crr", data, build_crr_message(data, title, k.scope_text, k.freshness()))


def retention_data(period: Period, cur: Retention, previous: Period, prev: Retention, window: int) -> dict:
    """The JSON result of `crr` and `churn`: numbers only, rates in percent."""
    return {
        "period": period.to_dict(),
        **cur.to_dict(),
        "activity_window": window,
        "previous": {"period": previous.to_dict(), **prev.to_dict()},
    }


def crr_formula(d: dict) -> str:
    if not d["S"]:
        return "CRR = (E − N)/S needs customers active at the start of the period; S = 0 here."
    return (
        f"CRR = (E − N)/S = ({d['E']:,} − {d['N']:,})/{d['S']:,} = {fmt.pct(d['crr'])}"
    )


def window_note(d: dict, scope: str) -> str:
    p = d["period"]
    return (
        f"{p['start']} → {p['end']} · active = a paid order in the {d['activity_window']} days "
        f"before{scope}"
    )


def build_crr_message(d: dict, title: str, scope: str, freshness: str) -> dict:
    prev = d["previous"]
    headline = f"*{fmt.pct(d['crr'])}* customer retention rate"
    change = vs(d["crr"], prev["crr"], prev["period"]["label"], fmt.pct(prev["crr"]))
    if change:
        headline += f"  {change}"
    retained_share = fmt.pct(d["retained"] / d["S"] * 100 if d["S"] else None)
    pairs = [
        ("Active at start (S)", fmt.count(d["S"])),
        ("Active at end (E)", fmt.count(d["E"])),
        ("New in period (N)", fmt.count(d["N"])),
        ("Retained (S ∩ E)", f"{fmt.count(d['retained'])} ({retained_share} of S)"),
        ("Reactivated", fmt.count(d["reactivated"])),
        ("Churn rate", fmt.pct(d["churn_rate"])),
    ]
    why = ""
    if d["S"] and d["reactivated"]:
        why = (
            f"\n_E includes {d['reactivated']:,} reactivated customers (inactive at the start, back by the "
            f"end), so CRR can be above the share retained ({retained_share})._"
        )
    text = (
        f"{title}: CRR {fmt.pct(d['crr'])} = (E {d['E']:,} − N {d['N']:,}) / S {d['S']:,}; "
        f"retained {d['retained']:,}, reactivated {d['reactivated']:,}, churn {fmt.pct(d['churn_rate'])}"
    )
    return B.message(text, [
        B.header(title),
        B.section(headline),
        *B.fields(pairs),
        B.section(crr_formula(d) + why),
        B.context(window_note(d, scope), freshness),
    ])
