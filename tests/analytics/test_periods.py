"""Every period form, resolved to exact dates, with its previous period."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.kpis import Bounds, day_bound
from analytics.periods import DEFAULT_PERIOD, PeriodError, parse_period
from tests.support.stores import SET_AT

D = date.fromisoformat

# (as_of, text, start, end, label, previous start, previous end, previous label)
TABLE = [
    # day spans: end at as_of; previous = the same number of days just before
    ("2026-11-22", "30d", "2026-10-24", "2026-11-22", "last 30 days", "2026-09-24", "2026-10-23", None),
    ("2026-11-22", "1d", "2026-11-22", "2026-11-22", "last 1 day", "2026-11-21", "2026-11-21", None),
    ("2026-11-22", "12w", "2026-08-31", "2026-11-22", "last 12 weeks", "2026-06-08", "2026-08-30", None),
    ("2024-03-01", "30d", "2024-02-01", "2024-03-01", "last 30 days", "2024-01-02", "2024-01-31", None),
    ("2024-03-01", "1w", "2024-02-24", "2024-03-01", "last 1 week", "2024-02-17", "2024-02-23", None),
    # months
    (
        "2026-11-22",
        "this-month",
        "2026-11-01",
        "2026-11-22",
        "2026-11 to date (2026-11-22)",
        "2026-10-01",
        "2026-10-22",
        "2026-10 to 2026-10-22",
    ),
    ("2026-11-30", "this-month", "2026-11-01", "2026-11-30", "2026-11", "2026-10-01", "2026-10-31", "2026-10"),
    ("2026-03-31", "this-month", "2026-03-01", "2026-03-31", "2026-03", "2026-02-01", "2026-02-28", "2026-02"),
    (
        "2024-03-30",
        "this-month",
        "2024-03-01",
        "2024-03-30",
        "2024-03 to date (2024-03-30)",
        "2024-02-01",
        "2024-02-29",
        "2024-02",
    ),
    ("2026-11-22", "last-month", "2026-10-01", "2026-10-31", "2026-10", "2026-09-01", "2026-09-30", "2026-09"),
    ("2026-01-15", "last-month", "2025-12-01", "2025-12-31", "2025-12", "2025-11-01", "2025-11-30", "2025-11"),
    ("2024-03-31", "last-month", "2024-02-01", "2024-02-29", "2024-02", "2024-01-01", "2024-01-31", "2024-01"),
    ("2026-11-22", "2026-10", "2026-10-01", "2026-10-31", "2026-10", "2026-09-01", "2026-09-30", "2026-09"),
    ("2026-11-22", "2024-02", "2024-02-01", "2024-02-29", "2024-02", "2024-01-01", "2024-01-31", "2024-01"),
    ("2026-11-22", "2025-03", "2025-03-01", "2025-03-31", "2025-03", "2025-02-01", "2025-02-28", "2025-02"),
    (
        "2026-11-22",
        "2026-11",
        "2026-11-01",
        "2026-11-22",
        "2026-11 to date (2026-11-22)",
        "2026-10-01",
        "2026-10-22",
        "2026-10 to 2026-10-22",
    ),
    # quarters
    ("2026-11-22", "2026-Q3", "2026-07-01", "2026-09-30", "2026-Q3", "2026-04-01", "2026-06-30", "2026-Q2"),
    ("2026-11-22", "2026-q1", "2026-01-01", "2026-03-31", "2026-Q1", "2025-10-01", "2025-12-31", "2025-Q4"),
    ("2026-11-22", "2024-Q1", "2024-01-01", "2024-03-31", "2024-Q1", "2023-10-01", "2023-12-31", "2023-Q4"),
    (
        "2026-11-22",
        "this-quarter",
        "2026-10-01",
        "2026-11-22",
        "2026-Q4 to date (2026-11-22)",
        "2026-07-01",
        "2026-08-22",
        "2026-Q3 to 2026-08-22",
    ),
    ("2026-06-30", "this-quarter", "2026-04-01", "2026-06-30", "2026-Q2", "2026-01-01", "2026-03-31", "2026-Q1"),
    (
        "2026-05-31",
        "this-quarter",
        "2026-04-01",
        "2026-05-31",
        "2026-Q2 to date (2026-05-31)",
        "2026-01-01",
        "2026-02-28",
        "2026-Q1 to 2026-02-28",
    ),
    ("2026-11-22", "last-quarter", "2026-07-01", "2026-09-30", "2026-Q3", "2026-04-01", "2026-06-30", "2026-Q2"),
    ("2026-01-01", "last-quarter", "2025-10-01", "2025-12-31", "2025-Q4", "2025-07-01", "2025-09-30", "2025-Q3"),
    ("2026-12-31", "last-quarter", "2026-07-01", "2026-09-30", "2026-Q3", "2026-04-01", "2026-06-30", "2026-Q2"),
    # years
    (
        "2026-11-22",
        "ytd",
        "2026-01-01",
        "2026-11-22",
        "2026 to date (2026-11-22)",
        "2025-01-01",
        "2025-11-22",
        "2025 to 2025-11-22",
    ),
    (
        "2024-02-29",
        "ytd",
        "2024-01-01",
        "2024-02-29",
        "2024 to date (2024-02-29)",
        "2023-01-01",
        "2023-02-28",
        "2023 to 2023-02-28",
    ),
    (
        "2025-02-28",
        "ytd",
        "2025-01-01",
        "2025-02-28",
        "2025 to date (2025-02-28)",
        "2024-01-01",
        "2024-02-29",
        "2024 to 2024-02-29",
    ),
    ("2026-12-31", "ytd", "2026-01-01", "2026-12-31", "2026", "2025-01-01", "2025-12-31", "2025"),
    ("2026-11-22", "2025", "2025-01-01", "2025-12-31", "2025", "2024-01-01", "2024-12-31", "2024"),
    (
        "2026-11-22",
        "2026",
        "2026-01-01",
        "2026-11-22",
        "2026 to date (2026-11-22)",
        "2025-01-01",
        "2025-11-22",
        "2025 to 2025-11-22",
    ),
    # explicit spans
    (
        "2026-11-22",
        "2026-01-01..2026-03-31",
        "2026-01-01",
        "2026-03-31",
        "2026-01-01..2026-03-31",
        "2025-10-03",
        "2025-12-31",
        "2025-10-03..2025-12-31",
    ),
    (
        "2024-12-31",
        "2024-02-28..2024-03-01",
        "2024-02-28",
        "2024-03-01",
        "2024-02-28..2024-03-01",
        "2024-02-25",
        "2024-02-27",
        "2024-02-25..2024-02-27",
    ),
    (
        "2026-11-22",
        "2026-11-01..2026-12-31",
        "2026-11-01",
        "2026-11-22",
        "2026-11-01..2026-11-22",
        "2026-10-10",
        "2026-10-31",
        "2026-10-10..2026-10-31",
    ),
    (
        "2026-11-22",
        "since 2026-01-01",
        "2026-01-01",
        "2026-11-22",
        "since 2026-01-01",
        "2025-02-09",
        "2025-12-31",
        "2025-02-09..2025-12-31",
    ),
    (
        "2024-03-01",
        "since 2024-02-01",
        "2024-02-01",
        "2024-03-01",
        "since 2024-02-01",
        "2024-01-02",
        "2024-01-31",
        "2024-01-02..2024-01-31",
    ),
]


@pytest.mark.parametrize(
    ("as_of", "text", "start", "end", "label", "pstart", "pend", "plabel"), TABLE, ids=[f"{r[1]}@{r[0]}" for r in TABLE]
)
def test_period_forms(as_of, text, start, end, label, pstart, pend, plabel):
    p = parse_period(text, D(as_of))
    assert (p.start, p.end, p.label) == (D(start), D(end), label)
    assert p.to_date == ("to date" in label)  # cut short by the as-of day: never a whole unit
    prev = p.previous()
    assert not prev.to_date
    assert (prev.start, prev.end) == (D(pstart), D(pend))
    assert prev.label == (plabel or f"{pstart}..{pend}")
    if not p.step_months:  # day spans: exactly the same length
        assert prev.days == p.days


def test_default_is_last_quarter_and_words_list_works():
    assert parse_period([], D("2026-11-22")) == parse_period(DEFAULT_PERIOD, D("2026-11-22"))
    assert parse_period(["since", "2026-01-01"], D("2026-11-22")).label == "since 2026-01-01"
    assert parse_period(["LAST-QUARTER"], D("2026-11-22")).label == "2026-Q3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-Q1", "starts after 2026-11-22"),
        ("2026-12", "starts after"),
        ("since 2026-12-01", "starts after"),
        ("2026-Q5", "quarters are Q1 to Q4"),
        ("2026-13", "months are 01 to 12"),
        ("0d", "between 1 and"),
        ("9999d", "between 1 and"),
        ("2026-02-30..2026-03-01", "is not a date"),
        ("2026-03-01..2026-02-01", "end is before the start"),
        ("1969", "between 1970 and 2100"),
        ("since", "needs one date"),
        ("lsat-quarter", "don't understand"),
        ("last-quarter extra", "one period"),
    ],
)
def test_bad_periods_say_why(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text, D("2026-11-22"))


def test_boundaries_are_local_midnights_in_the_workspace_zone():
    """A quarter in New York starts at 04:00 UTC (EDT) and ends at 05:00 UTC
    (EST): the S and E windows follow the local calendar across DST."""
    ny = ZoneInfo("America/New_York")
    p = parse_period("2026-Q3", D("2026-11-22"))
    b = Bounds.of(p, 90, ny)
    utc = lambda ts: datetime.fromtimestamp(ts, UTC).isoformat()  # noqa: E731
    assert utc(b.s_lo) == "2026-04-02T04:00:00+00:00"  # 90 days before Jul 1
    assert utc(b.s_hi) == "2026-07-01T04:00:00+00:00"
    assert utc(b.e_lo) == "2026-07-03T04:00:00+00:00"  # the 90 days ending Sep 30
    assert utc(b.e_hi) == "2026-10-01T04:00:00+00:00"
    q4 = Bounds.of(parse_period("2026-Q4", D("2026-12-31")), 90, ny)
    assert utc(q4.e_hi) == "2027-01-01T05:00:00+00:00"  # EST by then
    kolkata = ZoneInfo("Asia/Kolkata")
    assert utc(day_bound(D("2026-07-01"), kolkata)) == "2026-06-30T18:30:00+00:00"


def test_as_of_is_a_local_date(fresh_db):
    """At 02:00 UTC on Nov 1 it is still Oct 31 in Los Angeles: `this-month`
    there is October."""
    from commands.core import Context
    from storage.settings import upsert_setting

    upsert_setting(fresh_db, "timezone", "America/Los_Angeles", now=SET_AT)
    ctx = Context(fresh_db, now=datetime(2026, 11, 1, 2, tzinfo=UTC))
    assert ctx.as_of == D("2026-10-31")
    assert parse_period("this-month", ctx.as_of).label == "2026-10"
