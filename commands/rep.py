"""`/retention rep [@user]`: a rep's book — customers owned, active now,
revenue, last quarter's CRR of the book, open follow-ups. Without a user:
your own book if you are a rep, else the whole team side by side."""

from dataclasses import dataclass
from datetime import timedelta, tzinfo

import numpy as np

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.kpis import (
    Bounds,
    Scope,
    active_at,
    compute_retention,
    customer_revenue,
    day_bound,
    retention_sets,
)
from analytics.periods import Period, parse_period
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.crr import formula_figures
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.kpi_inputs import KpiInputs, empty_store_message, read_inputs, rep_positions
from commands.rep_names import rep_named, rep_resolver
from commands.value_parts import state_name
from storage.followups import load_followups
from storage.queries import Filters
from storage.reps import load_rep, load_rep_books

FOLLOWUPS_SHOWN = 5
REPS_SHOWN = 40
BOOK_PERIOD = "last-quarter"


@command(
    "rep",
    usage="rep [@user]",
    summary=N_("A rep's book: customers, active, revenue, CRR, follow-ups"),
    aliases=("reps", "book"),
)
def handle_rep(ctx: Context, req: Request) -> Answer:
    rep_id = target_rep(ctx, req)
    if rep_id is None:
        return team_answer(ctx, req)
    book = req.filters.book
    if book is not None and rep_id not in book:
        raise UsageError(
            "that book is not yours to see; {command_} shows the books you can see",
            command="rep",
            command_="`/retention rep`",
        )
    rep = load_rep(ctx.db, rep_id) or {"id": rep_id, "name": None}
    filters = Filters(segment=req.filters.segment, rep_id=rep_id, book=book)
    k = read_inputs(ctx, req, filters)
    assert k.scope.keep is not None  # the rep_id filter is set, so the scope is that book
    data = {
        "rep": {"id": rep_id, "name": rep["name"]},
        **book_numbers(book_basis(k), np.flatnonzero(k.scope.keep)),
        "activity_window": k.window,
    }
    followups = load_followups(ctx.db, rep_id, Filters(segment=req.filters.segment, book=book))
    data["open_followups"] = len(followups)
    data["followups"] = [
        {k: f[k] for k in ("customer_id", "customer_name", "state", "opened_at", "value_at_open")}
        for f in followups[:FOLLOWUPS_SHOWN]
    ]
    title = _(ctx.lang, "Book of {name}", name=B.escape(rep["name"] or rep_id))
    if not k.has_orders:
        return Answer("rep", data, empty_store_message(title, ctx.lang))
    return Answer(
        "rep",
        data,
        build_book_message(data, title, ctx.display_currency, k.freshness(), ctx.tz, ctx.calendar, ctx.lang),
    )


def target_rep(ctx: Context, req: Request) -> str | None:
    """The rep asked about: `rep @maria`, `rep <@U123>`, `rep:@maria`, or the
    asker when they are a rep; None for the team view."""
    if req.args:
        word = " ".join(req.args)
        found = rep_named(word, rep_resolver(ctx.db))
        if found:
            return found
        name = word.lstrip("@")
        raise UsageError(
            "no rep called {name}; {command_} lists the team",
            command="rep",
            name=f"`{name}`",
            command_="`/retention rep`",
        )
    if req.filters.rep_id:
        return req.filters.rep_id
    if ctx.user_id and load_rep(ctx.db, ctx.user_id):
        book = req.filters.book
        if book is None or len(book) == 1:  # a rep's own book; a manager gets the team table
            return ctx.user_id
    return None


@dataclass(frozen=True)
class BookBasis:
    """Per customer position, what a book's numbers add up: computed once,
    then summed per rep."""

    period: Period
    active: np.ndarray  # active at the as-of date
    revenue: np.ndarray  # to the as-of date
    revenue_12m: np.ndarray  # in the 365 days to it
    s: np.ndarray  # S, E, N of the book period
    e: np.ndarray
    n: np.ndarray


def book_basis(k: KpiInputs) -> BookBasis:
    everyone = Scope()
    period = parse_period(BOOK_PERIOD, k.ctx.as_of, k.ctx.calendar)
    active_from = day_bound(k.ctx.as_of - timedelta(days=k.window - 1), k.tz)
    year_ago = day_bound(k.ctx.as_of - timedelta(days=364), k.tz)
    revenue = customer_revenue(k.frame, k.cutoff)
    s, e, n = retention_sets(k.frame, everyone, Bounds.of(period, k.window, k.tz))
    return BookBasis(
        period,
        active_at(k.frame, everyone, active_from, k.cutoff),
        revenue,
        revenue - customer_revenue(k.frame, year_ago),
        s,
        e,
        n,
    )


def book_numbers(b: BookBasis, mine: np.ndarray) -> dict:
    """`mine`: the book's customer positions, ascending and distinct — so
    each sum adds the same values in the same order as a mask over every
    customer would, reading only the book's."""
    crr = compute_retention(b.s[mine], b.e[mine], b.n[mine])
    return {
        "customers": len(mine),
        "active": int(b.active[mine].sum()),
        "revenue": round(float(b.revenue[mine].sum()), 2),
        "revenue_12m": round(float(b.revenue_12m[mine].sum()), 2),
        "crr_period": b.period.to_dict(),
        "crr": crr.to_dict(),
    }


def team_answer(ctx: Context, req: Request) -> Answer:
    book = req.filters.book
    filters = Filters(segment=req.filters.segment, book=book)
    k = read_inputs(ctx, req, Filters(segment=req.filters.segment))
    basis = book_basis(k)
    owned = rep_positions(ctx.db, k.frame, filters)
    rows = []
    for r in load_rep_books(ctx.db, filters):
        if book is not None and r["id"] not in book:
            continue
        numbers = book_numbers(basis, owned.get(r["id"], np.zeros(0, np.int64)))
        rows.append({"id": r["id"], "name": r["name"], **numbers, "open_followups": r["open_followups"]})
    data = {"crr_period": basis.period.to_dict(), "activity_window": k.window, "reps": rows}
    title = _(ctx.lang, "Team books")
    if not k.has_orders:
        return Answer("rep", data, empty_store_message(title, ctx.lang))
    return Answer(
        "rep", data, build_team_message(data, title, ctx.display_currency, k.scope_text, k.freshness(), ctx.lang)
    )


def build_book_message(
    d: dict,
    title: str,
    currency: str,
    freshness: str,
    tz: tzinfo,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    crr, p = d["crr"], d["crr_period"]
    label = fmt.period_label(p, lang)
    if not crr["S"]:
        formula = _(lang, "CRR {period}: no customers of this book were active at its start (S = 0)", period=label)
    else:
        values = {
            "period": label,
            "retained": fmt.count(crr["retained"], lang),
            "reactivated": fmt.count(crr["reactivated"], lang),
            **formula_figures(crr, lang),
        }
        if crr["N_active"] == crr["N"]:
            formula = _(
                lang,
                "CRR {period}: (E − N)/S = ({E} − {N})/{S} = {crr} · retained {retained}, reactivated {reactivated}",
                **values,
            )
        else:
            formula = _(
                lang,
                "CRR {period}: (E − N still active)/S = ({E} − {N})/{S} = {crr} · retained {retained}, "
                "reactivated {reactivated}",
                **values,
            )
    window = d["activity_window"]
    pairs = [
        (_(lang, "Customers owned"), fmt.count(d["customers"], lang)),
        (
            _n(lang, "Active ({days} day)", "Active ({days} days)", window, days=fmt.count(window, lang)),
            fmt.count(d["active"], lang),
        ),
        (_(lang, "Revenue, last 12 months"), fmt.money(d["revenue_12m"], currency, lang=lang)),
        (_(lang, "Revenue, all time"), fmt.money(d["revenue"], currency, lang=lang)),
        (_(lang, "CRR {period}", period=label), fmt.pct(crr["crr"], lang=lang)),
        (_(lang, "Open follow-ups"), fmt.count(d["open_followups"], lang)),
    ]
    blocks = [
        B.header(title),
        B.section(_(lang, "{rep}'s customers", rep=B.mention(d["rep"]["id"]))),
        *B.fields(pairs),
        B.section(formula),
    ]
    if d["followups"]:
        lines = [followup_line(f, currency, tz, calendar, lang) for f in d["followups"]]
        more = d["open_followups"] - len(d["followups"])
        if more > 0:
            lines.append(
                _n(
                    lang,
                    "_…and {count} more — {command}_",
                    "_…and {count} more — {command}_",
                    more,
                    count=fmt.count(more, lang),
                    command="`/retention followups`",
                )
            )
        blocks += B.lines_section([_(lang, "*Open follow-ups*"), *lines])
    blocks.append(B.context(freshness))
    text = _(
        lang,
        "{title}: {customers}, {active} active, {revenue} in 12 months, CRR {period} {crr}, {open} open follow-ups",
        title=title,
        customers=customers_count(d["customers"], lang),
        active=fmt.count(d["active"], lang),
        revenue=fmt.money(d["revenue_12m"], currency, lang=lang),
        period=label,
        crr=fmt.pct(crr["crr"], lang=lang),
        open=fmt.count(d["open_followups"], lang),
    )
    return B.message(text, blocks)


def customers_count(n: int, lang: str) -> str:
    return _n(lang, "{count} customer", "{count} customers", n, count=fmt.count(n, lang))


def followup_line(
    f: dict, currency: str, tz: tzinfo, calendar: Calendar, lang: str, *, until: str | None = None
) -> str:
    """ "• *Jane* (Acme) — open since 2026-11-02 · $900 at stake": how a
    follow-up is listed in a book and in `followups` (their extra facts
    after it, each its own message, are a list joined by " · ")."""
    values = {
        "who": B.customer_label(f["customer_name"], f.get("company"), f["customer_id"]),
        "state": state_name(f["state"], lang),
        "day": fmt.day(f["opened_at"], tz, calendar, lang),
    }
    if until:
        head = _(lang, "• {who} — {state} since {day} until {until}", until=until, **values)
    else:
        head = _(lang, "• {who} — {state} since {day}", **values)
    if f["value_at_open"] is None:
        return head
    return " · ".join([head, _(lang, "{value} at stake", value=fmt.money(f["value_at_open"], currency, lang=lang))])


def build_team_message(
    d: dict, title: str, currency: str, scope: str, freshness: str, lang: str = DEFAULT_LANGUAGE
) -> dict:
    reps = sorted(d["reps"], key=lambda r: -r["revenue_12m"])
    shown = reps[:REPS_SHOWN]
    label = fmt.period_label(d["crr_period"], lang)
    lines = [
        _(
            lang,
            "• {rep} — {customers}, {active} active, {revenue} in 12 mo, CRR {period} {crr}, {open} open follow-ups",
            rep=B.mention(r["id"]),
            customers=customers_count(r["customers"], lang),
            active=fmt.count(r["active"], lang),
            revenue=fmt.money(r["revenue_12m"], currency, lang=lang),
            period=label,
            crr=fmt.pct(r["crr"]["crr"], lang=lang),
            open=fmt.count(r["open_followups"], lang),
        )
        for r in shown
    ]
    hidden = len(reps) - len(shown)
    if hidden > 0:
        lines.append(
            _n(lang, "_…and {count} more rep_", "_…and {count} more reps_", hidden, count=fmt.count(hidden, lang))
        )
    if not lines:
        lines = [_(lang, "No reps yet — import them with {command}.", command="`retention-bot import reps FILE`")]
    summary = _(lang, "; ").join(
        _(
            lang,
            "{name} {customers}, CRR {crr}",
            name=B.escape(r["name"] or r["id"]),
            customers=customers_count(r["customers"], lang),
            crr=fmt.pct(r["crr"]["crr"], lang=lang),
        )
        for r in shown[:10]
    )
    return B.message(
        _(lang, "{title}: {reps}", title=title, reps=summary) if summary else title,
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(
                _(
                    lang,
                    "Sorted by revenue in the last 12 months · {command} for one book{scope}",
                    command="`/retention rep @name`",
                    scope=scope,
                ),
                freshness,
            ),
        ],
    )
