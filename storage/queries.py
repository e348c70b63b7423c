"""Read queries returning DataFrames. All take an exclusive `cutoff` (stored
UTC text): data at or after it does not exist yet for the caller (`--as-of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from storage.schema import COUNTED_STATUS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Filters:
    """`segment:` and `rep:` filters, and the asker's `book` (the reps whose
    customers they may see; None for everyone), applied to the customers
    table (alias c). Every customer read goes through `where`, so the book
    limits every answer the same way."""

    segment: str | None = None
    rep_id: str | None = None
    book: tuple[str, ...] | None = None

    def where(self) -> tuple[str, dict[str, str]]:
        """The condition and its named parameters (`:segment`, `:rep_id`,
        `:book_0`, `:book_1`…), for the caller to merge with its own."""
        parts, args = ["1"], {}
        if self.segment:
            parts.append("c.segment = :segment COLLATE NOCASE")
            args["segment"] = self.segment
        if self.rep_id:
            parts.append("c.owner_rep_id = :rep_id")
            args["rep_id"] = self.rep_id
        if self.book is not None:
            book = {f"book_{i}": rep for i, rep in enumerate(self.book)}
            parts.append(f"c.owner_rep_id IN ({', '.join(':' + name for name in book) or 'NULL'})")
            args.update(book)
        return " AND ".join(parts), args

    @property
    def active(self) -> bool:
        return bool(self.segment or self.rep_id) or self.book is not None


NO_FILTERS = Filters()


def load_last_order_at(db: Database) -> str | None:
    """Newest counted-or-not order time in the store (index lookup)."""
    return db.execute("SELECT MAX(ordered_at) FROM orders").fetchone()[0]


def _customer_rows(cutoff: str, filters: Filters) -> tuple[str, dict]:
    """SQL for one row per customer known before `cutoff`, with counted-order
    aggregates as of `cutoff`, and its parameters.

    When no order is at or after `cutoff` (the usual case) the aggregates kept
    by imports are exact and are read as they are; otherwise (`--as-of` in the
    past) they are recomputed from the orders before `cutoff`.
    """
    where, args = filters.where()
    cols = "c.id, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.created_at, c.churned_at"
    sql = (
        f"SELECT {cols}, c.first_order_at, c.last_order_at, c.order_count, c.revenue "  # noqa: S608
        f"FROM customers c WHERE {where} AND COALESCE(c.created_at, c.first_order_at, '') < :cutoff"
    )
    return sql, {**args, "cutoff": cutoff}


def _customer_rows_before(cutoff: str, filters: Filters) -> tuple[str, dict]:
    where, args = filters.where()
    cols = "c.id, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.created_at, c.churned_at"
    sql = (
        f"SELECT {cols}, a.first_at AS first_order_at, a.last_at AS last_order_at, "  # noqa: S608
        "COALESCE(a.n, 0) AS order_count, COALESCE(a.total, 0) AS revenue "
        "FROM customers c LEFT JOIN (SELECT customer_id, MIN(ordered_at) AS first_at, "
        "MAX(ordered_at) AS last_at, COUNT(*) AS n, SUM(amount) AS total FROM orders "
        "WHERE status = :counted AND ordered_at < :cutoff GROUP BY customer_id) a ON a.customer_id = c.id "
        f"WHERE {where} AND COALESCE(a.first_at, c.created_at, '') < :cutoff "
        "AND (a.first_at IS NOT NULL OR COALESCE(c.created_at, '') < :cutoff)"
    )
    return sql, {**args, "counted": COUNTED_STATUS, "cutoff": cutoff}


def _customers_as_of(db: Database, cutoff: str, filters: Filters) -> tuple[str, dict]:
    newest = load_last_order_at(db)
    if newest is None or newest < cutoff:
        return _customer_rows(cutoff, filters)
    return _customer_rows_before(cutoff, filters)


def load_customer_totals(db: Database, cutoff: str, filters: Filters = NO_FILTERS) -> dict:
    """Store-wide totals as of `cutoff` in one SQL pass (no per-customer rows
    leave SQLite): customers, buyers, repeat buyers, orders, revenue, first and
    last order. Who is active is not counted here: that rule has one home,
    analytics.kpis.active_at."""
    sql, params = _customers_as_of(db, cutoff, filters)
    row = db.execute(
        "SELECT COUNT(*), SUM(order_count > 0), SUM(order_count >= 2), "  # noqa: S608
        "COALESCE(SUM(order_count), 0), COALESCE(SUM(revenue), 0), MIN(first_order_at), MAX(last_order_at) "
        f"FROM ({sql})",
        params,
    ).fetchone()
    keys = ("customers", "buyers", "repeat_buyers", "orders", "revenue", "first_order_at", "last_order_at")
    return dict(zip(keys, row, strict=True))


# Greater than every stored time (ISO text starts with a digit, or is empty).
_AFTER_ALL = "~"


def load_totals_to_end(db: Database) -> dict:
    """load_customer_totals without a filter, as of any cutoff after `after`
    (also returned: the newest order time and customer creation or first
    order, where every condition of the query holds alike): read with the
    order frame, in its snapshot, and kept and saved with it
    (commands.frames), so no request sums a million customers' rows."""
    newest = db.execute("SELECT MAX(COALESCE(created_at, first_order_at, '')) FROM customers").fetchone()[0]
    after = max(load_last_order_at(db) or "", newest or "")
    return {**load_customer_totals(db, _AFTER_ALL), "after": after}


def load_orders(
    db: Database,
    cutoff: str,
    start: str | None = None,
    filters: Filters = NO_FILTERS,
    counted_only: bool = True,
) -> pd.DataFrame:
    """Orders in [start, cutoff) with customer_id, ordered_at (datetime64 UTC), amount."""
    import pandas as pd

    where, args = filters.where()
    cond = ["o.ordered_at < :cutoff"]
    params: dict[str, str] = {"cutoff": cutoff}
    if start:
        cond.append("o.ordered_at >= :start")
        params["start"] = start
    if counted_only:
        cond.append("o.status = :counted")
        params["counted"] = COUNTED_STATUS
    join = ""
    if filters.active:
        join = "JOIN customers c ON c.id = o.customer_id"
        cond.append(where)
        params.update(args)
    sql = (
        f"SELECT o.id, o.customer_id, o.ordered_at, o.amount, o.status FROM orders o {join} "  # noqa: S608
        f"WHERE {' AND '.join(cond)}"
    )
    df = pd.read_sql_query(sql, db.conn, params=params)
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return df


def load_filter_rowids(db: Database, filters: Filters) -> np.ndarray | None:
    """customers.rowid of the customers a `segment:`/`rep:` filter keeps;
    None when there is no filter (everyone)."""
    from storage.packed import integers

    if not filters.active:
        return None
    where, args = filters.where()
    # One text of rowids, not a row per customer: a rep's book at a million
    # customers is ~150k rows, which cost ~4x as much through Python.
    return integers(db.execute(f"SELECT group_concat(c.rowid) FROM customers c WHERE {where}", args).fetchone()[0])  # noqa: S608


def count_customers_without_orders(db: Database, cutoff: str, filters: Filters) -> int:
    """Customers known before `cutoff` with no counted order before it (the
    rest are in the order frame); two lookups on the first-order index,
    named because with a `rep:` filter SQLite would rather walk the rep's
    whole book on the owner index (~150k rows at a million customers)."""
    where, args = filters.where()
    known = "COALESCE(c.created_at, '') < :cutoff"
    by_first = "customers c INDEXED BY customers_first_order_at"
    return db.execute(
        f"SELECT (SELECT COUNT(*) FROM {by_first} WHERE {where} AND c.first_order_at IS NULL AND {known}) "  # noqa: S608
        f"+ (SELECT COUNT(*) FROM {by_first} WHERE {where} AND c.first_order_at >= :cutoff AND {known})",
        {**args, "cutoff": cutoff},
    ).fetchone()[0]


def load_customers_by_rowid(db: Database, rowids) -> dict[int, dict]:
    """Names and owners of a few customers, for lists in messages, by
    customers.rowid (the order frame's customer key)."""
    rowids = [int(r) for r in rowids]
    if not rowids:
        return {}
    marks = ",".join("?" * len(rowids))
    rows = db.query(
        f"SELECT rowid AS rowid, id, name, email, company, segment, owner_rep_id FROM customers "  # noqa: S608
        f"WHERE rowid IN ({marks})",
        rowids,
    )
    return {row["rowid"]: row for row in rows}


def load_feedback(db: Database, start: str, end: str, filters: Filters) -> pd.DataFrame:
    """Survey answers submitted in [start, end), counted per kind and score
    (`kind`, `score`, `answers`): a few rows whatever the volume."""
    import pandas as pd

    cond, params = "f.submitted_at >= :start AND f.submitted_at < :end", {"start": start, "end": end}
    if filters.active:
        where, args = filters.where()
        cond += f" AND f.customer_id IN (SELECT c.id FROM customers c WHERE {where})"  # noqa: S608
        params.update(args)
    return pd.read_sql_query(
        f"SELECT f.kind, f.score, COUNT(*) AS answers FROM feedback f WHERE {cond} GROUP BY f.kind, f.score",  # noqa: S608
        db.conn,
        params=params,
    )
