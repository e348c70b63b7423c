"""The calendars periods and month buckets follow: the Gregorian, and the
Solar Hijri (Persian) calendar — the official and fiscal calendar in Iran,
whose year starts at Nowruz (1 Farvardin ≈ 21 March), so its months and
quarters cut across ours.

A calendar only splits a day into its (year, month, day), joins them back
and knows a month's length; periods, cohorts and trends need nothing more.
Persian conversions and leap years come from `persiantools` (MIT), not from
arithmetic of ours. Months are numbered year*12 + month-1 in either calendar.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from persiantools.jdatetime import MONTH_NAMES_EN, MONTH_NAMES_FA, JalaliDate

if TYPE_CHECKING:
    import numpy as np

GREGORIAN = "gregorian"
PERSIAN = "persian"
CALENDARS = (GREGORIAN, PERSIAN)


@dataclass(frozen=True)
class Calendar:
    name: str
    first_year: int  # years a period may name: the ones that lie in 1970..2100
    last_year: int

    def split(self, day: date) -> tuple[int, int, int]:
        if self.name == PERSIAN:
            j = JalaliDate(day)
            return j.year, j.month, j.day
        return day.year, day.month, day.day

    def join(self, year: int, month: int, day: int) -> date:
        if self.name == PERSIAN:
            return JalaliDate(year, month, day).to_gregorian()
        return date(year, month, day)

    def month_days(self, year: int, month: int) -> int:
        if self.name == PERSIAN:
            return JalaliDate.days_in_month(month, year)
        return calendar.monthrange(year, month)[1]

    def month_index(self, day: date) -> int:
        year, month, _ = self.split(day)
        return year * 12 + month - 1

    def month_start(self, index: int) -> date:
        return self.join(index // 12, index % 12 + 1, 1)

    def is_month_end(self, day: date) -> bool:
        year, month, d = self.split(day)
        return d == self.month_days(year, month)

    def shift_months(self, day: date, months: int) -> date:
        """`day` moved by whole months; a month's last day stays a month's
        last day (31 Shahrivar ↔ 30 Mehr, 30 Esfand of a leap year ↔ 29 Esfand)."""
        year, month, d = self.split(day)
        index = year * 12 + month - 1 + months
        new_year, new_month = index // 12, index % 12 + 1
        last = self.month_days(new_year, new_month)
        return self.join(new_year, new_month, last if d == self.month_days(year, month) else min(d, last))

    def iso(self, day: date) -> str:
        """The day written in this calendar, year first: `2026-03-21`, `1405-01-01`."""
        year, month, d = self.split(day)
        return f"{year:04d}-{month:02d}-{d:02d}"

    def shown(self, day: date) -> str:
        """The day as people write it: ISO for Gregorian, `1405/01/01` for Persian."""
        return self.iso(day).replace("-", "/") if self.name == PERSIAN else day.isoformat()

    def month_numbers(self, ts: np.ndarray, tz_name: str) -> np.ndarray:
        """Month numbers (year*12 + month-1, int32) in `tz_name` of sorted
        epoch seconds: where each month starts as an instant (local midnight
        of its first day; one the clocks skip starts at the jump, as the
        local day of each instant would say), then one cut per month — not a
        time-zone conversion of millions of instants."""
        import numpy as np

        if not len(ts):
            return np.zeros(0, dtype=np.int32)
        zone = ZoneInfo(tz_name)
        lo, hi = (
            self.month_index(datetime.fromtimestamp(int(t), UTC).astimezone(zone).date()) for t in (ts[0], ts[-1])
        )
        starts = [
            datetime.combine(self.month_start(i), time(0), tzinfo=zone).timestamp() for i in range(lo + 1, hi + 1)
        ]
        cuts = np.searchsorted(ts, np.array(starts, dtype=np.int64), side="left")
        counts = np.diff(np.concatenate(([0], cuts, [len(ts)])))
        return np.repeat(np.arange(lo, hi + 1, dtype=np.int32), counts)


GREGORIAN_CALENDAR = Calendar(GREGORIAN, 1970, 2100)
PERSIAN_CALENDAR = Calendar(PERSIAN, 1349, 1478)  # 1 Farvardin 1349 = 1970-03-21; 1478 ends in 2100

# Month names a period may be written with (lower case): Persian, and the
# Latin transliteration, each → month number.
MONTH_NAMES = {
    name.lower(): number
    for names in (MONTH_NAMES_FA, MONTH_NAMES_EN)
    for number, name in enumerate(names)
    if name is not None
}


def calendar_named(name: str) -> Calendar:
    return PERSIAN_CALENDAR if name == PERSIAN else GREGORIAN_CALENDAR
