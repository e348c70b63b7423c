"""A busy Monday on loopback: many signed `/retention` requests at once
against `retention-bot run` in HTTP mode, one or two instances sharing one
store.

    python bench/bench_load.py                                  # bench/data/100000/store.db, 1 and 2 instances
    python bench/bench_load.py --store my.db --instances 2 --requests 2000 --concurrency 50
    python bench/run.py --sizes 100000 --suites load

Each instance is a real `retention-bot --as-of <last order day> run --mode
http` process (waitress, the production WSGI app, its start-up cache warm-up
and scheduler), with SLACK_API_URL pointing at the tests' fake Slack on
127.0.0.1, so nothing leaves the machine. The instances serve a private copy
of the store (made with SQLite's backup API from a read-only connection: the
source is never written). `concurrency` client threads send `requests`
signed slash commands in a fixed, seeded mix of sub-commands, round-robin
over the instances, and time each acknowledgement (Slack's limit is 3 s) and
each answer: in the ack body, or — for charts, and for any command that
arrives while the instance is busy — through the response_url after a
"Working on it…" ack; those answers are awaited and timed too. An error is a
non-200 reply, a failed request, an "error id" answer, or an answer that
never came.
"""

import argparse
import os
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from bench.slack_fake import (  # noqa: E402  # noqa: E402
    LISTENING,
    SIGNING_SECRET,
    FakeSlack,
    SlackSender,
    StderrLines,
    events_url,
    slack_env,
)
from bot.listeners.command import WORKING  # noqa: E402

ACK_LIMIT = 3.0  # seconds: Slack shows the user an error after this
START_TIMEOUT = 300  # an instance warms its caches before it listens: seconds on a large store
ANSWER_TIMEOUT = 900  # for every answer sent after its ack to arrive
FAILED = "something went wrong"  # the error-id answer (bot/listeners/errors.py)

# What a sales team asks on a Monday morning, by weight; two chart commands
# (answered after the ack), one usage mistake (a normal answer, not an error).
# `{customer}` is a customer of the store under test.
MIX = (
    ("", 3),
    ("crr last-quarter", 3),
    ("at-risk 10", 3),
    ("kpis last-quarter", 2),
    ("churn last-quarter", 2),
    ("top 10 last-quarter", 2),
    ("customer {customer}", 2),
    ("rep", 2),
    ("followups all", 1),
    ("nps last-quarter", 1),
    ("crr 2026-Q3 segment:Enterprise", 1),
    ("help", 1),
    ("trend 12", 1),
    ("cohorts 12", 1),
    ("crr nonsense-period", 1),
)


@dataclass
class Request:
    i: int
    text: str
    user: str
    url: str
    sent: float = 0.0  # time.monotonic() when sent
    ack: float | None = None  # seconds until the acknowledgement
    later: bool = False  # acked "Working on it…": the answer comes through the response_url
    answer: float | None = None  # seconds until the answer (the ack itself, or the response_url call)
    error: str | None = None


@dataclass
class LoadResult:
    instances: int
    concurrency: int
    customers: int
    requests: list[Request]
    seconds: float  # from the first request sent to the last ack received
    errors: list[str] = field(default_factory=list)

    @property
    def acks(self) -> list[float]:
        return sorted(r.ack for r in self.requests if r.ack is not None)

    def row(self) -> dict:
        acks = self.acks
        ack = _percentiles([a * 1000 for a in acks])
        answers = _percentiles([r.answer for r in self.requests if r.answer is not None])
        return {
            "instances": self.instances,
            "customers": f"{self.customers:,}",
            "requests": len(self.requests),
            "concurrency": self.concurrency,
            "ack p50 ms": round(ack[50]),
            "ack p95 ms": round(ack[95]),
            "ack p99 ms": round(ack[99]),
            "ack max ms": round(ack[100]),
            "acks/s": round(len(self.requests) / self.seconds, 1),
            "acks > 3 s": sum(a > ACK_LIMIT for a in acks),
            "errors": len(self.errors),
            "answered in ack": sum(not r.later for r in self.requests if r.ack),
            "answer p50 s": round(answers[50], 1),
            "answer p95 s": round(answers[95], 1),
            "answer max s": round(answers[100], 1),
        }


def _percentiles(values: list[float]) -> dict[int, float]:
    """p50, p95, p99 and the maximum (100) of `values`."""
    if not values:
        return dict.fromkeys((50, 95, 99, 100), float("nan"))
    cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
    return {50: cuts[49], 95: cuts[94], 99: cuts[98], 100: max(values)}


def copy_store(source: Path, target: Path) -> None:
    """A consistent copy, even while another process writes the source."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def store_facts(store: Path) -> tuple[str, int, str]:
    """The last order day (answers are given as of it, so figures do not
    drift as the calendar moves on), the number of customers, and one
    customer's id to look up."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        last, customers = conn.execute(
            "SELECT MAX(ordered_at), (SELECT COUNT(*) FROM customers) FROM orders"
        ).fetchone()
        one = conn.execute("SELECT id FROM customers ORDER BY rowid LIMIT 1 OFFSET 41").fetchone()
    finally:
        conn.close()
    return last[:10], customers, one[0] if one else "nobody"


def reps(store: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM reps WHERE active = 1 ORDER BY id")] or ["U0LOAD001"]
    finally:
        conn.close()


class Instance:
    """One `retention-bot run` process in HTTP mode on 127.0.0.1."""

    def __init__(self, store: Path, as_of: str, slack: FakeSlack):
        cmd = [
            sys.executable,
            "-m",
            "bot.cli",
            "--db",
            str(store),
            "--as-of",
            as_of,
            "run",
            "--mode",
            "http",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT.parent, env=slack_env(slack), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.stderr = StderrLines(self.proc)
        self.url = ""

    def wait_listening(self) -> None:
        self.url = events_url(self.stderr.wait_for(LISTENING, timeout=START_TIMEOUT))

    def stop(self) -> str:
        """SIGTERM (graceful), then its stderr: the log, errors included."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.stderr.rest()


def plan(n: int, urls: list[str], users: list[str], seed: int, mix=MIX, customer: str = "") -> list[Request]:
    rng = random.Random(seed)
    texts = [t.format(customer=customer) for t in rng.choices([t for t, _ in mix], weights=[w for _, w in mix], k=n)]
    return [Request(i, text, users[i % len(users)], urls[i % len(urls)]) for i, text in enumerate(texts)]


def send(request: Request, slack: FakeSlack) -> None:
    sender = SlackSender(request.url, SIGNING_SECRET, slack)
    request.sent = time.monotonic()
    try:
        reply = sender.command(request.text, user_id=request.user, response_tag=f"load{request.i}")
    except OSError as e:
        request.error = f"request {request.i} ({request.text!r}): {type(e).__name__}: {e}"
        return
    request.ack = reply.seconds
    text = (reply.json or {}).get("text", "") if reply.status == 200 else ""
    if reply.status != 200:
        request.error = f"request {request.i} ({request.text!r}): HTTP {reply.status}"
    elif FAILED in text:
        request.error = f"request {request.i} ({request.text!r}): {text}"
    elif text == WORKING:
        request.later = True
    else:
        request.answer = reply.seconds


def later_answers(slack: FakeSlack, requests: list[Request], deadline: float) -> list[str]:
    """Wait for every answer promised by a "Working on it…" ack, time it,
    and return the problems found."""
    wanted = {f"load{r.i}": r for r in requests if r.later}
    got: dict = {}
    while time.monotonic() < deadline:
        got = {c.params.get("tag"): c for c in slack.calls("response_url")}
        if wanted.keys() <= got.keys():
            break
        time.sleep(0.1)
    problems = []
    for tag, r in wanted.items():
        call = got.get(tag)
        if call is None:
            problems.append(f"request {r.i} ({r.text!r}): no answer after the ack")
            continue
        r.answer = call.at - r.sent
        if FAILED in str(call.params.get("text", "")):
            problems.append(f"request {r.i} ({r.text!r}): {call.params['text']}")
    return problems


def run_load(
    store: Path, *, instances: int = 1, requests: int = 2000, concurrency: int = 50, seed: int = 7, mix=MIX, log=print
) -> LoadResult:
    """Serve a private copy of `store` with `instances` processes and send
    the load; returns the timings and every error found."""
    as_of, customers, customer = store_facts(store)
    users = reps(store)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, FakeSlack() as slack:
        copy = Path(tmp) / "store.db"
        copy_store(store, copy)
        log(f"{instances} instance(s) on a copy of {store} ({customers:,} customers), as of {as_of}: starting")
        servers = [Instance(copy, as_of, slack) for _ in range(instances)]
        logs = []
        try:
            for server in servers:
                server.wait_listening()
            todo = plan(requests, [s.url for s in servers], users, seed, mix, customer)
            log(f"sending {requests:,} signed /retention requests, {concurrency} at a time")
            start = time.perf_counter()
            with ThreadPoolExecutor(concurrency, thread_name_prefix="load") as pool:
                list(pool.map(lambda r: send(r, slack), todo))
            seconds = time.perf_counter() - start
            problems = later_answers(slack, todo, time.monotonic() + ANSWER_TIMEOUT)
        finally:
            logs = [server.stop() for server in servers]
    errors = [r.error for r in todo if r.error] + problems
    errors += [
        line.strip() for text in logs for line in text.splitlines() if re.search(r"\berror E[0-9A-F]{6}\b", line)
    ]
    return LoadResult(instances, concurrency, customers, todo, seconds, errors)


def run(
    store_path: str, *, instance_counts=(1, 2), requests: int = 2000, concurrency: int = 50, log=print
) -> list[dict]:
    """bench/run.py's entry point: one table row per instance count."""
    rows = []
    for n in instance_counts:
        result = run_load(Path(store_path), instances=n, requests=requests, concurrency=concurrency, log=log)
        for error in result.errors[:10]:
            log(f"  error: {error}")
        rows.append(result.row())
    return rows


def default_store() -> Path:
    sys.path.insert(0, str(ROOT))
    from generate import build_store, write

    write(100_000)
    return build_store(100_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", help="store to copy (default: bench/data/100000/store.db, built if missing)")
    ap.add_argument("--instances", default="1,2", help="comma-separated instance counts to run (default 1,2)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    store = Path(args.store) if args.store else default_store()
    counts = [int(n) for n in args.instances.split(",")]
    rows = run(str(store), instance_counts=counts, requests=args.requests, concurrency=args.concurrency)
    sys.path.insert(0, str(ROOT))
    from run import table

    print(table(rows))
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
