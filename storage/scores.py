"""customer_scores: the materialised value model, read by every answer about
value and risk, and the follow-ups a score run opens.

Scoring reads every counted order once, so the read is shaped for speed:
SQLite concatenates the columns into a few long strings in C and numpy
parses them, instead of building a Python tuple per order (a million
customers have about ten million orders).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from storage.db import transaction
from storage.followup_actions import silenced_customers_sql
from storage.packed import MICRO, integers, micro_amounts, stored_seconds
from storage.queries import NO_FILTERS, Filters
from storage.schema import COUNTED_STATUS, QUIET_BY_VALUE
from storage.settings import load_meta, upsert_meta

if TYPE_CHECKING:
    import pandas as pd

SCORE_COLUMNS = (
    "customer_id",
    "as_of",
    "orders",
    "frequency",
    "recency_days",
    "tenure_days",
    "monetary",
    "revenue_12m",
    "p_alive",
    "expected_orders_90d",
    "predicted_clv_12m",
    "value_pct",
    "typical_gap_days",
    "quiet",
    "reason_code",
)
_SEP = "\x1e"  # ASCII record separator between customer ids


@dataclass
class ScoringOrders:
    """Counted orders before a cutoff: `codes` index `ids`; `seconds` are Unix
    times; rows come grouped by customer and in time order."""

    codes: np.ndarray
    ids: np.ndarray
    seconds: np.ndarray
    amounts: np.ndarray


def load_scoring_orders(db: Database, cutoff: str) -> ScoringOrders:
    """Every counted order before `cutoff`, as arrays. Two walks of the
    (customer_id, ordered_at) index, pinned by INDEXED BY so both see the
    rows in its order, in one read snapshot: the customers with their order
    counts, then every order's time and amount, flat (grouping the times per
    customer in SQL costs twice as much). The times come as the stored text,
    fixed-width, and numpy reads the digits: SQLite's unixepoch() on each of
    them was most of the read (measured: 0.44 → 0.18 s CPU at 0.87M orders)."""
    where = "FROM orders INDEXED BY orders_customer_time WHERE status = :counted AND ordered_at < :cutoff"
    args = {"counted": COUNTED_STATUS, "cutoff": cutoff}
    with transaction(db, write=False):
        customers, ids_text, counts_text = db.execute(
            "SELECT count(*), group_concat(cid, char(30)), group_concat(n) "  # noqa: S608
            f"FROM (SELECT customer_id AS cid, count(*) AS n {where} GROUP BY customer_id)",
            args,
        ).fetchone()
        if not customers:
            empty = np.zeros(0, dtype=np.int64)
            return ScoringOrders(empty, np.array([], dtype=object), empty, np.zeros(0))
        times, amounts_text = db.execute(
            "SELECT CAST(group_concat(ordered_at, '') AS BLOB), "
            f"group_concat(CAST(round(amount * {MICRO}) AS INTEGER)) {where}",
            args,
        ).fetchone()
    ids = np.array(ids_text.split(_SEP), dtype=object)
    counts = integers(counts_text)
    seconds = stored_seconds(times, int(counts.sum())) if ids.size == customers else None
    del times
    if seconds is None:  # an id holding the separator, a time not in the stored form: the slow, exact road
        return _load_scoring_orders_rows(db, cutoff)
    amounts = micro_amounts(amounts_text)
    codes = np.repeat(np.arange(customers, dtype=np.int64), counts)
    return ScoringOrders(codes, ids, seconds, amounts)


def load_customers_by_id(db: Database) -> tuple[np.ndarray, np.ndarray]:
    """Every customer's rowid and id, in id order (the order a score lists
    customers in, as load_scoring_orders walks them): off the id index, its
    two columns each one long string."""
    rowids_text, ids_text, n = db.execute(
        "SELECT group_concat(r), group_concat(id, char(30)), count(*) "
        "FROM (SELECT rowid AS r, id FROM customers ORDER BY id)"
    ).fetchone()
    ids = ids_text.split(_SEP) if n else []
    if len(ids) != n:  # an id holding the separator
        rows = db.execute("SELECT rowid, id FROM customers ORDER BY id").fetchall()
        return np.array([r for r, _ in rows], dtype=np.int64), np.array([i for _, i in rows], dtype=object)
    return integers(rowids_text), np.array(ids, dtype=object)


def _load_scoring_orders_rows(db: Database, cutoff: str) -> ScoringOrders:
    import pandas as pd

    df = pd.read_sql_query(
        "SELECT customer_id, unixepoch(ordered_at) AS s, amount FROM orders "
        "WHERE status = ? AND ordered_at < ? ORDER BY customer_id, ordered_at",
        db.conn,
        params=[COUNTED_STATUS, cutoff],
    )
    codes, ids = pd.factorize(df["customer_id"], sort=False)
    return ScoringOrders(
        codes.astype(np.int64),
        np.asarray(ids, dtype=object),
        df["s"].to_numpy(np.int64),
        df["amount"].to_numpy(np.float64),
    )


def load_quiet_ids(db: Database) -> set[str]:
    """Customers the last score run flagged as going quiet."""
    return {r[0] for r in db.execute("SELECT customer_id FROM customer_scores WHERE quiet = 1")}


def load_silence_expired_ids(db: Database, silenced_since: str) -> set[str]:
    """Customers whose latest follow-up a rep closed as "not at risk" before
    `silenced_since`: their silence is over, so if still quiet they are due a
    new follow-up even though they were already quiet."""
    return {
        r[0]
        for r in db.execute(
            "SELECT f.customer_id FROM followups f WHERE f.state = 'dismissed' AND f.closed_at <= ? "
            "AND f.id = (SELECT MAX(g.id) FROM followups g WHERE g.customer_id = f.customer_id)",
            [silenced_since],
        )
    }


SCORES_DIGEST_META = "scores_digest"  # storage.settings meta: what the stored snapshot holds
_ROWS_PER_INSERT = 64  # rows per INSERT statement (14 bound values each, well under SQLite's 32,766)
_ROWS_PER_BLOCK = 4096  # rows turned into Python values at a time (memory stays flat)


def upsert_scores(db: Database, as_of: str, scores: pd.DataFrame) -> int:
    """Replace the stored scores with `scores` (indexed by customer_id, the
    SCORE_COLUMNS after `as_of` as columns): a score run is a snapshot, so
    customers who no longer qualify leave it. Run inside the caller's
    transaction. Returns the number of rows written: none when the snapshot
    is the one already stored (a digest of its values is kept beside it), so
    a second run on unchanged data writes nothing.

    A changed snapshot (every row, once a day has passed: each customer's age
    moves) goes in as multi-row INSERTs of 64 rows: binding the values from
    Python is most of the cost, and one statement per 64 rows halves it
    (measured: 0.52 → 0.27 s CPU for 200k rows). The run's one day is
    written into the statement instead of bound on every row, and numpy
    fills a block of Python values column by column (a third less than
    zipping lists)."""
    columns = _score_columns(as_of, scores)
    digest = _digest(columns)
    n = len(scores)
    stored = db.execute("SELECT count(*) FROM customer_scores").fetchone()[0]
    if stored == n and load_meta(db, SCORES_DIGEST_META) == digest:
        return 0
    db.execute("DELETE FROM customer_scores")
    cells = [c for c in columns if not isinstance(c, str)]
    day = "'" + as_of.replace("'", "''") + "'"  # a SQL string literal
    row = "(?, " + day + ", " + ", ".join("?" * (len(cells) - 1)) + ")"
    insert = f"INSERT INTO customer_scores ({', '.join(SCORE_COLUMNS)}) VALUES "  # noqa: S608
    many = insert + ", ".join([row] * _ROWS_PER_INSERT)
    width = len(cells) * _ROWS_PER_INSERT
    for lo in range(0, n, _ROWS_PER_BLOCK):
        hi = min(lo + _ROWS_PER_BLOCK, n)
        block = np.empty((hi - lo, len(cells)), dtype=object)
        for j, cell in enumerate(cells):
            block[:, j] = cell[lo:hi]  # numbers become Python ints and floats here
        values = block.reshape(-1)
        full = (hi - lo) // _ROWS_PER_INSERT * width
        db.conn.executemany(many, (values[i : i + width].tolist() for i in range(0, full, width)))
        if full < values.size:
            db.execute(insert + ", ".join([row] * ((values.size - full) // len(cells))), values[full:].tolist())
    upsert_meta(db, SCORES_DIGEST_META, digest)
    return n


def _score_columns(as_of: str, scores: pd.DataFrame) -> list[np.ndarray | str]:
    """SCORE_COLUMNS as arrays SQLite can take (bools as 0/1, missing text
    as None; NaN numbers are stored as NULL), `as_of` as the one value."""
    import pandas as pd

    columns: list[np.ndarray | str] = [np.asarray(scores.index, dtype=object), as_of]
    for name in SCORE_COLUMNS[2:]:
        s = scores[name]
        if s.dtype == bool:
            columns.append(s.to_numpy(np.int64))
        elif pd.api.types.is_numeric_dtype(s):
            columns.append(s.to_numpy())
        else:
            columns.append(s.astype(object).where(s.notna(), None).to_numpy(object))
    return columns


def _digest(columns: list[np.ndarray | str]) -> str:
    """A digest of the snapshot's values: numbers by their type and bytes,
    text joined by a separator none of it holds (JSON, exact and encoded in
    C, when some does or a value is missing). SHA-256: the one hashlib
    computes in hardware on current CPUs."""
    h = hashlib.sha256()
    for column in columns:
        if isinstance(column, str):
            h.update(json.dumps(column).encode())
        elif column.dtype == object:
            h.update(_text_bytes(column.tolist()))
        else:
            h.update(column.dtype.str.encode())
            h.update(np.ascontiguousarray(column).data.cast("B"))
    return h.hexdigest()


def _text_bytes(values: list) -> bytes:
    try:
        joined = _SEP.join(values)
    except TypeError:  # a missing value
        joined = None
    if joined is not None and joined.count(_SEP) == max(len(values) - 1, 0):
        return b"S" + joined.encode("utf-8", "surrogatepass")
    return b"J" + json.dumps(values).encode()


def open_followups(db: Database, quiet: Iterable[tuple[str, float]], opened_at: str, silenced_since: str) -> int:
    """Open a follow-up, owned by the customer's rep (or unassigned), for each
    (customer_id, value) unless one is already open (the partial unique index
    on open follow-ups turns a duplicate into a no-op) or a rep said "not at
    risk" since `silenced_since`. Returns how many opened. One set-based
    INSERT over a staging table: per row, the silence check would rescan
    the follow-ups (a first score opens tens of thousands)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS due_followups (customer_id TEXT NOT NULL, value REAL)")
    db.execute("DELETE FROM temp.due_followups")
    db.conn.executemany("INSERT INTO temp.due_followups VALUES (?, ?)", quiet)
    return db.execute(
        "INSERT OR IGNORE INTO followups (customer_id, rep_id, state, opened_at, value_at_open) "  # noqa: S608
        "SELECT c.id, c.owner_rep_id, 'open', :opened_at, d.value FROM temp.due_followups d "
        f"JOIN customers c ON c.id = d.customer_id WHERE c.id NOT IN ({silenced_customers_sql()}) "
        "ORDER BY d.rowid",
        {"opened_at": opened_at, "silence_start": silenced_since},
    ).rowcount


CACHE_KIB = -262_144  # negative: KiB, as PRAGMA cache_size takes it


@contextmanager
def large_cache(db: Database) -> Iterator[None]:
    """A 256 MB page cache while scoring: reading ten million orders and
    rewriting a million scores through SQLite's default 2 MB cache spills and
    re-reads pages (measured: 30% slower)."""
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {CACHE_KIB}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(before)}")


_SCORE_COLUMNS = (
    "SELECT s.*, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.last_order_at, "
    "COALESCE(s.predicted_clv_12m, s.revenue_12m) AS value, "
    "f.state AS followup_state, f.rep_id AS followup_rep_id, f.opened_at AS followup_opened_at "
)
_SCORE_JOINS = (
    "JOIN customers c ON c.id = s.customer_id "
    "LEFT JOIN followups f ON f.customer_id = s.customer_id AND f.closed_at IS NULL "
)
_SCORE_SELECT = _SCORE_COLUMNS + "FROM customer_scores s " + _SCORE_JOINS
# Quiet customers in value order, straight off the partial index: SQLite
# (no statistics gathered) would rather find a filter's customers by their
# segment or owner, look up each one's score and sort them all (~0.4 s).
_QUIET = f"customer_scores s INDEXED BY {QUIET_BY_VALUE} "


def load_scores(
    db: Database,
    filters: Filters = NO_FILTERS,
    *,
    quiet_only: bool = False,
    limit: int | None = None,
    silenced_since: str | None = None,
) -> list[dict]:
    """Stored scores with the customer's name, segment and owner and any open
    follow-up, highest value first (value = predicted 12-month value, or
    trailing 12-month revenue when the run used rules). With `silenced_since`,
    customers a rep marked "not at risk" since then are left out."""
    where, filter_args = filters.where()
    args: dict[str, str | int] = dict(filter_args)
    select = _SCORE_SELECT
    if quiet_only:
        where += " AND s.quiet = 1"
        select = _SCORE_COLUMNS + "FROM " + _QUIET + _SCORE_JOINS
    if silenced_since:
        where += f" AND s.customer_id NOT IN ({silenced_customers_sql()})"
        args["silence_start"] = silenced_since
    sql = select + f"WHERE {where} ORDER BY value DESC, s.customer_id"
    if limit is not None:
        sql += " LIMIT :limit"
        args["limit"] = int(limit)
    return list(db.query(sql, args))


def count_scores(db: Database, filters: Filters = NO_FILTERS, *, silenced_since: str | None = None) -> dict[str, int]:
    """How many scored, and high-value-quiet (less the silenced), customers
    are in scope. Without a filter the customers table is not joined (every
    scored customer is in it: scores come from orders, whose customers are
    never deleted), and the quiet ones are counted off their own index
    instead of reading every score row; with one, a single pass over the
    filter's customers counts both (~0.4 s at a million customers: what
    commands.score_counts keeps), less the silenced ones counted apart
    (count_silenced_quiet: a few, and they change with time and dismissals)."""
    if filters.active:
        where, args = filters.where()
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(s.quiet), 0) FROM customer_scores s "  # noqa: S608
            f"JOIN customers c ON c.id = s.customer_id WHERE {where}"
        )
        scored, quiet = db.execute(sql, args).fetchone()
        if silenced_since:
            quiet -= count_silenced_quiet(db, filters, silenced_since)
        return {"scored": scored, "quiet": quiet}
    silenced, args = "0", {}
    if silenced_since:
        silenced, args = f"s.customer_id IN ({silenced_customers_sql()})", {"silence_start": silenced_since}
    sql = (
        "SELECT (SELECT COUNT(*) FROM customer_scores), "  # noqa: S608
        f"(SELECT COUNT(*) FROM {_QUIET}WHERE s.quiet = 1 AND NOT {silenced})"
    )
    row = db.execute(sql, args).fetchone()
    return {"scored": row[0], "quiet": row[1]}


def count_silenced_quiet(db: Database, filters: Filters, silenced_since: str) -> int:
    """How many of the quiet customers `filters` keep are silenced (marked
    "not at risk" since `silenced_since`): read from the silenced ones, each
    looked up in the scores and the customers, not from the filter's."""
    where, args = filters.where()
    sql = (
        f"SELECT COUNT(*) FROM (SELECT DISTINCT customer_id FROM ({silenced_customers_sql()})) d "  # noqa: S608
        "CROSS JOIN customer_scores s ON s.customer_id = d.customer_id "
        f"CROSS JOIN customers c ON c.id = s.customer_id WHERE s.quiet = 1 AND {where}"
    )
    return int(db.execute(sql, {**args, "silence_start": silenced_since}).fetchone()[0])


def load_scores_mark(db: Database) -> str | None:
    """What identifies the stored score snapshot (its digest, written with it
    by upsert_scores, the only writer): a cache of counts over the scores is
    kept by it."""
    mark = load_meta(db, SCORES_DIGEST_META)
    return None if mark is None else str(mark)


def load_score(db: Database, customer_id: str) -> dict | None:
    return next(db.query(_SCORE_SELECT + "WHERE s.customer_id = ?", [customer_id]), None)
