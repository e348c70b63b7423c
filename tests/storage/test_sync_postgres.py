"""Issue 17's acceptance on a real PostgreSQL server (psycopg 3): the CDNOW
sample synced gives the CSV import's answers, increments and refunds are
picked up, nothing new is "no changes", and a sync killed with SIGKILL then
run again leaves the store a whole sync would."""

import json
import sqlite3
from datetime import UTC, datetime

import psycopg
import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import open_db
from tests.support.procs import ROOT, run_cli, sigkill, start_cli, wait_until
from tests.support.sources import data_of, sources_file
from tests.support.stores import CDNOW

NOW = datetime(2026, 11, 24, 7, 12, tzinfo=UTC)
TABLE = (
    "CREATE TABLE orders (id SERIAL PRIMARY KEY, customer_id TEXT NOT NULL, ordered_at DATE NOT NULL, "
    "amount NUMERIC(12, 2) NOT NULL, currency TEXT NOT NULL DEFAULT 'USD', status TEXT NOT NULL DEFAULT 'paid', "
    "updated_at TIMESTAMPTZ NOT NULL DEFAULT '2026-11-01T00:00:00Z')"
)


def cdnow_rows() -> list[tuple[str, str, str]]:
    """The sample's orders as the CDNOW reader reads them: customer, day, dollars."""
    rows = []
    for line in CDNOW.read_text().splitlines():
        parts = line.split()
        if parts:
            rows.append((parts[1].lstrip("0") or "0", parts[2], parts[4]))
    return rows


def cli(args: list[str], url: str):
    r = CliRunner().invoke(main, args, env={"SHOP_DB_URL": url}, obj=lambda: NOW)
    return r


def ask_json(db_path, text: str) -> dict:
    r = CliRunner().invoke(main, ["--db", str(db_path), "--as-of", "1998-06-30", "ask", text, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_cdnow_from_postgres_matches_the_csv_import_then_increments(pg_url, cdnow_path, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute(TABLE)
        with pg.cursor().copy("COPY orders (customer_id, ordered_at, amount) FROM STDIN") as copy:
            for row in cdnow_rows():
                copy.write_row(row)
    store = tmp_path / "synced.db"
    sources = sources_file(tmp_path / "sources.toml", batch_size=1000)
    base = ["--db", str(store), "--sources", str(sources)]
    r = cli([*base, "sync"], pg_url)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "shop_db: synced 6,919 added, 0 updated (2,357 new customers)"
    synced, imported = ask_json(store, "crr 1997-Q3"), ask_json(cdnow_path, "crr 1997-Q3")
    assert synced == imported
    assert (synced["S"], synced["E"], synced["retained"]) == (521, 409, 211)

    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute(
            "INSERT INTO orders (customer_id, ordered_at, amount, updated_at) "
            "SELECT '1', DATE '1998-06-01' + g, 10 + g, TIMESTAMPTZ '2026-11-02T00:00:00Z' + g * INTERVAL '1 minute' "
            "FROM generate_series(1, 10) g"
        )
    r = cli([*base, "sync"], pg_url)
    assert r.output.splitlines()[0] == "shop_db: synced 10 added, 0 updated"

    before = ask_json(store, "kpis 1997-Q3")
    with psycopg.connect(pg_url, autocommit=True) as pg:
        refunded = pg.execute(
            "UPDATE orders SET status = 'refunded', updated_at = '2026-11-03T00:00:00Z' "
            "WHERE id = (SELECT MIN(id) FROM orders WHERE ordered_at BETWEEN '1997-08-01' AND '1997-08-31') "
            "RETURNING amount"
        ).fetchone()[0]
    r = cli([*base, "sync"], pg_url)
    assert r.output.splitlines()[0] == "shop_db: synced 0 added, 1 updated"
    after = ask_json(store, "kpis 1997-Q3")
    assert after["orders"] == before["orders"] - 1
    assert after["revenue"] == pytest.approx(before["revenue"] - float(refunded))

    r = cli([*base, "sync"], pg_url)
    assert (r.exit_code, r.output.strip()) == (0, "shop_db: no changes")


def test_a_missing_column_and_a_broken_query_say_what_to_fix(pg_url, tmp_path, fresh_db):
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute(TABLE.replace("amount NUMERIC(12, 2) NOT NULL, ", ""))
    sources = sources_file(tmp_path / "sources.toml")
    r = cli(["--db", str(tmp_path / "s.db"), "--sources", str(sources), "sync"], pg_url)
    assert r.exit_code == 1
    assert 'the orders query failed: column "amount" does not exist' in r.output
    assert pg_url not in r.output
    r = cli(["--db", str(tmp_path / "s.db"), "--sources", str(sources), "doctor"], pg_url)
    assert '✗ source shop_db (sql): source shop_db: the orders query failed: column "amount" does not exist' in r.output
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute("ALTER TABLE orders ADD COLUMN amount NUMERIC(12, 2)")
    r = cli(["--db", str(tmp_path / "s.db"), "--sources", str(sources), "doctor"], pg_url)
    assert "✓ source shop_db (sql): connected; orders: id, customer_id, ordered_at, amount" in r.output


@pytest.mark.slow
def test_sigkill_during_a_100k_row_sync_then_rerun_gives_the_same_store(pg_url, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as pg:
        pg.execute(TABLE)
        pg.execute(
            "INSERT INTO orders (customer_id, ordered_at, amount, status, updated_at) "
            "SELECT 'c' || (g % 7919), DATE '2025-01-01' + (g % 365), (g % 500) + 0.5, "
            "CASE WHEN g % 53 = 0 THEN 'refunded' ELSE 'paid' END, "
            "TIMESTAMPTZ '2026-01-01T00:00:00Z' + (g / 3) * INTERVAL '1 second' FROM generate_series(1, 100000) g"
        )
    sources = sources_file(tmp_path / "sources.toml", batch_size=2000)
    env = {"SHOP_DB_URL": pg_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    killed, whole = tmp_path / "killed.db", tmp_path / "whole.db"

    def stored() -> int:
        if not killed.exists():
            return 0
        conn = sqlite3.connect(f"file:{killed}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            conn.close()

    proc = start_cli(killed, "--sources", str(sources), "sync", env=env)
    wait_until(lambda: stored() >= 10_000, 300, "a fifth of the rows stored", proc=proc)
    assert sigkill(proc), "the sync finished before it could be killed"
    assert 10_000 <= stored() < 100_000
    done = run_cli(killed, "--sources", str(sources), "sync", env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    full = run_cli(whole, "--sources", str(sources), "sync", env=env, timeout=600)
    assert full.returncode == 0, full.stderr
    assert "100,000 added" in full.stdout
    assert data_of(open_db(killed)) == data_of(open_db(whole))
