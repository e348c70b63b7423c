"""What an operator asks first: did the digests go out, is anything stuck in
the outbox, when was data last imported and scored. Small indexed reads
only, so `retention-bot status` answers at once on a large store."""

import json
import os
import sqlite3
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

RECENT_FAILURES = 5


def load_last_digests(db: Database) -> list[dict[str, Any]]:
    """The newest digest delivery of each channel, whatever its status."""
    rows = db.execute(
        "SELECT channel, key, status, attempts, last_error, created_at, claimed_at, sent_at, slack_ts, uncertain "
        "FROM deliveries d WHERE kind = 'digest' AND id = (SELECT MAX(id) FROM deliveries WHERE kind = 'digest' "
        "AND channel = d.channel) ORDER BY channel"
    ).fetchall()
    names = (
        "channel",
        "key",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
        "slack_ts",
        "uncertain",
    )
    return [{**dict(zip(names, r, strict=True)), "uncertain": bool(r[-1])} for r in rows]


def load_outbox_status(db: Database) -> dict[str, Any]:
    """Deliveries by status, the oldest one still waiting, and the latest
    permanent failures with their errors."""
    counts = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
    counts.update(db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
    oldest = db.execute("SELECT MIN(created_at) FROM deliveries WHERE status IN ('pending', 'sending')").fetchone()[0]
    failures = [
        {"key": k, "kind": kind, "channel": ch, "error": err, "created_at": at}
        for k, kind, ch, err, at in db.execute(
            "SELECT key, kind, channel, last_error, created_at FROM deliveries WHERE status = 'failed' "
            "ORDER BY id DESC LIMIT ?",
            [RECENT_FAILURES],
        )
    ]
    return {
        "counts": counts,
        "backlog": counts["pending"] + counts["sending"],
        "oldest_waiting": oldest,
        "recent_failures": failures,
    }


def load_last_import(db: Database) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT kind, file_name, format, added, updated, unchanged, rejected, imported_at, sha256 "
        "FROM imports ORDER BY id DESC LIMIT 1"
    ).fetchone()
    names = ("kind", "file", "format", "added", "updated", "unchanged", "rejected", "imported_at", "sha256")
    return dict(zip(names, row, strict=True)) if row else None


def load_score_status(db: Database) -> dict[str, Any]:
    """The stored snapshot of the last score run: its as-of day and size."""
    scored, quiet, as_of = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(quiet), 0), MAX(as_of) FROM customer_scores"
    ).fetchone()
    return {"as_of": as_of, "customers": scored, "quiet": quiet}


def count_customers(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]


def count_imports(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM imports").fetchone()[0]


def load_store_contents(path: str) -> dict[str, Any]:
    """What an existing store holds, read without changing a byte of it (a
    read-only connection: no migration, no WAL switch), for `demo` to decide
    whether it may rebuild the file. Raises sqlite3.DatabaseError for a file
    that is not a store."""
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {}
        for table in ("reps", "customers", "orders", "audit_log", "deliveries", "imports", "feedback"):
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] if table in tables else 0  # noqa: S608
        settings, demo = 0, None
        if "settings" in tables:
            settings = conn.execute("SELECT COUNT(*) FROM settings WHERE key NOT LIKE '\\_%' ESCAPE '\\'").fetchone()[0]
            row = conn.execute("SELECT value FROM settings WHERE key = '_demo'").fetchone()
            demo = json.loads(row[0]) if row else None
        return {"tables": sorted(tables), "settings": settings, "demo": demo, **counts}
    finally:
        conn.close()
