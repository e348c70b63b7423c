"""Fuzzing: shared fixtures, the Block Kit walker every oracle uses, and the
count of examples tried (printed at the end of the run, quoted in
docs/reliability.md).

The Slack fixtures (fake Slack, demo store, the real app under waitress) are
the end-to-end harness's own, imported so the HTTP fuzzing drives exactly
what tests/slack drives.

Each property runs twice: a fast variant in the default run, and a `slow`
one with many more examples (`pytest -m slow tests/reliability/fuzz`).
"""

import re
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, settings

from bot.demo import ensure_demo_store
from tests.slack.conftest import bot, demo_template, fake_slack, sender, slack  # noqa: F401

DEMO_DAY = date(2026, 11, 22)
EXAMPLES: Counter[str] = Counter()
SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture]


def examples(n: int) -> settings:
    """At most `n` examples, no per-example deadline (store work varies)."""
    return settings(max_examples=n, deadline=None, suppress_health_check=SUPPRESS)


def tried(name: str) -> None:
    """Count one example of property `name` (shrinking runs included)."""
    EXAMPLES[name] += 1


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


# ---- Block Kit: which strings Slack parses as mrkdwn -----------------------

def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    """Every text in `blocks` that Slack renders as mrkdwn (mentions, links
    and emphasis are live there); plain_text (headers, button labels) is
    shown as typed."""
    out = []

    def text_object(obj) -> None:
        if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
            out.append(obj.get("text", ""))

    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text_object(block.get("text"))
            for f in block.get("fields", []):
                text_object(f)
        elif kind == "context":
            for element in block.get("elements", []):
                text_object(element)
        for element in block.get("elements", []) if kind == "actions" else []:
            confirm = element.get("confirm") or {}
            text_object(confirm.get("text"))
    return out


TOKEN = re.compile(r"<[^<>]*>")
BROADCAST = ("<!channel", "<!here", "<!everyone")


def live_tokens(text: str) -> list[str]:
    """The `<…>` sequences Slack would turn into a mention, channel, link or
    broadcast."""
    return TOKEN.findall(text)
