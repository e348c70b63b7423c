"""Load: 50 concurrent signed `/retention` requests, 2,000 in all, in a mix
of sub-commands, against `retention-bot run` in HTTP mode on 127.0.0.1 —
one instance, then two processes sharing one store: no errors, and every
acknowledgement under Slack's 3 seconds. The load generator is
bench/bench_load.py (the figures in docs/reliability.md come from it).

By default the store is a 20,000-customer one built with bench/generate.py
and scored (about 15 s; what CI runs). RETENTION_LOAD_STORE=PATH runs the
same test on a copy of another store, e.g. bench/data/100000/store.db for
the published figures (see docs/reliability.md for what it shows)."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from commands import Context
from commands.scoring import run_score
from storage import open_db

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"
CI_CUSTOMERS = 20_000


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def load() -> object:
    return bench_module("bench_load")


@pytest.fixture(scope="module")
def load_store() -> Path:
    if os.environ.get("RETENTION_LOAD_STORE"):
        return Path(os.environ["RETENTION_LOAD_STORE"])
    generate = bench_module("generate")
    generate.write(CI_CUSTOMERS)
    store = generate.build_store(CI_CUSTOMERS)
    db = open_db(store, create=False)
    try:
        if not db.execute("SELECT COUNT(*) FROM customer_scores").fetchone()[0]:
            run_score(Context(db, as_of=generate.END))
    finally:
        db.conn.close()
    return store


@pytest.mark.parametrize("instances", [1, 2])
def test_fifty_concurrent_requests_are_all_answered_and_acked_within_three_seconds(load, load_store, instances):
    result = load.run_load(load_store, instances=instances, requests=2000, concurrency=50, log=lambda _: None)
    figures = result.row()
    assert result.errors == [], (figures, result.errors[:10])
    assert len(result.acks) == 2000, figures
    assert max(result.acks) < load.ACK_LIMIT, figures
    assert len({r.url for r in result.requests}) == instances  # round-robin over every instance
    print(figures, file=sys.stderr)
