"""How fresh the data is when it comes from live sources: up to when the
least recent source synced, from which sources, and whether it is stale
(a source failing, or no sync for `stale_after`). Read from the store's
`sources` table; None when no live source ever synced (CSV imports only)."""

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.fields import format_utc
from storage.sources.state import load_source_states, load_stale_after


def compute_freshness(db: Database, now: datetime) -> dict[str, Any] | None:
    states = load_source_states(db)
    if not states:
        return None
    synced = [s for s in states if s["synced_at"]]
    data_to = min((s["synced_at"] for s in synced), default=None)
    failing = [s for s in states if s["failing_since"]]
    hours = load_stale_after(db)
    old = data_to is None or data_to < format_utc(now - timedelta(hours=hours))
    return {
        "data_to": data_to,
        "sources": [s["name"] for s in synced],
        "failing": [s["name"] for s in failing],
        "failing_since": min((s["failing_since"] for s in failing), default=None),
        "stale_after_hours": hours,
        "stale": old or bool(failing),
    }
