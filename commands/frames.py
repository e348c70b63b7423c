"""The order frame of each store, built once per store content and kept in
the process (analytics.frame; read by storage.order_columns)."""

import threading
from collections import OrderedDict

from sqlite_utils import Database

from analytics.frame import OrderFrame, contract_ends, frame_from_columns
from storage.order_columns import content_key, read_order_columns

_KEEP = 4  # stores kept in memory (tests open many small ones; the bot one)
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def load_order_frame(db: Database) -> OrderFrame:
    """The order frame of `db`, from the process cache when the store has not
    changed since it was built."""
    key = content_key(db)
    with _lock:
        frame = _cache.get(key)
        if frame is not None:
            _cache.move_to_end(key)
            return frame
    c = read_order_columns(db)
    frame = frame_from_columns(c.ts, c.cust, c.amount, c.rowid, contract_ends(c.churned_ts))
    with _lock:
        _cache[key] = frame
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return frame


def forget_order_frames() -> None:
    with _lock:
        _cache.clear()
