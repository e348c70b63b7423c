"""Slack requests already handled, shared by every bot instance on a store.

Slack signs each request with a timestamp and accepts a signature for five
minutes, so a captured slash command or button click can be sent again in
that window and would be applied again (a forced digest posted twice, a
second snooze in the audit log). Slack itself re-sends an event it thinks
was not acknowledged (`X-Slack-Retry-Num`), with the same event id. So the
bot remembers what it handled: events by event id, everything else by a
digest of its signature, for an hour (longer than Slack's window and retries).

The record lives in a small SQLite file beside the store,
`<store>.requests.db`, not in the store itself: every request writes a row,
and those writes must never wait behind an import that holds the store's
write lock while Slack waits three seconds for the answer. The file holds
only digests and event ids; losing it loses nothing but that memory.
"""

import hashlib
import logging
import os
import sqlite3
import threading
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

KEEP = timedelta(hours=1)
BUSY_TIMEOUT_S = 2.0


def requests_path(store: str | os.PathLike) -> Path:
    """`store.db` → `store.requests.db` (same folder, same owner)."""
    path = Path(store)
    return path.with_name(path.stem + ".requests.db")


def request_key(*, event_id: str | None = None, signature: str | None = None) -> str | None:
    """What identifies a request across instances: its event id, else its
    signature (HMAC of timestamp and body: unique per request and replay)."""
    if event_id:
        return "event:" + event_id
    if signature:
        return "sig:" + hashlib.sha256(signature.encode()).hexdigest()[:40]
    return None


class _Connections(threading.local):
    def __init__(self) -> None:
        self.open: dict[Path, sqlite3.Connection] = {}


_threads = _Connections()


def _connect(path: Path) -> sqlite3.Connection:
    conn = _threads.open.get(path)
    if conn is not None:
        return conn
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    # WAL is kept by the file, so one connection setting it is enough; the
    # error means another thread is switching it right now (no lock waited on)
    with suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS seen_at ON seen(seen_at)")
    _threads.open[path] = conn
    return conn


def first_sighting(store: str | os.PathLike, key: str, now: datetime) -> bool:
    """Record `key`; True if no instance has handled it in the last hour.
    If the record cannot be read or written (a full disk, a locked or
    damaged file), the request is let through: a replay check must never
    turn away Slack's real requests."""
    try:
        conn = _connect(requests_path(store))
        new = (
            conn.execute("INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)", [key, now.timestamp()]).rowcount
            == 1
        )
        if new:
            conn.execute("DELETE FROM seen WHERE seen_at < ?", [(now - KEEP).timestamp()])
    except sqlite3.Error as e:
        log.warning("could not check %s for replays (%s); letting the request through", requests_path(store), e)
        return True
    return new
