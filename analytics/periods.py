"""The period grammar of `/retention`, resolved against `as_of`.

A period is a span of whole local days [start, end] in the workspace time
zone. Nothing after `as_of` exists, so a calendar period that runs past it is
cut at `as_of` and labelled "to date" ("2026-Q4 to date (2026-11-22)",
`to_date`); one that starts after it is an error. A figure over a period cut
short is not a whole month's, quarter's or year's: answers say so, and
averages leave such periods out.

Every period has a previous period of equal length, for deltas:
- calendar periods (months, quarters, years, and their "to date" forms) step
  back one calendar unit, both ends, so 2026-Q3 compares with 2026-Q2 and
  `this-month` on the 22nd with the 1st–22nd of last month. An end on the last
  day of a month maps to the last day of the earlier month (Feb 29 ↔ Feb 28,
  Jun 30 ↔ Mar 31), so a complete unit always compares with a complete unit;
- weeks (`this-week`, `last-week`) step back seven days, both ends, so this
  week to date compares with the same days of last week;
- day spans (`30d`, `12w`, `A..B`, `since A`) step back exactly their length.

A week starts on the workspace's first day of the week (`week_start`, a
weekday number: Monday 0 … Saturday 5; the caller decides, see
commands.core.week_start_of). `12w` is a day span, not calendar weeks.

Calendar units follow the workspace calendar (analytics.calendars): in the
Persian one `this-month` is this Solar Hijri month, `ytd` runs from
1 Farvardin, `1405-Q1` is Farvardin–Khordad 1405, and month names
(`فروردین ۱۴۰۵`, `farvardin 1405`), Persian digits and Persian dates
(`1405/01/01`) are read; a Gregorian year (`2026-Q1`) still names a Gregorian
unit. The same last-day rule steps back through Persian months (31 Shahrivar
↔ 31 Khordad, 30 Esfand of a leap year ↔ 29 Esfand). Labels are written in
the period's calendar; start and end are always Gregorian dates.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from analytics.calendars import GREGORIAN_CALENDAR, MONTH_NAMES, PERSIAN, PERSIAN_CALENDAR, Calendar

# The forms users type, for "did you mean" suggestions.
KEYWORDS = ("this-week", "last-week", "this-month", "last-month", "this-quarter", "last-quarter", "ytd", "since")
EXAMPLES = ("30d", "12w", "2026-10", "2026-Q3", "2026", "2026-01-01..2026-03-31", "since 2026-01-01")
PERSIAN_EXAMPLES = ("30d", "12w", "1405-01", "1405-Q1", "1405", "1405/01/01..1405/03/31", "since 1405/01/01")
DEFAULT_PERIOD = "last-quarter"
MAX_DAYS = 3660
MONDAY, SATURDAY, SUNDAY = 0, 5, 6  # date.weekday() numbers


class PeriodError(ValueError):
    """The words do not name a period; `word` is what could not be read.

    analytics cannot import the catalog, so the error carries what it needs:
    `message`, the English text with `{name}` placeholders (the catalog's
    msgid), and `values`; days among them are written in `calendar`. str()
    is the English; commands translates it (commands.i18n.told)."""

    def __init__(self, message: str, word: str, calendar: Calendar = GREGORIAN_CALENDAR, /, **values: object):
        self.message = message
        self.values = values
        self.calendar = calendar
        self.word = word
        shown = {k: calendar.shown(v) if isinstance(v, date) else v for k, v in values.items()}
        super().__init__(message.format_map(shown))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str
    step_months: int = 0  # calendar unit to step back by; 0 = step back by length in days
    step_days: int = 0  # a week: step back by these days, both ends (7)
    to_date: bool = False  # a calendar unit cut short by the as-of day
    calendar: Calendar = GREGORIAN_CALENDAR  # whose months, quarters and years (and labels)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        cal = self.calendar
        if self.step_months:
            start = cal.shift_months(self.start, -self.step_months)
            end = cal.shift_months(self.end, -self.step_months)
            return Period(
                start, end, _calendar_label(start, end, self.step_months, cal), self.step_months, calendar=cal
            )
        if self.step_days:
            start, end = self.start - timedelta(days=self.step_days), self.end - timedelta(days=self.step_days)
            return Period(start, end, _week_label(start, end, cal), step_days=self.step_days, calendar=cal)
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period(start, end, _span_label(start, end, cal), calendar=cal)

    def to_dict(self) -> dict:
        """ISO Gregorian start and end (machine-readable in any calendar), and
        the label in the period's own calendar (`1405-Q1`)."""
        out = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "to_date": self.to_date,
        }
        if self.calendar.name == PERSIAN:
            out["calendar"] = PERSIAN
        return out


# Persian and Arabic-Indic digits, and the Arabic letters an Arabic keyboard
# types for Persian ones, read as their plain forms.
_PLAIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يك", "01234567890123456789یک")


def parse_period(
    words: list[str] | str | None,
    as_of: date,
    calendar: Calendar = GREGORIAN_CALENDAR,
    week_start: int = MONDAY,
    typed: list[str] | None = None,
) -> Period:
    """The period named by `words` (one token, `since DATE`, or a month name
    and year in the Persian calendar), as of `as_of`, in `calendar`, weeks
    starting on weekday `week_start`. No words means the default period
    (`last-quarter`). Keywords are read in any case, and an error quotes a
    word as it was typed (`2026-Q5`); `typed` are the words as the person
    typed them before commands read their aliases (`از` for `since`), for
    the errors that quote them."""
    if isinstance(words, str):
        words = words.split()
    words = [w.translate(_PLAIN) for w in (words or []) if w]
    if not words:
        words = [DEFAULT_PERIOD]
    shown = [w for w in typed if w] if typed else words
    keyword = shown[0] if len(shown) == len(words) else words[0]
    first = words[0].lower()
    if first == "since":
        if len(words) != 2:
            raise PeriodError(
                "{keyword} needs one date, e.g. {example}",
                " ".join(words),
                keyword=f"`{keyword}`",
                example=f"`{keyword} {(PERSIAN_EXAMPLES if calendar.name == PERSIAN else EXAMPLES)[-1].split()[-1]}`",
            )
        return _since(words[1], as_of, calendar)
    if calendar.name == PERSIAN and first in MONTH_NAMES and len(words) <= 2:
        return _named_month(MONTH_NAMES[first], words[1] if len(words) == 2 else None, as_of, calendar)
    if len(words) > 1:
        raise PeriodError("I can read one period, not {words}", " ".join(words), words=f"`{' '.join(shown)}`")
    if first in ("this-week", "last-week"):
        return _week(first, as_of, calendar, week_start)
    return _single(words[0], as_of, calendar, shown[0] if len(shown) == len(words) else None)


def _week(word: str, as_of: date, cal: Calendar, week_start: int) -> Period:
    """This or last week, from its first day (`week_start`), cut at as_of."""
    first = as_of - timedelta(days=(as_of.weekday() - week_start) % 7)
    if word == "last-week":
        first -= timedelta(days=7)
    full_end = first + timedelta(days=6)
    if as_of < full_end:
        label = f"week of {cal.shown(first)} to date ({cal.shown(as_of)})"
        return Period(first, as_of, label, step_days=7, to_date=True, calendar=cal)
    return Period(first, full_end, _week_label(first, full_end, cal), step_days=7, calendar=cal)


def _week_label(start: date, end: date, cal: Calendar) -> str:
    """A whole week ("week of 2026-11-21"), or its first days ("week of 2026-11-21 to 2026-11-23")."""
    if (end - start).days == 6:
        return f"week of {cal.shown(start)}"
    return f"week of {cal.shown(start)} to {cal.shown(end)}"


def _named_month(month: int, year_word: str | None, as_of: date, cal: Calendar) -> Period:
    """`فروردین ۱۴۰۵`; without a year, the latest such month that has begun."""
    if year_word is None:
        year = cal.split(as_of)[0]
        if cal.join(year, month, 1) > as_of:
            year -= 1
    elif re.fullmatch(r"\d{4}", year_word):
        year = _year(year_word, year_word, cal)
    else:
        raise PeriodError(
            "{word} is not a year; write a month as e.g. {example}",
            year_word,
            word=f"`{year_word}`",
            example="`فروردین 1405`",
        )
    return _calendar(cal.join(year, month, 1), 1, as_of, f"{year}-{month:02d}", cal)


def _single(word: str, as_of: date, cal: Calendar, typed: str | None = None) -> Period:
    """One word: read in lower case with plain digits, quoted in errors as
    it was typed (`typed`: with its Persian digits, if it had them)."""
    typed, word = typed or word, word.lower()
    m = re.fullmatch(r"(\d{1,4})([dw])", word)
    if m:
        n = int(m.group(1))
        days = n * (7 if m.group(2) == "w" else 1)
        if n == 0 or days > MAX_DAYS:
            raise PeriodError("{word}: use between 1 and {most} days", typed, word=f"`{typed}`", most=MAX_DAYS)
        unit = "weeks" if m.group(2) == "w" else "days"
        label = f"last {n} {unit[:-1] if n == 1 else unit}"
        return Period(as_of - timedelta(days=days - 1), as_of, label, calendar=cal)
    if word in ("this-month", "last-month"):
        first = cal.month_start(cal.month_index(as_of))
        if word == "last-month":
            first = cal.shift_months(first, -1)
        return _calendar(first, 1, as_of, word, cal)
    if word in ("this-quarter", "last-quarter"):
        year, month, _ = cal.split(as_of)
        first = cal.join(year, 3 * ((month - 1) // 3) + 1, 1)
        if word == "last-quarter":
            first = cal.shift_months(first, -3)
        return _calendar(first, 3, as_of, word, cal)
    if word == "ytd":
        return _calendar(cal.join(cal.split(as_of)[0], 1, 1), 12, as_of, word, cal)
    m = re.fullmatch(r"(\d{4})-q(\d)", word)
    if m:
        q = int(m.group(2))
        if not 1 <= q <= 4:
            raise PeriodError("{word}: quarters are Q1 to Q4", typed, word=f"`{typed}`")
        unit_cal = _calendar_of_year(m.group(1), typed, cal)
        return _named_unit(unit_cal.join(int(m.group(1)), 3 * q - 2, 1), 3, as_of, typed, unit_cal, cal)
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})", word)
    if m and (m.group(0)[4] == "-" or cal.name == PERSIAN):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError("{word}: months are 01 to 12", typed, word=f"`{typed}`")
        unit_cal = _calendar_of_year(m.group(1), typed, cal)
        return _named_unit(unit_cal.join(int(m.group(1)), month, 1), 1, as_of, typed, unit_cal, cal)
    if re.fullmatch(r"\d{4}", word):
        unit_cal = _calendar_of_year(word, typed, cal)
        return _named_unit(unit_cal.join(int(word), 1, 1), 12, as_of, typed, unit_cal, cal)
    if ".." in word:
        a, b = word.split("..", 1)
        start, end = _date(a, typed, cal), _date(b, typed, cal)
        if end < start:
            raise PeriodError("{word}: the end is before the start", typed, word=f"`{typed}`")
        return _span(start, end, as_of, typed, cal)
    raise PeriodError("I don't understand the period {word}", typed, word=f"`{typed}`")


def _named_unit(first: date, months: int, as_of: date, word: str, unit_cal: Calendar, cal: Calendar) -> Period:
    """A month, quarter or year of `unit_cal` (a Gregorian one may be named
    in the Persian calendar); a refusal names the as-of day in the
    workspace's calendar `cal`, as every other day the reader sees."""
    _check_started(first, as_of, word, cal)
    return _calendar(first, months, as_of, word, unit_cal)


def _since(raw: str, as_of: date, cal: Calendar) -> Period:
    start = _date(raw, raw, cal)
    return _span(start, as_of, as_of, f"since {raw}", cal, label=f"since {cal.shown(start)}")


def _span(start: date, end: date, as_of: date, word: str, cal: Calendar, label: str | None = None) -> Period:
    _check_started(start, as_of, word, cal)
    end = min(end, as_of)
    return Period(start, end, label or _span_label(start, end, cal), calendar=cal)


def _span_label(start: date, end: date, cal: Calendar) -> str:
    return f"{cal.shown(start)}..{cal.shown(end)}"


def month_period(index: int, as_of: date, cal: Calendar = GREGORIAN_CALENDAR) -> Period:
    """The calendar month number `index` (year*12 + month-1), cut at as_of."""
    return _calendar(cal.month_start(index), 1, as_of, f"{index // 12}-{index % 12 + 1:02d}", cal)


def _calendar(first: date, months: int, as_of: date, word: str, cal: Calendar) -> Period:
    _check_started(first, as_of, word, cal)
    full_end = cal.shift_months(first, months) - timedelta(days=1)
    end = min(full_end, as_of)
    if end < full_end:
        label = f"{_unit(first, months, cal)} to date ({cal.shown(end)})"
        return Period(first, end, label, months, to_date=True, calendar=cal)
    return Period(first, end, _calendar_label(first, end, months, cal), months, calendar=cal)


def _unit(start: date, months: int, cal: Calendar) -> str:
    year, month, _ = cal.split(start)
    if months == 12:
        return f"{year}"
    if months == 3:
        return f"{year}-Q{(month - 1) // 3 + 1}"
    return f"{year}-{month:02d}"


def _calendar_label(start: date, end: date, months: int, cal: Calendar) -> str:
    """A whole unit ("2026-Q3"), or the same days of one ("2026-Q3 to 2026-08-22")."""
    full_end = cal.shift_months(start, months) - timedelta(days=1)
    unit = _unit(start, months, cal)
    return unit if end == full_end else f"{unit} to {cal.shown(end)}"


def _check_started(start: date, as_of: date, word: str, cal: Calendar) -> None:
    if start > as_of:
        raise PeriodError(
            "{word} starts after {day}, the as-of date: there is no data for it yet",
            word,
            cal,
            word=f"`{word}`",
            day=as_of,
        )


def _year(raw: str, word: str, cal: Calendar = GREGORIAN_CALENDAR) -> int:
    year = int(raw)
    if not cal.first_year <= year <= cal.last_year:
        raise PeriodError(
            "{word}: use a year between {first} and {last}",
            word,
            word=f"`{word}`",
            first=cal.first_year,
            last=cal.last_year,
        )
    return year


def _calendar_of_year(raw: str, word: str, cal: Calendar) -> Calendar:
    """In the Persian calendar a Gregorian year (`2026-Q1`) names a Gregorian
    unit; the two ranges of years do not overlap."""
    year = int(raw)
    if cal.name == PERSIAN and not cal.first_year <= year <= cal.last_year:
        if GREGORIAN_CALENDAR.first_year <= year <= GREGORIAN_CALENDAR.last_year:
            return GREGORIAN_CALENDAR
        raise PeriodError(
            "{word}: use a Persian year between {first} and {last} (or a Gregorian one between {gfirst} and {glast})",
            word,
            word=f"`{word}`",
            first=cal.first_year,
            last=cal.last_year,
            gfirst=GREGORIAN_CALENDAR.first_year,
            glast=GREGORIAN_CALENDAR.last_year,
        )
    _year(raw, word, cal)
    return cal


def read_day(raw: str) -> date:
    """A day as a user writes it outside a period (`--as-of`): ISO Gregorian
    (2026-03-21) or Persian (1405/01/01, 1405-01-01, Persian digits too);
    the year says which, the two ranges do not overlap."""
    return _date(raw.translate(_PLAIN), raw, PERSIAN_CALENDAR)


def _date(raw: str, word: str, cal: Calendar) -> date:
    m = re.fullmatch(r"(\d{4})[-/](\d{2})[-/](\d{2})", raw) if cal.name == PERSIAN else None
    if m and cal.first_year <= int(m.group(1)) <= cal.last_year:
        year, month, d = (int(g) for g in m.groups())
        if 1 <= month <= 12 and 1 <= d <= cal.month_days(year, month):
            return cal.join(year, month, d)
        raise PeriodError("{raw} is not a day of the Persian calendar", word, raw=f"`{raw}`")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        if cal.name == PERSIAN:
            raise PeriodError(
                "{raw} is not a date; write dates as YYYY-MM-DD (Gregorian) or YYYY/MM/DD (Persian)",
                word,
                raw=f"`{raw}`",
            ) from None
        raise PeriodError("{raw} is not a date; write dates as YYYY-MM-DD", word, raw=f"`{raw}`") from None
    _year(str(day.year), word)
    return day
