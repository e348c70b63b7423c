"""Run the benchmarks and print a table per suite.

    python bench/generate.py --customers 100000
    python bench/run.py --sizes 100000 --suites import,commands,score,slack

Suites: import (bench_import), commands (bench_commands), score
(bench_score), slack (bench_slack). A suite whose module is missing is
skipped with a note.
"""

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from generate import build_store, write  # noqa: E402


def table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    lines = [" | ".join(c.ljust(widths[c]) for c in cols), "-|-".join("-" * widths[c] for c in cols)]
    lines += [" | ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated customer counts")
    ap.add_argument("--suites", default="import,commands,score,slack")
    args = ap.parse_args()
    for size in [int(s) for s in args.sizes.split(",")]:
        data = write(size)
        for suite in args.suites.split(","):
            try:
                module = importlib.import_module(f"bench_{suite}")
            except ModuleNotFoundError as e:
                print(f"\n## {suite} @ {size:,} customers: skipped ({e})")
                continue
            print(f"\n## {suite} @ {size:,} customers\n")
            rows = module.run(data) if suite == "import" else module.run(str(build_store(size)))
            print(table(rows), flush=True)


if __name__ == "__main__":
    main()
