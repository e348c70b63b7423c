"""The disk fills up in the middle of an import or a score: the command says
"disk full", the store is exactly as before and intact, and it takes the
same work once there is room.

Two ways to run out of space: a real tiny filesystem (a tmpfs mounted in a
private user and mount namespace, so no root is needed where the kernel
allows unprivileged user namespaces; skipped elsewhere), and SQLite's own
`max_page_count` through the CLI in-process, which works everywhere."""

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import open_db
from tests.support.procs import ROOT, cli, run_cli, snapshot
from tests.support.stores import orders_csv

pytestmark = pytest.mark.slow

AS_OF = ("--as-of", "1998-06-30")
ROOM = 64 * 1024  # free bytes on the tiny disk: the WAL index fits, an import or a score does not


def namespace(script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tiny_disks(tmp_path_factory) -> None:
    probe = tmp_path_factory.mktemp("probe")
    if shutil.which("unshare") is None:
        pytest.skip("no `unshare` here to mount a tiny tmpfs without root")
    r = namespace(f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(probe))}", probe)
    if r.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs in a user namespace here ({r.stderr.strip()}); "
            "the max_page_count test covers disk full instead"
        )


def on_tiny_disk(tmp_path: Path, store: Path, steps: dict[str, list[str]]) -> dict[str, tuple[int, str, str]]:
    """Copy `store` onto a tmpfs with ROOM bytes to spare and run each CLI
    step there in turn; returns {step: (exit code, stdout, stderr)}. The
    store comes back out (with any -wal) into tmp_path / "after"."""
    q = shlex.quote
    mnt, out, after = tmp_path / "tiny", tmp_path / "out", tmp_path / "after"
    for d in (mnt, out, after):
        d.mkdir()
    size = -(-(store.stat().st_size + ROOM) // 4096) * 4096
    lines = [
        "set -e",
        f"mount -t tmpfs -o size={size} tmpfs {q(str(mnt))}",
        f"cp {q(str(store))} {q(str(mnt / 'store.db'))}",
        "set +e",
    ]
    for name, args in steps.items():
        command = " ".join(q(a) for a in cli(mnt / "store.db", *args))
        lines.append(
            f"{command} > {q(str(out / name))}.out 2> {q(str(out / name))}.err; echo $? > {q(str(out / name))}.rc"
        )
    lines.append(f"cp -r {q(str(mnt))}/store.db* {q(str(after))}/")  # with the saved order frame (store.db.frame/)
    r = namespace("\n".join(lines), ROOT)
    assert r.returncode == 0, r.stderr
    return {
        name: (
            int((out / f"{name}.rc").read_text()),
            (out / f"{name}.out").read_text(),
            (out / f"{name}.err").read_text(),
        )
        for name in steps
    }


def assert_intact(path: Path, before: dict) -> None:
    db = open_db(path, create=False)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.conn.close()
    assert snapshot(path) == before


def assert_says_disk_full(code: int, stderr: str) -> None:
    assert code == 1
    assert "disk full" in stderr and "rolled back" in stderr and "free some disk space" in stderr
    assert "Traceback" not in stderr


def test_import_on_a_full_disk_says_so_and_leaves_the_store_intact(tiny_disks, cdnow_path, tmp_path):
    orders = tmp_path / "orders.csv"
    orders_csv(orders, 50_000)
    before = snapshot(cdnow_path)
    results = on_tiny_disk(
        tmp_path,
        cdnow_path,
        {
            "import": ["import", "orders", str(orders)],
            "ask": ["ask", "--json", "/retention"],  # still answers on the full disk
        },
    )
    assert_says_disk_full(results["import"][0], results["import"][2])
    assert results["ask"][0] == 0, results["ask"][2]
    store = tmp_path / "after" / "store.db"
    assert_intact(store, before)
    room = run_cli(store, "import", "orders", str(orders))  # space freed: the same import goes through
    assert room.returncode == 0 and "50000 added" in room.stdout


def test_score_on_a_full_disk_says_so_and_leaves_the_store_intact(tiny_disks, cdnow_path, tmp_path):
    before = snapshot(cdnow_path)
    results = on_tiny_disk(tmp_path, cdnow_path, {"score": [*AS_OF, "score"]})
    assert_says_disk_full(results["score"][0], results["score"][2])
    store = tmp_path / "after" / "store.db"
    assert_intact(store, before)
    room = run_cli(store, *AS_OF, "score")
    assert room.returncode == 0 and "Scored 2,357 customers" in room.stdout


def test_max_page_count_full_during_import_and_score_through_the_cli(cdnow_path, tmp_path, monkeypatch):
    def small_disk(path, **kw):
        db = open_db(path, **kw)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 8}")
        return db

    monkeypatch.setattr("bot.cli.open_db", small_disk)
    orders = tmp_path / "orders.csv"
    orders_csv(orders, 20_000)
    before = snapshot(cdnow_path)
    for args in (["import", "orders", str(orders)], [*AS_OF, "score"]):
        r = CliRunner().invoke(main, ["--db", str(cdnow_path), *args])
        assert_says_disk_full(r.exit_code, r.output)
        assert_intact(cdnow_path, before)
    monkeypatch.undo()
    r = CliRunner().invoke(main, ["--db", str(cdnow_path), "import", "orders", str(orders)])
    assert r.exit_code == 0 and "20000 added" in r.output
