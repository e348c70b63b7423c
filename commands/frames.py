"""The order frame of each store (analytics.frame; read by
storage.order_columns), built once per order content (order_key: a reps
import, which writes none of it, keeps the frame) and shared three ways:

- in the process, per content key (the newest few stores);
- on disk next to the store (storage.frame_files: memory-mapped .npy
  columns, validated against the content key), so a new process maps it
  instead of re-reading every order — no cold start after a restart;
- while serving (`OrderFrames.background`, set by `retention-bot run`): when
  an import or sync changes the store, the first request starts one rebuild
  in a background thread and every request is answered from the previous
  version until the new one is ready — none waits for it (a rebuild that
  fails is tried again after a growing wait, not at every request).
  Elsewhere (the CLI, tests) a changed store is rebuilt before answering,
  so an answer always includes what was just imported.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from analytics.frame import CustomerRuns, OrderFrame, contract_ends, customer_runs, frame_from_columns
from analytics.kpis import Scope, remember_totals, totals_to_end
from commands.kept import Kept
from storage.db import open_db
from storage.frame_files import building, load_columns, load_newest_columns, save_columns, write_columns
from storage.order_columns import ANSWER_KINDS, content_key, order_key, read_order_snapshot, saved_path
from storage.queries import Filters, load_customer_totals

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

_KEEP = 4  # stores kept in memory (tests open many small ones; the bot one)
# A background rebuild that failed is tried again for the same content after
# a minute, then after twice as long each time, up to a quarter of an hour:
# a build that cannot succeed (a full disk, too little memory) would
# otherwise start again at every request and hold a core the whole time.
RETRY_FIRST, RETRY_MOST = 60.0, 900.0
COLUMNS = (
    *("ts", "cust", "amount", "first", "rowid", "first_ts", "churned_ts"),
    *("answer_at", "answer_kind", "answer_score", "answer_cust"),
)

# Saved with the frame: each customer's revenue and newest order to date
# (analytics.kpis.totals_to_end), which rep, churn and the digest would
# otherwise add up over every order on a process's first answer.
TOTALS = ("customer_revenue", "last_order")
# And the store's totals (OrderFrame.totals; JSON text as bytes), which
# summary would otherwise read off every customer's row (~0.3 s at a million).
STORE_TOTALS = "store_totals"
# And each customer's orders and running revenue (analytics.frame.CustomerRuns):
# a customer's revenue or newest order before a past instant is a look-up.
RUNS = ("run_order", "run_start", "run_count", "run_revenue")
SAVED = (*COLUMNS, *TOTALS, STORE_TOTALS, *RUNS)

Key = tuple[str, str]  # (store, order content version): storage.order_columns.order_key
Build = Callable[[Database], tuple[Key, OrderFrame]]


def build_order_frame(db: Database) -> tuple[Key, OrderFrame]:
    """Read the store (one snapshot) and build its frame: seconds at millions of orders."""
    key, c = read_order_snapshot(db)
    frame = frame_from_columns(c.ts, c.cust, c.amount, c.rowid, contract_ends(c.churned_ts))
    a = c.answers
    return key, replace(
        frame,
        answer_at=a.at,
        answer_kind=a.kind,
        answer_score=a.score,
        answer_cust=a.cust,
        totals=c.totals,
        runs=customer_runs(frame.cust, frame.amount, frame.n_customers),
    )


def feedback_counts(frame: OrderFrame, scope: Scope, start: str, end: str) -> pd.DataFrame:
    """Survey answers submitted in [start, end) (stored UTC text) by the
    customers in scope, counted per kind and score (`kind`, `score`,
    `answers`, sorted by kind then score): what storage.queries.load_feedback
    answers with SQL, from the frame instead of a scan of the feedback table."""
    import pandas as pd

    lo, hi = np.searchsorted(frame.answer_at, [start.encode(), end.encode()], side="left")
    kind, score = frame.answer_kind[lo:hi], frame.answer_score[lo:hi]
    if scope.keep is not None:
        kept = scope.keep[frame.answer_cust[lo:hi]]
        kind, score = kind[kept], score[kept]
    # One sort and a count per run of equal (kind, score): what a pandas
    # groupby gives, without its hashing (~35 ms a period at a million customers).
    order = np.lexsort((score, kind))
    kind, score = kind[order], score[order]
    starts = np.flatnonzero(np.r_[True, (kind[1:] != kind[:-1]) | (score[1:] != score[:-1])][: len(kind)])
    return pd.DataFrame(
        {
            "kind": np.asarray(ANSWER_KINDS, dtype=object)[kind[starts]],
            "score": score[starts],
            "answers": np.diff(np.r_[starts, len(kind)]).astype(np.int64),
        }
    )


def _as_columns(frame: OrderFrame) -> dict:
    store_totals = np.frombuffer(json.dumps(frame.totals).encode(), dtype=np.uint8)
    runs = frame.runs or customer_runs(frame.cust, frame.amount, frame.n_customers)
    return {
        **{name: getattr(frame, name) for name in COLUMNS},
        **totals_to_end(frame),
        STORE_TOTALS: store_totals,
        **dict(zip(RUNS, (runs.order, runs.start, runs.count, runs.revenue), strict=True)),
    }


def _from_columns(columns: dict) -> OrderFrame:
    frame = OrderFrame(*(columns[name] for name in COLUMNS))
    frame.totals = json.loads(bytes(columns[STORE_TOTALS]))
    frame.runs = CustomerRuns(*(columns[name] for name in RUNS))
    remember_totals(frame, {name: columns[name] for name in TOTALS})
    return frame


@dataclass(frozen=True)
class Prepared:
    """What `OrderFrames.prepare` did: the frame's counted orders, and the
    seconds it took to build and save (0 when it was saved already)."""

    orders: int
    seconds: float


class OrderFrames:
    """Order frames per store content: in memory, on disk, and rebuilt in
    the background while serving. `build` is injectable (tests hold it)."""

    def __init__(
        self, build: Build = build_order_frame, *, background: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.build = build
        self.background = background
        self.clock = clock
        self._cache: OrderedDict[Key, OrderFrame] = OrderedDict()
        self._newest: dict[str, Key] = {}  # per store: the newest key in the cache
        self._rebuilding: dict[str, threading.Thread] = {}
        self._failed: dict[str, tuple[Key, float, float]] = {}  # per store: content, next try, wait
        self._lock = threading.Lock()

    def load(self, db: Database) -> OrderFrame:
        """The frame of `db` as it is now — or, while serving and a rebuild
        is under way, as it was before the last import."""
        key = order_key(db)
        frame = self._at_hand(key)
        if frame is not None:
            return frame
        store = key[0]
        path = saved_path(store)
        if self.background and path:
            previous = self._previous(store)
            if previous is not None:
                self._rebuild_in_background(key)
                return previous
        with building(path, wait=True):  # another process building it: wait, then map its save
            frame = self._at_hand(key)
            if frame is not None:
                return frame
            built_key, frame = self.build(db)
            save_columns(path, built_key[1], _as_columns(frame))
        return self._keep(built_key, frame)

    def at_hand(self, db: Database) -> OrderFrame | None:
        """The frame of `db` as it is now when this process holds it or it is
        saved next to the store; None rather than build it: a score reads
        the orders off the index in less time than a build takes. A saved
        frame mapped here is not kept: a score reads it once, and the pages
        it touched (~0.25 GB at ten million orders) leave with it."""
        return self._at_hand(order_key(db), keep=False)

    def _at_hand(self, key: Key, *, keep: bool = True) -> OrderFrame | None:
        with self._lock:
            frame = self._cache.get(key)
            if frame is not None:
                self._cache.move_to_end(key)
                return frame
        saved = load_columns(saved_path(key[0]), key[1], SAVED)
        if saved is None:
            return None
        return self._keep(key, _from_columns(saved)) if keep else _from_columns(saved)

    def prepare(self, db: Database) -> Prepared:
        """Build and save the frame of `db`'s content now, unless it is saved
        already: what `import` and `sync` do right after their transaction
        commits, so that no one's first answer waits for the build (seconds
        at ten million orders) — a new process, or the serving bot, maps it.
        Raises OSError when the frame cannot be written (the caller says so;
        the committed data is not affected)."""
        key = order_key(db)
        if not saved_path(key[0]):
            return Prepared(0, 0.0)
        start = time.perf_counter()
        with building(key[0], wait=True):  # a serving bot building this content: its save is ours
            saved = load_columns(key[0], key[1], SAVED)
            if saved is not None:
                return Prepared(len(saved["ts"]), 0.0)
            built_key, frame = self.build(db)
            write_columns(built_key[0], built_key[1], _as_columns(frame))
        self._keep(built_key, frame)
        return Prepared(len(frame.ts), time.perf_counter() - start)

    def refresh(self, db: Database) -> None:
        """After a write in a serving process (the scheduled sync): start the
        background rebuild now rather than at the next request, unless the
        new content's frame is saved already."""
        key = order_key(db)
        if self.background and saved_path(key[0]) and load_columns(key[0], key[1], SAVED) is None:
            self._rebuild_in_background(key)

    def _keep(self, key: Key, frame: OrderFrame) -> OrderFrame:
        with self._lock:
            self._cache[key] = frame
            self._cache.move_to_end(key)
            self._newest[key[0]] = key
            while len(self._cache) > _KEEP:
                self._cache.popitem(last=False)
        return frame

    def _previous(self, store: str) -> OrderFrame | None:
        """The newest frame this process has for `store`, else the newest saved one."""
        with self._lock:
            key = self._newest.get(store)
            if key is not None and key in self._cache:
                return self._cache[key]
        newest = load_newest_columns(store, SAVED)
        if newest is None:
            return None
        return self._keep((store, newest[0]), _from_columns(newest[1]))

    def _rebuild_in_background(self, wanted: Key) -> None:
        """One rebuild per store at a time, and none for content whose last
        one failed until its wait is over; requests meanwhile get the
        previous frame."""
        store = wanted[0]
        with self._lock:
            if store in self._rebuilding:
                return
            failed = self._failed.get(store)
            if failed is not None and failed[0] == wanted and self.clock() < failed[1]:
                return
            thread = threading.Thread(target=self._rebuild, args=(wanted,), name="order-frame-rebuild", daemon=True)
            self._rebuilding[store] = thread
        thread.start()

    def _rebuild(self, wanted: Key) -> None:
        """Build and save the store's frame, unless another process is
        building it (an import saving it after its commit): then the next
        request maps what that process saves, or tries again."""
        store = wanted[0]
        try:
            with building(store, wait=False) as mine:
                if not mine or self._at_hand(wanted) is not None:
                    return
                db = open_db(store, create=False)
                try:
                    key, frame = self.build(db)
                finally:
                    db.conn.close()
                save_columns(store, key[1], _as_columns(frame))
            self._keep(key, frame)
            with self._lock:
                self._failed.pop(store, None)
        except Exception:
            with self._lock:
                failed = self._failed.get(store)
                wait = min(2 * failed[2], RETRY_MOST) if failed is not None and failed[0] == wanted else RETRY_FIRST
                self._failed[store] = (wanted, self.clock() + wait, wait)
            log.exception(
                "rebuilding the order frame of %s failed; the previous one is still served; next try in %.0f s",
                store,
                wait,
            )
        finally:
            with self._lock:
                self._rebuilding.pop(store, None)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the rebuilds under way (tests, shutdown); False on timeout."""
        with self._lock:
            threads = list(self._rebuilding.values())
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
            self._newest.clear()
            self._failed.clear()


FRAMES = OrderFrames()

_totals: Kept[dict] = Kept(64)


def customer_totals(db: Database, frame: OrderFrame, cutoff: str, filters: Filters) -> dict:
    """storage.queries.load_customer_totals of the content `frame` was read
    from: without a filter and as of today, the totals read with it
    (OrderFrame.totals: in a new process too, mapped with the saved frame);
    else read once per store content and cutoff when there is no filter: it
    sums every customer's aggregates (~0.1 s at 100k customers, ~0.3 s at a
    million), and only an import or a sync changes them (and the content
    key). Filtered totals are read each time: a reassigned customer moves
    between books without an import."""
    if filters.active:
        return load_customer_totals(db, cutoff, filters)
    if frame.totals is not None and cutoff > frame.totals["after"]:
        return {name: value for name, value in frame.totals.items() if name != "after"}
    return dict(_totals.get((content_key(db), cutoff), lambda: load_customer_totals(db, cutoff, filters)))


def load_order_frame(db: Database) -> OrderFrame:
    """The order frame of `db` (see OrderFrames.load)."""
    return FRAMES.load(db)


def order_frame_at_hand(db: Database) -> OrderFrame | None:
    """The frame of `db` if it is built already (see OrderFrames.at_hand)."""
    return FRAMES.at_hand(db)


def prepare_order_frame(db: Database) -> Prepared:
    """Build and save the frame of `db` now (see OrderFrames.prepare)."""
    return FRAMES.prepare(db)


def refresh_order_frame(db: Database) -> None:
    """Rebuild the frame of `db` in the background now, when serving (see OrderFrames.refresh)."""
    FRAMES.refresh(db)


def forget_order_frames() -> None:
    """Drop the frames and totals kept in memory (the saved frames are checked by content key)."""
    FRAMES.forget()
    _totals.clear()
