"""SQLite store: open/migrate, import, load_* queries, upsert_* writes."""

from storage.db import StoreError, open_db

__all__ = ["StoreError", "open_db"]
