"""Finding customers by any part of a name, company or email without reading
every customer: an FTS5 trigram index over those columns (`customers_search`,
external content: the text stays in `customers` alone), kept current by
triggers on the rows and columns it holds.

A `LIKE '%…%'` over three columns is a scan of every customer: ~0.3 s at a
million, each time a rep types a name. The trigram index answers the same
substring question in milliseconds, for any text of three characters or
more (fewer is too short for a trigram; that still scans). It matches
without case in every script (LIKE folds ASCII only), so `ԱՐԱՄ` finds
`Արամ`.

Where SQLite has no FTS5 or no trigram tokenizer (before 3.34), the index
is not made and search scans as before: the same answers, slower.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

SEARCH = "customers_search"
_COLUMNS = ("name", "company", "email")
_MIN_CHARS = 3  # a trigram
_ROW = ", ".join(_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in _COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in _COLUMNS)
_FORGET = f"INSERT INTO {SEARCH} ({SEARCH}, rowid, {_ROW}) VALUES ('delete', old.rowid, {_OLD});"  # noqa: S608
_LEARN = f"INSERT INTO {SEARCH} (rowid, {_ROW}) VALUES (new.rowid, {_NEW});"  # noqa: S608
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _COLUMNS)
# Only what changes the indexed text: an import rewrites every customer's
# order count and revenue, and a file without emails sets each email to
# itself, neither of which may rewrite the index.
_TRIGGERS = {
    f"{SEARCH}_insert": f"AFTER INSERT ON customers BEGIN {_LEARN} END",
    f"{SEARCH}_delete": f"AFTER DELETE ON customers BEGIN {_FORGET} END",
    f"{SEARCH}_update": f"AFTER UPDATE OF {_ROW} ON customers WHEN {_CHANGED} BEGIN {_FORGET} {_LEARN} END",
}


def can_search(db: Database) -> bool:
    """This SQLite has FTS5 with the trigram tokenizer."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp._trigram_probe USING fts5(x, tokenize = 'trigram')")
    except sqlite3.OperationalError:  # no such module: fts5, or no such tokenizer: trigram
        return False
    db.execute("DROP TABLE temp._trigram_probe")
    return True


def create_search(db: Database) -> None:
    """Make the index over the customers there are, and its triggers."""
    db.execute(
        f"CREATE VIRTUAL TABLE {SEARCH} USING fts5({_ROW}, content = 'customers', content_rowid = 'rowid', "
        "tokenize = 'trigram')"
    )
    _index_all(db)
    _create_triggers(db)


def has_search(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [SEARCH]).fetchone() is not None


@contextmanager
def search_built_after(db: Database) -> Iterator[None]:
    """Index the customers once after the block instead of row by row (a
    first load of a million customers), as their other indexes are. Inside
    the caller's transaction: a failure restores the triggers with the rows."""
    if not has_search(db):
        yield
        return
    for name in _TRIGGERS:
        db.execute(f"DROP TRIGGER {name}")
    yield
    _index_all(db)
    _create_triggers(db)


def search_sql(text: str) -> tuple[str, dict] | None:
    """SQL true for a customer `c` whose name, company or email holds
    `text` (any case), and its arguments; None when `text` is too short for
    the index or holds a NUL (FTS5 reads its query as a C string, so the
    phrase would end there): the caller scans. Use only where has_search(db)."""
    if len(text) < _MIN_CHARS or "\x00" in text:
        return None
    phrase = '"' + text.replace('"', '""') + '"'  # the text as one FTS5 string: no operators in it
    return f"c.rowid IN (SELECT rowid FROM {SEARCH} WHERE {SEARCH} MATCH :phrase)", {"phrase": phrase}  # noqa: S608


def _index_all(db: Database) -> None:
    db.execute(f"INSERT INTO {SEARCH} ({SEARCH}) VALUES ('rebuild')")  # noqa: S608


def _create_triggers(db: Database) -> None:
    for name, body in _TRIGGERS.items():
        db.execute(f"CREATE TRIGGER {name} {body}")
