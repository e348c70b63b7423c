"""The outbox: every Slack post is a `deliveries` row before it is a message.

The row's UNIQUE key (`digest:2026-11-23:C0123`, `remind:2026-11-23:U0456`)
is what makes a send happen once: enqueueing is INSERT OR IGNORE, and only the
process whose conditional UPDATE moves the row to `sending` may post it. Two
processes on one database can therefore never both post a key. A row left in
`sending` longer than `stale_after` belongs to a process that crashed (or lost
its connection) mid-send; whoever claims it next is told so (`stale`), because
the post may already be in Slack and must be looked for before a resend.

Statuses: `pending` (to send, also after a transient failure), `sending`
(claimed), `sent` (with Slack's `ts`), `failed` (permanent, never retried).
Pure storage: no Slack here, time is always passed in.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.fields import format_utc
from storage.settings import write_audit


@dataclass(frozen=True)
class Delivery:
    key: str
    kind: str
    channel: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    claimed_at: str | None
    sent_at: str | None
    slack_ts: str | None
    stale: bool = False  # set by claim_delivery: took over an unfinished claim


_BY_KEY = (
    "SELECT key, kind, channel, payload, status, attempts, last_error, created_at, claimed_at, "
    "sent_at, slack_ts FROM deliveries WHERE key = ?"
)


def _row(row: tuple, stale: bool = False) -> Delivery:
    key, kind, channel, payload, status, attempts, last_error, created_at, claimed_at, sent_at, ts = row
    return Delivery(key, kind, channel, json.loads(payload), status, attempts, last_error,
                    created_at, claimed_at, sent_at, ts, stale)


def enqueue_delivery(db: Database, key: str, kind: str, channel: str, payload: dict[str, Any],
                     now: datetime) -> bool:
    """Record a post to make; True if the key is new. An existing key keeps
    its first payload and status, so enqueueing twice never sends twice."""
    cur = db.execute(
        "INSERT OR IGNORE INTO deliveries (key, kind, channel, payload, status, attempts, created_at) "
        "VALUES (?, ?, ?, ?, 'pending', 0, ?)",
        [key, kind, channel, json.dumps(payload), format_utc(now)],
    )
    return cur.rowcount == 1


def claim_delivery(db: Database, key: str, now: datetime, stale_after: timedelta) -> Delivery | None:
    """Take the right to send `key`, or None if it is sent, failed for good,
    or being sent by someone else. `BEGIN IMMEDIATE` takes SQLite's write lock
    before reading, so the check and the update are one atomic step across
    processes; the returned row says whether it was a stale claim taken over."""
    cutoff = format_utc(now - stale_after)
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute(_BY_KEY, [key]).fetchone()
        if row is None:
            db.rollback()
            return None
        status, claimed_at = row[4], row[8]
        stale = status == "sending" and (claimed_at is None or claimed_at <= cutoff)
        if status != "pending" and not stale:
            db.rollback()
            return None
        db.execute(
            "UPDATE deliveries SET status = 'sending', claimed_at = ?, attempts = attempts + 1 WHERE key = ?",
            [format_utc(now), key],
        )
        claimed = db.execute(_BY_KEY, [key]).fetchone()
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return _row(claimed, stale)


def mark_sent(db: Database, key: str, ts: str, now: datetime) -> None:
    db.execute(
        "UPDATE deliveries SET status = 'sent', sent_at = ?, slack_ts = ?, last_error = NULL "
        "WHERE key = ? AND status != 'sent'",
        [format_utc(now), ts, key],
    )


def mark_failed(db: Database, key: str, error: str, permanent: bool, now: datetime) -> None:
    """Release a claim after Slack said no: back to `pending` for the next
    flush, or `failed` for good when retrying cannot help (recorded in the
    audit log, since someone has to act on it)."""
    if not permanent:
        db.execute(
            "UPDATE deliveries SET status = 'pending', last_error = ?, claimed_at = NULL "
            "WHERE key = ? AND status = 'sending'",
            [error, key],
        )
        return
    with db.atomic():
        cur = db.execute(
            "UPDATE deliveries SET status = 'failed', last_error = ? WHERE key = ? AND status = 'sending'",
            [error, key],
        )
        if cur.rowcount:
            write_audit(db, None, "delivery.failed", key, {"error": error}, format_utc(now))


def mark_uncertain(db: Database, key: str, error: str) -> None:
    """The post may or may not have reached Slack (no answer came back): keep
    the claim, so it goes stale and the next claimant looks for the post
    before resending instead of sending blindly."""
    db.execute("UPDATE deliveries SET last_error = ? WHERE key = ? AND status = 'sending'", [error, key])


def load_delivery(db: Database, key: str) -> Delivery | None:
    row = db.execute(_BY_KEY, [key]).fetchone()
    return _row(row) if row else None


def load_pending(db: Database) -> list[Delivery]:
    """Deliveries not settled yet, oldest first: `pending` ones and claims in
    progress (which claim_delivery takes over once they are stale)."""
    rows = db.execute(
        "SELECT key, kind, channel, payload, status, attempts, last_error, created_at, claimed_at, "
        "sent_at, slack_ts FROM deliveries WHERE status IN ('pending', 'sending') ORDER BY created_at, id"
    ).fetchall()
    return [_row(r) for r in rows]
