"""One table for every store size: everything issue 16 asks to be measured.

    python bench/generate.py --customers 100000
    python bench/report.py --sizes 100000                      # ≈ 1M orders
    python bench/report.py --sizes 100000,1000000 --runs 10    # and ≈ 9.3M orders

Rows, each size on a scored working copy of bench/data/<N>/store.db (the
original is never written):

- start-up: `retention-bot --help`, `manifest`, `config`, `status`, `ask help`
  as new processes (wall time, bytecode cached as an installed package has it);
- cold: the first answer a store ever gets (the frame built and saved), the
  first answer in a fresh process (the saved frame mapped), and the
  first answer after an import of new orders into the store that process
  serves, then how long until an answer includes them;
- warm: p50/p95 of every `/retention` command (bench_commands' samples),
  each followed by its first ask: in a new serving process with the frame
  mapped and nothing asked before (bench_commands.first_rows);
- RSS of that serving process after answering all of it;
- score: `retention-bot score` end to end on a copy of the size's store
  (seconds, peak RSS): as an import leaves it (the order frame saved, which
  the score maps) and without the frame (orders off the index); and ours vs
  `lifetimes` on the CDNOW master (the median of `--score-runs` runs a
  side; same parameters to 3 significant digits; `--no-lifetimes` skips it);
- import: `import orders` into an empty store vs bare `executemany`
  (bench_import; `--no-import` skips it).

The sizes are columns side by side (p50 and p95 of each), so a row reads
how a figure grows from 100k to 1M customers; a row's notes are kept per
size. Timings on a shared machine are noisy: repeat, and read p50 over p95.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

import bench_commands  # noqa: E402
import bench_import  # noqa: E402
import bench_score  # noqa: E402
from generate import END, build_store, write  # noqa: E402
from run import table  # noqa: E402

from storage import open_db  # noqa: E402

COLD_TEXT = "kpis last-quarter"
NEW_ORDERS = 1_000

# The first answer a store ever gets: the order frame is read from SQLite,
# built and saved next to the store.
_FIRST = """
import json, sys, time
from datetime import UTC, date, datetime
sys.path.insert(0, {root!r})
from commands import Context, answer
from storage import open_db
db = open_db({db!r}, create=False)
t = time.perf_counter()
a = answer(Context(db, as_of=date.fromisoformat({as_of!r}), now=datetime.now(UTC)), {cold!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "ok": a.ok}}))
"""

# The serving process, as `retention-bot run` serves (background rebuilds): a
# cold first answer, every command warm, RSS, then an import and the answers
# after it. Prints one JSON object.
_SERVE = """
import json, resource, sys, time
t_start = time.perf_counter()
from datetime import UTC, date, datetime
sys.path.insert(0, {bench!r}); sys.path.insert(0, {root!r})
from commands import Context, answer
from commands.frames import FRAMES
FRAMES.background = True
from storage import open_db
from storage.importer import import_file
import bench_commands
as_of = date.fromisoformat({as_of!r})
db = open_db({db!r}, create=False)
def ctx():
    return Context(db, as_of=as_of, now=datetime.now(UTC))
t = time.perf_counter()
first = answer(ctx(), {cold!r})
cold = time.perf_counter() - t
from_start = time.perf_counter() - t_start
rows = bench_commands.warm_rows(db, as_of, {runs})
rss = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
def orders_on_last_day():
    return answer(ctx(), {probe!r}).data["orders"]
before = orders_on_last_day()
import_file(db, "orders", {new_orders!r}, now=datetime.now(UTC))
t = time.perf_counter()
answer(ctx(), {cold!r})
after_import = time.perf_counter() - t
while orders_on_last_day() == before:
    time.sleep(0.01)
fresh = time.perf_counter() - t
print(json.dumps({{"cold": cold, "from_start": from_start, "ok": first.ok, "rows": rows, "rss_mb": rss,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "after_import": after_import, "fresh": fresh}}))
"""


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cli_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cached
    return env


def _cli_times(args: list[str], runs: int) -> list[float]:
    exe = shutil.which("retention-bot") or "retention-bot"
    env = _cli_env()
    subprocess.run([exe, *args], capture_output=True, env=env, check=True)  # writes the bytecode
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([exe, *args], capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t)
    return times


def _row(what: str, p50: str, p95: str = "", note: str = "") -> dict:
    return {"what": what, "p50": p50, "p95": p95, "note": note}


def merged(tables: dict[int, list[dict]]) -> list[dict]:
    """One row per measurement, one p50/p95 column pair per size, in the
    order rows first appear; a note differing between sizes is prefixed
    with its size."""
    order: list[str] = []
    by_what: dict[str, dict[int, dict]] = {}
    for size, rows in tables.items():
        for r in rows:
            if r["what"] not in by_what:
                order.append(r["what"])
                by_what[r["what"]] = {}
            by_what[r["what"]][size] = r
    out = []
    for what in order:
        cells = by_what[what]
        row = {"what": what}
        for size in tables:
            r = cells.get(size, {})
            row[f"{size:,} p50"] = r.get("p50", "")
            row[f"{size:,} p95"] = r.get("p95", "")
        notes = {size: r["note"] for size, r in cells.items() if r["note"]}
        if len(set(notes.values())) == 1 and len(notes) == len(cells):
            row["note"] = next(iter(notes.values()))
        else:
            row["note"] = "; ".join(f"{size:,}: {note}" for size, note in notes.items())
        out.append(row)
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:,.2f} s"


def _pcts(times: list[float]) -> tuple[str, str]:
    return _ms(float(np.percentile(times, 50))), _ms(float(np.percentile(times, 95)))


def _new_orders_csv(store: Path, directory: Path) -> Path:
    """NEW_ORDERS orders on the last day, for existing customers: an import a
    serving bot meets."""
    from storage import open_db

    db = open_db(store, create=False)
    ids = [r[0] for r in db.execute("SELECT id FROM customers ORDER BY rowid LIMIT ?", [NEW_ORDERS]).fetchall()]
    db.conn.close()
    path = directory / "new_orders.csv"
    lines = ["id,customer_id,ordered_at,amount,currency,status"]
    lines += [f"BENCH{i:06d},{cid},{END.isoformat()}T12:00:00Z,100.0,USD,paid" for i, cid in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n")
    return path


def size_rows(size: int, *, runs: int, cli_runs: int, first_runs: int, imports: bool) -> list[dict]:
    data = write(size)
    original = build_store(size)
    rows = []
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        store = Path(tmp) / "store.db"
        shutil.copy(original, store)
        open_db(store).conn.close()  # brought to this version's schema first: no start-up below migrates it
        for args, label in (
            (["--help"], "start-up: retention-bot --help"),
            (["manifest"], "start-up: retention-bot manifest"),
            (["--db", str(store), "config"], "start-up: retention-bot config"),
            (["--db", str(store), "status"], "start-up: retention-bot status"),
            (["--db", str(store), "ask", "help"], "start-up: retention-bot ask help"),
        ):
            rows.append(_row(label, *_pcts(_cli_times(args, cli_runs)), f"{cli_runs} runs, new process each"))
        first = _child(_FIRST.format(root=str(ROOT.parent), db=str(store), as_of=END.isoformat(), cold=COLD_TEXT))
        rows.append(
            _row(
                f"cold: the store's first answer ever ({COLD_TEXT})",
                _ms(first["seconds"]),
                note="reads every order, builds and saves the frame",
            )
        )
        # As an import leaves a store (its frame saved; this scores the working copy the answers
        # below read), and on a copy of the original without the frame (orders off the index).
        with_frame = bench_score._child(
            bench_score._OURS_SCORE.format(root=str(ROOT.parent), db=str(store), as_of=END.isoformat()), 7200
        )
        without = bench_score._ours_score(str(original), END.isoformat(), frame=False)
        for label, score in (("", with_frame), (", no saved frame", without)):
            if "error" in score:
                rows.append(_row(f"score (ours, end to end{label})", "—", note=score["error"]))
                continue
            stages = " ".join(f"{k}={v:.1f}" for k, v in score["stages"].items())
            note = (
                f"{score['customers']:,} customers, {score['written']:,} rows written, "
                f"peak RSS {score['rss_mb']:,.0f} MB; {stages}; {score['road']}"
            )
            rows.append(_row(f"score (ours, end to end{label})", _s(score["seconds"]), note=note))
        serve = _child(
            _SERVE.format(
                bench=str(ROOT),
                root=str(ROOT.parent),
                db=str(store),
                as_of=END.isoformat(),
                cold=COLD_TEXT,
                runs=runs,
                probe=f"kpis {END.isoformat()}..{END.isoformat()}",
                new_orders=str(_new_orders_csv(store, Path(tmp))),
            )
        )
        firsts = {r["sample"]: r for r in bench_commands.first_rows(str(store), END, runs=first_runs)}
    rows.append(
        _row(f"cold: first answer in a new process ({COLD_TEXT})", _ms(serve["cold"]), note="maps the saved frame")
    )
    rows.append(_row("cold: process start to first answer", _ms(serve["from_start"]), note="imports + open + answer"))
    rows.append(
        _row(
            f"cold: first answer after an import of {NEW_ORDERS:,} orders",
            _ms(serve["after_import"]),
            note=f"from the previous version; an answer includes them after {_ms(serve['fresh'])} (background rebuild)",
        )
    )
    for r in serve["rows"]:
        rows.append(_row(f"warm: {r['sample']}", f"{r['p50_ms']:,.1f} ms", f"{r['p95_ms']:,.1f} ms", r["note"]))
        if r["sample"] in firsts:
            f = firsts[r["sample"]]
            note = f"CPU {f['cpu_ms']:,.1f} ms; {first_runs} new processes" + ("" if f["ok"] else " (not ok)")
            rows.append(_row(f"first ask: {r['sample']}", f"{f['p50_ms']:,.1f} ms", f"{f['p95_ms']:,.1f} ms", note))
    rows.append(
        _row(
            "RSS of the serving process",
            f"{serve['rss_mb']:,.0f} MB",
            note=f"after every command; peak {serve['peak_rss_mb']:,.0f} MB",
        )
    )
    if imports:
        for r in bench_import.run(data):
            rows.append(
                _row(
                    f"import: {r['what']}",
                    _s(r["seconds"]),
                    note=f"{r['orders']:,} orders into an empty store, {r['rows_per_s']:,} rows/s, "
                    f"process CPU {r['cpu_seconds']:,} s, "
                    f"peak RSS {r['peak_rss_mb']:,} MB, {r['vs_baseline']}× the baseline"
                    + (f" (after import customers: {r['customers_seconds']:,} s)" if r["customers_seconds"] else ""),
                )
            )
    return rows


def cdnow_rows(cdnow: list[dict]) -> list[dict]:
    """Score vs lifetimes runs on the CDNOW master, whatever the sizes: the
    seconds go in the p50 column of the first size."""
    return [
        _row(
            f"score vs lifetimes, CDNOW master: {r['run']}",
            f"{r['seconds']} s",
            note=f"speedup {r['speedup'] or '—'}, same params (3 digits) {r['same_params_3sig'] or '—'}, "
            f"peak RSS {r['peak_rss_mb']} MB {r['note']}".strip(),
        )
        for r in cdnow
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated customer counts")
    ap.add_argument("--runs", type=int, default=20, help="runs per warm command")
    ap.add_argument("--cli-runs", type=int, default=10, help="runs per start-up command")
    ap.add_argument("--first-runs", type=int, default=3, help="new processes per command's first ask")
    ap.add_argument("--score-runs", type=int, default=5, help="runs per side of score vs lifetimes (the median)")
    ap.add_argument("--no-lifetimes", action="store_true", help="skip score vs lifetimes on the CDNOW master")
    ap.add_argument("--no-import", action="store_true", help="skip the import benchmark")
    args = ap.parse_args()
    cdnow = []
    if not args.no_lifetimes:
        store = bench_score.cdnow_master_store(ROOT / "data" / "cdnow_master")
        cdnow = bench_score.run(str(store), bench_score.CDNOW_END, label="CDNOW master", repeat=args.score_runs)
    sizes = [int(s) for s in args.sizes.split(",")]
    tables = {}
    for size in sizes:
        tables[size] = size_rows(
            size, runs=args.runs, cli_runs=args.cli_runs, first_runs=args.first_runs, imports=not args.no_import
        )
        print(f"{size:,} customers measured", file=sys.stderr, flush=True)
    tables[sizes[0]] += cdnow_rows(cdnow)
    print(f"\n## {', '.join(f'{size:,}' for size in sizes)} customers\n", flush=True)
    print(table(merged(tables)), flush=True)
    print(f"\n(python bench/report.py {' '.join(sys.argv[1:])})")


if __name__ == "__main__":
    main()
