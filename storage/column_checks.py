"""Checking an import file's column a batch of rows at a time.

Row by row, each cell costs a handful of Python calls, which at 8.7M orders
was most of an import's time. A column at a time, a batch of well-formed
cells is checked by one regular expression over the joined cells, or parsed
once per distinct value. Each function here returns exactly what the row
by row path (storage.importer._validated) would store for every cell, or
None when it cannot promise that — any cell it would refuse, or a case it
does not know — and the batch then goes row by row, so every rejection
keeps its line, column and words.
"""

import re
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from storage import fields as F

# The stored form of an instant (storage.fields.timestamp keeps it as written).
_STORED_TIMES = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\n)*")
# Amounts float() reads as written (storage.fields.amount's own fast case).
_PLAIN_AMOUNTS = re.compile(r"(?:[0-9]+(?:\.[0-9]{0,6})?\n)*")


def checked_column(
    values: Sequence[str] | None, n: int, parse: Callable[[str], object], default: object, required: bool
) -> Sequence[object] | None:
    """The stored values of one column of `n` rows (`values` None: the file
    has no such column), or None if some cell needs the row by row path."""
    if values is None:
        return None if default is None and required else [default] * n
    if parse is F.text:
        return _texts(values, default, required)
    if isinstance(parse, partial) and parse.func is F.timestamp:
        stored = _stored_times(values, default, required)
        if stored is not None:
            return stored
    if parse is F.amount and _PLAIN_AMOUNTS.fullmatch("\n".join(values) + "\n"):
        amounts = list(map(float, values))
        if max(amounts, default=0.0) <= F.MAX_AMOUNT:
            return amounts
    return _by_distinct_value(values, parse, default, required)


def _texts(values: Sequence[str], default: object, required: bool) -> list | None:
    """F.text of each cell: its stripped text, or None for a blank one,
    which only a column with neither default nor requirement may have."""
    out = [v.strip() or None for v in values]
    if (required or default is not None) and None in out:
        return None
    return out


def _stored_times(values: Sequence[str], default: object, required: bool) -> Sequence[object] | None:
    """A column of times all in the stored form (blanks allowed where a
    blank is stored as None): kept as written once each is a real instant."""
    present = [v for v in values if v]
    if not _STORED_TIMES.fullmatch("\n".join(present) + "\n"):
        return None
    years = {v[:4] for v in present}
    if years and not str(F.FIRST_YEAR) <= min(years) <= max(years) <= str(F.LAST_YEAR):
        return None
    try:
        deque(map(datetime.fromisoformat, present), maxlen=0)  # each one parsed, at C speed
    except ValueError:
        return None
    if "" not in values:
        return values
    if required or default is not None:
        return None
    return [v or None for v in values]


def _by_distinct_value(
    values: Sequence[str], parse: Callable[[str], object], default: object, required: bool
) -> list | None:
    """Each distinct cell parsed once, with the row by row path's own rule
    for a blank cell: currencies, statuses, segments, reps and days repeat
    across a batch."""
    table: dict[str, object] = {}
    for v in set(values):
        if v and ((v[0] != " " and v[-1] != " ") or v.strip()):
            try:
                table[v] = parse(v)
            except F.FieldError:
                return None
        elif default is None and required:
            return None
        else:
            table[v] = default
    return list(map(table.__getitem__, values))
