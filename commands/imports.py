"""What `retention-bot import` tells the admin, in the CLI's language: the
rejected rows (`FILE:LINE: column: problem (fix)`), skipped rows and the
summary. English is storage's own report text, byte for byte; in another
language the same facts are said from the catalog, the file name and line
kept as they are (a path and a line number an editor jumps to, isolated
left-to-right in Persian)."""

from commands import format as fmt
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.problems import said
from storage.importer import MAX_LISTED_ERRORS, ImportReport, RatesReport, Rejection, clip

KINDS = {
    "orders": N_("orders"),
    "customers": N_("customers"),
    "reps": N_("reps"),
    "feedback": N_("feedback"),
}


def rejection_line(
    lang: str, rejection: Rejection, file: str, row_ids: list[str] | None = None, where: str | None = None
) -> str:
    """`where: column: problem (fix)` in `lang`; `where` defaults to the
    rejection's own (`FILE:LINE`)."""
    if lang == DEFAULT_LANGUAGE:
        return rejection.describe(file, row_ids)
    values = {k: clip(v) if isinstance(v, str) else v for k, v in rejection.values.items()}
    where = where or rejection.where(file, row_ids)
    problem = clip(said(lang, rejection.problem, values))
    fix = said(lang, rejection.fix, values)
    if rejection.column:
        return _(
            lang, "{where}: {column}: {problem} ({fix})", where=where, column=rejection.column, problem=problem, fix=fix
        )
    return _(lang, "{where}: {problem} ({fix})", where=where, problem=problem, fix=fix)


def report_lines(lang: str, report: ImportReport) -> list[str]:
    """The rejected and skipped rows, and what was inferred."""
    if lang == DEFAULT_LANGUAGE:
        return report.lines()
    shown = [rejection_line(lang, e, report.file, report.row_ids) for e in report.errors[:MAX_LISTED_ERRORS]]
    more = report.rejected - len(shown)
    if more > 0:
        shown.append(
            _n(
                lang,
                "... and {count} more rejected row",
                "... and {count} more rejected rows",
                more,
                count=fmt.count(more, lang),
            )
        )
    shown += [
        _(lang, "{where}: skipped: {why}", where=f"{report.file}:{line}", why=_(lang, why))
        for line, why in report.skipped[:MAX_LISTED_ERRORS]
    ]
    more = len(report.skipped) - MAX_LISTED_ERRORS
    if more > 0:
        shown.append(
            _n(
                lang,
                "... and {count} more skipped row",
                "... and {count} more skipped rows",
                more,
                count=fmt.count(more, lang),
            )
        )
    shown += [
        _(lang, "{file}: {count} {what}", file=report.file, count=fmt.count(n, lang), what=_(lang, what))
        for what, n in report.notes.items()
    ]
    return shown


def merge_notes(lang: str, customers_created: int, won_back: int, unwon: int) -> list[str]:
    """What merging rows did beyond adding and updating them — customers
    created, follow-ups won back or reopened — as an import's or a sync's
    report says it."""
    notes = []
    if customers_created:
        c = customers_created
        notes.append(_n(lang, "{count} new customer", "{count} new customers", c, count=fmt.count(c, lang)))
    if won_back:
        notes.append(
            _n(
                lang,
                "{count} follow-up won back",
                "{count} follow-ups won back",
                won_back,
                count=fmt.count(won_back, lang),
            )
        )
    if unwon:
        notes.append(
            _n(
                lang,
                "{count} won-back follow-up reopened",
                "{count} won-back follow-ups reopened",
                unwon,
                count=fmt.count(unwon, lang),
            )
        )
    return notes


def report_summary(lang: str, report: ImportReport) -> str:
    """One line: what was added, updated, left and rejected."""
    if lang == DEFAULT_LANGUAGE:
        return report.summary()
    n = {
        "file": report.file,
        "kind": _(lang, KINDS.get(report.kind, report.kind)),
        "added": fmt.count(report.added, lang),
        "updated": fmt.count(report.updated, lang),
        "unchanged": fmt.count(report.unchanged, lang),
        "rejected": fmt.count(report.rejected, lang),
    }
    if report.dry_run:
        text = _(
            lang,
            "{file}: would import {kind}: {added} added, {updated} updated, {unchanged} unchanged, {rejected} rejected",
            **n,
        )
    else:
        text = _(
            lang,
            "{file}: imported {kind}: {added} added, {updated} updated, {unchanged} unchanged, {rejected} rejected",
            **n,
        )
    extra = merge_notes(lang, report.customers_created, report.won_back, report.unwon)
    if report.skipped:
        c = len(report.skipped)
        extra.append(_n(lang, "{count} row skipped", "{count} rows skipped", c, count=fmt.count(c, lang)))
    if extra:
        text = _(lang, "{summary} ({details})", summary=text, details=_(lang, ", ").join(extra))
    if report.rows and not report.added and not report.updated and not report.rejected:
        text = _(lang, "{summary}. No changes: every row is already in the store.", summary=text)
    return text


def rates_summary(lang: str, report: RatesReport) -> str:
    if lang == DEFAULT_LANGUAGE:
        return report.summary()
    n = {
        "file": report.file,
        "rates": fmt.count(report.rates, lang),
        "currencies": ", ".join(report.currencies) or "—",
        "base": report.base,
        "changed": fmt.count(report.changed, lang),
        "orders": fmt.count(report.orders_converted, lang),
    }
    if report.dry_run:
        text = _(
            lang,
            "{file}: would import {rates} rates for {currencies} into {base} ({changed} new or changed); {orders} orders would be converted",
            **n,
        )
    else:
        text = _(
            lang,
            "{file}: imported {rates} rates for {currencies} into {base} ({changed} new or changed); {orders} orders converted",
            **n,
        )
    if report.unconverted:
        text = _(
            lang,
            "{summary}. Not converted: {orders} (rates start later); add earlier rates to convert them, until then they count as imported",
            summary=text,
            orders=report.unconverted,
        )
    return text
