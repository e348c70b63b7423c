"""`/retention followups [mine|all]`: the follow-ups still open — whose
customer, since when, what is at stake — and how recent ones ended."""

from collections import Counter
from datetime import timedelta, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n, shown_in
from commands.parse import suggest_period, whole_number
from commands.rep import followup_line
from commands.value_parts import state_name
from storage.fields import format_utc
from storage.followups import count_followups, load_followups
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
    who = rep_id or req.filters.rep_id
    since = format_utc(ctx.now - timedelta(days=CLOSED_DAYS))
    opened, closed = count_followups(ctx.db, who, req.filters, closed_since=since)
    page = load_followups(ctx.db, who, req.filters, limit=shown)

    def data() -> dict:
        """Every open follow-up, read when the JSON is: the message shows a page."""
        rows = load_followups(ctx.db, who, req.filters, closed_since=since)
        open_rows = [r for r in rows if r["closed_at"] is None]
        ended = Counter(r["state"] for r in rows if r["closed_at"] is not None)
        return {
            "scope": scope,
            "rep_id": who,
            "open": len(open_rows),
            "shown": min(shown, len(open_rows)),
            "followups": open_rows,
            f"closed_last_{CLOSED_DAYS}_days": dict(ended.most_common()),
        }

    shown_data = {
        "scope": scope,
        "open": opened,
        "shown": len(page),
        "followups": page,
        f"closed_last_{CLOSED_DAYS}_days": closed,
    }
    return Answer(
        "followups",
        data,
        build_followups_message(
            shown_data, ctx.display_currency, fmt.date_in(ctx.as_of, ctx.calendar), ctx.tz, ctx.calendar, ctx.lang
        ),
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
    d: dict,
    currency: str,
    as_of: str,
    tz: tzinfo,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    title = _(lang, "Your follow-ups") if d["scope"] == "mine" else _(lang, "Open follow-ups")
    shown = d["followups"][: d["shown"]]
    lines = []
    for f in shown:
        until = None
        if f["state"] == "snoozed" and f["snooze_until"]:
            until = fmt.day(f["snooze_until"], tz, calendar, lang)
        parts = [followup_line(f, currency, tz, calendar, lang, until=until)]
        if f["reminder_count"]:
            n = f["reminder_count"]
            parts.append(_(lang, "reminded {count}×", count=fmt.count(n, lang)))
        if d["scope"] == "all" and f["rep_id"]:
            parts.append(shown_in(lang, B.mention(f["rep_id"])))
        lines.append(" · ".join(parts))
    if d["open"] > len(shown):
        more = d["open"] - len(shown)
        values = {
            "count": fmt.count(more, lang),
            "command": f"`/retention followups {d['scope']} {min(d['open'], MAX_SHOWN)}`",
        }
        if d["open"] <= MAX_SHOWN:
            lines.append(
                _n(
                    lang,
                    "_…and {count} more: {command} lists them_",
                    "_…and {count} more: {command} lists them_",
                    more,
                    **values,
                )
            )
        else:
            lines.append(
                _n(
                    lang,
                    "_…and {count} more: {command} lists {most}_",
                    "_…and {count} more: {command} lists {most}_",
                    more,
                    most=fmt.count(MAX_SHOWN, lang),
                    **values,
                )
            )
    if not lines:
        lines = [_(lang, "Nothing open. Follow-ups appear here when a high-value customer goes quiet.")]
    closed = d[f"closed_last_{CLOSED_DAYS}_days"]
    closed_text = " · ".join(closed_count(k, v, lang) for k, v in sorted(closed.items())) or _(lang, "none")
    opened = fmt.count(d["open"], lang)
    if shown:
        listed = _(lang, "; ").join(
            f"{B.escape(f['customer_name'] or f['customer_id'])} ({state_name(f['state'], lang)})" for f in shown[:5]
        )
        text = _(lang, "{title}: {count} open; {followups}", title=title, count=opened, followups=listed)
    else:
        text = _(lang, "{title}: {count} open", title=title, count=opened)
    return B.message(
        text,
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(
                _n(
                    lang,
                    "Closed in the last {days} day: {closed}",
                    "Closed in the last {days} days: {closed}",
                    CLOSED_DAYS,
                    days=fmt.count(CLOSED_DAYS, lang),
                    closed=closed_text,
                ),
                _(lang, "as of {day}", day=fmt.digits(as_of, lang)),
            ),
        ],
    )


def closed_count(state: str, n: int, lang: str) -> str:
    """ "3 won back": how many follow-ups ended one way."""
    if lang == DEFAULT_LANGUAGE:
        return f"{n:,} {state.replace('_', ' ')}"
    return f"{fmt.count(n, lang)} {state_name(state, lang)}"
