"""What the order frame is built from, read from the store: every counted
order's time, customer and amount in time order, and the customers' rowids
and contract ends, read packed (storage.packed: seconds, not tens of
seconds, at ten million orders) (analytics.frame builds the
frame; commands.frames keeps it per process).

Orders, `churned_at` and survey answers are written only by imports (and
currency conversions, which add an `imports` row too) and live-source syncs
(which count their changing batches in the same transaction), so the newest
import, the highest order and customer rowids and the sources' counts
identify the content (`content_key`), and the same less the imports that
write none of it (reps) identify the frame's (`order_key`); anything else
that rewrites them must change one of those too, or neither the frames kept
in memory nor those saved next to the store (storage.frame_files) would be
rebuilt.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from storage.db import store_path
from storage.packed import MICRO, TIME_WIDTH, exact_micro_sql, integers, micro_amounts, stored_seconds
from storage.queries import load_totals_to_end
from storage.schema import COUNTED_STATUS

if TYPE_CHECKING:
    import pandas as pd

_CHUNK = 500_000


@dataclass(frozen=True)
class OrderColumns:
    """Counted orders by time (`ts` epoch seconds, `cust` customer position,
    `amount`); per customer position, `rowid` (ascending) and `churned_ts`
    (epoch seconds of a contract end, or None where there is none)."""

    ts: np.ndarray
    cust: np.ndarray
    amount: np.ndarray
    rowid: np.ndarray
    churned_ts: pd.Series
    answers: AnswerColumns
    totals: dict | None = None  # storage.queries.load_totals_to_end, of the same snapshot


# Survey kinds, in the order SQL sorts them (the schema's CHECK allows these).
ANSWER_KINDS = ("ces", "csat", "nps")


@dataclass(frozen=True)
class AnswerColumns:
    """Survey answers by submission time: `at` the stored UTC text as bytes
    (ascending), `kind` an index into ANSWER_KINDS, `score`, `cust` the
    customer position."""

    at: np.ndarray
    kind: np.ndarray
    score: np.ndarray
    cust: np.ndarray


# Imports that write none of what the frame is built from: a reps file
# writes the reps table alone (owners are customers' rows).
_NOT_IN_FRAME = ("reps",)


def content_key(db: Database) -> tuple[str, str]:
    """(store, version): the store's path (or the in-memory connection), and
    what identifies its content as JSON text — every import, reps' too: what
    the caches of who is in a filter or a book are kept by
    (commands.kpi_inputs), which must see a reps import at once."""
    return _key(db, skip=())


_IN_MEMORY = "memory:"  # a key's store for a database without a file: this prefix and the connection's id


def saved_path(store: str) -> str:
    """The file a key's `store` names, next to which its frames are saved;
    "" for an in-memory store, which has nowhere to save them."""
    return "" if store.startswith(_IN_MEMORY) else store


def order_key(db: Database) -> tuple[str, str]:
    """content_key less the imports that leave the frame's sources alone
    (_NOT_IN_FRAME): what an order frame is kept, saved and validated by
    (commands.frames), so a reps import does not rebuild and save seconds
    of orders (~12 s at a million customers) that did not change."""
    return _key(db, skip=_NOT_IN_FRAME)


def _key(db: Database, skip: tuple[str, ...]) -> tuple[str, str]:
    path = store_path(db)
    marks = ", ".join("?" * len(skip))
    last_import = db.execute(
        f"SELECT id, sha256, imported_at, kind FROM imports WHERE kind NOT IN ({marks}) ORDER BY id DESC LIMIT 1",  # noqa: S608
        list(skip),
    ).fetchone()
    rows = db.execute("SELECT (SELECT MAX(rowid) FROM orders), (SELECT MAX(rowid) FROM customers)").fetchone()
    # a live source counts its batches that changed rows (a refund adds none) in their transaction;
    # its cursor is left out: a sync that changes nothing keeps the key, and the frame
    synced = db.execute("SELECT group_concat(name || ' ' || changes) FROM sources WHERE changes > 0")
    version = [list(last_import) if last_import else None, *rows, synced.fetchone()[0]]
    return (path or f"{_IN_MEMORY}{id(db.conn)}", json.dumps(version))


def read_order_snapshot(db: Database) -> tuple[tuple[str, str], OrderColumns]:
    """The order key and the order columns of one snapshot of the store
    (one read transaction: an import committing meanwhile is in neither)."""
    if db.conn.in_transaction:
        return _snapshot(db)
    db.execute("BEGIN")
    try:
        return _snapshot(db)
    finally:
        db.conn.rollback()


def _snapshot(db: Database) -> tuple[tuple[str, str], OrderColumns]:
    return order_key(db), replace(read_order_columns(db), totals=load_totals_to_end(db))


# unixepoch() (SQLite 3.38+) is ~3x faster than strftime('%s') on 1M rows.
_EPOCH = "unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%s', {}) AS INTEGER)"


def read_order_columns(db: Database) -> OrderColumns:
    """Counted orders in time order; positions follow the customers table's
    rowid order. Read packed (storage.packed) when every time and amount is
    in the form the importer writes, else row by row: the same columns
    either way. Call inside a read transaction (several statements)."""
    packed = _read_packed(db)
    return packed if packed is not None else read_order_rows(db)


def _read_packed(db: Database) -> OrderColumns | None:
    """Two walks of the (customer_id, ordered_at, status, amount) index, as
    storage.scores reads (each customer's rowid and order count, then every
    order's time and amount, flat), then one stable sort by (time, customer
    id): the order the time index gives, ties and all, so sums over the
    frame add up in the same order. None when a time is not in the stored
    form, an amount does not come back exactly through millionths or an
    order's customer is not in the table."""
    import pandas as pd

    index = "FROM orders INDEXED BY orders_customer_time WHERE status = :counted"
    args = {"counted": COUNTED_STATUS}
    rowid = integers(
        db.execute("SELECT group_concat(r) FROM (SELECT rowid AS r FROM customers ORDER BY rowid)").fetchone()[0]
    )
    groups, rids_text, counts_text = db.execute(
        "SELECT count(*), group_concat(rid), group_concat(n) FROM ("  # noqa: S608
        f"SELECT (SELECT rowid FROM customers WHERE id = customer_id) AS rid, count(*) AS n {index} "
        "GROUP BY customer_id)",
        args,
    ).fetchone()
    # Times, then amounts: one long string at a time in memory (SQLite's
    # copy and Python's), ~170 MB each at ten million orders.
    n, times = db.execute(f"SELECT count(*), CAST(group_concat(ordered_at, '') AS BLOB) {index}", args).fetchone()
    rids, counts = integers(rids_text), integers(counts_text)
    if rids.size != groups or int(counts.sum()) != n:
        return None
    ts = stored_seconds(times or b"", n)
    del times
    if ts is None:
        return None
    amounts_text, inexact = db.execute(
        f"SELECT group_concat(CAST(round(amount * {MICRO}) AS INTEGER)), total(NOT {exact_micro_sql('amount')}) "
        f"{index}",
        args,
    ).fetchone()
    if inexact:
        return None
    amount = micro_amounts(amounts_text)
    del amounts_text
    codes = np.repeat(np.arange(groups, dtype=np.int64), counts)
    if n:
        low, span = ts.min(), int(ts.max() - ts.min()) + 1
        if span < (1 << 62) // groups:  # one key, time then customer: numpy's fastest stable sort
            order = np.argsort((ts - low) * groups + codes, kind="stable")
        else:
            order = np.lexsort((codes, ts))
        ts, amount, codes = ts[order], amount[order], codes[order]
    cust = np.searchsorted(rowid, rids).astype(np.int32)[codes]
    churned = np.full(len(rowid), np.nan)
    ended = db.execute(
        f"SELECT rowid, {_EPOCH.format('churned_at')} FROM customers "  # noqa: S608
        "WHERE churned_at IS NOT NULL AND churned_at != ''"
    ).fetchall()
    if ended:
        at, seconds = np.array(ended, dtype=float).T
        churned[np.searchsorted(rowid, at.astype(np.int64))] = seconds
    answers = _read_packed_answers(db, rowid)
    if answers is None:
        answers = _read_answers(db, rowid)
    return OrderColumns(ts, cust, amount, rowid, pd.Series(churned).astype("Int64"), answers)


def _read_packed_answers(db: Database, rowid: np.ndarray) -> AnswerColumns | None:
    """Survey answers by submission time, packed as the orders are; None
    when a time is not in the stored form, a score does not come back
    through millionths or an answer's customer is not in the table."""
    kinds = " ".join(f"WHEN '{kind}' THEN {i}" for i, kind in enumerate(ANSWER_KINDS))
    n, at, kind, score, rids, inexact = db.execute(
        "SELECT count(*), CAST(group_concat(submitted_at, '') AS BLOB), "  # noqa: S608
        f"group_concat(CASE kind {kinds} END), group_concat(CAST(round(score * {MICRO}) AS INTEGER)), "
        f"group_concat((SELECT rowid FROM customers WHERE id = customer_id)), total(NOT {exact_micro_sql('score')}) "
        "FROM (SELECT * FROM feedback ORDER BY submitted_at)"
    ).fetchone()
    at = at or b""
    if inexact or len(at) != n * TIME_WIDTH or stored_seconds(at, n) is None:
        return None
    kinds_at, scores, rid = integers(kind), micro_amounts(score), integers(rids)
    if not (kinds_at.size == scores.size == rid.size == n):
        return None
    cust = np.searchsorted(rowid, rid).astype(np.int32)
    return AnswerColumns(np.frombuffer(at, dtype=f"S{TIME_WIDTH}"), kinds_at.astype(np.int8), scores, cust)


def read_order_rows(db: Database) -> OrderColumns:
    """The plain road: stream counted orders in time order off the covering
    index, in chunks (bounded memory), a row at a time."""
    import pandas as pd

    churned = _EPOCH.format("NULLIF(churned_at, '')")
    customers = pd.read_sql_query(
        f"SELECT rowid AS rowid, id, {churned} AS churned_ts FROM customers ORDER BY rowid",  # noqa: S608
        db.conn,
    )
    ids = pd.Index(customers["id"].to_numpy(object))
    parts = []
    sql = (
        f"SELECT {_EPOCH.format('ordered_at')} AS ts, customer_id, amount FROM orders "  # noqa: S608
        "WHERE status = ? ORDER BY ordered_at"
    )
    for chunk in pd.read_sql_query(sql, db.conn, params=[COUNTED_STATUS], chunksize=_CHUNK):
        cust = ids.get_indexer(chunk["customer_id"])
        known = cust >= 0  # a customer imported after we read the table: in the next frame
        parts.append(
            (
                chunk["ts"].to_numpy(np.int64)[known],
                cust[known].astype(np.int32),
                chunk["amount"].to_numpy(np.float64)[known],
            )
        )
    ts, cust, amount = (
        np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dt)
        for i, dt in enumerate((np.int64, np.int32, np.float64))
    )
    rowid = customers["rowid"].to_numpy(np.int64)
    return OrderColumns(ts, cust, amount, rowid, customers["churned_ts"], _read_answers(db, rowid))


def _read_answers(db: Database, rowid: np.ndarray) -> AnswerColumns:
    import pandas as pd

    df = pd.read_sql_query(
        "SELECT submitted_at, kind, score, (SELECT rowid FROM customers WHERE id = customer_id) AS rid "
        "FROM feedback ORDER BY submitted_at",
        db.conn,
    )
    rid = df["rid"].to_numpy(np.float64)  # NaN: a customer imported after we read the table
    known = ~np.isnan(rid)
    cust = np.searchsorted(rowid, rid[known].astype(np.int64)).astype(np.int32)
    at = np.array([t.encode() for t in df["submitted_at"]], dtype="S") if len(df) else np.zeros(0, "S20")
    kind = np.searchsorted(np.array(ANSWER_KINDS), df["kind"].to_numpy(str)).astype(np.int8)
    return AnswerColumns(at[known], kind[known], df["score"].to_numpy(np.float64)[known], cust)
