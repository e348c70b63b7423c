"""Import benchmark: the first import into an empty store vs a bare baseline.

Ours: the operator's way, `retention-bot --db NEW import reps`, then
`customers`, `orders` and `feedback`, each a CLI process of its own (its
wall time, CPU and peak RSS its own), as an operator's first import runs:
validated, FILE:LINE errors, aggregates, one transaction per file, and the
order frame saved after the commit. The baseline is the fastest bare path
SQLite offers for the same orders: Python's csv reader and
`sqlite3.executemany` into a table with the same primary key, its two
indexes built after the load, in one transaction, with no validation, no
customers and no report.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("reps", "customers", "orders", "feedback")  # in the order an operator imports them

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


def _cli_import(db: Path, kind: str, path: Path) -> dict:
    """One `retention-bot import` process: wall seconds, CPU and peak RSS
    (its own, from wait4), and its report line."""
    cli = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*cli, "--db", str(db), "import", kind, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    summary = proc.stdout.read()
    _, status, use = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"retention-bot import {kind} {path} exited {proc.returncode}")
    return {
        "seconds": seconds,
        "cpu_seconds": use.ru_utime + use.ru_stime,
        "rss_mb": use.ru_maxrss / 1024,
        "summary": summary.strip(),
    }


def run(data_dir: Path) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        ours = {kind: _cli_import(Path(tmp) / "ours.db", kind, data_dir / f"{kind}.csv") for kind in KINDS}
        added = re.search(r"imported orders: (\d+) added", ours["orders"]["summary"])
        ours["orders"]["rows"] = int(added.group(1)) if added else 0
        ours["orders"]["customers_seconds"] = ours["customers"]["seconds"]
        base = _child(_BASELINE.format(db=str(Path(tmp) / "base.db"), orders=str(data_dir / "orders.csv")))
    everything = sum(r["seconds"] for r in ours.values())
    named = (
        (
            f"retention-bot import orders (CLI, after reps and customers; all four files {everything:,.1f} s)",
            ours["orders"],
        ),
        ("baseline executemany", base),
    )
    for name, r in named:
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
