"""`/retention at-risk [n]`: high-value customers going quiet, most valuable
first, each with the reason in figures and who owns the follow-up."""

from datetime import UTC
from typing import Any

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.messages import empty_store_hint, filter_label
from commands.score_counts import scope_score_counts
from commands.value_parts import (
    capped_note,
    load_model_summary,
    model_line,
    number,
    owner_text,
    quiet_reason,
    read_count,
    reason_from,
    reason_sentence,
    reason_text,
    reason_values,
    state_name,
    value_label,
)
from storage.followup_actions import silence_start
from storage.queries import load_last_order_at
from storage.scores import load_scores

DEFAULT_SHOWN = 10
MAX_SHOWN = 50


@command(
    "at-risk",
    usage="at-risk [n]",
    summary=N_("High-value customers going quiet, with the reason and owner"),
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
    lang = ctx.lang
    title = _(lang, "Going quiet: high-value customers{scope}", scope=filter_label(req, lang))
    summary = load_model_summary(ctx)
    empty = load_last_order_at(ctx.db) is None
    if summary is None or empty:
        hint = empty_store_hint(lang) if empty else model_line(None, lang)
        data: dict[str, Any] = {"as_of": None, "model": None, "total": 0, "shown": 0, "customers": []}
        text = _(lang, "{title}: {hint}", title=title, hint=hint)
        return Answer("at-risk", data, B.message(text, [B.header(title), B.section(hint)]))
    silenced = silence_start(ctx.now, ctx.settings["dismiss_days"])
    rows = load_scores(ctx.db, req.filters, quiet_only=True, limit=n, silenced_since=silenced)
    counts = scope_score_counts(ctx.db, req.filters, silenced)
    customers = [customer_entry(r, ctx.currency) for r in rows]
    data = {
        "as_of": summary["as_of"],
        "model": summary,
        "total": counts["quiet"],
        "shown": len(customers),
        "scored": counts["scored"],
        "customers": customers,
        "capped": capped_note(req, MAX_SHOWN, lang) or None,
    }
    return Answer("at-risk", data, build_at_risk_message(data, title, ctx.display_currency, lang, ctx.calendar))


def customer_entry(r: dict, currency: str) -> dict:
    """A scored customer as JSON: `reason` is the English sentence (money in
    the reporting `currency`), `why` its code and figures."""
    why = quiet_reason(r)
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
        "reason": reason_sentence(why, currency),
        "why": reason_values(why),
        "followup_state": r["followup_state"],
    }


def build_at_risk_message(
    data: dict, title: str, currency: str, lang: str = DEFAULT_LANGUAGE, calendar: Calendar = GREGORIAN_CALENDAR
) -> dict:
    summary = data["model"]
    uses_model = summary["model"] != "rules"
    footer = _(
        lang,
        "scores as of {day} · {quiet} going quiet of {scored} scored · {command} refreshes",
        day=fmt.day(summary["as_of"], UTC, calendar, lang),
        quiet=fmt.count(data["total"], lang),
        scored=fmt.count(data["scored"], lang),
        command="`retention-bot score`",
    )
    if data.get("capped"):
        footer = f"{footer} · {data['capped']}"
    if not data["customers"]:
        text = _(lang, "{title}: none right now", title=title)
        return B.message(
            text,
            [
                B.header(title),
                B.section(_(lang, "No high-value customer is going quiet right now. :tada:")),
                B.context(B.escape(model_line(summary, lang, calendar))),
                B.context(footer),
            ],
        )
    lines = []
    for i, c in enumerate(data["customers"], 1):
        values = {
            "n": fmt.count(i, lang),
            "who": B.customer_label(c["name"], c["company"], c["customer_id"]),
            "value": fmt.money(c["value"], currency, lang=lang),
            "label": value_label(uses_model, lang),
            "reason": reason_text(reason_from(c["why"]), currency, lang),
            "owner": owner_text(c["owner_rep_id"], lang),
        }
        if c["followup_state"]:
            lines.append(
                _(
                    lang,
                    "{n}. {who} — {value} {label}\n      {reason} · owner {owner} · follow-up {state}",
                    state=state_name(c["followup_state"], lang),
                    **values,
                )
            )
        else:
            lines.append(_(lang, "{n}. {who} — {value} {label}\n      {reason} · owner {owner}", **values))
    more = data["total"] - data["shown"]
    if more > 0:
        lines.append(
            _n(
                lang,
                "_…and {count} more: ask for {example}_",
                "_…and {count} more: ask for {example}_",
                more,
                count=fmt.count(more, lang),
                example="`at-risk 50`",
            )
        )
    names = ", ".join(B.escape(c["name"] or c["customer_id"]) for c in data["customers"][:5])
    text = _(
        lang,
        "{title}: {count} going quiet, most valuable {names}",
        title=title,
        count=fmt.count(data["total"], lang),
        names=names,
    )
    return B.message(
        text,
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(B.escape(model_line(summary, lang, calendar))),
            B.context(footer),
        ],
    )
