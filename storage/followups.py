"""Follow-up records: the loop between "going quiet" and "won back"."""

from datetime import date, datetime, tzinfo

from sqlite_utils import Database

from storage.fields import format_utc, local_day
from storage.problems import N_, Said, written_from
from storage.queries import Filters
from storage.schema import COUNTED_STATUS, OPEN_BY_VALUE

# `contacted` is not closed: the customer's next order still closes it as won
# back (storage.followup_actions).


# A won-back follow-up's note: kept in English (logs, JSON), said again in
# the reader's language from its day (won_back_note).
WON_BACK_NOTE = N_("ordered again on {day}")
_WON_BACK = written_from(WON_BACK_NOTE, day=r"\d{4}-\d{2}-\d{2}")


def won_back_note(note: str | None) -> Said | None:
    """The message a won-back follow-up's stored note was written from (its
    day a date, to say in the reader's calendar and digits); None for a
    note of another shape."""
    m = _WON_BACK.fullmatch(note or "")
    return Said(WON_BACK_NOTE, {"day": date.fromisoformat(m["day"])}) if m else None


def mark_won_back(db: Database, now: datetime, tz: tzinfo, *, touched: bool = False, before: str | None = None) -> int:
    """Close as `won_back` the open follow-ups whose customer has placed a
    counted order after it was opened — of the customers an import touched
    (`temp.touched`), or of everyone with such an order `before` a stored
    time (a score as of a past day must not see the orders after it); the
    follow-up's rep gets the credit, and the note says on which local day
    (`tz`) they ordered again. Returns how many were closed."""
    which = "f.customer_id IN (SELECT id FROM temp.touched)" if touched else "1"
    won = db.execute(
        "SELECT f.id, (SELECT MIN(o.ordered_at) FROM orders o WHERE o.customer_id = f.customer_id "  # noqa: S608
        "AND o.status = :counted AND o.ordered_at > f.opened_at AND o.ordered_at < :before) AS again "
        f"FROM followups f WHERE f.closed_at IS NULL AND {which}",
        {"counted": COUNTED_STATUS, "before": before or "9999"},
    ).fetchall()
    closed = [(format_utc(now), WON_BACK_NOTE.format(day=local_day(again, tz)), fid) for fid, again in won if again]
    db.conn.executemany("UPDATE followups SET state = 'won_back', closed_at = ?, note = ? WHERE id = ?", closed)
    return len(closed)


def reopen_unwon(db: Database, now: datetime, tz: tzinfo) -> int:
    """Reopen the won-back follow-ups of the customers a write touched
    (`temp.touched`) that no counted order after their opening supports any
    more: the order that won the customer back was refunded, cancelled or
    moved, so the rep's credit goes with it. Only the newest such follow-up
    of a customer, and only when the customer has no other open one (at most
    one is open at a time). Returns how many were reopened."""
    rows = db.execute(
        "SELECT f.id FROM followups f WHERE f.state = 'won_back' "
        "AND f.customer_id IN (SELECT id FROM temp.touched) "
        "AND f.id = (SELECT MAX(g.id) FROM followups g WHERE g.customer_id = f.customer_id AND g.state = 'won_back') "
        "AND NOT EXISTS (SELECT 1 FROM followups o WHERE o.customer_id = f.customer_id AND o.closed_at IS NULL) "
        "AND NOT EXISTS (SELECT 1 FROM orders x WHERE x.customer_id = f.customer_id AND x.status = :counted "
        "AND x.ordered_at > f.opened_at)",
        {"counted": COUNTED_STATUS},
    ).fetchall()
    note = f"reopened on {now.astimezone(tz).date().isoformat()}: the order that won it back no longer counts"
    db.conn.executemany(
        "UPDATE followups SET state = 'open', closed_at = NULL, note = ? WHERE id = ?", [(note, fid) for (fid,) in rows]
    )
    return len(rows)


def _followups_where(rep_id: str | None, filters: Filters, closed_since: str | None) -> tuple[str, dict]:
    where, args = filters.where()
    cond = [where]
    params = dict(args)
    if rep_id:
        cond.append("f.rep_id = :followup_rep_id")  # not :rep_id, the filter's own
        params["followup_rep_id"] = rep_id
    if closed_since:
        cond.append("(f.closed_at IS NULL OR f.closed_at >= :closed_since)")
        params["closed_since"] = closed_since
    else:
        cond.append("f.closed_at IS NULL")
    return " AND ".join(cond), params


def load_followups(
    db: Database, rep_id: str | None, filters: Filters, *, closed_since: str | None = None, limit: int | None = None
) -> list[dict]:
    """Follow-ups not yet closed (and, with `closed_since`, those closed since
    then), with the customer's name, the open ones first, most valuable
    first; `rep_id` limits them to one rep, `limit` to the first so many."""
    where, params = _followups_where(rep_id, filters, closed_since)
    order = "ORDER BY f.closed_at IS NOT NULL, f.value_at_open DESC, f.opened_at, f.id"
    source = "followups f"
    if limit is not None:
        params["limit"] = int(limit)
        if not filters.active:  # the first page, then its customers (not a lookup per follow-up)
            source = f"(SELECT * FROM followups f WHERE {where} {order} LIMIT :limit) f"  # noqa: S608
        elif not closed_since:  # open ones in page order, each customer checked, until the page is full
            source = f"followups f INDEXED BY {OPEN_BY_VALUE}"
            order = "ORDER BY f.value_at_open DESC, f.opened_at, f.id"  # the same: none is closed
    sql = (
        "SELECT f.id, f.customer_id, c.name AS customer_name, c.company, f.rep_id, f.state, "  # noqa: S608
        "f.opened_at, f.snooze_until, f.reminded_at, f.reminder_count, f.escalated_at, f.closed_at, "
        f"f.value_at_open, f.note FROM {source} JOIN customers c ON c.id = f.customer_id WHERE {where} {order}"
    )
    if limit is not None:
        sql += " LIMIT :limit"
    return list(db.query(sql, params))


def count_open_followups_by_rep(db: Database, filters: Filters) -> dict[str, int]:
    """How many open follow-ups load_followups would return for each rep."""
    where, params = _followups_where(None, filters, None)
    join = "JOIN customers c ON c.id = f.customer_id " if filters.active else ""
    sql = f"SELECT f.rep_id, COUNT(*) FROM followups f {join}WHERE {where} GROUP BY f.rep_id"  # noqa: S608
    return dict(db.execute(sql, params).fetchall())


def count_followups(
    db: Database, rep_id: str | None, filters: Filters, *, closed_since: str | None = None
) -> tuple[int, dict[str, int]]:
    """How many follow-ups load_followups would return: the open ones, and
    those closed since `closed_since` by state (in state order). Without a
    filter the customers are not joined: every follow-up's customer exists
    (a foreign key), and the join costs a lookup per follow-up."""
    where, params = _followups_where(rep_id, filters, closed_since)
    join = "JOIN customers c ON c.id = f.customer_id " if filters.active else ""
    rows = db.execute(
        f"SELECT f.closed_at IS NULL, f.state, COUNT(*) FROM followups f {join}WHERE {where} "  # noqa: S608
        "GROUP BY 1, 2 ORDER BY 1, 2",
        params,
    ).fetchall()
    return sum(n for is_open, _, n in rows if is_open), {state: n for is_open, state, n in rows if not is_open}
