"""Small stores built the way users build them: CSV files through the real
importer into a real SQLite file."""

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

from storage import open_db
from storage.importer import import_file

DATA = Path(__file__).resolve().parents[1] / "data"
CDNOW = DATA / "CDNOW_sample.txt"
# Fixed stamps for a test store's imports and settings changes (storage takes
# `now`; only bot/ reads the clock).
IMPORTED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SET_AT = IMPORTED_AT

# The zones every time-touching suite runs in: UTC, a DST zone, half-hour
# and quarter-hour offsets, and Lord Howe's half-hour daylight saving.
ZONES = ("UTC", "America/Los_Angeles", "Asia/Tehran", "Asia/Kathmandu", "Australia/Lord_Howe")


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every table, for exact before/after comparisons."""
    out = {}
    for table in db.table_names():
        out[table] = sorted(map(tuple, db.execute(f"SELECT * FROM [{table}]").fetchall()), key=repr)
    return out


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def import_rows(db, directory: Path, kind: str, header: list[str], rows: list[tuple], tz=UTC) -> None:
    n = len(list(directory.glob(f"{kind}*.csv")))
    path = write_csv(directory / f"{kind}{n}.csv", header, rows)
    import_file(db, kind, path, now=IMPORTED_AT, tz=tz)


def build_store(path: Path, *, orders=(), customers=(), reps=(), feedback=()):
    """A store at `path` from row tuples: orders (id, customer_id, ordered_at,
    amount, status), customers (id, name, company, segment, owner_rep_id,
    churned_at), reps (id, name), feedback (customer_id, kind, score,
    submitted_at)."""
    db = open_db(path)
    tmp = path.parent
    if reps:
        import_rows(db, tmp, "reps", ["id", "name"], list(reps))
    if customers:
        import_rows(
            db, tmp, "customers", ["id", "name", "company", "segment", "owner_rep_id", "churned_at"], list(customers)
        )
    if orders:
        import_rows(db, tmp, "orders", ["id", "customer_id", "ordered_at", "amount", "status"], list(orders))
    if feedback:
        import_rows(db, tmp, "feedback", ["customer_id", "kind", "score", "submitted_at"], list(feedback))
    return db


# ---- a small store every KPI is checked on by hand ----

ORDERS = [
    ("a1", "a", "2026-01-10T10:00:00Z", 100, "paid"),
    ("a2", "a", "2026-04-05T10:00:00Z", 50, "paid"),
    ("a3", "a", "2026-05-05T10:00:00Z", 30, "paid"),
    ("b1", "b", "2026-02-01T10:00:00Z", 200, "paid"),
    ("c1", "c", "2026-04-10T10:00:00Z", 40, "paid"),
    ("c2", "c", "2026-04-20T10:00:00Z", 60, "paid"),
    ("d1", "d", "2026-06-30T23:00:00Z", 10, "paid"),
    ("e1", "e", "2025-10-01T10:00:00Z", 500, "paid"),
    ("e2", "e", "2026-05-01T10:00:00Z", 70, "paid"),
    ("f1", "f", "2025-12-31T23:59:59Z", 15, "paid"),
    ("f2", "f", "2026-03-31T23:59:59Z", 5, "refunded"),
    ("g1", "g", "2026-03-15T10:00:00Z", 80, "paid"),
    ("g2", "g", "2026-05-20T10:00:00Z", 90, "paid"),
    ("h1", "h", "2026-07-01T02:00:00Z", 25, "paid"),
]
CUSTOMERS = [
    ("a", "Ann", "Acme", "Enterprise", "U1", ""),
    ("b", "Bob", "Beta", "Enterprise", "", ""),
    ("c", "Cy", "Corp", "Enterprise", "U2", ""),
    ("d", "Di", "", "SMB", "", ""),
    ("e", "Ed", "", "SMB", "U1", ""),
    ("f", "Flo", "", "SMB", "", ""),
    ("g", "Gus", "", "SMB", "", "2026-06-01"),
    ("h", "Hal", "", "SMB", "", ""),
]
FEEDBACK = [
    ("a", "nps", 10, "2026-04-02"),
    ("b", "nps", 9, "2026-04-03"),
    ("c", "nps", 9, "2026-05-01"),
    ("d", "nps", 7, "2026-06-01"),
    ("e", "nps", 2, "2026-06-29"),
    ("a", "nps", 0, "2026-03-31"),
    ("a", "csat", 5, "2026-04-02"),
    ("b", "csat", 4, "2026-04-03"),
    ("c", "csat", 2, "2026-05-01"),
    ("a", "ces", 2, "2026-04-02"),
    ("c", "ces", 3, "2026-05-01"),
]


# ---- import files ----


def orders_csv(path, n, bad_line=None, bad="not-a-date"):
    with open(path, "w") as f:
        f.write("id,customer_id,ordered_at,amount,currency,status\n")
        for i in range(2, n + 2):
            when = bad if i == bad_line else f"2026-0{1 + i % 9}-1{i % 10}"
            f.write(f"o{i},c{i % 97},{when},{10 + i % 50}.25,USD,paid\n")


def read_position(pid: int, target) -> int | None:
    """How far process `pid` has read `target` (from /proc/PID/fdinfo)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(target):
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        return int(f.readline().split()[1])
            except OSError:
                continue
    except OSError:
        return None
    return None
