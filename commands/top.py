"""`/retention top [n] [period]`: the most valuable customers. By predicted
12-month value once the store is scored (by trailing 12-month revenue if the
score run fell back to rules), else by revenue to date; with a period, by
revenue in that period."""

from datetime import UTC, datetime
from typing import Any

from analytics.kpis import rank_by_revenue
from analytics.quiet import alive_known
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n, shown_in
from commands.kpi_inputs import empty_store_message, period_utc, read_inputs, read_period
from commands.messages import filter_label
from commands.score_counts import scope_score_counts
from commands.value_parts import (
    alive_words,
    capped_note,
    load_model_summary,
    model_line,
    number,
    owner_text,
    read_count,
    value_label,
)
from storage.fields import parse_utc
from storage.queries import load_customers_by_rowid, load_last_order_at
from storage.scores import load_scores

DEFAULT_SHOWN = 10
MAX_SHOWN = 50


@command(
    "top",
    usage="top [n] [period]",
    summary=N_("Most valuable customers (expected 12-month value, or revenue in a period)"),
    aliases=("best",),
)
def handle_top(ctx: Context, req: Request) -> Answer:
    n, words = read_count(req, DEFAULT_SHOWN, MAX_SHOWN, "top 20 last-quarter")
    lang = ctx.lang
    scope = filter_label(req, lang)
    summary = load_model_summary(ctx)
    if load_last_order_at(ctx.db) is None:
        title = _(lang, "Top customers{scope}", scope=scope)
        data: dict[str, Any] = {"basis": None, "period": None, "total": 0, "customers": []}
        return Answer("top", data, empty_store_message(title, lang))
    if words:
        period = read_period(ctx, words, "top")
        start, end = period_utc(period, ctx.tz)
        rows, total = _top_revenue(ctx, req, start, min(end, ctx.cutoff), n)
        data = {
            "basis": "revenue",
            "period": period.to_dict(),
            "total": total,
            "customers": [_revenue_entry(r) for r in rows],
        }
        title = _(
            lang,
            "Top customers by revenue, {period}{scope}",
            period=fmt.period_label(data["period"], lang),
            scope=scope,
        )
        note = _(
            lang,
            "{start} to {end}",
            start=fmt.digits(fmt.date_in(period.start, period.calendar), lang),
            end=fmt.digits(fmt.date_in(period.end, period.calendar), lang),
        )
    elif summary is not None:
        rows = load_scores(ctx.db, req.filters, limit=n)
        basis = "predicted_clv_12m" if summary["model"] != "rules" else "revenue_12m"
        data = {
            "basis": basis,
            "period": None,
            "total": scope_score_counts(ctx.db, req.filters)["scored"],
            "as_of": summary["as_of"],
            "model": summary,
            "customers": [_score_entry(r) for r in rows],
        }
        title = _(lang, "Top customers by {value}{scope}", value=value_label(basis != "revenue_12m", lang), scope=scope)
        note = _(
            lang,
            "{model} · scores as of {day}",
            model=B.escape(model_line(summary, lang, ctx.calendar)),
            day=fmt.day(summary["as_of"], UTC, ctx.calendar, lang),
        )
    else:
        rows, total = _top_revenue(ctx, req, None, ctx.cutoff, n)
        data = {"basis": "revenue", "period": None, "total": total, "customers": [_revenue_entry(r) for r in rows]}
        title = _(lang, "Top customers by revenue to date{scope}", scope=scope)
        note = B.escape(model_line(None, lang))
    capped = capped_note(req, MAX_SHOWN, lang)
    if capped:
        data["capped_at"] = MAX_SHOWN
        note = f"{note} · {capped}"
    return Answer("top", data, build_top_message(data, title, note, ctx.display_currency, lang))


def _top_revenue(ctx: Context, req: Request, start: str | None, end: str, n: int) -> tuple[list[dict], int]:
    """Customers by counted revenue in [start, end) (all time without
    `start`), best first, and how many customers in scope bought then."""
    inputs = read_inputs(ctx, req)
    frame = inputs.frame
    lo = int(parse_utc(start).timestamp()) if start else 0
    ranked = rank_by_revenue(frame, inputs.scope, lo, int(parse_utc(end).timestamp()), n)
    rowids = frame.rowid[ranked.positions]
    who = load_customers_by_rowid(ctx.db, rowids)
    rows = [
        {
            **who[int(rowid)],
            "customer_id": who[int(rowid)]["id"],
            "revenue": float(revenue),
            "orders": int(orders),
            "last_order": datetime.fromtimestamp(int(t), ctx.tz).date().isoformat(),
        }
        for rowid, revenue, orders, t in zip(rowids, ranked.revenue, ranked.orders, ranked.last_ts, strict=True)
    ]
    return rows, ranked.buyers


def _revenue_entry(r: dict) -> dict:
    return {
        "customer_id": r["customer_id"],
        "name": r["name"],
        "company": r["company"],
        "segment": r["segment"],
        "owner_rep_id": r["owner_rep_id"],
        "value": number(r["revenue"]),
        "orders": int(r["orders"]),
        "last_order": r["last_order"],
    }


def _score_entry(r: dict) -> dict:
    return {
        "customer_id": r["customer_id"],
        "name": r["name"],
        "company": r["company"],
        "segment": r["segment"],
        "owner_rep_id": r["owner_rep_id"],
        "value": number(r["value"]),
        "p_alive": number(r["p_alive"]),
        "frequency": None if number(r["frequency"]) is None else int(r["frequency"]),
        "value_pct": number(r["value_pct"]),
        "orders": int(r["orders"]),
        "quiet": bool(r["quiet"]),
    }


def build_top_message(data: dict, title: str, note: str, currency: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    if not data["customers"]:
        return B.message(
            _(lang, "{title}: no customers in scope", title=title),
            [
                B.header(title),
                B.section(_(lang, "No customer bought in this scope.")),
                B.context(note),
            ],
        )
    lines = []
    for i, c in enumerate(data["customers"], 1):
        bits = [
            fmt.money(c["value"], currency, lang=lang),
            _n(lang, "{count} order", "{count} orders", c["orders"], count=fmt.count(c["orders"], lang)),
        ]
        if "frequency" in c and alive_known(c["p_alive"], c["frequency"]):
            bits.append(alive_words(c["p_alive"], c["frequency"], lang))
        if c.get("quiet"):
            bits.append(_(lang, ":warning: going quiet"))
        bits.append(_(lang, "owner {owner}", owner=owner_text(c["owner_rep_id"], lang)))
        who = shown_in(lang, B.customer_label(c["name"], c["company"], c["customer_id"]))
        # Separate facts, listed: " · " is layout in every language.
        lines.append(f"{fmt.count(i, lang)}. {who} — {' · '.join(bits)}")
    names = ", ".join(B.escape(c["name"] or c["customer_id"]) for c in data["customers"][:5])
    total = data["total"]
    return B.message(
        _(lang, "{title}: {names}", title=title, names=names),
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(
                note,
                _n(
                    lang, "{count} customer in scope", "{count} customers in scope", total, count=fmt.count(total, lang)
                ),
            ),
        ],
    )
