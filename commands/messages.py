"""Message pieces every command shares: scope labels, freshness, empty store."""

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from analytics.calendars import Calendar, calendar_named
from commands import blocks as B
from commands import format as fmt
from commands.core import Context, Request
from commands.freshness import compute_freshness
from commands.i18n import DEFAULT_LANGUAGE, _, _n
from storage.fields import parse_utc


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
    """ "data to 1998-06-30 · 23,570 customers · as of …"; with live
    sources, "data to 07:12 today from shop_db, billing · …"."""
    lang = ctx.lang
    fresh = compute_freshness(ctx.db, ctx.now)
    parts = [
        sources_line(fresh, ctx.tz, ctx.calendar, ctx.now, lang)
        if fresh and fresh["data_to"]
        else _(lang, "data to {day}", day=fmt.day(last_order, ctx.tz, ctx.calendar, lang)),
        _n(lang, "{count} customer", "{count} customers", customers, count=fmt.count(customers, lang)),
        _(lang, "as of {day}", day=fmt.digits(fmt.date_in(ctx.as_of, ctx.calendar), lang)),
    ]
    return " · ".join(parts)


def _moment(stored: str, tz: tzinfo, calendar: Calendar, lang: str) -> tuple[str, str]:
    """A stored instant as its local (time, day) in `tz`, for prose."""
    return fmt.digits(parse_utc(stored).astimezone(tz).strftime("%H:%M"), lang), fmt.day(stored, tz, calendar, lang)


def sources_line(fresh: dict, tz: tzinfo, calendar: Calendar, now: datetime, lang: str) -> str:
    """ "data to 07:12 today from shop_db, billing" (compute_freshness)."""
    time, day = _moment(fresh["data_to"], tz, calendar, lang)
    names = ", ".join(fresh["sources"])
    if parse_utc(fresh["data_to"]).astimezone(tz).date() == now.astimezone(tz).date():
        return _(lang, "data to {time} today from {sources}", time=time, sources=names)
    return _(lang, "data to {time} on {day} from {sources}", time=time, day=day, sources=names)


def stale_warning(fresh: dict, tz: tzinfo, calendar: Calendar, lang: str) -> str | None:
    """The line a digest leads with when its data is stale: a source fails,
    or none synced for `stale_after`."""
    if not fresh["stale"]:
        return None
    when = " ".join(reversed(_moment(fresh["data_to"], tz, calendar, lang))) if fresh["data_to"] else "—"
    if fresh["failing"]:
        since = " ".join(reversed(_moment(fresh["failing_since"], tz, calendar, lang)))
        return _(
            lang,
            ":warning: Syncing {sources} fails since {since}; the data is as of {when}.",
            sources=", ".join(fresh["failing"]),
            since=since,
            when=when,
        )
    return _(
        lang,
        ":warning: The data is stale: last synced {when} from {sources}; newer orders are missing.",
        when=when,
        sources=", ".join(fresh["sources"]),
    )


def source_failure_notice(name: str, error: str | None, synced_at: str | None, settings: dict, lang: str) -> str:
    """What an admin is told when live source `name` fails: why, how old its
    data is (local time in the workspace zone and calendar) and what to do."""
    tz, calendar = ZoneInfo(settings["timezone"]), calendar_named(settings["calendar"])
    command = f"`retention-bot sync {name}`"
    if synced_at:
        return _(
            lang,
            ":warning: Source {source} could not be synced: {error} — data from it is as of {when}. "
            "Fix it, then run {command} (or wait for the next scheduled sync).",
            source=f"`{name}`",
            error=error or "—",
            when=" ".join(reversed(_moment(synced_at, tz, calendar, lang))),
            command=command,
        )
    return _(
        lang,
        ":warning: Source {source} could not be synced: {error} — it has never synced. "
        "Fix it, then run {command} (or wait for the next scheduled sync).",
        source=f"`{name}`",
        error=error or "—",
        command=command,
    )


def sources_file_notice(problem: str, lang: str) -> str:
    """What an admin is told when the scheduled sync cannot read the sources
    file: `problem` (its FILE:LINE mistake, said in `lang`), that no source
    synced, and what to do."""
    return _(
        lang,
        ":warning: The scheduled sync could not read the sources file, so no source was synced: {problem}. "
        "Fix the file; the next scheduled sync reads it again ({command} checks it now).",
        problem=problem,
        command="`retention-bot doctor`",
    )
