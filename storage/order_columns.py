"""What the order frame is built from, read from the store: every counted
order's time, customer and amount, in time order off the covering index,
and the customers' rowids and contract ends (analytics.frame builds the
frame; commands.frames keeps it per process).

Orders and `churned_at` are written only by imports (and currency
conversions, which add an `imports` row too) and live-source syncs (which
move the source's cursor in the same transaction), so the newest import,
the highest order and customer rowids and the sources' cursors identify the
content (`content_key`); anything else that rewrites them must change one of
those too, or neither
the frames kept in memory nor those saved next to the store
(storage.frame_files) would be rebuilt.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from storage.db import store_path
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


def content_key(db: Database) -> tuple[str, str]:
    """(store, version): the store's path (or the in-memory connection), and
    what identifies its order content as JSON text (a persisted frame keeps it)."""
    path = store_path(db)
    last_import = db.execute("SELECT id, sha256, imported_at, kind FROM imports ORDER BY id DESC LIMIT 1").fetchone()
    rows = db.execute("SELECT (SELECT MAX(rowid) FROM orders), (SELECT MAX(rowid) FROM customers)").fetchone()
    # a live source's batch moves its cursor in the transaction that changes rows (a refund adds none)
    synced = db.execute("SELECT group_concat(name || ' ' || COALESCE(cursor, '') || ' ' || batch_at) FROM sources")
    version = [list(last_import) if last_import else None, *rows, synced.fetchone()[0]]
    return (path or f"memory:{id(db.conn)}", json.dumps(version))


def read_order_snapshot(db: Database) -> tuple[tuple[str, str], OrderColumns]:
    """The content key and the order columns of one snapshot of the store
    (one read transaction: an import committing meanwhile is in neither)."""
    if db.conn.in_transaction:
        return content_key(db), read_order_columns(db)
    db.execute("BEGIN")
    try:
        return content_key(db), read_order_columns(db)
    finally:
        db.conn.rollback()


# unixepoch() (SQLite 3.38+) is ~3x faster than strftime('%s') on 1M rows.
_EPOCH = "unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%s', {}) AS INTEGER)"


def read_order_columns(db: Database) -> OrderColumns:
    """Stream counted orders in time order off the covering index, in chunks
    (bounded memory); positions follow the customers table's rowid order."""
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
    return OrderColumns(
        ts, cust, amount, customers["rowid"].to_numpy(np.int64), customers["churned_ts"], _read_answers(db, ids)
    )


def _read_answers(db: Database, ids) -> AnswerColumns:
    import pandas as pd

    df = pd.read_sql_query("SELECT submitted_at, kind, score, customer_id FROM feedback ORDER BY submitted_at", db.conn)
    cust = ids.get_indexer(df["customer_id"])
    known = cust >= 0
    at = np.array([t.encode() for t in df["submitted_at"]], dtype="S") if len(df) else np.zeros(0, "S20")
    kind = np.searchsorted(np.array(ANSWER_KINDS), df["kind"].to_numpy(str)).astype(np.int8)
    return AnswerColumns(at[known], kind[known], df["score"].to_numpy(np.float64)[known], cust[known].astype(np.int32))
