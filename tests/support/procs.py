"""Real `retention-bot` processes for the reliability suite: started, watched
and killed from outside, as a crash or an operator would. Every wait is a
bounded poll with a deadline; nothing here sleeps for a fixed time."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.slack_fake import LISTENING, events_url
from bot.outbox import STALE_AFTER
from storage import open_db
from storage.fields import format_utc
from tests.support.stores import dump

ROOT = Path(__file__).resolve().parents[2]
POLL = 0.02


def cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", "--db", str(db), *args]


def run_cli(db: Path, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cli(db, *args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def start_cli(db: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        cli(db, *args), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen | None = None, poll: float = POLL
):
    """Poll `condition` every `poll` seconds until it is truthy (returned) or
    `timeout` passes (AssertionError naming `what`); stops early if `proc`
    exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {what}: {proc.stderr.read()[-2000:]}")
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def sigkill(proc: subprocess.Popen) -> bool:
    """Kill -9 now; True if the process was still running (a real crash)."""
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    return alive


def kill_when(
    proc: subprocess.Popen, ready: Callable[[subprocess.Popen], bool], timeout: float, what: str, poll: float = POLL
) -> bool:
    """SIGKILL `proc` as soon as `ready(proc)`; True if it was still running."""
    wait_until(lambda: proc.poll() is not None or ready(proc), timeout, what, poll=poll)
    return sigkill(proc)


def cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of `pid` in clock ticks (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def wait_until_idle(proc: subprocess.Popen, timeout: float = 60, quiet_polls: int = 25) -> None:
    """Wait until `proc` has used no CPU for `quiet_polls` polls in a row: it
    is asleep, e.g. in SQLite's busy handler waiting for a lock."""
    seen = {"last": None, "still": 0}

    def idle() -> bool:
        ticks = cpu_ticks(proc.pid)
        seen["still"] = seen["still"] + 1 if ticks == seen["last"] else 0
        seen["last"] = ticks
        return seen["still"] >= quiet_polls

    wait_until(idle, timeout, "the process to sit idle", proc)


@contextmanager
def write_lock_probe(path: Path) -> Iterator[Callable[[], bool]]:
    """A check, cheap enough to call every millisecond, that is True while
    another connection holds the store's write lock: a zero-timeout BEGIN
    IMMEDIATE on one open connection, rolled back at once when it succeeds
    (a score on a small store holds the lock for a few milliseconds)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)

    def held() -> bool:
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        return False

    try:
        yield held
    finally:
        probe.close()


def snapshot(path: Path) -> dict[str, list[tuple]]:
    db = open_db(path, create=False)
    try:
        return dump(db)
    finally:
        db.conn.close()


def age_claims(path: Path) -> int:
    """Fifteen minutes pass for the outbox: claims left `sending` by a killed
    process become stale, as they would be when the next process looks.
    Processes run on the real clock, so the data moves instead of the clock."""
    db = open_db(path, create=False)
    try:
        old = format_utc(datetime.now(UTC) - STALE_AFTER - STALE_AFTER)
        return db.execute("UPDATE deliveries SET claimed_at = ? WHERE status = 'sending'", [old]).rowcount
    finally:
        db.conn.close()


class BotProcess:
    """`retention-bot run` in HTTP mode on 127.0.0.1 (a free port), as an
    operator starts it; `url` is None while it is down. Its stderr is read
    on a thread, so waiting for a line has a deadline."""

    def __init__(self, db: Path, env: dict, *extra: str):
        self.db, self.env, self.extra = db, env, extra
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.restarting = False
        self.stderr: list[str] = []

    def start(self, timeout: float = 60) -> "BotProcess":
        self.stderr = []
        self.proc = subprocess.Popen(
            cli(self.db, "run", "--host", "127.0.0.1", "--port", "0", *self.extra),
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        listening = threading.Event()

        def pump(stream) -> None:
            for line in stream:
                self.stderr.append(line)
                if LISTENING in line:
                    self.url = events_url(line).removesuffix("/slack/events")
                    listening.set()

        threading.Thread(target=pump, args=(self.proc.stderr,), daemon=True).start()
        wait_until(lambda: listening.is_set(), timeout, "the bot to listen", self.proc)
        return self

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM, as `docker stop` or a platform restart sends it; exit 0."""
        url, self.url = self.url, None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        assert code == 0, f"{url}: exit {code}: {''.join(self.stderr)[-3000:]}"

    def restart(self) -> None:
        self.restarting = True
        try:
            self.stop()
            self.start()
        finally:
            self.restarting = False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
