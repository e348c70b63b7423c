"""`/retention followups [mine|all]`: the follow-ups still open — whose
customer, since when, what is at stake — and how recent ones ended."""

from collections import Counter
from datetime import timedelta, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.i18n import N_
from commands.parse import suggest_period, whole_number
from storage.fields import format_utc
from storage.followups import load_followups
from storage.reps import load_rep

SHOWN = 15
MAX_SHOWN = 100
CLOSED_DAYS = 30
SCOPES = ("mine", "all")


@command(
    "followups",
    usage="followups [mine|all] [n]",
    summary=N_("Open follow-ups: yours, or everyone's"),
    aliases=("followup", "follow-ups"),
)
def handle_followups(ctx: Context, req: Request) -> Answer:
    shown, words = read_shown(req)
    scope = read_scope(ctx, Request(req.name, words, req.filters))
    rep_id = ctx.user_id if scope == "mine" else None
    since = format_utc(ctx.now - timedelta(days=CLOSED_DAYS))
    rows = load_followups(ctx.db, rep_id or req.filters.rep_id, req.filters, closed_since=since)
    open_rows = [r for r in rows if r["closed_at"] is None]
    closed = Counter(r["state"] for r in rows if r["closed_at"] is not None)
    data = {
        "scope": scope,
        "rep_id": rep_id or req.filters.rep_id,
        "open": len(open_rows),
        "shown": min(shown, len(open_rows)),
        "followups": open_rows,
        f"closed_last_{CLOSED_DAYS}_days": dict(closed.most_common()),
    }
    return Answer(
        "followups",
        data,
        build_followups_message(data, ctx.currency, fmt.date_in(ctx.as_of, ctx.calendar), ctx.tz, ctx.calendar),
    )


def read_shown(req: Request) -> tuple[int, list[str]]:
    """How many to list (`followups all 50`, in any order with the scope)."""
    words, shown = [], SHOWN
    for word in req.args:
        n = whole_number(word) if word.isdecimal() else None
        if word.isdecimal() and (n is None or n < 1):
            raise UsageError(
                "{word}: ask for 1 to {most} follow-ups",
                command="followups",
                word=f"`{B.clip(word, 20)}`",
                most=MAX_SHOWN,
            )
        if n is not None:
            shown = min(n, MAX_SHOWN)
        else:
            words.append(word)
    return shown, words


def read_scope(ctx: Context, req: Request) -> str:
    if not req.args:
        return "mine" if ctx.user_id and load_rep(ctx.db, ctx.user_id) else "all"
    word = req.args[0].lower()
    if len(req.args) > 1 or word not in SCOPES:
        close = suggest_period(word, list(SCOPES))
        asked = f"`{' '.join(req.args)}`"
        if close:
            raise UsageError(
                "{asked}: say `mine` or `all`. Did you mean {suggestion}?",
                command="followups",
                asked=asked,
                suggestion=f"`{close}`",
            )
        raise UsageError("{asked}: say `mine` or `all`.", command="followups", asked=asked)
    if word == "mine" and not ctx.user_id:
        raise UsageError(
            "I don't know who you are here, so I can't find yours; try {example}",
            command="followups",
            example="`followups all`",
        )
    return word


def build_followups_message(
    d: dict, currency: str, as_of: str, tz: tzinfo, calendar: Calendar = GREGORIAN_CALENDAR
) -> dict:
    title = "Your follow-ups" if d["scope"] == "mine" else "Open follow-ups"
    shown = d["followups"][: d["shown"]]
    lines = []
    for f in shown:
        line = f"• {B.customer_label(f['customer_name'], f['company'], f['customer_id'])}"
        line += f" — {f['state']} since {fmt.day(f['opened_at'], tz, calendar)}"
        if f["state"] == "snoozed" and f["snooze_until"]:
            line += f" until {fmt.day(f['snooze_until'], tz, calendar)}"
        if f["value_at_open"] is not None:
            line += f" · {fmt.money(f['value_at_open'], currency)} at stake"
        if f["reminder_count"]:
            line += f" · reminded {f['reminder_count']}×"
        if d["scope"] == "all" and f["rep_id"]:
            line += f" · {B.mention(f['rep_id'])}"
        lines.append(line)
    if d["open"] > len(shown):
        more = d["open"] - len(shown)
        lines.append(
            B.and_more(
                more,
                f"more: `/retention followups {d['scope']} {min(d['open'], MAX_SHOWN)}`"
                + (" lists them" if d["open"] <= MAX_SHOWN else f" lists {MAX_SHOWN}"),
            )
        )
    if not lines:
        lines = ["Nothing open. Follow-ups appear here when a high-value customer goes quiet."]
    closed = d[f"closed_last_{CLOSED_DAYS}_days"]
    closed_text = " · ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(closed.items())) or "none"
    text = f"{title}: {d['open']:,} open" + (
        "; " + "; ".join(f"{B.escape(f['customer_name'] or f['customer_id'])} ({f['state']})" for f in shown[:5])
        if shown
        else ""
    )
    return B.message(
        text,
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(f"Closed in the last {CLOSED_DAYS} days: {closed_text}", f"as of {as_of}"),
        ],
    )
