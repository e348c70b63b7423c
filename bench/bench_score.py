"""Score benchmark: our value model beside `lifetimes`, same store, same run.

    pip install -e ".[bench]"                       # lifetimes + psutil, bench only
    python bench/bench_score.py --cdnow-master      # CDNOW master, shipped in the lifetimes wheel
    python bench/bench_score.py --customers 100000  # bench/generate.py store (synthetic)
    python bench/run.py --sizes 100000 --suites score

Rows, each measured in its own process (so its peak RSS is its own):

- `ours score`: `retention-bot score` end to end — read the orders from the
  store, RFM summary, BG/NBD + Gamma-Gamma fits, predictions, going-quiet
  flags, writing `customer_scores` and follow-ups. The store is as
  `retention-bot import` leaves it: the SQLite file and the order frame
  saved next to it (commands.frames), which the score maps for its orders
  when it is the store's content; the customers' ids come from SQLite. A
  store without a saved frame is read off the orders index (the row's
  `note` says which).
- `ours in-memory`: summary + fits + predictions from the same pandas
  DataFrame lifetimes gets (the algorithms alone).
- `lifetimes`: the DataFrame read from the store with pandas — the three
  columns lifetimes takes, counted orders before the cutoff, off the
  covering index (our order-frame loader also reads each order's id and
  status, a table lookup per order: 0.2 s more on CDNOW that lifetimes
  would not pay) — then
  summary_data_from_transaction_data + BetaGeoFitter + GammaGammaFitter +
  predictions (P(alive), expected orders in 90 days and 12 months, expected
  spend). A Gamma-Gamma fit that raises is timed to the failure and noted.

`speedup`: lifetimes' time / ours — for `ours score` store to predictions
on both sides (ours also writes the scores); for `ours in-memory` from the
same DataFrame to predictions (the pandas read left out of both).
Parameters are compared to 3 significant digits (α in days).

The clock starts after the libraries are imported, on both sides: pandas,
scipy.optimize and scipy.special for ours (run_score imports them lazily,
so they would otherwise be timed on our side only), pandas and lifetimes
(with its scipy and autograd) for lifetimes. `cpu_s` is the process's CPU
time over the same span: on a shared machine it moves less than the wall
clock does.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYNTHETIC_END = "2026-11-22"
CDNOW_END = "1998-06-30"
PARAMS = ("r", "alpha", "a", "b", "p", "q", "gamma")
COLUMNS = (
    "data",
    "run",
    "customers",
    "seconds",
    "cpu_s",
    "speedup",
    "same_params_3sig",
    "peak_rss_mb",
    "stages",
    "params",
    "note",
)

_OURS_SCORE = """
import json, resource, sys, time
from datetime import UTC, date, datetime
sys.path.insert(0, {root!r})
from storage import open_db
from commands.core import Context
from commands.scoring import run_score
import pandas, scipy.optimize, scipy.special  # imported lazily by run_score; lifetimes' are imported untimed too
db = open_db({db!r})
t, cpu = time.perf_counter(), time.process_time()
run = run_score(Context(db, as_of=date.fromisoformat({as_of!r}), now=datetime(2030, 1, 1, tzinfo=UTC)))
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
from commands.frames import order_frame_at_hand  # a score leaves the order content, so its frame, as it was
road = "orders: saved frame" if order_frame_at_hand(db) is not None else "orders: index (no saved frame)"
m = run.model
params = {{**{{k: (m["bgnbd"] or {{}}).get(k) for k in ("r", "alpha", "a", "b")}},
          **{{k: (m["gamma_gamma"] or {{}}).get(k) for k in ("p", "q", "gamma")}}}}
print(json.dumps({{"seconds": seconds, "cpu": cpu, "stages": run.seconds, "customers": run.customers, "params": params,
                  "model": m["model"], "reason": m["reason"], "written": run.scores_written, "road": road,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

_LOAD = """
import json, resource, sys, time
from datetime import date, timedelta
sys.path.insert(0, {root!r})
import pandas as pd
from storage import open_db
from storage.schema import COUNTED_STATUS
import scipy.optimize, scipy.special
as_of = date.fromisoformat({as_of!r})
db = open_db({db!r})
t0, cpu0 = time.perf_counter(), time.process_time()
orders = pd.read_sql_query(
    "SELECT customer_id, ordered_at, amount FROM orders WHERE status = ? AND ordered_at < ?",
    db.conn, params=[COUNTED_STATUS, (as_of + timedelta(days=1)).isoformat() + "T00:00:00Z"])
orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], format="%Y-%m-%dT%H:%M:%SZ")
stages = {{"load_orders": time.perf_counter() - t0}}
cpu_load = time.process_time() - cpu0
"""

_OURS_MEMORY = (
    _LOAD
    + """
from analytics.rfm import compute_rfm
from analytics.value import fit_value_model, predict_value
t, cpu0 = time.perf_counter(), time.process_time()
rfm = compute_rfm(orders, as_of)
stages["summary"] = time.perf_counter() - t; t = time.perf_counter()
model = fit_value_model(rfm, as_of)
stages["fit"] = time.perf_counter() - t; t = time.perf_counter()
predicted = predict_value(rfm, model)
stages["predict"] = time.perf_counter() - t
bg, gg = model.bgnbd, model.gamma_gamma
params = {{"r": bg.params.r, "alpha": bg.params.alpha, "a": bg.params.a, "b": bg.params.b,
          "p": gg.params.p if gg else None, "q": gg.params.q if gg else None, "gamma": gg.params.gamma if gg else None}}
print(json.dumps({{"seconds": sum(stages.values()), "cpu": cpu_load + time.process_time() - cpu0, "stages": stages,
                  "customers": len(rfm), "params": params,
                  "model": model.model, "reason": model.reason,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
)

_LIFETIMES = (
    _LOAD
    + """
import warnings
warnings.simplefilter("ignore")
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError, summary_data_from_transaction_data
t, cpu0 = time.perf_counter(), time.process_time()
s = summary_data_from_transaction_data(orders, "customer_id", "ordered_at", monetary_value_col="amount",
                                       observation_period_end=pd.Timestamp(as_of), freq="D")
stages["summary"] = time.perf_counter() - t; t = time.perf_counter()
notes = []
try:
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
except ConvergenceError:
    notes.append("BG/NBD: ConvergenceError at its default tol, refitted with tol=1e-6 (both timed)")
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"], tol=1e-6)
stages["bgnbd_fit"] = time.perf_counter() - t; t = time.perf_counter()
rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
ggf = None
try:
    ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
except ConvergenceError:
    notes.append("Gamma-Gamma: ConvergenceError (p runs off to infinity), no spend predictions")
note = "; ".join(notes)
stages["gg_fit"] = time.perf_counter() - t; t = time.perf_counter()
f, r, T = s["frequency"], s["recency"], s["T"]
bgf.conditional_probability_alive(f, r, T)
n12 = bgf.conditional_expected_number_of_purchases_up_to_time(365, f, r, T)
bgf.conditional_expected_number_of_purchases_up_to_time(90, f, r, T)
if ggf is not None:
    spend = ggf.conditional_expected_average_profit(f, s["monetary_value"])
    clv = n12 * spend
stages["predict"] = time.perf_counter() - t
bp = bgf.params_
params = {{"r": bp["r"], "alpha": bp["alpha"], "a": bp["a"], "b": bp["b"]}}
if ggf is not None:
    params.update({{"p": ggf.params_["p"], "q": ggf.params_["q"], "gamma": ggf.params_["v"]}})
print(json.dumps({{"seconds": sum(stages.values()), "cpu": cpu_load + time.process_time() - cpu0, "stages": stages,
                  "customers": len(s), "params": params, "note": note, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
)


def _child(code: str, timeout: float) -> dict:
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def _same(ours: dict, theirs: dict) -> str:
    """Parameters equal to 3 significant digits ("r a b" style list of mismatches)."""
    pairs = [(k, ours.get(k), theirs.get(k)) for k in PARAMS if theirs.get(k) is not None]
    if not pairs:
        return "—"
    off = [k for k, a, b in pairs if a is None or f"{a:.3g}" != f"{b:.3g}"]
    return "yes" if not off else "differ: " + ",".join(off)


def _fmt_params(p: dict) -> str:
    return " ".join(f"{k}={p[k]:.4g}" for k in PARAMS if p.get(k) is not None)


def _median(runs: list[dict]) -> dict:
    """The run with the median time (a busy machine makes single runs noisy)."""
    ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["seconds"])
    return ok[(len(ok) - 1) // 2] if ok else runs[0]


def _ours_score(store: str, as_of: str, *, frame: bool = True) -> dict:
    """`_OURS_SCORE` on a fresh copy of `store` (score writes), with the order
    frame saved next to it unless `frame` is False."""
    from storage.frame_files import frame_dir

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copy(store, copy)
        saved = frame_dir(store)
        if frame and saved is not None and saved.is_dir():
            shutil.copytree(saved, frame_dir(str(copy)))
        return _child(_OURS_SCORE.format(root=str(ROOT), db=str(copy), as_of=as_of), 3600)


def run(
    store: str,
    as_of: str | None = None,
    *,
    label: str | None = None,
    lifetimes: bool = True,
    lifetimes_timeout: float = 1800,
    repeat: int = 1,
) -> list[dict]:
    """Benchmark score on `store` (a path; not modified: ours runs on a copy).
    With `repeat`, each side runs that many times, alternating, and the
    median run is reported."""
    as_of = as_of or SYNTHETIC_END
    label = label or Path(store).parent.name
    rows = []
    runs: dict[str, list[dict]] = {"ours": [], "memory": [], "theirs": []}
    for _ in range(repeat):
        runs["ours"].append(_ours_score(store, as_of))
        runs["memory"].append(_child(_OURS_MEMORY.format(root=str(ROOT), db=store, as_of=as_of), 3600))
        runs["theirs"].append(
            _child(_LIFETIMES.format(root=str(ROOT), db=store, as_of=as_of), lifetimes_timeout)
            if lifetimes
            else {"error": "not run"}
        )
    ours, memory, theirs = (_median(runs[k]) for k in ("ours", "memory", "theirs"))
    for name, r in (("ours score", ours), ("ours in-memory", memory), ("lifetimes", theirs)):
        row = dict.fromkeys(COLUMNS, "")
        row.update({"data": label, "run": name})
        if "error" in r:
            row.update({"seconds": "—", "note": r["error"]})
        else:
            row.update(
                {
                    "customers": r["customers"],
                    "seconds": round(r["seconds"], 2),
                    "cpu_s": round(r["cpu"], 2),
                    "stages": " ".join(f"{k}={v:.2f}" for k, v in r["stages"].items()),
                    "peak_rss_mb": round(r["rss_mb"]),
                    "params": _fmt_params(r["params"]),
                    "note": r.get("note", "")
                    or r.get("model", "")
                    + (f", {r['written']:,} score rows written" if "written" in r else "")
                    + (f", {r['road']}" if "road" in r else ""),
                }
            )
        rows.append(row)
    if "error" not in theirs:
        # ours score vs lifetimes: store to predictions, both. In memory: the
        # same DataFrame in, predictions out (the pandas read left out of both).
        compute = theirs["seconds"] - theirs["stages"]["load_orders"]
        for row, r in zip(rows[:2], (ours, memory), strict=True):
            if "error" not in r:
                mine = r["seconds"] if r is ours else r["seconds"] - r["stages"]["load_orders"]
                row["speedup"] = f"{(theirs['seconds'] if r is ours else compute) / mine:.1f}×"
                if r is ours:
                    row["speedup"] += f" (CPU {theirs['cpu'] / r['cpu']:.1f}×)"
                row["same_params_3sig"] = _same(r["params"], theirs["params"])
    return rows


def cdnow_master_store(directory: Path) -> Path:
    """A store holding the CDNOW master file (23,570 customers) that ships in
    the lifetimes wheel, as `retention-bot import orders` leaves it: imported
    with the real importer, then its order frame saved."""
    import lifetimes

    from commands.frames import prepare_order_frame
    from storage import open_db
    from storage.importer import import_file

    store = directory / "store.db"
    directory.mkdir(parents=True, exist_ok=True)
    db = open_db(store)
    if not db.execute("SELECT count(*) FROM orders").fetchone()[0]:
        source = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt"
        import_file(db, "orders", source, fmt="cdnow", now=datetime.now(UTC))
    prepare_order_frame(db)  # at once when it is saved already
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cdnow-master", action="store_true", help="bench on the CDNOW master file")
    ap.add_argument("--customers", type=int, action="append", default=[], help="synthetic store size (repeatable)")
    ap.add_argument("--store", action="append", default=[], help="an existing store (repeatable)")
    ap.add_argument("--label", action="append", default=[], help="a name for each --store, in order")
    ap.add_argument("--as-of", help=f"score date (default {SYNTHETIC_END}; {CDNOW_END} for CDNOW)")
    ap.add_argument("--no-lifetimes", action="store_true")
    ap.add_argument("--lifetimes-timeout", type=float, default=1800, help="seconds (default 1800)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per side; the median is reported")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from run import table

    jobs = []
    if args.cdnow_master:
        jobs.append(
            (str(cdnow_master_store(ROOT / "bench" / "data" / "cdnow_master")), args.as_of or CDNOW_END, "CDNOW master")
        )
    for n in args.customers:
        from generate import build_store, write

        write(n)
        jobs.append((str(build_store(n)), args.as_of or SYNTHETIC_END, f"{n:,} synthetic"))
    for i, store in enumerate(args.store):
        label = args.label[i] if i < len(args.label) else Path(store).name
        jobs.append((store, args.as_of or SYNTHETIC_END, label))
    rows = []
    for store, as_of, label in jobs:
        rows += run(
            store,
            as_of,
            label=label,
            lifetimes=not args.no_lifetimes,
            lifetimes_timeout=args.lifetimes_timeout,
            repeat=args.repeat,
        )
        print(table(rows[-3:]), flush=True)
    if len(jobs) > 1:
        print("\n" + table(rows))


if __name__ == "__main__":
    main()
