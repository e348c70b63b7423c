"""Number formatting shared by every message: one place decides how money,
counts, rates and deltas look."""

import math
from datetime import date, tzinfo

from analytics.calendars import GREGORIAN, GREGORIAN_CALENDAR, Calendar, calendar_named
from storage.fields import local_day

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_MINOR_UNITS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "IRR", "AMD"})


def money(value: float | None, currency: str = "USD", *, cents: bool = False) -> str:
    """Whole units (`$2,155`, `$600`), so figures side by side line up; with
    `cents` for what is priced per order (an order, the average order).
    Currencies without minor units (JPY) never show them."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sym = _SYMBOLS.get(currency)
    decimals = 2 if cents and currency not in _NO_MINOR_UNITS else 0
    body = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency}"


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 customer`, `2 customers` (`many` for irregular plurals)."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def pct(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{decimals}f}%"


def delta(now: float | None, before: float | None, *, unit: str = " pts", decimals: int = 1) -> str:
    """▲/▼ change from the previous period ("▲ 2.3 pts"), or "" if unknown."""
    if now is None or before is None or any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return ""
    d = now - before
    if round(d, decimals) == 0:
        return "▬ no change"
    arrow = "▲" if d > 0 else "▼"
    return f"{arrow} {abs(d):,.{decimals}f}{unit}"


def day(value, tz: tzinfo, calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """A stored UTC instant shown as its local day in `tz` (YYYY-MM-DD); a
    plain date as it is. The zone is required: a UTC day shown as local is
    the next day for an evening order in the Americas. In the Persian
    calendar the day is written as Persians write it (1405/01/01); JSON
    keeps ISO days, so only messages pass a calendar."""
    if not value:
        return "—"
    text = str(value)
    shown = local_day(text, tz) if len(text) == 20 and text.endswith("Z") else text[:10]
    return shown if calendar.name == GREGORIAN else calendar.shown(date.fromisoformat(shown))


def date_in(value: date, calendar: Calendar) -> str:
    """A local date as `calendar` writes it: 2026-03-21, 1405/01/01."""
    return calendar.shown(value)


def calendar_of(period: dict) -> Calendar:
    """The calendar of a period's JSON (`calendar` is there when not Gregorian)."""
    return calendar_named(period.get("calendar", GREGORIAN))


def span(period: dict) -> str:
    """A period's days, "start → end", in the period's own calendar (its
    JSON keeps ISO Gregorian days)."""
    cal = calendar_of(period)
    return f"{cal.shown(date.fromisoformat(period['start']))} → {cal.shown(date.fromisoformat(period['end']))}"
