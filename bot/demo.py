"""Build (or reuse) the demo store: synthetic CSVs imported through the real
importer, so the demo exercises the same path as a user's own data."""

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from commands import Context
from commands.scoring import run_score
from storage import open_db
from storage.importer import import_file
from storage.settings import load_meta, upsert_meta
from storage.synthetic import generate, write_csvs

DEMO_VERSION = 2


class DemoRefused(Exception):
    pass


def ensure_demo_store(path: str, *, customers: int = 2000, rebuild: bool = False, today: date | None = None,
                      status: Callable[[str], None] = lambda m: None):
    """Return (db, built). Never touches a store that is not a demo store."""
    today = today or datetime.now(UTC).date()
    p = Path(path)
    wanted = {"version": DEMO_VERSION, "customers": customers, "end": today.isoformat()}
    if p.exists() and p.stat().st_size > 0:
        db = open_db(p)
        marker = load_meta(db, "demo")
        if marker is None:
            has_data = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
            if has_data:
                raise DemoRefused(
                    f"{p} holds real data (not a demo store); refusing to overwrite it. "
                    "Run the demo elsewhere: retention-bot --db demo.db demo"
                )
        elif marker == wanted and not rebuild:
            return db, False
        db.conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    status(f"Building the demo store ({customers:,} customers, two years of orders)…")
    db = open_db(p)
    frames = generate(customers, today)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_csvs(frames, tmp)
        for kind in ("reps", "customers", "orders", "feedback"):
            import_file(db, kind, paths[kind], now=now)
    # Score it too, so at-risk, follow-ups, reminders and the digest have
    # something to show from the first command.
    run_score(Context(db, as_of=today, now=now))
    upsert_meta(db, "demo", wanted)
    db.execute(
        "INSERT INTO settings (key, value) VALUES ('admins', '[\"U0DEMOMGR\"]') "
        "ON CONFLICT(key) DO NOTHING"
    )
    db.conn.commit()
    return db, True
