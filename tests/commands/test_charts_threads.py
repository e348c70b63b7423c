"""The first charts of a process drawn in several threads at once: matplotlib
is imported lazily, and unguarded concurrent first imports through different
submodules can hand a thread a partially initialised module (seen as failed
cohort and trend answers under load with two instances)."""

import subprocess
import sys

PROBE = """
import threading
from commands.charts import cohort_heatmap_png, trend_png

barrier = threading.Barrier(8)
out = [None] * 8

def draw(i):
    barrier.wait()
    if i % 2:
        out[i] = cohort_heatmap_png(["2026-01", "2026-02"], [10, 12], [[100.0, 40.0], [100.0, None]], "cohorts")
    else:
        out[i] = trend_png(["2026-01", "2026-02"], [80.0, None], [20.0, None], [1200.0, 900.0], "trend", "USD")

threads = [threading.Thread(target=draw, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert all(png and png.startswith(b"\\x89PNG") for png in out), [p[:8] if p else p for p in out]
print("ok", len(out))
"""


def test_first_charts_of_a_process_drawn_in_eight_threads_at_once():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "8"]
