"""Periods in the Persian (Solar Hijri) calendar, checked against the
conversions of the library we use (persiantools), never against dates of
our own arithmetic: months, quarters and years from 1 Farvardin, the
grammar's Persian forms, and previous periods across leap and common
Esfands."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from persiantools.jdatetime import JalaliDate

from analytics.calendars import GREGORIAN_CALENDAR, PERSIAN_CALENDAR
from analytics.periods import PeriodError, parse_period
from tests.support.stores import ZONES


def j(year: int, month: int, day: int) -> date:
    """A Persian date, as the library converts it."""
    return JalaliDate(year, month, day).to_gregorian()


def esfand_end(year: int) -> date:
    return j(year, 12, JalaliDate.days_in_month(12, year))


def persian(text: str, as_of: date):
    return parse_period(text, as_of, PERSIAN_CALENDAR)


def test_nowruz_1405_is_21_march_2026_and_the_leap_years_are_the_librarys():
    assert j(1405, 1, 1) == date(2026, 3, 21)
    assert JalaliDate.is_leap(1403) and not JalaliDate.is_leap(1404)
    assert esfand_end(1403) == date(2025, 3, 20) and esfand_end(1404) == date(2026, 3, 20)


def test_1405_q1_and_its_previous_quarter_dey_to_esfand_1404():
    p = persian("1405-Q1", date(2026, 11, 22))
    assert (p.start, p.end, p.label, p.to_date) == (date(2026, 3, 21), date(2026, 6, 21), "1405-Q1", False)
    assert (p.start, p.end) == (j(1405, 1, 1), j(1405, 3, 31))
    prev = p.previous()
    assert (prev.start, prev.end, prev.label) == (j(1404, 10, 1), esfand_end(1404), "1404-Q4")
    assert (prev.start, prev.end) == (date(2025, 12, 22), date(2026, 3, 20))  # Esfand 1404: 29 days


def test_a_quarter_after_a_leap_esfand_steps_back_to_all_30_days_of_it():
    prev = persian("1404-Q1", date(2026, 11, 22)).previous()
    assert (prev.start, prev.end, prev.label) == (j(1403, 10, 1), j(1403, 12, 30), "1403-Q4")
    assert prev.end == date(2025, 3, 20)


@pytest.mark.parametrize(
    ("as_of", "text", "previous"),
    [
        # a whole month ends on its last day, and so does its previous one
        (j(1404, 12, 29), "this-month", (j(1404, 11, 1), j(1404, 11, 30), "1404-11")),  # common Esfand
        (j(1403, 12, 30), "this-month", (j(1403, 11, 1), j(1403, 11, 30), "1403-11")),  # leap Esfand
        (j(1405, 1, 31), "this-month", (j(1404, 12, 1), j(1404, 12, 29), "1404-12")),  # 31 ↔ 29
        (j(1404, 1, 31), "this-month", (j(1403, 12, 1), j(1403, 12, 30), "1403-12")),  # 31 ↔ 30
        (j(1405, 7, 30), "this-month", (j(1405, 6, 1), j(1405, 6, 31), "1405-06")),  # Mehr 30 ↔ Shahrivar 31
        # the same days of the earlier month while this one is not over
        (j(1403, 12, 29), "this-month", (j(1403, 11, 1), j(1403, 11, 29), "1403-11 to 1403/11/29")),
        (j(1405, 2, 10), "this-month", (j(1405, 1, 1), j(1405, 1, 10), "1405-01 to 1405/01/10")),
        # a leap year's last day maps to a common year's last day
        (j(1408, 12, 30), "ytd", (j(1407, 1, 1), j(1407, 12, 29), "1407")),
    ],
)
def test_previous_periods_step_back_one_persian_month_or_year(as_of, text, previous):
    p = persian(text, as_of)
    assert not p.to_date or p.end == as_of
    prev = p.previous()
    assert (prev.start, prev.end, prev.label) == previous


def test_ytd_on_10_ordibehesht_1405_runs_from_1_farvardin():
    as_of = j(1405, 2, 10)
    assert as_of == date(2026, 4, 30)
    p = persian("ytd", as_of)
    assert (p.start, p.end, p.label, p.to_date) == (date(2026, 3, 21), as_of, "1405 to date (1405/02/10)", True)
    prev = p.previous()
    assert (prev.start, prev.end, prev.label) == (j(1404, 1, 1), j(1404, 2, 10), "1404 to 1404/02/10")
    assert (prev.start, prev.end) == (date(2025, 3, 21), date(2025, 4, 30))
    # the Gregorian calendar's ytd is not it
    assert parse_period("ytd", as_of).start == date(2026, 1, 1)


AS_OF = j(1405, 5, 20)  # 2026-08-11


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("this-month", j(1405, 5, 1), AS_OF, "1405-05 to date (1405/05/20)"),
        ("last-month", j(1405, 4, 1), j(1405, 4, 31), "1405-04"),
        ("this-quarter", j(1405, 4, 1), AS_OF, "1405-Q2 to date (1405/05/20)"),
        ("last-quarter", j(1405, 1, 1), j(1405, 3, 31), "1405-Q1"),
        ("1405-01", j(1405, 1, 1), j(1405, 1, 31), "1405-01"),
        ("1404-12", j(1404, 12, 1), j(1404, 12, 29), "1404-12"),
        ("1404", j(1404, 1, 1), esfand_end(1404), "1404"),
        ("۱۴۰۵-۰۱", j(1405, 1, 1), j(1405, 1, 31), "1405-01"),
        ("١٤٠٤-Q4", j(1404, 10, 1), esfand_end(1404), "1404-Q4"),  # Arabic-Indic digits
        ("1405/03", j(1405, 3, 1), j(1405, 3, 31), "1405-03"),
        ("فروردین ۱۴۰۵", j(1405, 1, 1), j(1405, 1, 31), "1405-01"),
        ("اسفند 1403", j(1403, 12, 1), j(1403, 12, 30), "1403-12"),
        ("Esfand 1404", j(1404, 12, 1), j(1404, 12, 29), "1404-12"),
        ("دی", j(1404, 10, 1), j(1404, 10, 30), "1404-10"),  # no year: the latest Dey begun
        ("مرداد", j(1405, 5, 1), AS_OF, "1405-05 to date (1405/05/20)"),
        ("۱۴۰۵/۰۱/۰۱..۱۴۰۵/۰۱/۱۰", j(1405, 1, 1), j(1405, 1, 10), "1405/01/01..1405/01/10"),
        ("since 1405-04-01", j(1405, 4, 1), AS_OF, "since 1405/04/01"),
        ("since 2026-01-01", date(2026, 1, 1), AS_OF, "since 1404/10/11"),
        ("30d", AS_OF - timedelta(days=29), AS_OF, "last 30 days"),
        # a Gregorian year still names a Gregorian unit
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025"),
    ],
)
def test_persian_period_forms(text, start, end, label):
    p = persian(text, AS_OF)
    assert (p.start, p.end, p.label) == (start, end, label)
    d = p.to_dict()
    assert (d["start"], d["end"], d["label"]) == (start.isoformat(), end.isoformat(), label)


def test_persian_periods_say_which_calendar_in_json_and_gregorian_ones_do_not():
    assert persian("1405-Q1", AS_OF).to_dict()["calendar"] == "persian"
    assert "calendar" not in parse_period("2026-Q1", AS_OF).to_dict()
    assert "calendar" not in persian("2026-Q1", AS_OF).to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1405-Q5", "quarters are Q1 to Q4"),
        ("1405-13", "months are 01 to 12"),
        ("1406-01", "starts after 1405/05/20"),
        ("1300", "Persian year between 1349 and 1478"),
        ("1404/12/30..1405/01/05", "not a day of the Persian calendar"),  # 1404 is a common year
        ("فروردین فردا", "is not a year"),
        ("since 1405.01.01", r"YYYY/MM/DD \(Persian\)"),
    ],
)
def test_bad_persian_periods_say_why(text, message):
    with pytest.raises(PeriodError, match=message):
        persian(text, AS_OF)


def test_the_gregorian_calendar_reads_no_persian_forms():
    with pytest.raises(PeriodError, match="between 1970 and 2100"):
        parse_period("1405-Q1", AS_OF)
    with pytest.raises(PeriodError):
        parse_period("فروردین 1405", AS_OF)


@pytest.mark.parametrize("zone", ZONES)
def test_month_numbers_of_instants_match_the_library_in_every_zone(zone):
    """The vectorised month of each order instant equals the library's
    conversion of its local day, around Nowruz and month ends."""
    days = [j(1403, 12, 30), j(1404, 1, 1), j(1404, 6, 31), j(1404, 7, 1), j(1404, 12, 29), j(1405, 1, 1)]
    instants = pd.DatetimeIndex(
        [pd.Timestamp(d).tz_localize(zone) + pd.Timedelta(hours=h) for d in days for h in (0, 12)]
        + [pd.Timestamp(d).tz_localize(zone) + pd.Timedelta(hours=23, minutes=59) for d in days]
    ).tz_convert("UTC")
    ts = np.sort(np.array([int(t.timestamp()) for t in instants], dtype=np.int64))
    local = pd.to_datetime(ts, unit="s", utc=True).tz_convert(zone)
    got = PERSIAN_CALENDAR.month_numbers(ts, zone)
    want = [JalaliDate(t.date()).year * 12 + JalaliDate(t.date()).month - 1 for t in local]
    assert got.tolist() == want
    assert GREGORIAN_CALENDAR.month_numbers(ts, zone).tolist() == [t.year * 12 + t.month - 1 for t in local]
    assert PERSIAN_CALENDAR.month_numbers(ts[:0], zone).dtype == np.int32


# Zones whose clocks jumped or fell back at midnight (Tehran on 1 Farvardin
# until 2022, Santiago, Havana, Beirut), besides the project's usual ones.
MIDNIGHT_ZONES = [*ZONES, "Asia/Tehran", "America/Santiago", "America/Havana", "Asia/Beirut", "UTC"]


@pytest.mark.parametrize("zone", MIDNIGHT_ZONES)
def test_month_cuts_agree_with_converting_every_instant(zone):
    """A month per order from one cut per month equals the local day of
    each instant (zoneinfo's conversion, the zone database the bot uses
    everywhere; an old pandas converts with pytz's own copy), for instants
    every 15 minutes around each month start of two decades, midnight clock
    changes included."""
    rng = np.random.default_rng(7)
    ts = np.sort(rng.integers(1_104_537_600, 1_798_761_600, 20_000))  # 2005..2027
    edges = []
    for calendar in (GREGORIAN_CALENDAR, PERSIAN_CALENDAR):
        first = calendar.month_index(date(2005, 1, 1))
        for i in range(first, first + 12 * 22):
            start = pd.Timestamp(calendar.month_start(i)).tz_localize(zone, nonexistent="shift_forward", ambiguous=True)
            edges += [int(start.timestamp()) + m * 60 for m in range(-90, 91, 15)]
    ts = np.unique(np.concatenate([ts, np.array(edges, dtype=np.int64)]))
    local = [datetime.fromtimestamp(int(t), UTC).astimezone(ZoneInfo(zone)).date() for t in ts]
    assert GREGORIAN_CALENDAR.month_numbers(ts, zone).tolist() == [d.year * 12 + d.month - 1 for d in local]
    persian = [JalaliDate(d).year * 12 + JalaliDate(d).month - 1 for d in local]
    assert PERSIAN_CALENDAR.month_numbers(ts, zone).tolist() == persian


def month_number(day: date) -> int:
    p = JalaliDate(day)
    return p.year * 12 + p.month - 1


def is_month_end(day: date) -> bool:
    p = JalaliDate(day)
    return p.day == JalaliDate.days_in_month(p.month, p.year)


@given(
    as_of=st.dates(date(1971, 1, 1), date(2099, 12, 31)),
    word=st.sampled_from(["this-month", "last-month", "this-quarter", "last-quarter", "ytd"]),
)
def test_persian_units_and_their_previous_ones_line_up_with_the_library(as_of, word):
    """Any day, any calendar keyword: the period starts on the 1st of a
    Persian month (a quarter's first month, Farvardin for a year), ends on a
    month's last day or the as-of day, and its previous period starts exactly
    one unit earlier — whole units touching, end to start."""
    p = persian(word, as_of)
    months = p.step_months
    start = JalaliDate(p.start)
    assert start.day == 1 and (start.month - 1) % months == 0
    year, month = divmod(month_number(p.start) + months - 1, 12)
    unit_end = j(year, month + 1, JalaliDate.days_in_month(month + 1, year))
    assert p.end == min(unit_end, as_of) and p.to_date == (unit_end > as_of)
    prev = p.previous()
    assert JalaliDate(prev.start).day == 1
    assert month_number(prev.start) == month_number(p.start) - months
    if not p.to_date:
        assert is_month_end(p.end) and month_number(p.end) == month_number(p.start) + months - 1
        assert prev.end + timedelta(days=1) == p.start  # a whole unit before a whole unit
    else:
        assert p.end == as_of and prev.end < p.start
        # the same days of the earlier unit: a month's last day maps to the
        # earlier month's last day (30 Mehr → 31 Tir), another day to itself
        # (or the earlier month's last, when that month is shorter)
        end, before = JalaliDate(p.end), JalaliDate(prev.end)
        if is_month_end(p.end):
            assert is_month_end(prev.end)
        else:
            assert before.day == min(end.day, JalaliDate.days_in_month(before.month, before.year))


_PIECES = st.sampled_from(
    [
        *("1405", "۱۴۰۵", "١٤٠٥", "2026", "0000", "9999", "-", "/", "..", "q", "Q", "0", "1", "13", "31", "30"),
        *("29", "فروردین", "اسفند", "esfand", "since", "ytd", "this-month", "d", "w", " ", "ي", "٫", "x", "4"),
    ]
)


@given(text=st.lists(_PIECES, max_size=8).map("".join), as_of=st.dates(date(1971, 1, 1), date(2099, 12, 31)))
def test_any_text_is_a_persian_period_or_a_period_error(text, as_of):
    """Whatever is typed, the Persian grammar answers with a period inside
    the data (start ≤ end ≤ as_of) or says why not — never another error."""
    try:
        p = persian(text, as_of)
    except PeriodError as e:
        problem = e
    else:
        problem = None
    if problem is not None:
        assert str(problem) and isinstance(problem.word, str)
        return
    assert p.start <= p.end <= as_of
    prev = p.previous()
    assert prev.start <= prev.end < p.start
