"""Reading millions of stored values without a Python object per row:
SQLite concatenates a column into one long string in C (group_concat) and
numpy parses it. The one home of that read, for scoring (storage.scores)
and the order frame (storage.order_columns): at a million customers (about
ten million orders) it is seconds instead of tens of seconds.

Each parse checks what it relies on and answers None when a value is not in
the form it expects; the caller then takes the plain, exact road.
"""

import numpy as np

MICRO = 1_000_000  # amounts travel as integer millionths (the importer keeps 6 decimals)

_TIME_MARKS = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":", 19: "Z"}
TIME_WIDTH = 20  # storage.fields.format_utc: YYYY-MM-DDTHH:MM:SSZ


def stored_seconds(raw: bytes, n: int) -> np.ndarray | None:
    """Unix seconds of `n` stored times written back to back, each exactly
    YYYY-MM-DDTHH:MM:SSZ; None when any is not (the caller reads them the
    slow way). One column of digits at a time (a million customers have ten
    million orders); days from the civil date as in H. Hinnant's
    days_from_civil."""
    if len(raw) != n * TIME_WIDTH:
        return None
    chars = np.frombuffer(raw, dtype=np.uint8).reshape(n, TIME_WIDTH)
    for at, mark in _TIME_MARKS.items():
        if not (chars[:, at] == ord(mark)).all():
            return None

    def number(first: int, width: int) -> np.ndarray:
        value = np.zeros(n, dtype=np.int32)
        for at in range(first, first + width):
            digit = chars[:, at] - np.uint8(ord("0"))  # below "0" wraps past 9
            if (digit > 9).any():
                raise ValueError(at)
            value = value * 10 + digit
        return value

    try:
        year, month, day = number(0, 4), number(5, 2), number(8, 2)
        clock = number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2)
    except ValueError:
        return None
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return (era * 146_097 + day_of_era - 719_468).astype(np.int64) * 86_400 + clock


def integers(text: str | None) -> np.ndarray:
    """Whole numbers written `1,2,3` (group_concat's default separator)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def micro_amounts(text: str | None) -> np.ndarray:
    """Amounts sent as integer millionths (SQL: CAST(round(amount * 1000000)
    AS INTEGER)), as the doubles stored: exact for every amount the importer
    writes (the double nearest a number with at most 6 decimals), which the
    SQL side checks with `exact_micro_sql`."""
    return integers(text) / MICRO


def exact_micro_sql(column: str) -> str:
    """SQL true when `column` comes back exactly through millionths (the same
    IEEE division numpy does)."""
    return f"(CAST(round({column} * {MICRO}) AS INTEGER) / {MICRO}.0 = {column})"
