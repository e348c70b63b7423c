"""customer_scores: the materialised value model, read by every answer about
value and risk, and the follow-ups a score run opens.

Scoring reads every counted order once, so the read is shaped for speed:
SQLite concatenates the columns into a few long strings in C and numpy
parses them, instead of building a Python tuple per order (a million
customers have about ten million orders).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from storage.db import transaction
from storage.followup_actions import silenced_customers_sql
from storage.queries import NO_FILTERS, Filters
from storage.schema import COUNTED_STATUS

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
    "reason",
)
_SEP = "\x1e"  # ASCII record separator between customer ids
_MICRO = 1_000_000  # amounts travel as integer millionths (the importer keeps 6 decimals)
_STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


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
    customer in SQL costs twice as much)."""
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
        secs_text, amounts_text = db.execute(
            "SELECT group_concat(unixepoch(ordered_at)), "
            f"group_concat(CAST(round(amount * 1000000) AS INTEGER)) {where}",
            args,
        ).fetchone()
    ids = np.array(ids_text.split(_SEP), dtype=object)
    if ids.size != customers:  # an id holding the separator: take the slow, exact road
        return _load_scoring_orders_rows(db, cutoff)
    counts = np.fromstring(counts_text, dtype=np.int64, sep=",")
    seconds = np.fromstring(secs_text, dtype=np.int64, sep=",")
    amounts = np.fromstring(amounts_text, dtype=np.int64, sep=",") / _MICRO
    codes = np.repeat(np.arange(customers, dtype=np.int64), counts)
    return ScoringOrders(codes, ids, seconds, amounts)


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


def upsert_scores(db: Database, as_of: str, scores: pd.DataFrame) -> int:
    """Replace the stored scores with `scores` (indexed by customer_id, the
    SCORE_COLUMNS after `as_of` as columns): a score run is a snapshot, so
    customers who no longer qualify leave it. Run inside the caller's
    transaction. Returns the number of rows written."""
    import pandas as pd

    cols = SCORE_COLUMNS[2:]
    n = len(scores)
    columns = [scores.index.tolist(), [as_of] * n]
    for c in cols:
        s = scores[c]
        if s.dtype == bool:
            columns.append(s.astype(np.int64).tolist())
        elif pd.api.types.is_numeric_dtype(s):
            columns.append(s.tolist())  # NaN is stored as NULL
        else:
            columns.append(s.astype(object).where(s.notna(), None).tolist())
    db.execute("DELETE FROM customer_scores")
    marks = ", ".join("?" * len(SCORE_COLUMNS))
    db.conn.executemany(
        f"INSERT INTO customer_scores ({', '.join(SCORE_COLUMNS)}) VALUES ({marks})",  # noqa: S608
        zip(*columns, strict=True),
    )
    return n


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


_SCORE_SELECT = (
    "SELECT s.*, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.last_order_at, "
    "COALESCE(s.predicted_clv_12m, s.revenue_12m) AS value, "
    "f.state AS followup_state, f.rep_id AS followup_rep_id, f.opened_at AS followup_opened_at "
    "FROM customer_scores s JOIN customers c ON c.id = s.customer_id "
    "LEFT JOIN followups f ON f.customer_id = s.customer_id AND f.closed_at IS NULL "
)


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
    if quiet_only:
        where += " AND s.quiet = 1"
    if silenced_since:
        where += f" AND s.customer_id NOT IN ({silenced_customers_sql()})"
        args["silence_start"] = silenced_since
    sql = _SCORE_SELECT + f"WHERE {where} ORDER BY value DESC, s.customer_id"
    if limit is not None:
        sql += " LIMIT :limit"
        args["limit"] = int(limit)
    return list(db.query(sql, args))


def count_scores(db: Database, filters: Filters = NO_FILTERS, *, silenced_since: str | None = None) -> dict[str, int]:
    """How many scored, and high-value-quiet (less the silenced), customers
    are in scope. Without a filter the customers table is not joined: every
    scored customer is in it (scores come from orders, whose customers are
    never deleted), and the join tripled the time of a count of them all."""
    where, args = filters.where()
    silenced = "0"
    if silenced_since:
        silenced = f"s.customer_id IN ({silenced_customers_sql()})"
        args = {**args, "silence_start": silenced_since}
    join = "JOIN customers c ON c.id = s.customer_id " if filters.active else ""
    row = db.execute(
        f"SELECT COUNT(*), COALESCE(SUM(s.quiet AND NOT {silenced}), 0) FROM customer_scores s "  # noqa: S608
        f"{join}WHERE {where}",
        args,
    ).fetchone()
    return {"scored": row[0], "quiet": row[1]}


def load_score(db: Database, customer_id: str) -> dict | None:
    return next(db.query(_SCORE_SELECT + "WHERE s.customer_id = ?", [customer_id]), None)
