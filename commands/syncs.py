"""What `retention-bot sync` tells the admin, in the CLI's language: each
source's rejected rows and its one-line report (added, updated, what
stopped it). English is storage's own report text (SyncReport.summary and
errors), byte for byte; in another language the same facts are said from
the catalog, the source's name kept as it is."""

from dataclasses import replace
from datetime import UTC, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from commands import format as fmt
from commands.i18n import DEFAULT_LANGUAGE, _
from commands.imports import merge_notes, rejection_line, report_lines
from commands.problems import said
from storage.sources.sync import MAX_LISTED, SyncReport


def sync_lines(lang: str, report: SyncReport) -> list[str]:
    """The rows the source's batches rejected or skipped."""
    if lang == DEFAULT_LANGUAGE:
        return report.errors
    shown: list[str] = []
    for batch in report.batch_reports:
        ids = batch.row_ids or []
        for rejection in batch.errors:
            where = None
            if rejection.line and rejection.line <= len(ids):
                where = _(lang, "source {source}, row id {id}", source=report.source, id=ids[rejection.line - 1])
            shown.append(rejection_line(lang, rejection, batch.file, batch.row_ids, where))
        shown += report_lines(lang, replace(batch, errors=[], rejected=0))  # what it skipped and inferred
    return shown[:MAX_LISTED]


def sync_error(lang: str, report: SyncReport, calendar: Calendar = GREGORIAN_CALENDAR, tz: tzinfo = UTC) -> str:
    """What stopped the sync of the source, in `lang`: its days in the
    workspace `calendar`, its times in the workspace zone `tz`."""
    if report.error_message is not None:
        return said(lang, report.error_message, report.error_values, calendar, tz)
    return report.error or ""


def sync_summary(lang: str, report: SyncReport, calendar: Calendar = GREGORIAN_CALENDAR, tz: tzinfo = UTC) -> str:
    """One line for the source: what was (or would be) synced, and what stopped it."""
    if lang == DEFAULT_LANGUAGE:
        return report.summary()
    source = report.source
    if report.error and not report.batches:
        return _(lang, "{source}: failed: {error}", source=source, error=sync_error(lang, report, calendar, tz))
    if not report.added and not report.updated and not report.rejected:
        text = _(lang, "{source}: no changes", source=source)
    else:
        n = {"source": source, "added": fmt.count(report.added, lang), "updated": fmt.count(report.updated, lang)}
        if report.dry_run:
            text = _(lang, "{source}: would sync {added} added, {updated} updated", **n)
        else:
            text = _(lang, "{source}: synced {added} added, {updated} updated", **n)
        extra = []
        if report.rejected:
            c = report.rejected
            extra.append(_(lang, "{count} rejected", count=fmt.count(c, lang)))
        extra += merge_notes(lang, report.customers_created, report.won_back, report.unwon)
        if extra:
            text = _(lang, "{summary} ({details})", summary=text, details=_(lang, ", ").join(extra))
    if report.error:
        text = _(lang, "{summary}; then failed: {error}", summary=text, error=sync_error(lang, report, calendar, tz))
    return text
