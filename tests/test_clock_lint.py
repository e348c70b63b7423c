"""Only bot/ reads the wall clock or talks to Slack and the scheduler, and
the build fails otherwise: ruff's banned-api rule (TID251) is configured in
pyproject.toml, with bot/, tests/ and bench/ the only exemptions.

This proves the rule bites with the project's own configuration, from a
temporary file so the tree is never touched; durations stay allowed."""

from tests.support.lint import lint_settings, ruff

READS = """
import time
from datetime import UTC, date, datetime

import slack_sdk


def stamp():
    return datetime.now(UTC), datetime.utcnow(), date.today(), time.time(), slack_sdk
"""
DURATIONS = """
import time


def elapsed(started: float, since: float) -> tuple[float, float]:
    return time.perf_counter() - started, time.monotonic() - since
"""


def test_tid251_is_selected_and_only_bot_tests_and_benchmarks_are_exempt():
    lint = lint_settings()
    assert "TID" in lint["select"] and not {"TID", "TID251"} & set(lint.get("ignore", []))
    banned = lint["flake8-tidy-imports"]["banned-api"]
    assert {
        "datetime.datetime.now",
        "datetime.date.today",
        "time.time",
        "slack_sdk",
        "slack_bolt",
        "apscheduler",
    } <= set(banned)
    exempt = {pattern for pattern, rules in lint.get("per-file-ignores", {}).items() if "TID251" in rules}
    assert exempt == {"bot/**", "tests/**", "bench/**"}, exempt


def test_a_clock_read_fails_the_lint(tmp_path):
    bad = tmp_path / "clock_probe.py"
    bad.write_text(READS)
    result = ruff(bad)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("TID251") == 5, result.stdout
    good = tmp_path / "clock_probe_ok.py"
    good.write_text(DURATIONS)
    assert ruff(good).returncode == 0
