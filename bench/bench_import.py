"""Import benchmark: the first import into an empty store vs a bare baseline.

Ours: `import customers` then `import orders` into a new store, as an
operator's first import runs (validated, FILE:LINE errors, aggregates, one
transaction per file). The baseline is the fastest bare path SQLite offers
for the same orders: Python's csv reader and `sqlite3.executemany` into a
table with the same primary key, its two indexes built after the load, in one
transaction, with no validation, no customers and no report. Each side runs
in its own process so its peak RSS is its own.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_OURS = """
import json, resource, sys, time
from datetime import UTC, datetime
sys.path.insert(0, {root!r})
from storage import open_db
from storage.importer import import_file
db = open_db({db!r})
t = time.perf_counter()
import_file(db, "customers", {customers!r}, now=datetime.now(UTC))
customers = time.perf_counter() - t
t = time.perf_counter()
r = import_file(db, "orders", {orders!r}, now=datetime.now(UTC))
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": r.added, "customers_seconds": customers,
                  "cpu_seconds": use.ru_utime + use.ru_stime, "rss_mb": use.ru_maxrss / 1024}}))
"""

_BASELINE = """
import csv, json, resource, sqlite3, time
conn = sqlite3.connect({db!r})
conn.execute("PRAGMA journal_mode=WAL")
conn.executescript('''
CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, ordered_at TEXT NOT NULL,
    amount REAL NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL);
''')
conn.execute("PRAGMA cache_size = -262144")
t = time.perf_counter()
with open({orders!r}, newline="") as f:
    rows = csv.reader(f)
    next(rows)
    with conn:
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("CREATE INDEX orders_customer_time ON orders(customer_id, ordered_at, status, amount)")
        conn.execute("CREATE INDEX orders_time_customer ON orders(ordered_at, customer_id, status, amount)")
n = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": n, "cpu_seconds": use.ru_utime + use.ru_stime,
                  "rss_mb": use.ru_maxrss / 1024}}))
"""


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(data_dir: Path) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        paths = {
            "root": str(ROOT),
            "customers": str(data_dir / "customers.csv"),
            "orders": str(data_dir / "orders.csv"),
        }
        ours = _child(_OURS.format(db=str(Path(tmp) / "ours.db"), **paths))
        base = _child(_BASELINE.format(db=str(Path(tmp) / "base.db"), **paths))
    for name, r in (("retention-bot import orders", ours), ("baseline executemany", base)):
        rows.append(
            {
                "what": name,
                "customers_seconds": round(r.get("customers_seconds", 0), 2),
                "cpu_seconds": round(r["cpu_seconds"], 1),
                "orders": r["rows"],
                "seconds": round(r["seconds"], 2),
                "rows_per_s": int(r["rows"] / r["seconds"]),
                "peak_rss_mb": round(r["rss_mb"]),
                "vs_baseline": round(r["seconds"] / base["seconds"], 2),
            }
        )
    return rows
