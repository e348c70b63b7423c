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
- day spans (`30d`, `12w`, `A..B`, `since A`) step back exactly their length.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

# The forms users type, for "did you mean" suggestions.
KEYWORDS = ("this-month", "last-month", "this-quarter", "last-quarter", "ytd", "since")
EXAMPLES = ("30d", "12w", "2026-10", "2026-Q3", "2026", "2026-01-01..2026-03-31", "since 2026-01-01")
DEFAULT_PERIOD = "last-quarter"
MAX_DAYS = 3660


class PeriodError(ValueError):
    """The words do not name a period; `word` is what could not be read."""

    def __init__(self, message: str, word: str):
        super().__init__(message)
        self.word = word


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str
    step_months: int = 0  # calendar unit to step back by; 0 = step back by length in days
    to_date: bool = False  # a calendar unit cut short by the as-of day

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        if self.step_months:
            start = _shift_months(self.start, -self.step_months)
            end = _shift_months(self.end, -self.step_months)
            return Period(start, end, _calendar_label(start, end, self.step_months), self.step_months)
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")

    def to_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "to_date": self.to_date,
        }


def parse_period(words: list[str] | str | None, as_of: date) -> Period:
    """The period named by `words` (one token, or `since DATE`), as of `as_of`.
    No words means the default period (`last-quarter`)."""
    if isinstance(words, str):
        words = words.split()
    words = [w for w in (words or []) if w]
    if not words:
        words = [DEFAULT_PERIOD]
    first = words[0].lower()
    if first == "since":
        if len(words) != 2:
            raise PeriodError("`since` needs one date, e.g. `since 2026-01-01`", " ".join(words))
        return _since(words[1], as_of)
    if len(words) > 1:
        raise PeriodError(f"I can read one period, not `{' '.join(words)}`", " ".join(words))
    return _single(first, as_of)


def _single(word: str, as_of: date) -> Period:
    m = re.fullmatch(r"(\d{1,4})([dw])", word)
    if m:
        n = int(m.group(1))
        days = n * (7 if m.group(2) == "w" else 1)
        if n == 0 or days > MAX_DAYS:
            raise PeriodError(f"`{word}`: use between 1 and {MAX_DAYS} days", word)
        unit = "weeks" if m.group(2) == "w" else "days"
        label = f"last {n} {unit[:-1] if n == 1 else unit}"
        return Period(as_of - timedelta(days=days - 1), as_of, label)
    if word in ("this-month", "last-month"):
        first = as_of.replace(day=1)
        if word == "last-month":
            first = _shift_months(first, -1)
        return _calendar(first, 1, as_of, word)
    if word in ("this-quarter", "last-quarter"):
        first = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        if word == "last-quarter":
            first = _shift_months(first, -3)
        return _calendar(first, 3, as_of, word)
    if word == "ytd":
        return _calendar(date(as_of.year, 1, 1), 12, as_of, word)
    m = re.fullmatch(r"(\d{4})-q(\d)", word)
    if m:
        q = int(m.group(2))
        if not 1 <= q <= 4:
            raise PeriodError(f"`{word}`: quarters are Q1 to Q4", word)
        return _calendar(date(_year(m.group(1), word), 3 * q - 2, 1), 3, as_of, word)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", word)
    if m:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"`{word}`: months are 01 to 12", word)
        return _calendar(date(_year(m.group(1), word), month, 1), 1, as_of, word)
    if re.fullmatch(r"\d{4}", word):
        return _calendar(date(_year(word, word), 1, 1), 12, as_of, word)
    if ".." in word:
        a, b = word.split("..", 1)
        start, end = _date(a, word), _date(b, word)
        if end < start:
            raise PeriodError(f"`{word}`: the end is before the start", word)
        return _span(start, end, as_of, word)
    raise PeriodError(f"I don't understand the period `{word}`", word)


def _since(raw: str, as_of: date) -> Period:
    start = _date(raw, raw)
    return _span(start, as_of, as_of, f"since {raw}", label=f"since {start.isoformat()}")


def _span(start: date, end: date, as_of: date, word: str, label: str | None = None) -> Period:
    _check_started(start, as_of, word)
    end = min(end, as_of)
    return Period(start, end, label or f"{start.isoformat()}..{end.isoformat()}")


def _calendar(first: date, months: int, as_of: date, word: str) -> Period:
    _check_started(first, as_of, word)
    full_end = _shift_months(first, months) - timedelta(days=1)
    end = min(full_end, as_of)
    if end < full_end:
        return Period(first, end, f"{_unit(first, months)} to date ({end.isoformat()})", months, to_date=True)
    return Period(first, end, _calendar_label(first, end, months), months)


def _unit(start: date, months: int) -> str:
    if months == 12:
        return f"{start.year}"
    if months == 3:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _calendar_label(start: date, end: date, months: int) -> str:
    """A whole unit ("2026-Q3"), or the same days of one ("2026-Q3 to 2026-08-22")."""
    full_end = _shift_months(start, months) - timedelta(days=1)
    return _unit(start, months) if end == full_end else f"{_unit(start, months)} to {end.isoformat()}"


def _check_started(start: date, as_of: date, word: str) -> None:
    if start > as_of:
        raise PeriodError(
            f"`{word}` starts after {as_of.isoformat()}, the as-of date: there is no data for it yet", word
        )


def _year(raw: str, word: str) -> int:
    year = int(raw)
    if not 1970 <= year <= 2100:
        raise PeriodError(f"`{word}`: use a year between 1970 and 2100", word)
    return year


def _date(raw: str, word: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(f"`{raw}` is not a date; write dates as YYYY-MM-DD", word) from None
    _year(str(day.year), word)
    return day


def _shift_months(day: date, months: int) -> date:
    """`day` moved by whole months; a month's last day stays a month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if month_end else min(day.day, last))
