"""Messages and errors from below commands (storage.problems.Said,
Problem and its kin, storage.fields.FieldError, analytics.periods.PeriodError)
in the reader's language.

Those layers cannot import the catalog, so each carries its English text
with `{name}` placeholders (the msgid) and the values; here the text is
looked up in the catalog and filled, the values written as the language
writes them: a nested message said in it too, whole numbers and days in
its digits (a day in the error's calendar; a Count grouped), text — what
the user typed, an id — as it is. English is the message's own str(),
byte for byte.
"""

from datetime import UTC, date, datetime, tzinfo
from typing import Protocol, TypeGuard

from analytics.calendars import GREGORIAN, GREGORIAN_CALENDAR, Calendar
from commands.format import digits, moment, number
from commands.i18n import DEFAULT_LANGUAGE, _
from storage.fields import FieldError
from storage.problems import Count, Said, english


class Told(Protocol):
    """What every translatable message has: a msgid and the values to fill it."""

    @property
    def message(self) -> str: ...

    @property
    def values(self) -> dict[str, object]: ...


def said(
    lang: str, message: str, values: dict[str, object], calendar: Calendar = GREGORIAN_CALENDAR, tz: tzinfo = UTC
) -> str:
    """`message` (a msgid from below) in `lang`, filled with `values`; an
    instant among them is said in `tz` (the workspace's zone)."""
    if lang == DEFAULT_LANGUAGE:
        return english(message, {k: _english(v, calendar, tz) for k, v in values.items()})
    return _(lang, message, **{k: _value(v, lang, calendar, tz) for k, v in values.items()})


def told(lang: str, error: Told, tz: tzinfo = UTC, calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """The message's (or error's) text in `lang` (its str() in English): its
    days in its own calendar, else `calendar`, its instants in `tz`."""
    return said(lang, error.message, error.values, getattr(error, "calendar", calendar), tz)


def _english(value: object, calendar: Calendar, tz: tzinfo) -> object:
    if isinstance(value, Said) or is_told(value):
        return _nested(DEFAULT_LANGUAGE, value, calendar, tz)
    if _instant(value):
        # English in the Gregorian calendar keeps the UTC text (str() of the message), byte for byte
        return value if calendar.name == GREGORIAN else moment(value, tz, calendar)
    return calendar.shown(value) if isinstance(value, date) else value


def _instant(value: object) -> TypeGuard[datetime]:
    return isinstance(value, datetime) and value.tzinfo is not None


def _value(value: object, lang: str, calendar: Calendar, tz: tzinfo) -> object:
    if isinstance(value, Said) or is_told(value):
        return _nested(lang, value, calendar, tz)
    if isinstance(value, bool):
        return value
    if isinstance(value, Count):
        return number(value, lang)
    if _instant(value):
        return moment(value, tz, calendar, lang)
    if isinstance(value, date):
        return digits(calendar.shown(value), lang)
    if isinstance(value, int):
        return digits(str(value), lang)
    if isinstance(value, float):
        return digits(f"{value:g}", lang)
    return value


def _nested(lang: str, value: Told, calendar: Calendar, tz: tzinfo) -> str:
    """A message (or an error) among another's values, said in the same
    language and zone (and calendar, unless it has its own)."""
    return said(lang, value.message, value.values, getattr(value, "calendar", calendar), tz)


def is_told(value: object) -> TypeGuard[Told]:
    """Whether `value` is an error this module can translate."""
    return (
        isinstance(value, Exception)
        and isinstance(getattr(value, "message", None), str)
        and isinstance(getattr(value, "values", None), dict)
    )


def fix_told(lang: str, error: FieldError) -> str:
    """How to fix a bad value (FieldError.fix) in `lang`."""
    return said(lang, error.fix_message, error.values)
