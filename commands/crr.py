"""`/retention crr [period]`: customer retention rate, with the E, N and S
behind it and the retained/reactivated split that keeps it honest."""

from analytics.kpis import Retention, compute_period_retention
from analytics.periods import Period
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.kpi_inputs import empty_store_message, read_inputs, read_period, vs


@command("crr", usage="crr [period]", summary="Customer retention rate (E − N)/S, with E, N and S behind it")
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
    """`CRR = (E − N)/S = (1,211 − 40)/1,300 = 90.1%`: the one way every
    answer writes it. N in the formula is the new customers still active at
    the end (N_active), who are the ones E counts; when some new customers
    already lapsed, the formula says so and `new_note` says why."""
    if not d["S"]:
        return "CRR = (E − N)/S needs customers active at the start of the period; S = 0 here."
    n = "N" if d["N_active"] == d["N"] else "N still active"
    return f"CRR = (E − {n})/S = ({d['E']:,} − {d['N_active']:,})/{d['S']:,} = {fmt.pct(d['crr'])}"


def crr_equation(d: dict) -> str:
    """The short form: `(E 1,211 − N 40) / S 1,300 = 90.1%`."""
    if not d["S"]:
        return "S = 0: no customer was active at the start"
    n = "N" if d["N_active"] == d["N"] else "N still active"
    return f"(E {d['E']:,} − {n} {d['N_active']:,}) / S {d['S']:,} = {fmt.pct(d['crr'])}"


def new_note(d: dict) -> str:
    """Why N (new in the period) and the N the formula takes differ, or ""."""
    lapsed = d["N"] - d["N_active"]
    if lapsed <= 0:
        return ""
    return (
        f"{fmt.plural(d['N'], 'new customer')} in the period; {lapsed:,} of them lapsed again before "
        f"its end, so E does not count {'that one' if lapsed == 1 else 'them'} and the formula subtracts "
        f"only the {d['N_active']:,} still active"
    )


def window_note(d: dict, scope: str) -> str:
    p = d["period"]
    return f"{fmt.span(p)} · active = a paid order in the {d['activity_window']} days before{scope}"


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
        (
            "New in period (N)",
            fmt.count(d["N"]) + (f" ({d['N_active']:,} still active)" if d["N_active"] != d["N"] else ""),
        ),
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
    if new_note(d):
        why += f"\n_{new_note(d)}._"
    text = (
        f"{title}: CRR {crr_equation(d)}; "
        f"retained {d['retained']:,}, reactivated {d['reactivated']:,}, churn {fmt.pct(d['churn_rate'])}"
    )
    return B.message(
        text,
        [
            B.header(title),
            B.section(headline),
            *B.fields(pairs),
            B.section(crr_formula(d) + why),
            B.context(window_note(d, scope), freshness),
        ],
    )
