"""SIGKILL at the worst moments — in the middle of an import, of a score, and
between a Slack post and its record — then a restart: no row lost or
doubled, no message posted twice. Real `retention-bot` processes throughout;
the kill moments are found from outside (how far the file has been read,
who holds the write lock, which request the fake Slack is holding)."""

import random
import shutil
import signal
import subprocess
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from bench.slack_fake import LISTENING, StderrLines
from storage import open_db
from storage.importer import import_file
from tests.support.followups import CHANNELS
from tests.support.procs import (
    age_claims,
    cli,
    cpu_ticks,
    kill_when,
    run_cli,
    sigkill,
    snapshot,
    start_cli,
    wait_until,
    write_lock_probe,
)
from tests.support.stores import IMPORTED_AT, orders_csv, read_position

pytestmark = pytest.mark.slow

SEED = 9
ROWS = 150_000
AS_OF = ("--as-of", "1998-06-30")  # the end of the CDNOW sample: scores are reproducible


def data_tables(state: dict) -> dict:
    """Everything but the import log, whose rows carry the time of the run."""
    return {table: rows for table, rows in state.items() if table != "imports"}


def has_read(path: Path, at: float):
    """A kill condition: the process has read `path` up to byte `at`."""
    return lambda proc: (read_position(proc.pid, path) or 0) >= at


def test_import_killed_at_random_points_then_rerun_holds_each_row_once(cdnow_path, tmp_path):
    big = tmp_path / "orders.csv"
    orders_csv(big, ROWS)
    size = big.stat().st_size
    before = snapshot(cdnow_path)
    reference = tmp_path / "reference.db"
    shutil.copy(cdnow_path, reference)
    db = open_db(reference)
    import_file(db, "orders", big, now=IMPORTED_AT)
    db.conn.close()
    done = snapshot(reference)

    rng = random.Random(SEED)
    points = [*sorted(rng.uniform(0.05, 0.95) for _ in range(3)), 1.0]  # 1.0: read, now merging
    committed = 0
    for point in points:
        proc = start_cli(cdnow_path, "import", "orders", str(big))
        assert kill_when(proc, has_read(big, point * size), 120, f"the import to read {point:.0%} of the file"), (
            f"the import finished before the kill at {point:.0%}"
        )
        state = snapshot(cdnow_path)
        if state != before:  # only possible when the kill came after the commit
            assert point == 1.0 and data_tables(state) == data_tables(done)
            committed += 1

    rerun = run_cli(cdnow_path, "import", "orders", str(big))
    assert rerun.returncode == 0, rerun.stderr
    after = snapshot(cdnow_path)
    assert data_tables(after) == data_tables(done)
    assert len(after["orders"]) == len(before["orders"]) + ROWS
    assert len(after["imports"]) == len(before["imports"]) + 1 + committed


def loaded(state: dict) -> dict:
    """The data a run leaves, for two stores made apart: without the import
    log's times or the migrations' (each store was opened at its own time)."""
    return {table: rows for table, rows in data_tables(state).items() if table != "_sqlite_migrations"}


def schema(path: Path) -> list[tuple]:
    db = open_db(path, create=False)
    try:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.conn.close()


def test_first_import_killed_while_loading_leaves_the_store_empty_with_its_indexes(tmp_path):
    """A first import loads an empty table without its indexes and builds
    them after: a kill at any moment of that leaves the store as it was,
    indexes and all, and a rerun loads it as an uninterrupted import does."""
    big = tmp_path / "orders.csv"
    orders_csv(big, ROWS)
    store, reference = tmp_path / "store.db", tmp_path / "reference.db"
    for path in (store, reference):
        open_db(path).conn.close()
    before, indexes = snapshot(store), schema(store)
    db = open_db(reference)
    import_file(db, "orders", big, now=IMPORTED_AT)
    db.conn.close()
    done = snapshot(reference)
    assert schema(reference) == indexes

    rng = random.Random(SEED)
    mid_write = 0
    # CPU time (clock ticks) spent after taking the write lock: rows going
    # in, indexes dropped or being built, the commit
    for ticks in (0, *sorted(rng.randint(5, 80) for _ in range(3))):
        proc = start_cli(store, "import", "orders", str(big))
        with write_lock_probe(store) as writing:
            wait_until(lambda p=proc: p.poll() is not None or writing(), 120, "the import to write", poll=0.001)
            until = (cpu_ticks(proc.pid) or 0) + ticks
            killed = kill_when(proc, lambda p, until=until: (cpu_ticks(p.pid) or 0) >= until, 120, "the load to go on")
        state = snapshot(store)
        assert schema(store) == indexes
        if state == before:
            mid_write += killed
        else:  # the kill came after the commit (a fast machine): all of it, once
            assert loaded(state) == loaded(done) and len(state["imports"]) == 1
            break
    assert mid_write >= 1

    if snapshot(store) == before:
        rerun = run_cli(store, "import", "orders", str(big))
        assert rerun.returncode == 0, rerun.stderr
    assert loaded(snapshot(store)) == loaded(done)
    assert schema(store) == indexes


def test_score_killed_while_writing_then_rerun_scores_once(cdnow_path, tmp_path):
    before = snapshot(cdnow_path)
    reference = tmp_path / "reference.db"
    shutil.copy(cdnow_path, reference)
    assert run_cli(reference, *AS_OF, "score").returncode == 0
    done = snapshot(reference)
    assert done["customer_scores"] and done["followups"]

    mid_write = 0
    for _ in range(3):
        proc = start_cli(cdnow_path, *AS_OF, "score")
        with write_lock_probe(cdnow_path) as writing:
            assert kill_when(proc, lambda p: writing(), 120, "the score to start writing", poll=0.001), (
                "the score finished before it could be killed"
            )
        state = snapshot(cdnow_path)
        assert state in (before, done)
        mid_write += state == before
        if state == done:
            break
    assert mid_write >= 1

    rerun = run_cli(cdnow_path, *AS_OF, "score")
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(cdnow_path) == done


def deliveries(path: Path) -> list[tuple]:
    db = open_db(path, create=False)
    try:
        return db.execute(
            "SELECT key, channel, status, slack_ts FROM deliveries WHERE kind = 'digest' ORDER BY key"
        ).fetchall()
    finally:
        db.conn.close()


def kill_digest_now(store: Path, channel: str, slack, env: dict, moment: str, rng: random.Random) -> None:
    """Run `digest now` for `channel` and SIGKILL it: when Slack holds the
    post (`before` it lands, or `after`), or at a random time of its run."""
    slack.arm(None if moment == "random" else moment)
    proc = start_cli(store, "digest", "now", "--channel", channel, env=env)
    if moment == "random":
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0.2, 3.0))
    else:
        wait_until(slack.holding.is_set, 60, f"the post to be held {moment} it lands", proc)
    sigkill(proc)
    slack.release()


@contextmanager
def running_bot(store: Path, env: dict):
    """`retention-bot run` in HTTP mode on 127.0.0.1, stopped with SIGTERM."""
    proc = subprocess.Popen(
        cli(store, "run", "--host", "127.0.0.1", "--port", "0"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        err = StderrLines(proc)
        err.wait_for(LISTENING, timeout=60)
        yield proc
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, err.rest()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_digest_killed_after_slack_took_it_is_recorded_by_the_restarted_bot_not_resent(digest_store, held_slack, env):
    kill_digest_now(digest_store, "C0SALES", held_slack, env, "after", random.Random(SEED))
    [(key, _, status, ts)] = deliveries(digest_store)
    [landed] = held_slack.posted(key)
    assert (status, ts) == ("sending", None)  # in Slack, not recorded: the worst moment

    again = run_cli(digest_store, "digest", "now", "--channel", "C0SALES", env=env)
    assert again.returncode == 1 and "being sent by another process" in again.stderr  # a fresh claim is kept
    assert age_claims(digest_store) == 1
    with running_bot(digest_store, env):
        wait_until(lambda: deliveries(digest_store)[0][2] == "sent", 30, "the restarted bot to settle the claim")
    assert deliveries(digest_store) == [(key, "C0SALES", "sent", landed["ts"])]
    assert held_slack.calls("conversations.history")
    last = run_cli(digest_store, "digest", "now", "--channel", "C0SALES", env=env)
    assert last.returncode == 0 and "already sent today" in last.stdout
    assert len(held_slack.posted(key)) == 1 and len(held_slack.attempts(key)) == 1


def test_digest_now_killed_at_random_moments_posts_each_channel_once(digest_store, held_slack, env):
    rng = random.Random(SEED)
    moments = ["before", "after", "random", "random", "after", "random"]
    rng.shuffle(moments)
    for channel, moment in zip(CHANNELS, moments, strict=True):
        kill_digest_now(digest_store, channel, held_slack, env, moment, rng)
        for _ in range(3):  # restart until settled; a claim left by the kill goes stale first
            r = run_cli(digest_store, "digest", "now", "--channel", channel, env=env)
            if r.returncode == 0:
                break
            assert "being sent by another process" in r.stderr or "not delivered yet" in r.stderr, r.stderr
            age_claims(digest_store)
        assert r.returncode == 0, (moment, r.stdout, r.stderr)

    rows = deliveries(digest_store)
    assert sorted(channel for _, channel, _, _ in rows) == sorted(CHANNELS)
    for key, _, status, ts in rows:
        [message] = held_slack.posted(key)
        assert (status, ts) == ("sent", message["ts"])
    assert len(held_slack.posted()) == len(CHANNELS)
