"""Small stores built the way users build them: CSV files through the real
importer into a real SQLite file."""

import csv
from datetime import UTC, datetime
from pathlib import Path

from storage import open_db
from storage.importer import import_file

IMPORTED_AT = datetime(2026, 1, 1, tzinfo=UTC)


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
        import_rows(db, tmp, "customers", ["id", "name", "company", "segment", "owner_rep_id", "churned_at"],
                    list(customers))
    if orders:
        import_rows(db, tmp, "orders", ["id", "customer_id", "ordered_at", "amount", "status"], list(orders))
    if feedback:
        import_rows(db, tmp, "feedback", ["customer_id", "kind", "score", "submitted_at"], list(feedback))
    return db
