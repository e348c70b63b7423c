"""Another writer holds the store (a second connection in `BEGIN IMMEDIATE`,
as an import or a second bot instance would): a real `import` or `score`
process waits for it (busy timeout) and succeeds when it lets go in time,
or says plainly that the store is busy and changes nothing."""

import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.db import BUSY_TIMEOUT_MS
from tests.support.procs import run_cli, snapshot, start_cli, wait_until, wait_until_idle
from tests.support.stores import orders_csv, read_position

pytestmark = pytest.mark.slow

AS_OF = ("--as-of", "1998-06-30")


@contextmanager
def other_writer(path: Path):
    """A second connection holding the write lock with a change of its own
    in progress; the block decides whether it commits (`commit()`) or not."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO settings (key, value) VALUES ('_other_writer', '\"was here\"')")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def other_writer_landed(path: Path) -> bool:
    return any(key == "_other_writer" for key, *_ in snapshot(path)["settings"])


def still_waiting(proc: subprocess.Popen, seconds: float = 1.0) -> bool:
    """The process has not finished within `seconds` (a bounded wait)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_an_import_waits_for_another_writer_and_succeeds_when_it_commits(cdnow_path, tmp_path):
    orders = tmp_path / "orders.csv"
    orders_csv(orders, 20_000)
    before = len(snapshot(cdnow_path)["orders"])
    with other_writer(cdnow_path) as writer:
        proc = start_cli(cdnow_path, "import", "orders", str(orders))
        size = orders.stat().st_size
        wait_until(lambda: (read_position(proc.pid, orders) or 0) >= size, 60, "the file to be read", proc)
        assert still_waiting(proc), proc.stderr.read()  # read, now waiting for the write lock
        writer.execute("COMMIT")
        assert proc.wait(60) == 0, proc.stderr.read()
    assert "20000 added" in proc.stdout.read()
    assert len(snapshot(cdnow_path)["orders"]) == before + 20_000
    assert other_writer_landed(cdnow_path)  # both writes kept, one after the other


def test_score_waits_for_another_writer_and_succeeds_when_it_commits(cdnow_path):
    with other_writer(cdnow_path) as writer:
        proc = start_cli(cdnow_path, *AS_OF, "score")
        wait_until_idle(proc)  # asleep in SQLite's busy handler
        assert still_waiting(proc), proc.stderr.read()
        writer.execute("COMMIT")
        assert proc.wait(60) == 0, proc.stderr.read()
    assert "Scored 2,357 customers" in proc.stdout.read()
    state = snapshot(cdnow_path)
    assert len(state["customer_scores"]) == 2357 and other_writer_landed(cdnow_path)


def test_a_writer_that_holds_on_past_the_busy_timeout_gets_a_clear_busy_message(cdnow_path, tmp_path):
    orders = tmp_path / "orders.csv"
    orders_csv(orders, 2_000)
    with other_writer(cdnow_path):
        before = snapshot(cdnow_path)
        start = time.monotonic()
        r = run_cli(cdnow_path, "import", "orders", str(orders), timeout=120)
        waited = time.monotonic() - start
        assert r.returncode == 1
        assert "the store is busy" in r.stderr and "try again" in r.stderr and "Traceback" not in r.stderr
        assert waited >= BUSY_TIMEOUT_MS / 1000  # it did wait for the other writer first
        assert snapshot(cdnow_path) == before
    again = run_cli(cdnow_path, "import", "orders", str(orders))  # the other writer gave up: it goes through
    assert again.returncode == 0 and "2000 added" in again.stdout
    assert not other_writer_landed(cdnow_path)
