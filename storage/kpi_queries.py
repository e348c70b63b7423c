"""Reads behind the KPI commands.

The heart is the order frame: every counted order as three numpy columns
(UTC epoch seconds, customer position, amount), sorted by time, plus each
customer's first-order time and contract end. Any period window is then two binary searches
and a slice, so CRR, KPIs, cohorts and trends answer in milliseconds instead
of a distinct-customer SQL scan per window (~150 ms each at 1M orders).

The frame is built once per store content and kept in the process. Orders and
`churned_at` are written only by the importer, and every import adds an
`imports` row, so the newest import plus the highest order and customer rowids
identify the content; anything else that rewrites them must call
`forget_order_frames()`. Customer attributes that other features change
(owner, segment) are never cached: filters read them per request.
"""

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlite_utils import Database

from storage.queries import Filters, nulls_as_none
from storage.schema import COUNTED_STATUS

NO_ORDER = np.iinfo(np.int64).max  # first-order time of a customer without orders
_CHUNK = 500_000
_KEEP = 4  # stores kept in memory (tests open many small ones; the bot one)


@dataclass
class OrderFrame:
    """Counted orders of one store, sorted by time; customers by position.

    `ts`, `cust`, `amount` are per order, time ascending. `first` marks each
    customer's first-ever counted order. `rowid`, `first_ts` and `churned_ts`
    (contract end) are per customer position."""

    ts: np.ndarray  # int64 epoch seconds (UTC)
    cust: np.ndarray  # int32 customer position
    amount: np.ndarray  # float64
    first: np.ndarray  # bool
    rowid: np.ndarray  # int64 customers.rowid per position, ascending
    first_ts: np.ndarray  # int64 per position; NO_ORDER when none
    churned_ts: np.ndarray  # int64 per position; NO_ORDER when the contract has not ended
    _months: dict = field(default_factory=dict, repr=False)

    @property
    def n_customers(self) -> int:
        return len(self.rowid)

    def upto(self, bound: int) -> int:
        """Index of the first order at or after `bound` (exclusive slice end)."""
        return int(np.searchsorted(self.ts, bound, side="left"))

    def between(self, lo: int, hi: int) -> slice:
        """Orders with lo <= ts < hi."""
        return slice(self.upto(lo), self.upto(hi))

    def positions(self, rowids) -> np.ndarray:
        """Positions of the given customers.rowid values (unknown ones dropped)."""
        r = np.asarray(rowids, dtype=np.int64)
        pos = np.searchsorted(self.rowid, r)
        ok = pos < len(self.rowid)
        ok[ok] = self.rowid[pos[ok]] == r[ok]
        return pos[ok]

    def local_months(self, tz_name: str) -> np.ndarray:
        """Per order, its month in the workspace time zone as year*12 + month-1
        (computed once per time zone: converting 1M instants takes ~0.2 s)."""
        if tz_name not in self._months:
            local = pd.to_datetime(self.ts, unit="s", utc=True).tz_convert(tz_name)
            self._months[tz_name] = (local.year * 12 + local.month - 1).to_numpy(np.int32)
        return self._months[tz_name]


def build_order_frame(orders: pd.DataFrame, customers: pd.DataFrame) -> OrderFrame:
    """Frame from counted orders (`ts` epoch seconds, `customer_id`, `amount`)
    and customers (`rowid`, `id`, optional `churned_ts`). Pure, so tests can
    build one."""
    customers = customers.sort_values("rowid")
    ids = pd.Index(customers["id"].to_numpy(object))
    orders = orders.sort_values("ts", kind="stable")
    cust = ids.get_indexer(orders["customer_id"].to_numpy(object))
    if (cust < 0).any():
        raise ValueError("orders refer to customers that are not in the customers table")
    return _frame(orders["ts"].to_numpy(np.int64), cust.astype(np.int32),
                  orders["amount"].to_numpy(np.float64), customers["rowid"].to_numpy(np.int64),
                  _churned(customers.get("churned_ts")))


def _churned(values: pd.Series | None) -> np.ndarray | None:
    if values is None:
        return None
    return values.astype("Int64").fillna(NO_ORDER).to_numpy(np.int64)


def _frame(ts: np.ndarray, cust: np.ndarray, amount: np.ndarray, rowid: np.ndarray,
           churned_ts: np.ndarray | None) -> OrderFrame:
    """`ts` must be ascending. A customer's first order is the earliest; of
    several at that instant, the smallest amount (any, if amounts tie too)."""
    first = np.zeros(len(ts), dtype=bool)
    first_ts = np.full(len(rowid), NO_ORDER, dtype=np.int64)
    if len(ts):
        _, at = np.unique(cust, return_index=True)
        first_ts[cust[at]] = ts[at]
        tied = np.flatnonzero(ts == first_ts[cust])
        tied = tied[np.lexsort((amount[tied], cust[tied]))]
        keep = np.r_[True, cust[tied][1:] != cust[tied][:-1]]
        first[tied[keep]] = True
    if churned_ts is None:
        churned_ts = np.full(len(rowid), NO_ORDER, dtype=np.int64)
    return OrderFrame(ts, cust, amount, first, rowid, first_ts, churned_ts)


_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def load_order_frame(db: Database) -> OrderFrame:
    """The order frame of `db`, from the process cache when the store has not
    changed since it was built."""
    key = _content_key(db)
    with _lock:
        frame = _cache.get(key)
        if frame is not None:
            _cache.move_to_end(key)
            return frame
    frame = _read_order_frame(db)
    with _lock:
        _cache[key] = frame
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return frame


def forget_order_frames() -> None:
    with _lock:
        _cache.clear()


def _content_key(db: Database) -> tuple:
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    last_import = db.execute(
        "SELECT id, sha256, imported_at, kind FROM imports ORDER BY id DESC LIMIT 1"
    ).fetchone()
    rows = db.execute(
        "SELECT (SELECT MAX(rowid) FROM orders), (SELECT MAX(rowid) FROM customers)"
    ).fetchone()
    return (path or f"memory:{id(db.conn)}", last_import, *rows)


# unixepoch() (SQLite 3.38+) is ~3x faster than strftime('%s') on 1M rows.
_EPOCH = "unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%s', {}) AS INTEGER)"


def _read_order_frame(db: Database) -> OrderFrame:
    """Stream counted orders in time order off the covering index, in chunks
    (bounded memory); positions follow the customers table's rowid order."""
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
        parts.append((chunk["ts"].to_numpy(np.int64)[known], cust[known].astype(np.int32),
                      chunk["amount"].to_numpy(np.float64)[known]))
    ts, cust, amount = (
        np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dt)
        for i, dt in enumerate((np.int64, np.int32, np.float64))
    )
    return _frame(ts, cust, amount, customers["rowid"].to_numpy(np.int64), _churned(customers["churned_ts"]))


# --- per-request reads (small, never cached) -------------------------------


def load_filter_rowids(db: Database, filters: Filters) -> np.ndarray | None:
    """customers.rowid of the customers a `segment:`/`rep:` filter keeps;
    None when there is no filter (everyone)."""
    if not filters.active:
        return None
    where, args = filters.where()
    rows = db.execute(f"SELECT c.rowid FROM customers c WHERE {where}", args).fetchall()  # noqa: S608
    return np.array(rows, dtype=np.int64).reshape(-1)


def load_books(db: Database, filters: Filters) -> dict[str, np.ndarray]:
    """customers.rowid per owning rep, for the customers the filter keeps
    (one read for the whole team instead of one per rep)."""
    where, args = filters.where()
    owners = pd.read_sql_query(
        f"SELECT c.owner_rep_id AS rep, c.rowid AS rowid FROM customers c "  # noqa: S608
        f"WHERE c.owner_rep_id IS NOT NULL AND {where}",
        db.conn,
        params=args,
    )
    return {rep: group.to_numpy(np.int64) for rep, group in owners.groupby("rep")["rowid"]}


def count_customers_without_orders(db: Database, cutoff: str, filters: Filters) -> int:
    """Customers known before `cutoff` with no counted order before it (the
    rest are in the order frame); two lookups on the first-order index."""
    where, args = filters.where()
    known = "COALESCE(c.created_at, '') < ?"
    return db.execute(
        f"SELECT (SELECT COUNT(*) FROM customers c WHERE {where} AND c.first_order_at IS NULL AND {known}) "  # noqa: S608
        f"+ (SELECT COUNT(*) FROM customers c WHERE {where} AND c.first_order_at >= ? AND {known})",
        [*args, cutoff, *args, cutoff, cutoff],
    ).fetchone()[0]


def load_customers_by_rowid(db: Database, rowids) -> pd.DataFrame:
    """Names and owners of a few customers, for lists in messages."""
    rowids = [int(r) for r in rowids]
    if not rowids:
        return pd.DataFrame(columns=["rowid", "id", "name", "email", "company", "segment", "owner_rep_id"])
    marks = ",".join("?" * len(rowids))
    df = pd.read_sql_query(
        f"SELECT rowid AS rowid, id, name, email, company, segment, owner_rep_id FROM customers "  # noqa: S608
        f"WHERE rowid IN ({marks})",
        db.conn,
        params=rowids,
    )
    return nulls_as_none(df, numbers=True)


def load_feedback(db: Database, start: str, end: str, filters: Filters) -> pd.DataFrame:
    """Survey answers submitted in [start, end), counted per kind and score
    (`kind`, `score`, `answers`): a few rows whatever the volume."""
    cond, params = "f.submitted_at >= ? AND f.submitted_at < ?", [start, end]
    if filters.active:
        where, args = filters.where()
        cond += f" AND f.customer_id IN (SELECT c.id FROM customers c WHERE {where})"  # noqa: S608
        params += args
    return pd.read_sql_query(
        f"SELECT f.kind, f.score, COUNT(*) AS answers FROM feedback f WHERE {cond} GROUP BY f.kind, f.score",  # noqa: S608
        db.conn,
        params=params,
    )


def load_followups(db: Database, rep_id: str | None, filters: Filters, *, closed_since: str | None = None) -> pd.DataFrame:
    """Follow-ups not yet closed (and, with `closed_since`, those closed since
    then), with the customer's name; `rep_id` limits them to one rep."""
    where, args = filters.where()
    cond = [where]
    params = list(args)
    if rep_id:
        cond.append("f.rep_id = ?")
        params.append(rep_id)
    if closed_since:
        cond.append("(f.closed_at IS NULL OR f.closed_at >= ?)")
        params.append(closed_since)
    else:
        cond.append("f.closed_at IS NULL")
    df = pd.read_sql_query(
        "SELECT f.id, f.customer_id, c.name AS customer_name, c.company, f.rep_id, f.state, "  # noqa: S608
        "f.opened_at, f.snooze_until, f.reminded_at, f.reminder_count, f.escalated_at, f.closed_at, "
        "f.value_at_open, f.note FROM followups f JOIN customers c ON c.id = f.customer_id "
        f"WHERE {' AND '.join(cond)} ORDER BY f.closed_at IS NOT NULL, f.value_at_open DESC, f.opened_at",
        db.conn,
        params=params,
    )
    return nulls_as_none(df, numbers=True)


def load_rep_books(db: Database, filters: Filters) -> pd.DataFrame:
    """Per rep: customers owned and open follow-ups (customers of no rep left out)."""
    where, args = filters.where()
    return nulls_as_none(pd.read_sql_query(
        "SELECT r.id, r.name, r.email, r.active, "  # noqa: S608
        f"(SELECT COUNT(*) FROM customers c WHERE c.owner_rep_id = r.id AND {where}) AS customers, "
        "(SELECT COUNT(*) FROM followups f WHERE f.rep_id = r.id AND f.closed_at IS NULL) AS open_followups "
        "FROM reps r ORDER BY r.name, r.id",
        db.conn,
        params=args,
    ))


def load_rep(db: Database, rep_id: str) -> dict | None:
    row = db.execute("SELECT id, name, email, tz, manager_id, active FROM reps WHERE id = ?", [rep_id]).fetchone()
    return dict(zip(("id", "name", "email", "tz", "manager_id", "active"), row, strict=True)) if row else None
