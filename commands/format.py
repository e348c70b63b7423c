"""Number formatting shared by every message: one place decides how money,
counts, rates and deltas look — in each language's own way (CLDR data via
Babel: grouping and decimal marks, percent, currency symbols; Persian
digits in Persian text). English keeps its own f-string formats, so its
output never changes with a Babel release, and never imports Babel."""

import math
import re
from datetime import date, datetime, tzinfo

from analytics.calendars import GREGORIAN, GREGORIAN_CALENDAR, Calendar, calendar_named
from commands.i18n import DEFAULT_LANGUAGE, LOCALES, _, _n
from storage.fields import local_day

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_MINOR_UNITS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "IRR", "AMD", "IRT"})
# Toman: a tenth of the Iranian rial's worth, how Iranians say prices. Not
# an ISO code; `IRT` is the display currency when the `toman` setting is on.
TOMAN = "IRT"
_PERSIAN_DIGITS = str.maketrans("0123456789%", "۰۱۲۳۴۵۶۷۸۹٪")
_LOCAL_SYMBOLS = {
    "hy": {"AMD": "֏", "IRR": "ریال", TOMAN: "թուման"},
    "fa": {"IRR": "ریال", TOMAN: "تومان", "AMD": "درام", "USD": "دلار", "EUR": "یورو"},
}


def digits(text: str, lang: str) -> str:
    """`text` with the language's digits (Persian ۰–۹ and ٪ for `fa`): for
    numbers and dates in prose, never for ids or code."""
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def number(value: float, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """A grouped number in the language's marks: `1,234.5`, `1 234,5`, `۱٬۲۳۴٫۵`."""
    if lang == DEFAULT_LANGUAGE:
        return f"{value:,.{decimals}f}"
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(round(value, decimals), format=pattern, locale=LOCALES[lang], numbering_system="default")
    return digits(text, lang)


def money(value: float | None, currency: str = "USD", *, cents: bool = False, lang: str = DEFAULT_LANGUAGE) -> str:
    """Whole units (`$2,155`, `$600`), so figures side by side line up; with
    `cents` for what is priced per order (an order, the average order).
    Currencies without minor units (JPY, AMD, IRR) never show them. In
    Armenian and Persian the symbol follows the number (`1 234 ֏`,
    `۱٬۲۳۴ ریال`); toman (`IRT`) shows the rial amount divided by ten."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if currency == TOMAN:
        value = value / 10
    decimals = 2 if cents and currency not in _NO_MINOR_UNITS else 0
    if lang == DEFAULT_LANGUAGE:
        sym = _SYMBOLS.get(currency) or ("toman" if currency == TOMAN else None)
        body = f"{abs(value):,.{decimals}f}"
        sign = "-" if value < 0 else ""
        if currency == TOMAN:
            return f"{sign}{body} {sym}"
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency}"
    symbol = currency_name(currency, lang)
    sign = "-" if value < 0 else ""
    return f"{sign}{number(abs(value), lang, decimals)} {symbol}"


def count(value: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return "—" if value is None else number(value, lang)


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 customer`, `2 customers` (`many` for irregular plurals). English
    only: translated messages use i18n._n with the whole sentence."""
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def pct(value: float | None, decimals: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if lang == DEFAULT_LANGUAGE:
        return f"{value:.{decimals}f}%"
    shown = number(value, lang, decimals).replace("\u00a0", "").replace(" ", "").replace("٬", "")
    return digits(f"{shown}%", lang) if lang == "fa" else f"{shown}%"


def delta(
    now: float | None,
    before: float | None,
    *,
    unit: str = " pts",
    decimals: int = 1,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """▲/▼ change from the previous period ("▲ 2.3 pts"), or "" if unknown.
    `unit` is " pts" (percentage points), "%" or ""."""
    if now is None or before is None or any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return ""
    d = now - before
    if round(d, decimals) == 0:
        return _(lang, "▬ no change")
    arrow = "▲" if d > 0 else "▼"
    if lang == DEFAULT_LANGUAGE:
        return f"{arrow} {abs(d):,.{decimals}f}{unit}"
    shown = number(abs(d), lang, decimals)
    if unit == " pts":
        return _(lang, "{arrow} {value} pts", arrow=arrow, value=shown)
    return f"{arrow} {shown}{digits(unit, lang)}"


def day(value, tz: tzinfo, calendar: Calendar = GREGORIAN_CALENDAR, lang: str = DEFAULT_LANGUAGE) -> str:
    """A stored UTC instant shown as its local day in `tz` (YYYY-MM-DD); a
    plain date as it is. The zone is required: a UTC day shown as local is
    the next day for an evening order in the Americas. In the Persian
    calendar the day is written as Persians write it (1405/01/01); JSON
    keeps ISO days, so only messages pass a calendar."""
    if not value:
        return "—"
    text = str(value)
    shown = local_day(text, tz) if len(text) == 20 and text.endswith("Z") else text[:10]
    shown = shown if calendar.name == GREGORIAN else calendar.shown(date.fromisoformat(shown))
    return digits(shown, lang)


def moment(value: datetime, tz: tzinfo, calendar: Calendar = GREGORIAN_CALENDAR, lang: str = DEFAULT_LANGUAGE) -> str:
    """An instant as people in `tz` read it: its local day in `calendar` and
    time to the minute (`2026-10-01 04:30`, `۱۴۰۵/۰۷/۰۹ ۰۴:۳۰`)."""
    local = value.astimezone(tz)
    return digits(f"{calendar.shown(local.date())} {local:%H:%M}", lang)


def date_in(value: date, calendar: Calendar) -> str:
    """A local date as `calendar` writes it: 2026-03-21, 1405/01/01."""
    return calendar.shown(value)


def calendar_of(period: dict) -> Calendar:
    """The calendar of a period's JSON (`calendar` is there when not Gregorian)."""
    return calendar_named(period.get("calendar", GREGORIAN))


def span(period: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """A period's days, "start → end", in the period's own calendar (its
    JSON keeps ISO Gregorian days)."""
    cal = calendar_of(period)
    shown = f"{cal.shown(date.fromisoformat(period['start']))} → {cal.shown(date.fromisoformat(period['end']))}"
    return digits(shown, lang)


# The forms analytics.periods writes a label in (English, the JSON's).
_WEEK = re.compile(r"^week of (\S+)(?: to date \((\S+)\)| to (\S+))?$")
_LAST = re.compile(r"^last (\d+) (day|week)s?$")
_TO_DATE = re.compile(r"^(\S+) to date \((\S+)\)$")
_TO = re.compile(r"^(\S+) to (\S+)$")
_SINCE = re.compile(r"^since (\S+)$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PERSIAN_MONTHS = {
    "fa": ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"),
    "hy": (
        "ֆարվարդին",
        "օրդիբեհեշտ",
        "խորդադ",
        "թիր",
        "մորդադ",
        "շահրիվար",
        "մեհր",
        "աբան",
        "ազար",
        "դեյ",
        "բահման",
        "էսֆանդ",
    ),
}


def period_label(period: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """A period's label (its JSON `label`, English) as the language says it:
    `Q3 2026` → `سه‌ماههٔ ۳ سال ۲۰۲۶`, `1405-01` → `فروردین ۱۴۰۵`,
    `last 30 days` → `۳۰ روز گذشته`; English as it is."""
    label = period["label"]
    if lang == DEFAULT_LANGUAGE:
        return label
    persian = period.get("calendar") == "persian"
    m = _WEEK.match(label)
    if m:
        first, to_date, end = (digits(g, lang) if g else None for g in m.groups())
        if to_date:
            return _(lang, "week of {day} to date ({end})", day=first, end=to_date)
        if end:
            return _(lang, "week of {day} to {end}", day=first, end=end)
        return _(lang, "week of {day}", day=first)
    m = _LAST.match(label)
    if m:
        n = int(m.group(1))
        if m.group(2) == "day":
            return _n(lang, "last {count} day", "last {count} days", n, count=count(n, lang))
        return _n(lang, "last {count} week", "last {count} weeks", n, count=count(n, lang))
    m = _TO_DATE.match(label)
    if m:
        return _(
            lang, "{unit} to date ({day})", unit=_unit_label(m.group(1), persian, lang), day=digits(m.group(2), lang)
        )
    m = _SINCE.match(label)
    if m:
        return _(lang, "since {day}", day=digits(m.group(1), lang))
    m = _TO.match(label)
    if m:
        return _(lang, "{unit} to {day}", unit=_unit_label(m.group(1), persian, lang), day=digits(m.group(2), lang))
    return _unit_label(label, persian, lang)


def month_label(month: str, calendar: Calendar, lang: str = DEFAULT_LANGUAGE) -> str:
    """A month of `calendar` (`1405-01`, `2026-11`) as the language names it
    (`فروردین ۱۴۰۵`, `noyemberi 2026`); English keeps `2026-11`."""
    return month if lang == DEFAULT_LANGUAGE else _unit_label(month, calendar.name != GREGORIAN, lang)


def currency_name(currency: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a chart's axis calls the currency: the ISO code in English
    (`USD`), the symbol or word `money` writes in the other languages."""
    if lang == DEFAULT_LANGUAGE:
        return currency
    from babel.numbers import get_currency_symbol

    return _LOCAL_SYMBOLS.get(lang, {}).get(currency) or get_currency_symbol(currency, LOCALES[lang])


def compact(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A chart tick: `1.5k`, `2.5M`; `۱٫۵ هزار`, `2,5 մլն`."""
    if lang == DEFAULT_LANGUAGE:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
        return f"{value:.0f}"
    from babel.numbers import format_compact_decimal

    text = format_compact_decimal(value, locale=LOCALES[lang], fraction_digits=1, numbering_system="default")
    return digits(text, lang)


def _unit_label(unit: str, persian: bool, lang: str) -> str:
    m = _QUARTER.match(unit)
    if m:
        return _(lang, "Q{quarter} {year}", quarter=digits(m.group(2), lang), year=digits(m.group(1), lang))
    m = _MONTH.match(unit)
    if m and 1 <= int(m.group(2)) <= 12:
        month = int(m.group(2))
        if persian:
            name = _PERSIAN_MONTHS[lang][month - 1]
        else:
            from babel.dates import get_month_names

            name = get_month_names("wide", context="stand-alone", locale=LOCALES[lang])[month]
        return f"{name} {digits(m.group(1), lang)}"
    return digits(unit.replace("..", " → "), lang)
