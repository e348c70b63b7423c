"""Fuzzing: the small demo store, and the count of examples tried (printed
at the end of the run, quoted in docs/reliability.md); the helpers live in
tests/support/fuzz.py.

The Slack fixtures (fake Slack, demo store, the real app under waitress) are
the end-to-end harness's own (tests/support/slack_app.py), so the HTTP
fuzzing drives exactly what tests/slack drives.

Each property runs twice: a fast variant in the default run, and a `slow`
one with many more examples (`pytest -m slow tests/reliability/fuzz`).
"""

import pytest

from bot.demo import ensure_demo_store
from tests.support.fuzz import DEMO_DAY, EXAMPLES


def pytest_terminal_summary(terminalreporter):
    if EXAMPLES:
        terminalreporter.section("fuzz examples tried")
        for name, n in sorted(EXAMPLES.items()):
            terminalreporter.write_line(f"{n:>7,}  {name}")
        terminalreporter.write_line(f"{sum(EXAMPLES.values()):>7,}  in total")


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """A scored 300-customer demo store (fast to answer on, with open
    follow-ups, reps, managers and feedback), fixed day for determinism."""
    path = tmp_path_factory.mktemp("fuzz-demo") / "demo.db"
    db, _ = ensure_demo_store(str(path), customers=300, today=DEMO_DAY)
    db.conn.commit()
    yield db
    db.conn.close()
