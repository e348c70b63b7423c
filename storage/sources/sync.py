"""The sync engine: a source's batches into the store, one transaction each.

Each batch goes through the file importer's own validation and merge
(`stage_rows`, `merge_staged`: one copy of the rules), and its cursor is
saved in the same transaction as its rows. So a sync killed at any moment
leaves the store as of its last committed batch, and the next sync resumes
right after it: the rows end up exactly those of an uninterrupted sync.
A batch with an invalid row is refused whole (nothing of it written, the
cursor not moved) unless the source says `skip_invalid = true`; the sync of
that source stops there, the other sources go on.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlite_utils import Database

from storage.db import transaction
from storage.formats import FileRejected
from storage.importer import ImportRejected, ImportReport, drop_stage, merge_staged, stage_rows
from storage.problems import N_, Said, english
from storage.sources import Source, SourceConfig, SourceError, open_source, redact, scrubbed
from storage.sources.state import load_source_state, record_sync, save_cursor, save_stale_after

log = logging.getLogger(__name__)
MAX_LISTED = 1000

# (rows stored so far in this sync, rows expected in all or None)
Progress = Callable[[int, int | None], None]


INVALID_ROW = N_(
    "{count} invalid row in a batch of {rows}; nothing of that batch was stored. Fix the rows at the source, "
    "or set skip_invalid = true for this source to store the rest"
)
INVALID_BATCH = N_(
    "{count} invalid rows in a batch of {rows}; nothing of that batch was stored. Fix the rows at the source, "
    "or set skip_invalid = true for this source to store the rest"
)


class _DryRun(Exception):
    pass


@dataclass
class SyncReport:
    source: str
    kind: str
    full: bool = False
    dry_run: bool = False
    batches: int = 0
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    customers_created: int = 0
    won_back: int = 0
    unwon: int = 0
    cursor: str | None = None
    errors: list[str] = field(default_factory=list)  # rejected rows: "source NAME, row id ID: column: problem (fix)"
    error: str | None = None  # what stopped the sync of this source
    # `error` as a catalog msgid and its values, when storage wrote it (commands says it in the admin's language)
    error_message: str | None = field(default=None, repr=False)
    error_values: dict[str, object] = field(default_factory=dict, repr=False)
    # the batches whose rows were rejected or skipped, for `errors` in another language (not in to_dict)
    batch_reports: list[ImportReport] = field(default_factory=list, repr=False)
    failure_started: bool = False  # this failure starts a failure episode (admins are told once)

    @property
    def ok(self) -> bool:
        return self.error is None

    def said(self) -> Said | None:
        """`error` as its message and values (None when it is only English)."""
        return Said(self.error_message, self.error_values) if self.error_message is not None else None

    def add(self, r: ImportReport) -> None:
        self.batches += 1
        self.rows += r.rows
        self.added += r.added
        self.updated += r.updated
        self.unchanged += r.unchanged
        self.rejected += r.rejected
        self.customers_created += r.customers_created
        self.won_back += r.won_back
        self.unwon += r.unwon

    def summary(self) -> str:
        verb = "would sync" if self.dry_run else "synced"
        if self.error and not self.batches:
            return f"{self.source}: failed: {self.error}"
        if not self.added and not self.updated and not self.rejected:
            text = f"{self.source}: no changes"
        else:
            text = f"{self.source}: {verb} {self.added:,} added, {self.updated:,} updated"
            extra = []
            if self.rejected:
                extra.append(f"{self.rejected:,} rejected")
            if self.customers_created:
                extra.append(f"{self.customers_created:,} new customers")
            if self.won_back:
                extra.append(f"{self.won_back:,} follow-ups won back")
            if self.unwon:
                extra.append(f"{self.unwon:,} won-back follow-ups reopened")
            if extra:
                text += " (" + ", ".join(extra) + ")"
        if self.error:
            text += f"; then failed: {self.error}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "ok": self.ok,
            "full": self.full,
            "dry_run": self.dry_run,
            "batches": self.batches,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "customers_created": self.customers_created,
            "won_back": self.won_back,
            "unwon": self.unwon,
            "cursor": self.cursor,
            "errors": self.errors,
            "error": self.error,
        }


def sync_source(
    db: Database,
    source: Source,
    *,
    now: datetime,
    tz: tzinfo,
    full: bool = False,
    dry_run: bool = False,
    secrets: list[str] | None = None,
    on_progress: Progress | None = None,
) -> SyncReport:
    """Sync one opened source into the store (see the module's docstring).
    `now`: when the sync started, the freshness it gives the data. `full`:
    read everything again (rows are upserted, nothing is deleted).
    `dry_run`: validate and count each batch, write nothing (not even the
    cursor). Failures are in the report (`error`), never raised, except the
    store's own (sqlite3 errors)."""
    config = source.config
    report = SyncReport(config.name, config.kind, full=full, dry_run=dry_run)
    state = load_source_state(db, config.name)
    cursor = None if full or state is None or state["kind"] != config.kind else state["cursor"]
    report.cursor = cursor
    try:
        for batch in source.batches(cursor):
            if batch.rows:
                report.add(_store_batch(db, config, batch.kind, batch.rows, batch.cursor, now, tz, dry_run, report))
            elif not dry_run and batch.cursor != report.cursor:
                with transaction(db):
                    save_cursor(db, config.name, config.kind, batch.cursor, now, changed=False)
            report.cursor = batch.cursor
            if on_progress:
                on_progress(report.rows, batch.total)
    except ImportRejected as e:  # the batch was not stored: only its rejections count
        report.rows += e.report.rows
        report.rejected += e.report.rejected
        report.errors += e.report.lines()[:MAX_LISTED]
        report.batch_reports.append(e.report)
        report.error_message = INVALID_BATCH if e.report.rejected != 1 else INVALID_ROW
        report.error_values = {"count": e.report.rejected, "rows": e.report.rows}
        report.error = english(report.error_message, report.error_values)
    except SourceError as e:
        _failed(report, e, secrets or [])
    if not dry_run:
        report.failure_started = record_sync(
            db,
            config.name,
            config.kind,
            now,
            added=report.added,
            updated=report.updated,
            error=report.error,
            said=report.said(),
        )
    if report.error:
        log.info("sync of source %s failed: %s", config.name, report.error)
    return report


def _failed(report: SyncReport, e: SourceError, secrets: list[str]) -> None:
    """What stopped the sync, in English and as msgid and values, every secret
    scrubbed from both (a driver's error may quote the URL)."""
    report.error = redact(str(e), secrets)
    clean = scrubbed(e.message, e.values, secrets)
    report.error_message, report.error_values = clean.message, clean.values


def _store_batch(
    db: Database,
    config: SourceConfig,
    kind: str,
    rows: list[dict[str, str | None]],
    cursor: str | None,
    now: datetime,
    tz: tzinfo,
    dry_run: bool,
    report: SyncReport,
) -> ImportReport:
    batch = ImportReport(
        kind=kind,
        file=f"source {config.name}",
        format=config.kind,
        dry_run=dry_run,
        row_ids=[str(r.get("id") or "?") for r in rows],
    )
    try:
        stage = stage_rows(db, kind, enumerate(rows, 1), batch, tz=tz, require_id=True)
        with transaction(db):
            merge_staged(db, kind, stage, batch, skip_invalid=config.skip_invalid, now=now, tz=tz, record=False)
            if dry_run:
                raise _DryRun
            save_cursor(db, config.name, config.kind, cursor, now, changed=bool(batch.added or batch.updated))
    except _DryRun:
        pass
    except FileRejected as e:  # not raised for a batch with rows; kept for a clear message if it ever is
        raise SourceError(
            N_("source {source}: {problem} ({fix})"),
            source=config.name,
            problem=Said(e.message, e.values),
            fix=Said(e.fix_message, e.values),
        ) from None
    finally:
        drop_stage(db, kind)
    report.errors += batch.lines()[: max(0, MAX_LISTED - len(report.errors))]
    if batch.errors or batch.skipped or batch.notes:
        report.batch_reports.append(batch)
    return batch


def sync_sources(
    db: Database,
    configs: list[SourceConfig],
    env: Mapping[str, str],
    *,
    now: datetime,
    tz: tzinfo,
    full: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[str], Progress | None] | None = None,
    stale_after_hours: float | None = None,
) -> list[SyncReport]:
    """Sync each source in turn; one that fails does not stop the others.
    `on_progress(name)` gives the progress callback for a source (or None);
    `stale_after_hours`: the file's [sync] stale_after, kept for answers."""
    if stale_after_hours is not None and not dry_run:
        save_stale_after(db, stale_after_hours)
    reports = []
    for config in configs:
        secrets = config.secret_values(env)
        try:
            source = open_source(config, env)
        except SourceError as e:
            report = SyncReport(config.name, config.kind, full=full, dry_run=dry_run)
            _failed(report, e, secrets)
            if not dry_run:
                report.failure_started = record_sync(
                    db, config.name, config.kind, now, added=0, updated=0, error=report.error, said=report.said()
                )
            reports.append(report)
            continue
        try:
            progress = on_progress(config.name) if on_progress else None
            reports.append(
                sync_source(
                    db,
                    source,
                    now=now,
                    tz=tz,
                    full=full,
                    dry_run=dry_run,
                    secrets=secrets,
                    on_progress=progress,
                )
            )
        finally:
            source.close()
    return reports
