"""Message pieces every command shares: scope labels, freshness, empty store."""

from commands import blocks as B
from commands import format as fmt
from commands.core import Context, Request

EMPTY_STORE_HINT = "No orders yet — import with `retention-bot import orders FILE` (or try `retention-bot demo`)."


def filter_label(req: Request) -> str:
    parts = []
    if req.filters.segment:
        parts.append(f"segment {B.escape(req.filters.segment)}")
    if req.filters.rep_id:
        parts.append(f"{B.mention(req.filters.rep_id)}'s book")
    return f" · {', '.join(parts)}" if parts else ""


def freshness(ctx: Context, last_order: str | None, customers: int) -> str:
    """ "data to 1998-06-30 · 23,570 customers · as of …"."""
    parts = [
        f"data to {fmt.day(last_order, ctx.tz, ctx.calendar)}",
        fmt.plural(customers, "customer"),
        f"as of {fmt.date_in(ctx.as_of, ctx.calendar)}",
    ]
    return " · ".join(parts)
