"""The `sources` table: where each live source's sync stands. Every write
here runs inside the caller's transaction (the cursor beside the batch's
rows) or opens its own."""

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from storage.db import transaction
from storage.fields import format_utc
from storage.problems import Said, said_from_json, said_to_json
from storage.settings import load_meta, upsert_meta

STALE_META = "sources_stale_after_hours"  # the sources file's [sync] stale_after, as the last sync read it
DEFAULT_STALE_AFTER_HOURS = 36.0

COLUMNS = (
    "name",
    "kind",
    "cursor",
    "batch_at",
    "synced_at",
    "attempted_at",
    "added",
    "updated",
    "last_error",
    "error_message",
    "failing_since",
    "notified_at",
)


def load_source_states(db: Database) -> list[dict[str, Any]]:
    """Every source that ever synced, by name."""
    return list(db.query(f"SELECT {', '.join(COLUMNS)} FROM sources ORDER BY name"))  # noqa: S608


def load_source_state(db: Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {', '.join(COLUMNS)} FROM sources WHERE name = :name", {"name": name}))  # noqa: S608
    return rows[0] if rows else None


def save_cursor(db: Database, name: str, kind: str, cursor: str | None, now: datetime, *, changed: bool) -> None:
    """Where `name` resumes: call inside the transaction that stores the
    batch's rows, so rows and cursor are committed together or not at all.
    A batch that `changed` rows counts in `changes` (schema m011): the
    store's content key, so a sync that only moves a cursor leaves the
    answers' order data as it is."""
    db.execute(
        "INSERT INTO sources (name, kind, cursor, batch_at, changes) VALUES (:name, :kind, :cursor, :at, :changes) "
        "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, cursor = excluded.cursor, "
        "batch_at = excluded.batch_at, changes = sources.changes + excluded.changes",
        {"name": name, "kind": kind, "cursor": cursor, "at": format_utc(now), "changes": int(changed)},
    )


def record_sync(
    db: Database,
    name: str,
    kind: str,
    now: datetime,
    *,
    added: int,
    updated: int,
    error: str | None,
    said: Said | None = None,
) -> bool:
    """The end of a sync that started at `now`: a success moves `synced_at`
    (how fresh the data is), keeps what it `added` and `updated` and ends
    any failure episode; a failure keeps the episode's start, its English
    `error` and, to say it in another language, `said` (its message and
    values, secrets scrubbed), and leaves the last success's counts: status
    says them beside that sync's time. Returns True when this failure starts
    an episode."""
    at = format_utc(now)
    with transaction(db):
        before = load_source_state(db, name)
        starts = error is not None and (before is None or before["failing_since"] is None)
        db.execute(
            "INSERT INTO sources (name, kind) VALUES (:name, :kind) ON CONFLICT(name) DO NOTHING",
            {"name": name, "kind": kind},
        )
        if error is None:
            db.execute(
                "UPDATE sources SET kind = :kind, synced_at = :at, attempted_at = :at, added = :added, "
                "updated = :updated, last_error = NULL, error_message = NULL, failing_since = NULL, notified_at = NULL "
                "WHERE name = :name",
                {"name": name, "kind": kind, "at": at, "added": added, "updated": updated},
            )
        else:
            db.execute(
                "UPDATE sources SET attempted_at = :at, last_error = :error, error_message = :said, "
                "failing_since = COALESCE(failing_since, :at) WHERE name = :name",
                {
                    "name": name,
                    "at": at,
                    "error": error,
                    "said": said_to_json(said) if said is not None else None,
                },
            )
    return starts


def stored_error(state: dict[str, Any]) -> Said | None:
    """A source's last failure as its message and values (from
    `load_source_state`), or None: it synced, or it failed before the store
    kept them (schema m012) and only its English is known."""
    text = state.get("error_message")
    return said_from_json(text) if text and state.get("last_error") else None


def mark_failure_notified(db: Database, name: str, now: datetime) -> None:
    """Record when admins were first told of `name`'s current failure episode
    (for `status`). What makes the notice once per episode, whatever the
    number of processes, is its outbox key, which names the episode."""
    with transaction(db):
        db.execute(
            "UPDATE sources SET notified_at = :at WHERE name = :name AND failing_since IS NOT NULL "
            "AND notified_at IS NULL",
            {"name": name, "at": format_utc(now)},
        )


def save_stale_after(db: Database, hours: float) -> None:
    """Remember the sources file's `stale_after` for the answers and the
    digest (which read the store, not the file)."""
    with transaction(db):
        if load_meta(db, STALE_META) != hours:
            upsert_meta(db, STALE_META, hours)


def load_stale_after(db: Database) -> float:
    value = load_meta(db, STALE_META)
    return float(value) if value is not None else DEFAULT_STALE_AFTER_HOURS


FILE_PROBLEM_META = "sources_file_problem"  # the sources file's current problem and since when


def record_file_problem(db: Database, problem: str, now: datetime) -> str:
    """The episode of the sources file's `problem` (an id of what is wrong):
    when it started, kept while the same problem stays; a different one
    starts a new episode. Its start names the admins' notice, as a failing
    source's `failing_since` does, so each distinct problem is told once."""
    with transaction(db):
        before = load_meta(db, FILE_PROBLEM_META)
        if before and before.get("problem") == problem:
            return str(before["since"])
        since = format_utc(now)
        upsert_meta(db, FILE_PROBLEM_META, {"problem": problem, "since": since})
        return since


def clear_file_problem(db: Database) -> None:
    """The sources file reads again: its problem's episode ends, so the
    same mistake made again later is told again."""
    with transaction(db):
        if load_meta(db, FILE_PROBLEM_META) is not None:
            upsert_meta(db, FILE_PROBLEM_META, None)
