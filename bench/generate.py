"""Generate a synthetic book of business for benchmarks.

    python bench/generate.py --customers 100000      # ≈ 1M orders
    python bench/generate.py --customers 1000000     # ≈ 10M orders

Writes bench/data/<N>/{reps,customers,orders,feedback}.csv and, unless
--csv-only, imports them into bench/data/<N>/store.db with the real importer
(the store the command, score and Slack benchmarks use).
"""

import argparse
import resource
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from storage import open_db  # noqa: E402
from storage.importer import import_file  # noqa: E402
from storage.synthetic import generate  # noqa: E402

END = date(2026, 11, 22)
KINDS = ("reps", "customers", "orders", "feedback")


def data_dir(n: int) -> Path:
    return ROOT / "data" / str(n)


def write(n: int, seed: int = 7) -> Path:
    out = data_dir(n)
    out.mkdir(parents=True, exist_ok=True)
    if all((out / f"{k}.csv").exists() for k in KINDS):
        return out
    t = time.perf_counter()
    frames = generate(n, END, seed=seed)
    for kind in KINDS:
        tmp = out / f"{kind}.csv.tmp"
        frames[kind].to_csv(tmp, index=False, chunksize=500_000)
        tmp.rename(out / f"{kind}.csv")
    print(f"{n:,} customers, {len(frames['orders']):,} orders written to {out} in {time.perf_counter() - t:.1f} s")
    return out


def build_store(n: int) -> Path:
    out = data_dir(n)
    store = out / "store.db"
    if store.exists():
        return store
    tmp = out / "store.db.tmp"
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    db = open_db(tmp)
    start = time.perf_counter()
    for kind in KINDS:
        t = time.perf_counter()
        report = import_file(db, kind, out / f"{kind}.csv", now=datetime.now(UTC))
        print(f"  import {kind}: {report.added:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    tmp.rename(store)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  first import, all files: {time.perf_counter() - start:.1f} s, peak RSS {rss:,.0f} MB")
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, required=True)
    ap.add_argument("--csv-only", action="store_true")
    args = ap.parse_args()
    write(args.customers)
    if not args.csv_only:
        print(build_store(args.customers))


if __name__ == "__main__":
    main()
