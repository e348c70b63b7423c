"""SQLite store: open/migrate, import, load_* queries, upsert_* writes."""

import sys


def _import_sqlite_utils() -> None:
    """Import sqlite-utils with pandas and numpy hidden, unless already loaded.

    sqlite-utils imports both when installed, only to map their scalar types
    to column types of tables it creates; every table here is created by a
    migration with declared types. They cost ~0.35 s, most of a CLI start
    (`--help`, `config`, `status` start within 0.5 s), so the maths loads
    them when it runs instead. Every module of this package imports
    sqlite-utils after this one.
    """
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    if "sqlite_utils" in sys.modules or not hidden:
        return
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # an ImportError, which sqlite-utils expects
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


_import_sqlite_utils()

from storage.db import StoreError, open_db  # noqa: E402

__all__ = ["StoreError", "open_db"]
