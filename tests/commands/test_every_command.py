"""Every registered command answers on an empty store, the demo store and the
CDNOW store: no exception, a valid Block Kit message, JSON-able numbers."""

import json
import shutil
from datetime import date

import pytest

from bot.demo import ensure_demo_store
from commands import COMMANDS, Context, answer
from commands.blocks import limit_problems
from commands.messages import EMPTY_STORE_HINT
from storage import open_db

DEMO_DAY = date(2026, 11, 22)
MINE = {"crr", "churn", "kpis", "nps", "cohorts", "trend", "rep", "followups", "config"}
SAMPLES = {
    "summary": [""],
    "help": ["help"],
    "crr": ["crr", "crr last-quarter", "crr 30d segment:Enterprise", "crr ytd rep:@maria share"],
    "churn": ["churn 2026-Q3", "churn since 2026-01-01"],
    "kpis": ["kpis", "kpis this-month", "kpis 12w segment:SMB"],
    "nps": ["nps", "nps ytd"],
    "cohorts": ["cohorts", "cohorts 3"],
    "trend": ["trend", "trend 4 segment:Enterprise"],
    "rep": ["rep", "rep @maria", "rep <@U0DEMO002>"],
    "followups": ["followups all", "followups"],
    "config": ["config", "config activity-window"],
    "top": ["top 5"],
    "at-risk": ["at-risk 5"],
    "customer": ["customer 1"],
}
TEXTS = [t for name in sorted(COMMANDS) for t in SAMPLES.get(name, [name])]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db, _ = ensure_demo_store(str(path), today=DEMO_DAY)
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def empty_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    open_db(path).conn.close()
    return path


@pytest.fixture(scope="module")
def cdnow_copy(_cdnow_template, tmp_path_factory):
    """One copy for the module: these commands only read."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.db"
    shutil.copy(_cdnow_template, path)
    return path


def _ask(path, text: str, as_of: date, user_id: str | None = None):
    db = open_db(path)
    try:
        return answer(Context(db, as_of=as_of, user_id=user_id), text)
    finally:
        db.conn.close()


def _check(a, text: str) -> None:
    assert limit_problems(a.message) == [], (text, limit_problems(a.message))
    name = (text.split() or ["summary"])[0]
    json.dumps(a.data, allow_nan=name not in MINE)  # numbers and strings, no NaN
    if name in MINE:
        # only a rep unknown to this store may be refused (a usage answer)
        assert a.ok or "no rep called" in a.data["error"], (text, a.message)
        for chart in a.charts:
            assert chart.png.startswith(b"\x89PNG") and chart.filename.endswith(".png")
        if COMMANDS[name].slow and a.ok:
            cohorts = a.data.get("cohorts")
            assert bool(a.charts) == (
                "no orders" not in a.message["text"] and (cohorts is None or any(c["size"] for c in cohorts))
            )


@pytest.mark.parametrize("text", TEXTS)
def test_on_an_empty_store(empty_path, text):
    a = _ask(empty_path, text, DEMO_DAY, "U0NOBODY")
    _check(a, text)
    name = (text.split() or ["summary"])[0]
    if a.ok and name in MINE - {"config", "followups", "rep"}:
        assert EMPTY_STORE_HINT in json.dumps(a.message, ensure_ascii=False)


@pytest.mark.parametrize("text", TEXTS)
def test_on_the_demo_store(demo_path, text):
    _check(_ask(demo_path, text, DEMO_DAY, "U0DEMO001"), text)


@pytest.mark.parametrize("text", [t.replace("2026", "1997") for t in TEXTS])
def test_on_the_cdnow_store(cdnow_copy, text):
    _check(_ask(cdnow_copy, text, date(1998, 6, 30)), text)


def test_slow_commands_are_the_chart_ones():
    assert {n for n in MINE if COMMANDS[n].slow} == {"cohorts", "trend"}
