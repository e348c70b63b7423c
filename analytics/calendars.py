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
from datetime import date, timedelta
from typing import TYPE_CHECKING

from persiantools.jdatetime import MONTH_NAMES_EN, MONTH_NAMES_FA, JalaliDate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

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

    def month_indexes(self, local: pd.DatetimeIndex) -> np.ndarray:
        """Month numbers (year*12 + month-1, int32) of local instants."""
        import numpy as np

        if self.name == GREGORIAN:
            return (local.year * 12 + local.month - 1).to_numpy(np.int32)
        days = local.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
        if not len(days):
            return np.zeros(0, dtype=np.int32)
        epoch = date(1970, 1, 1)
        lo = self.month_index(epoch + timedelta(days=int(days.min())))
        hi = self.month_index(epoch + timedelta(days=int(days.max())))
        starts = np.array([(self.month_start(i) - epoch).days for i in range(lo, hi + 1)], dtype=np.int64)
        return (lo + np.searchsorted(starts, days, side="right") - 1).astype(np.int32)


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
