"""Calendar weeks (`this-week`, `last-week`): a week starts on the
workspace's first day — Saturday in Persian (Iran's week), Monday in
Armenian and in English — and on the workspace's local day, not UTC's.
The dates below are worked out by hand (weekdays from a wall calendar;
1 Azar 1405 = 2026-11-22, so 30 Aban = 2026-11-21)."""

from datetime import UTC, date, datetime

import pytest

from analytics.periods import MONDAY, SATURDAY, parse_period
from commands import Context, answer
from commands.core import week_start_of
from storage.settings import load_settings, upsert_setting
from tests.support.stores import CUSTOMERS, ORDERS, SET_AT, build_store


@pytest.fixture
def db(tmp_path):
    db = build_store(tmp_path / "weeks.db", orders=ORDERS, customers=CUSTOMERS)
    yield db
    db.conn.close()


def workspace(db, tz: str, language: str) -> None:
    upsert_setting(db, "timezone", tz, now=SET_AT)
    upsert_setting(db, "language", language, now=SET_AT)


def period(db, words: str, now: datetime) -> tuple[dict, dict]:
    data = answer(Context(db, now=now), f"crr {words}").data
    return data["period"], data["previous"]["period"]


def test_a_persian_week_starts_on_saturday_in_tehran(db):
    """Friday 2026-11-20 21:00 UTC is already Saturday 00:30 in Tehran
    (UTC+03:30): the first day of a new week there."""
    workspace(db, "Asia/Tehran", "fa")
    now = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    this, before = period(db, "this-week", now)
    assert (this["start"], this["end"], this["to_date"]) == ("2026-11-21", "2026-11-21", True)
    assert this["label"] == "week of 1405/08/30 to date (1405/08/30)"
    assert (before["start"], before["end"]) == ("2026-11-14", "2026-11-14")  # the same day of last week
    last, before = period(db, "هفته-قبل", now)  # last-week, in Persian
    assert (last["start"], last["end"], last["to_date"]) == ("2026-11-14", "2026-11-20", False)  # Saturday..Friday
    assert (before["start"], before["end"]) == ("2026-11-07", "2026-11-13")
    text = answer(Context(db, now=now), "crr last-week").message["text"]
    assert "هفتهٔ آغازشده از ۱۴۰۵/۰۸/۲۳" in text


def test_an_armenian_week_starts_on_monday_in_yerevan(db):
    """Sunday 2026-11-22 21:00 UTC is Monday 01:00 in Yerevan (UTC+4)."""
    workspace(db, "Asia/Yerevan", "hy")
    now = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    this, _ = period(db, "այս-շաբաթ", now)
    assert (this["start"], this["end"]) == ("2026-11-23", "2026-11-23")
    last, before = period(db, "last-week", now)
    assert (last["start"], last["end"], last["label"]) == ("2026-11-16", "2026-11-22", "week of 2026-11-16")
    assert (before["start"], before["end"]) == ("2026-11-09", "2026-11-15")
    answer_hy = answer(Context(db, now=now, lang="hy"), "crr last-week").message["text"]
    assert "2026-11-16-ից սկսվող շաբաթ" in answer_hy


def test_an_english_week_starts_on_monday_and_may_be_whole(db):
    """Monday 2026-11-23 03:00 UTC is still Sunday 22:00 in New York: this
    week is the whole Monday-to-Sunday week, not cut short."""
    workspace(db, "America/New_York", "en")
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    this, before = period(db, "this-week", now)
    assert (this["start"], this["end"], this["to_date"], this["label"]) == (
        "2026-11-16",
        "2026-11-22",
        False,
        "week of 2026-11-16",
    )
    assert (before["start"], before["end"], before["label"]) == ("2026-11-09", "2026-11-15", "week of 2026-11-09")


def test_the_week_start_rule(db):
    settings = load_settings(db)
    assert week_start_of(settings) == MONDAY
    assert week_start_of({**settings, "language": "hy"}) == MONDAY
    assert week_start_of({**settings, "language": "fa", "calendar": "gregorian"}) == SATURDAY
    assert week_start_of({**settings, "language": "en", "calendar": "persian"}) == SATURDAY


def test_a_week_cut_short_steps_back_to_the_same_days():
    """Wednesday 2026-11-25, weeks from Saturday: Sat 21..Wed 25 compares
    with Sat 14..Wed 18; `12w` stays 84 days back from the as-of day."""
    p = parse_period("this-week", date(2026, 11, 25), week_start=SATURDAY)
    assert (p.start, p.end, p.to_date) == (date(2026, 11, 21), date(2026, 11, 25), True)
    assert (p.previous().start, p.previous().end) == (date(2026, 11, 14), date(2026, 11, 18))
    assert p.previous().label == "week of 2026-11-14 to 2026-11-18"
    twelve = parse_period("12w", date(2026, 11, 25), week_start=SATURDAY)
    assert (twelve.start, twelve.end) == (date(2026, 9, 3), date(2026, 11, 25))
