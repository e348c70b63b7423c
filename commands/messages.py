"""Message pieces every command shares: scope labels, freshness, empty store."""

from commands import blocks as B
from commands import format as fmt
from commands.core import Context, Request
from commands.i18n import DEFAULT_LANGUAGE, _, _n


def empty_store_hint(lang: str) -> str:
    return _(
        lang,
        "No orders yet — import with {command} (or try {demo}).",
        command="`retention-bot import orders FILE`",
        demo="`retention-bot demo`",
    )


EMPTY_STORE_HINT = empty_store_hint(DEFAULT_LANGUAGE)


def filter_label(req: Request, lang: str = DEFAULT_LANGUAGE) -> str:
    """ " · segment Enterprise, @maria's book" (the list separator is layout)."""
    parts = []
    if req.filters.segment:
        parts.append(_(lang, "segment {segment}", segment=B.escape(req.filters.segment)))
    if req.filters.rep_id:
        parts.append(_(lang, "{rep}'s book", rep=B.mention(req.filters.rep_id)))
    return f" · {', '.join(parts)}" if parts else ""


def freshness(ctx: Context, last_order: str | None, customers: int) -> str:
    """ "data to 1998-06-30 · 23,570 customers · as of …"."""
    lang = ctx.lang
    parts = [
        _(lang, "data to {day}", day=fmt.day(last_order, ctx.tz, ctx.calendar, lang)),
        _n(lang, "{count} customer", "{count} customers", customers, count=fmt.count(customers, lang)),
        _(lang, "as of {day}", day=fmt.digits(fmt.date_in(ctx.as_of, ctx.calendar), lang)),
    ]
    return " · ".join(parts)
