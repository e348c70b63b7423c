"""`/retention at-risk [n]`: high-value customers going quiet, most valuable
first, each with the reason in figures and who owns the follow-up."""

from datetime import UTC
from typing import Any

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.value import value_label
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.messages import EMPTY_STORE_HINT, filter_label
from commands.value_parts import (
    capped_note,
    load_model_summary,
    model_line,
    number,
    owner_text,
    read_count,
)
from storage.followup_actions import silence_start
from storage.queries import load_last_order_at
from storage.scores import count_scores, load_scores

DEFAULT_SHOWN = 10
MAX_SHOWN = 50


@command(
    "at-risk",
    usage="at-risk [n]",
    summary="High-value customers going quiet, with the reason and owner",
    aliases=("atrisk", "risk", "quiet"),
)
def handle_at_risk(ctx: Context, req: Request) -> Answer:
    n, rest = read_count(req, DEFAULT_SHOWN, MAX_SHOWN, "at-risk 20")
    if rest:
        raise UsageError(
            "{command_} takes a number of customers, not {asked}; e.g. {example}",
            command="at-risk",
            command_="`at-risk`",
            asked=f"`{' '.join(rest)}`",
            example="`at-risk 20`",
        )
    title = f"Going quiet: high-value customers{filter_label(req)}"
    summary = load_model_summary(ctx)
    empty = load_last_order_at(ctx.db) is None
    if summary is None or empty:
        hint = EMPTY_STORE_HINT if empty else model_line(None)
        data: dict[str, Any] = {"as_of": None, "model": None, "total": 0, "shown": 0, "customers": []}
        return Answer("at-risk", data, B.message(f"{title}: {hint}", [B.header(title), B.section(hint)]))
    silenced = silence_start(ctx.now, ctx.settings["dismiss_days"])
    rows = load_scores(ctx.db, req.filters, quiet_only=True, limit=n, silenced_since=silenced)
    counts = count_scores(ctx.db, req.filters, silenced_since=silenced)
    customers = [customer_entry(r) for r in rows]
    data = {
        "as_of": summary["as_of"],
        "model": summary,
        "total": counts["quiet"],
        "shown": len(customers),
        "scored": counts["scored"],
        "customers": customers,
        "capped": capped_note(req, MAX_SHOWN) or None,
    }
    return Answer("at-risk", data, build_at_risk_message(data, title, ctx.currency, ctx.calendar))


def customer_entry(r: dict) -> dict:
    return {
        "customer_id": r["customer_id"],
        "name": r["name"],
        "company": r["company"],
        "segment": r["segment"],
        "owner_rep_id": r["owner_rep_id"],
        "value": number(r["value"]),
        "predicted_clv_12m": number(r["predicted_clv_12m"]),
        "revenue_12m": number(r["revenue_12m"]),
        "p_alive": number(r["p_alive"]),
        "days_since_last": number(r["tenure_days"] - r["recency_days"]),
        "typical_gap_days": number(r["typical_gap_days"]),
        "value_pct": number(r["value_pct"]),
        "reason": r["reason"],
        "followup_state": r["followup_state"],
    }


def build_at_risk_message(data: dict, title: str, currency: str, calendar: Calendar = GREGORIAN_CALENDAR) -> dict:
    summary = data["model"]
    label = value_label(summary["model"] != "rules")
    footer = (
        f"scores as of {fmt.day(summary['as_of'], UTC, calendar)} · {data['total']:,} going quiet of {data['scored']:,} "
        "scored · `retention-bot score` refreshes" + (f" · {data['capped']}" if data.get("capped") else "")
    )
    if not data["customers"]:
        text = f"{title}: none right now"
        return B.message(
            text,
            [
                B.header(title),
                B.section("No high-value customer is going quiet right now. :tada:"),
                B.context(B.escape(model_line(summary))),
                B.context(footer),
            ],
        )
    lines = []
    for i, c in enumerate(data["customers"], 1):
        who = B.customer_label(c["name"], c["company"], c["customer_id"])
        state = f" · follow-up {c['followup_state']}" if c["followup_state"] else ""
        lines.append(
            f"{i}. {who} — {fmt.money(c['value'], currency)} {label}\n"
            f"      {B.escape(c['reason'] or '')} · owner {owner_text(c['owner_rep_id'])}{state}"
        )
    more = data["total"] - data["shown"]
    if more > 0:
        lines.append(B.and_more(more, "more: ask for `at-risk 50`"))
    names = ", ".join(B.escape(c["name"] or c["customer_id"]) for c in data["customers"][:5])
    text = f"{title}: {data['total']:,} going quiet, most valuable {names}"
    return B.message(
        text,
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(B.escape(model_line(summary))),
            B.context(footer),
        ],
    )
