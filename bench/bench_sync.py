"""Sync benchmark: `retention-bot sync` from PostgreSQL vs `retention-bot
import orders` of the same rows as CSV, and an increment of 1,000 rows.

Starts its own throwaway PostgreSQL server (bench/pg_server.py; Debian's
`postgresql` package), loads N synthetic orders into it with COPY, writes
the same rows as a CSV, then times, each into its own new store: the CSV
import, the full sync (backfill), and a second sync after 1,000 rows were
added or changed at the source. Run: python bench/bench_sync.py --rows 1000000
"""

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg_server import start_server
from storage import open_db
from storage.importer import import_file
from storage.sources.config import load_sources
from storage.sources.sync import sync_sources

START = datetime(2024, 1, 1, tzinfo=UTC)
TABLE = (
    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id TEXT NOT NULL, ordered_at TIMESTAMPTZ NOT NULL, "
    "amount NUMERIC(12, 2) NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"
)


def rows(n: int):
    for i in range(1, n + 1):
        at = START + timedelta(minutes=i)
        yield (
            i,
            f"c{i * 7919 % (n // 10 + 1)}",
            at.isoformat(),
            f"{(i * 37) % 500 + 0.99:.2f}",
            "USD",
            "refunded" if i % 53 == 0 else "paid",
            at.isoformat(),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    args = parser.parse_args()
    import psycopg

    server, stop = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            url = server.create_database("bench")
            path = work / "orders.csv"
            with open(path, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["id", "customer_id", "ordered_at", "amount", "currency", "status", "updated_at"])
                w.writerows(rows(args.rows))
            with psycopg.connect(url, autocommit=True) as pg:
                pg.execute(TABLE)
                with pg.cursor().copy("COPY orders FROM STDIN") as copy:
                    for r in rows(args.rows):
                        copy.write_row(r)
                pg.execute("CREATE INDEX orders_updated ON orders (updated_at, id)")
                pg.execute("ANALYZE orders")
            now = datetime.now(UTC)
            t = time.perf_counter()
            imported = import_file(open_db(work / "csv.db"), "orders", path, now=now)
            csv_seconds = time.perf_counter() - t

            (work / "sources.toml").write_text(
                f'[sources.bench]\nkind = "sql"\nurl_env = "BENCH_DB_URL"\nbatch_size = {args.batch_size}\n'
                'orders = "SELECT id, customer_id, ordered_at, amount, currency, status, updated_at FROM orders"\n'
                'cursor = "updated_at"\n'
            )
            env = {**os.environ, "BENCH_DB_URL": url}
            sources = load_sources(work / "sources.toml").sources
            db = open_db(work / "sync.db")
            t = time.perf_counter()
            (full,) = sync_sources(db, sources, env, now=now, tz=UTC)
            sync_seconds = time.perf_counter() - t

            with psycopg.connect(url, autocommit=True) as pg:
                pg.execute(
                    "UPDATE orders SET status = 'refunded', updated_at = now() WHERE id IN "
                    "(SELECT id FROM orders ORDER BY id LIMIT 500)"
                )
                pg.execute(
                    "INSERT INTO orders SELECT id + 10000000, customer_id, ordered_at, amount, currency, status, now() "
                    "FROM orders ORDER BY id DESC LIMIT 500"
                )
            t = time.perf_counter()
            (inc,) = sync_sources(db, sources, env, now=now, tz=UTC)
            inc_seconds = time.perf_counter() - t
    finally:
        stop()
    print(
        json.dumps(
            {
                "rows": args.rows,
                "batch_size": args.batch_size,
                "import_csv_s": round(csv_seconds, 2),
                "import_added": imported.added,
                "sync_full_s": round(sync_seconds, 2),
                "sync_added": full.added,
                "sync_vs_import": round(sync_seconds / csv_seconds, 2),
                "increment_s": round(inc_seconds, 2),
                "increment_added_updated": [inc.added, inc.updated],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
