"""Periods cut short by today are said to be: labelled "to date", compared
with the same days of the period before, left out of averages; the digest
never headlines a rate over fewer than seven days."""

import json
from datetime import UTC, date, datetime

import pytest

from commands import Context, answer
from commands.digest import MIN_HEADLINE_DAYS, compute_digest

MONTH_DAY = [2, 6, 7, 23]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from bot.demo import ensure_demo_store

    db, _ = ensure_demo_store(
        str(tmp_path_factory.mktemp("partial") / "demo.db"), customers=600, today=date(2026, 11, 23)
    )
    yield db
    db.conn.close()


@pytest.mark.parametrize("day", MONTH_DAY)
def test_the_digest_never_headlines_fewer_than_seven_days(demo, day):
    as_of = date(2026, 11, day)
    ctx = Context(demo, as_of=as_of, now=datetime(2026, 11, day, 17, tzinfo=UTC))
    d = compute_digest(ctx, None)
    r = d["retention"]
    if day < MIN_HEADLINE_DAYS:
        assert r["basis"] == "last_full_month"
        assert (r["period"]["label"], r["previous"]["period"]["label"]) == ("2026-10", "2026-09")
    else:
        assert r["basis"] == "month_to_date"
        assert r["period"] == {
            "start": "2026-11-01",
            "end": as_of.isoformat(),
            "to_date": True,
            "label": f"2026-11 to date ({as_of.isoformat()})",
        }
        assert (r["previous"]["period"]["start"], r["previous"]["period"]["end"]) == (
            "2026-10-01",
            f"2026-10-{day:02d}",
        )  # the same days of last month
    from commands.digest import build_digest_message

    text = json.dumps(build_digest_message(d, "USD"), ensure_ascii=False)
    if day < MIN_HEADLINE_DAYS:
        assert f"in 2026-10 (the last full month; this one has {day} day{'s' if day > 1 else ''} so far)" in text
        assert "this month" not in text
    else:
        assert "this month so far" in text and "vs the same days of last month" in text


def test_a_partial_period_answer_says_to_date_and_compares_like_with_like(demo):
    d = answer(Context(demo, as_of=date(2026, 11, 23)), "crr this-month").data
    assert d["period"]["to_date"] and d["period"]["label"] == "2026-11 to date (2026-11-23)"
    assert (d["previous"]["period"]["start"], d["previous"]["period"]["end"]) == ("2026-10-01", "2026-10-23")
    whole = answer(Context(demo, as_of=date(2026, 11, 23)), "crr last-month").data
    assert not whole["period"]["to_date"] and whole["period"]["label"] == "2026-10"


def test_the_cohorts_partial_month_is_marked_and_left_out_of_the_average(demo):
    a = answer(Context(demo, as_of=date(2026, 11, 23)), "cohorts 6")
    d = a.data
    assert d["partial_month"] == "2026-11"
    rows = [r for r in d["cohorts"] if r["size"]]
    whole_m1 = [r["active_pct"][1] for r in rows if len(r["active_pct"]) > 2]
    assert d["m1_average"] == pytest.approx(sum(whole_m1) / len(whole_m1))
    october = next(r for r in rows if r["cohort"] == "2026-10")
    assert len(october["active_pct"]) == 2  # its M1 is November so far: not in the average
    body = json.dumps(a.message, ensure_ascii=False)
    assert "~" in body and "2026-11 is not over yet" in body
    end_of_month = answer(Context(demo, as_of=date(2026, 10, 31)), "cohorts 6").data
    assert end_of_month["partial_month"] is None


def test_the_trend_marks_the_month_so_far(demo):
    a = answer(Context(demo, as_of=date(2026, 11, 23)), "trend 3")
    months = a.data["months"]
    assert [m["to_date"] for m in months] == [False, False, True]
    body = json.dumps(a.message, ensure_ascii=False)
    assert "2026-11~" in body and "2026-11 to date (2026-11-23): the days so far, not a whole month" in body
