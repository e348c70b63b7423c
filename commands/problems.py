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

from datetime import date
from typing import Protocol, TypeGuard

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from commands.format import digits, number
from commands.i18n import DEFAULT_LANGUAGE, _
from storage.fields import FieldError
from storage.problems import Count, Said, english


class Told(Protocol):
    """What every translatable message has: a msgid and the values to fill it."""

    @property
    def message(self) -> str: ...

    @property
    def values(self) -> dict[str, object]: ...


def said(lang: str, message: str, values: dict[str, object], calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """`message` (a msgid from below) in `lang`, filled with `values`."""
    if lang == DEFAULT_LANGUAGE:
        return english(message, {k: _english(v, calendar) for k, v in values.items()})
    return _(lang, message, **{k: _value(v, lang, calendar) for k, v in values.items()})


def told(lang: str, error: Told) -> str:
    """The message's (or error's) text in `lang` (its str() in English)."""
    return said(lang, error.message, error.values, getattr(error, "calendar", GREGORIAN_CALENDAR))


def _english(value: object, calendar: Calendar) -> object:
    if isinstance(value, Said) or is_told(value):
        return _nested(DEFAULT_LANGUAGE, value, calendar)
    return calendar.shown(value) if isinstance(value, date) else value


def _value(value: object, lang: str, calendar: Calendar) -> object:
    if isinstance(value, Said) or is_told(value):
        return _nested(lang, value, calendar)
    if isinstance(value, bool):
        return value
    if isinstance(value, Count):
        return number(value, lang)
    if isinstance(value, date):
        return digits(calendar.shown(value), lang)
    if isinstance(value, int):
        return digits(str(value), lang)
    if isinstance(value, float):
        return digits(f"{value:g}", lang)
    return value


def _nested(lang: str, value: Told, calendar: Calendar) -> str:
    """A message (or an error) among another's values, said in the same
    language (and calendar, unless it has its own)."""
    return said(lang, value.message, value.values, getattr(value, "calendar", calendar))


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
