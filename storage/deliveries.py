"""The outbox: every Slack post is a `deliveries` row before it is a message.

The row's UNIQUE key (`digest:2026-11-23:C0123`, `remind:2026-11-23:U0456`)
is what makes a send happen once: enqueueing is INSERT OR IGNORE, and only the
process whose conditional UPDATE moves the row to `sending` may post it. Two
processes on one database can therefore never both post a key. The claim is
a random token: only its holder can settle the row (`mark_*` check it), so a
claim taken over by someone else is never marked twice.

A post may reach Slack without its answer reaching us (a 5xx after the
message was taken, a dropped connection). Such a row goes back to `pending`
flagged `uncertain`; a row left in `sending` longer than `stale_after`
belongs to a process that died mid-send. Whoever claims either next is told
to look in the channel first (`check_first`), because the post may already
be there.

Statuses: `pending` (to send, also after a transient failure), `sending`
(claimed), `sent` (with Slack's `ts`), `failed` (permanent, never retried).
Pure storage: no Slack here, time is always passed in.
"""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.db import transaction
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
    uncertain: bool = False  # an earlier post may have reached Slack unanswered
    token: str | None = None  # set by claim_delivery: the claim this process holds
    stale: bool = False  # set by claim_delivery: took over a claim whose process died
    outcome: str | None = None  # set by the poster: what its attempt did (see bot.outbox.deliver)

    @property
    def check_first(self) -> bool:
        """Look in the channel for this key before posting it."""
        return self.stale or self.uncertain


_COLUMNS = (
    "key, kind, channel, payload, status, attempts, last_error, created_at, claimed_at, sent_at, slack_ts, uncertain"
)
_BY_KEY = f"SELECT {_COLUMNS} FROM deliveries WHERE key = ?"  # noqa: S608


def _row(row: tuple, token: str | None = None, stale: bool = False) -> Delivery:
    key, kind, channel, payload, status, attempts, last_error, created_at, claimed_at, sent_at, ts, unsure = row
    return Delivery(
        key,
        kind,
        channel,
        json.loads(payload),
        status,
        attempts,
        last_error,
        created_at,
        claimed_at,
        sent_at,
        ts,
        bool(unsure),
        token,
        stale,
    )


def enqueue_delivery(db: Database, key: str, kind: str, channel: str, payload: dict[str, Any], now: datetime) -> bool:
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
    processes; the returned row carries the claim's token and says whether
    the post must be looked for first (`check_first`)."""
    cutoff = format_utc(now - stale_after)
    with transaction(db):
        row = db.execute(_BY_KEY, [key]).fetchone()
        if row is None:
            return None
        status, claimed_at = row[4], row[8]
        stale = status == "sending" and (claimed_at is None or claimed_at <= cutoff)
        if status != "pending" and not stale:
            return None
        token = secrets.token_hex(8)
        db.execute(
            "UPDATE deliveries SET status = 'sending', claimed_at = ?, claim_token = ?, attempts = attempts + 1 "
            "WHERE key = ?",
            [format_utc(now), token, key],
        )
        claimed = db.execute(_BY_KEY, [key]).fetchone()
    return _row(claimed, token, stale)


def _settle(db: Database, claim: Delivery, sets: str, params: dict[str, Any]) -> bool:
    """Apply `sets` (named parameters, in `params`) to the claimed row if the
    claim is still this one's."""
    cur = db.execute(
        f"UPDATE deliveries SET {sets}, claim_token = NULL "  # noqa: S608  (sets: fixed strings below)
        "WHERE key = :key AND status = 'sending' AND claim_token = :token",
        {**params, "key": claim.key, "token": claim.token},
    )
    return cur.rowcount == 1


def mark_sent(db: Database, claim: Delivery, ts: str, now: datetime) -> bool:
    """Record Slack's ts; False if the claim was no longer ours (taken over)."""
    return _settle(
        db,
        claim,
        "status = 'sent', sent_at = :sent_at, slack_ts = :ts, last_error = NULL, uncertain = 0",
        {"sent_at": format_utc(now), "ts": ts},
    )


def mark_failed(db: Database, claim: Delivery, error: str, permanent: bool, now: datetime) -> bool:
    """Release a claim after Slack said no: back to `pending` for the next
    flush, or `failed` for good when retrying cannot help (recorded in the
    audit log, since someone has to act on it). An `uncertain` flag stays:
    only finding or making the post clears it."""
    if not permanent:
        return _settle(db, claim, "status = 'pending', last_error = :error, claimed_at = NULL", {"error": error})
    with transaction(db):
        done = _settle(db, claim, "status = 'failed', last_error = :error", {"error": error})
        if done:
            write_audit(db, None, "delivery.failed", claim.key, {"error": error}, format_utc(now))
    return done


def mark_uncertain(db: Database, claim: Delivery, error: str) -> bool:
    """The post may or may not have reached Slack (no answer, or a 5xx after
    it was sent): back to `pending` at once, flagged, so the next attempt —
    the next flush or `digest now`, not one 15 minutes later — looks for the
    post in the channel before it posts."""
    return _settle(
        db, claim, "status = 'pending', last_error = :error, claimed_at = NULL, uncertain = 1", {"error": error}
    )


def load_delivery(db: Database, key: str) -> Delivery | None:
    row = db.execute(_BY_KEY, [key]).fetchone()
    return _row(row) if row else None


def load_pending(db: Database) -> list[Delivery]:
    """Deliveries not settled yet, oldest first: `pending` ones and claims in
    progress (which claim_delivery takes over once they are stale)."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM deliveries WHERE status IN ('pending', 'sending') "  # noqa: S608
        "ORDER BY created_at, id"
    ).fetchall()
    return [_row(r) for r in rows]
