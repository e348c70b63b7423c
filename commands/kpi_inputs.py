"""What every KPI answer reads and says the same way: the period asked for,
the order frame and scope, the activity window, freshness, deltas."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np
from sqlite_utils import Database

from analytics.calendars import PERSIAN
from analytics.frame import OrderFrame
from analytics.kpis import Scope, day_bound, last_order_before
from analytics.periods import EXAMPLES, KEYWORDS, PERSIAN_EXAMPLES, Period, PeriodError, parse_period
from commands import blocks as B
from commands import format as fmt
from commands.aliases import PERIOD_ALIASES, period_words
from commands.core import Context, Request, UsageError
from commands.frames import load_order_frame
from commands.i18n import DEFAULT_LANGUAGE, _
from commands.messages import empty_store_hint, filter_label, freshness
from commands.parse import suggest_period
from storage.fields import day_start_utc
from storage.order_columns import content_key
from storage.queries import Filters, count_customers_without_orders, load_filter_rowids
from storage.reps import load_books, load_owners_mark


def read_period(ctx: Context, words: list[str], command: str) -> Period:
    """The period in `words`, or a UsageError that says how to write one."""
    read = period_words(words)
    try:
        return parse_period(read, ctx.as_of, ctx.calendar, ctx.week_start, typed=words)
    except PeriodError as e:
        forms = PERSIAN_EXAMPLES if ctx.calendar.name == PERSIAN else EXAMPLES
        aliases = PERIOD_ALIASES.get(ctx.lang, {})
        examples = " ".join(f"`{x}`" for x in ("30d", aliases.get("last-quarter", ("last-quarter",))[0], *forms[2:5]))
        close = _did_you_mean(e.word.lower(), [w for ws in aliases.values() for w in ws])
        if close in aliases and read != [w for w in words if w]:  # they typed the keywords in their language
            close = aliases[close][0]
        if close:
            raise UsageError(
                "{problem}. Did you mean {suggestion}? Periods look like {examples}.",
                command=command,
                problem=e,
                suggestion=f"`{close}`",
                examples=examples,
            ) from None
        raise UsageError(
            "{problem}. Periods look like {examples}.", command=command, problem=e, examples=examples
        ) from None


def _did_you_mean(word: str, own: list[str]) -> str | None:
    """The period keyword closest to a misspelt `word`: an English one, or
    one of `own`, the reader's language's words for them."""
    m = re.fullmatch(r"(\d+)\s*-?(day|week)s?", word)
    if m:
        return f"{m.group(1)}{m.group(2)[0]}"
    if word[:1].isdigit():
        return None
    close = suggest_period(word, [*KEYWORDS, *own])
    return close if close != word else None  # `since` alone: the problem says what is missing


@dataclass
class KpiInputs:
    ctx: Context
    req: Request
    filters: Filters
    frame: OrderFrame
    scope: Scope
    window: int  # activity window, days
    tz: tzinfo
    cutoff: int  # epoch seconds: nothing at or after it exists

    @property
    def has_orders(self) -> bool:
        """Any counted order before the cutoff, in the whole store."""
        return self.frame.upto(self.cutoff) > 0

    @property
    def scope_text(self) -> str:
        return filter_label(self.req, self.ctx.lang)

    def freshness(self) -> str:
        last = last_order_before(self.frame, self.scope, self.cutoff)
        last_day = datetime.fromtimestamp(last, UTC).astimezone(self.tz).date().isoformat() if last else None
        customers = int(self.scope.kept(self.frame.first_ts < self.cutoff).sum())
        customers += count_customers_without_orders(self.ctx.db, self.ctx.cutoff, self.filters)
        return freshness(self.ctx, last_day, customers)


def read_inputs(ctx: Context, req: Request, filters: Filters | None = None) -> KpiInputs:
    """`filters` overrides the request's (e.g. a rep's book)."""
    filters = filters or req.filters
    frame = load_order_frame(ctx.db)
    scope = filter_scope(ctx.db, frame, filters)
    return KpiInputs(
        ctx,
        req,
        filters,
        frame,
        scope,
        int(ctx.settings["activity_window"]),
        ctx.tz,
        day_bound(ctx.as_of + timedelta(days=1), ctx.tz),
    )


def filter_scope(db: Database, frame: OrderFrame, filters: Filters) -> Scope:
    """The customers `filters` keep, read once per store content and owners
    (storage.reps.load_owners_mark: a claim moves a customer between books
    without an import) and kept with the frame: a rep's book or a segment
    is ~150k customers at a million, ~0.1 s to read each time."""
    if not filters.active:
        return Scope()
    key = ("filter", content_key(db)[1], load_owners_mark(db), filters)
    return Scope(frame.memo(key, lambda: Scope.build(frame, load_filter_rowids(db, filters)).keep))


def rep_positions(db: Database, frame: OrderFrame, filters: Filters) -> dict[str, np.ndarray]:
    """Per rep, the positions in `frame` of the customers they own that
    `filters` keep (storage.reps.load_books), ascending and distinct; kept
    like filter_scope."""
    key = ("books", content_key(db)[1], load_owners_mark(db), filters)
    return frame.memo(
        key, lambda: {rep: _distinct(frame.positions(rowids)) for rep, rowids in load_books(db, filters).items()}
    )


def _distinct(positions: np.ndarray) -> np.ndarray:
    """`positions` ascending and distinct. A book's rowids come off the owner
    index already so (checked), and np.unique's hashing of ~150k positions
    per rep cost ~0.4 s for a team at a million customers."""
    if (positions[1:] > positions[:-1]).all():
        return positions
    return np.unique(positions)


def period_utc(period: Period, tz: tzinfo) -> tuple[str, str]:
    """Stored-time bounds [start, end) of a period of local days."""
    return day_start_utc(period.start, tz), day_start_utc(period.end + timedelta(days=1), tz)


def empty_store_message(title: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    return B.message(
        _(lang, "{title}: no orders yet", title=title), [B.header(title), B.section(empty_store_hint(lang))]
    )


def vs(
    now: float | None,
    before: float | None,
    label: str,
    shown: str,
    *,
    unit: str = " pts",
    decimals: int = 1,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """ "▲ 2.3 pts vs 2026-Q2 (76.2%)", or "" when either side is unknown."""
    d = fmt.delta(now, before, unit=unit, decimals=decimals, lang=lang)
    return _(lang, "{change} vs {period} ({value})", change=d, period=label, value=shown) if d else ""


def money_delta(
    now: float | None, before: float | None, currency: str, *, cents: bool = False, lang: str = DEFAULT_LANGUAGE
) -> str:
    if now is None or before is None:
        return ""
    d = now - before
    if round(d, 2 if cents else 0) == 0:
        return _(lang, "▬ no change")
    return f"{'▲' if d > 0 else '▼'} {fmt.money(abs(d), currency, cents=cents, lang=lang)}"
