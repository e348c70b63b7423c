"""p50 / p95 of every `/retention` command on a store, through the same entry
point Slack and the console use (`commands.answer`, as they call it: the
message, with the JSON made only where it is read, `with_data=False`).

    python bench/run.py --sizes 100000 --suites commands
    python bench/bench_commands.py bench/data/100000/store.db --runs 20
    python bench/bench_commands.py bench/data/1000000/store.db --only at-risk,cohorts

The process keeps an order frame per store (commands.frames); building
it is a one-off per import and is timed on its own ("order frame (cold)"),
then every command is timed warm, as the bot answers after start-up.

Warm figures repeat one question, which the per-frame memo then serves; a
team asks new ones. `--first` times each question's first ask instead: in
a new process made ready as `retention-bot run` makes it (libraries,
command modules, the saved frame mapped; bot.app.warm_caches), with
nothing asked before it — wall and CPU milliseconds.

    python bench/bench_commands.py bench/data/1000000/store.db --first --first-runs 5
"""

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commands import COMMANDS, Context, answer
from commands.frames import forget_order_frames, load_order_frame
from storage import open_db

# Sample arguments per command; a registered command not listed runs bare.
SAMPLES = {
    "summary": "",
    "help": "help",
    "crr": "crr last-quarter",
    "churn": "churn last-quarter",
    "kpis": "kpis last-quarter",
    "nps": "nps last-quarter",
    "cohorts": "cohorts 12",
    "trend": "trend 12",
    "rep": "rep",
    "followups": "followups all",
    "config": "config",
    "top": "top 10 last-quarter",
    "at-risk": "at-risk 10",
    "customer": "customer {top_customer}",
}
EXTRA = [
    *("crr 2026-Q3 segment:Enterprise", "kpis ytd", "rep @maria", "at-risk 3 segment:Enterprise"),
    *("at-risk 10 rep:@maria", "followups all segment:Enterprise", "kpis last-quarter rep:@maria", "nps ytd"),
    *("customer {top_name}", "customer {top_first_name}"),  # a search by name: a pick list of namesakes
]
_SHOWN = {"top_customer": "<best customer>", "top_name": "<best customer's name>", "top_first_name": "<first name>"}

# One question's first ask in a new serving process; prints one JSON object.
_FIRST = """
import json, sys, time
from datetime import UTC, date, datetime
sys.path.insert(0, {root!r})
from bot.app import warm_caches
from commands import Context, answer
from storage import open_db
db = open_db({db!r}, create=False)
warm_caches(db)
ctx = Context(db, as_of=date.fromisoformat({as_of!r}), now=datetime.now(UTC))
cpu, t = time.process_time(), time.perf_counter()
a = answer(ctx, {text!r}, with_data=False)
print(json.dumps({{"ms": (time.perf_counter() - t) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000, "ok": a.ok}}))
"""


def _last_order_day(db) -> date:
    last = db.execute("SELECT MAX(ordered_at) FROM orders").fetchone()[0]
    return date.fromisoformat(last[:10]) if last else datetime.now(UTC).date()


def _time(ctx_factory, text: str, runs: int) -> tuple[list[float], bool]:
    times, ok = [], True
    for _ in range(runs):
        ctx = ctx_factory()
        t = time.perf_counter()
        a = answer(ctx, text, with_data=False)
        times.append((time.perf_counter() - t) * 1000)
        ok = ok and a.ok
    return times, ok


def samples(db, only: set[str] | None = None) -> list[tuple[str, str]]:
    """(question, its row's name) per sample: the row names the same
    question at every store size (customer ids differ)."""
    # The best customer exists at every size (generated ids widen with the count).
    top_customer, name = db.execute("SELECT id, name FROM customers ORDER BY revenue DESC LIMIT 1").fetchone()
    asked = {"top_customer": top_customer, "top_name": name, "top_first_name": name.split()[0]}
    texts = [SAMPLES.get(name, name) for name in sorted(COMMANDS)] + EXTRA
    if only:
        texts = [text for text in texts if (text.split() or ["summary"])[0] in only]
    return [(t.format(**asked), t.format(**_SHOWN) or "(summary)") for t in texts]


def first_ask(store_path: str, as_of: date, text: str) -> dict:
    """`text`'s first ask in a new serving process (see _FIRST): ms, cpu_ms, ok."""
    code = _FIRST.format(
        root=str(Path(__file__).resolve().parent.parent), db=store_path, as_of=as_of.isoformat(), text=text
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def first_rows(store_path: str, as_of: date | None = None, only: set[str] | None = None, runs: int = 3) -> list[dict]:
    """Each sample's first ask (first_ask), `runs` new processes each:
    p50/p95 of the wall milliseconds, the CPU milliseconds' median."""
    db = open_db(store_path, create=False)
    as_of = as_of or _last_order_day(db)
    questions = samples(db, only)
    db.conn.close()
    rows = []
    for text, sample in questions:
        asks = [first_ask(store_path, as_of, text) for _ in range(runs)]
        ms = [a["ms"] for a in asks]
        rows.append(
            {
                "sample": sample,
                "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p95_ms": round(float(np.percentile(ms, 95)), 1),
                "cpu_ms": round(float(np.median([a["cpu_ms"] for a in asks])), 1),
                "ok": all(a["ok"] for a in asks),
            }
        )
    return rows


def warm_rows(db, as_of: date, runs: int, only: set[str] | None = None) -> list[dict]:
    """p50/p95 of every command (or of those named in `only`), each timed
    `runs` times after one untimed answer."""
    rows = []
    for text, sample in samples(db, only):
        answer(Context(db, as_of=as_of, now=datetime.now(UTC)), text, with_data=False)
        times, ok = _time(lambda: Context(db, as_of=as_of, now=datetime.now(UTC)), text, runs)
        name = text.split()[0] if text else "summary"
        rows.append(
            {
                "command": text or "(summary)",
                "sample": sample,
                "p50_ms": round(float(np.percentile(times, 50)), 1),
                "p95_ms": round(float(np.percentile(times, 95)), 1),
                "note": ("slow: answered after the ack" if COMMANDS.get(name) and COMMANDS[name].slow else "")
                + ("" if ok else " (not ok)"),
            }
        )
    return rows


def run(store_path: str, runs: int = 20, only: set[str] | None = None) -> list[dict]:
    db = open_db(store_path, create=False)
    as_of = _last_order_day(db)
    forget_order_frames()
    t = time.perf_counter()
    frame = load_order_frame(db)
    cold = (time.perf_counter() - t) * 1000
    rows = [
        {
            "command": f"order frame (cold, {len(frame.ts):,} orders)",
            "p50_ms": round(cold, 1),
            "p95_ms": round(cold, 1),
            "note": "",
        }
    ]
    rows += warm_rows(db, as_of, runs, only)
    db.conn.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--only", default="", help="comma-separated commands to time (default: all), e.g. at-risk,kpis")
    ap.add_argument("--first", action="store_true", help="time each question's first ask in a new process instead")
    ap.add_argument("--first-runs", type=int, default=3, help="new processes per question with --first")
    args = ap.parse_args()
    only = {name for name in args.only.split(",") if name} or None
    if args.first:
        for row in first_rows(args.store, only=only, runs=args.first_runs):
            print(
                f"{row['sample']:<45} first p50 {row['p50_ms']:>7.1f} ms   p95 {row['p95_ms']:>7.1f} ms"
                f"   cpu {row['cpu_ms']:>7.1f} ms  {'' if row['ok'] else '(not ok)'}"
            )
        return
    for row in run(args.store, args.runs, only):
        print(f"{row['command']:<45} p50 {row['p50_ms']:>9.1f} ms   p95 {row['p95_ms']:>9.1f} ms  {row['note']}")


if __name__ == "__main__":
    main()
