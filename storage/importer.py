"""Importing orders, customers, reps and feedback: validated, atomic, idempotent.

Rows stream from the file into a temporary staging table (bounded memory,
no lock on the store), then a handful of set-based SQL statements validate
references, count what is new or changed and upsert, all in one write
transaction that waits for another writer (busy timeout) rather than failing.
A file with any invalid row changes nothing unless `skip_invalid`; a killed
process leaves the store exactly as before (SQLite's journal does that for us).
"""

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import partial
from itertools import chain, repeat
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage import fields as F
from storage.aggregates import refresh_customer_aggregates, start_touched
from storage.column_checks import checked_column
from storage.customer_search import search_built_after
from storage.db import is_store_file, transaction
from storage.followups import mark_won_back, reopen_unwon
from storage.formats import (
    READERS,
    REQUIRED,
    FileRejected,
    ReadOptions,
    RowBatch,
    guess_format,
    read_csv_batches,
    read_rates,
)
from storage.fx import Rates, convert_orders, missing_text, record_conversion, upsert_rates
from storage.problems import N_, english
from storage.settings import load_settings

KINDS = ("orders", "customers", "reps", "feedback")
MAX_LISTED_ERRORS = 1000
MAX_PROBLEM = 200  # a problem quotes the bad value, which may be a megabyte long


@dataclass
class Rejection:
    """Why a row (or the file) was refused. `problem` and `fix` are msgids
    filled with `values` (commands translates them for the admin's
    language); describe() is the English."""

    line: int | None
    column: str | None
    problem: str
    fix: str
    values: dict[str, object] = field(default_factory=dict)

    def describe(self, file_name: str, row_ids: list[str] | None = None) -> str:
        """`FILE:LINE: column: problem (fix)`; for rows from a live source
        (`row_ids`: each staged row's id at the source, by position)
        `source NAME, row id ID: column: problem (fix)`."""
        col = f" {self.column}:" if self.column else ""
        problem = clip(english(self.problem, self.values))
        return f"{self.where(file_name, row_ids)}:{col} {problem} ({english(self.fix, self.values)})"

    def where(self, file_name: str, row_ids: list[str] | None = None) -> str:
        """`FILE:LINE`, `FILE` for the whole file, or `source NAME, row id ID`."""
        if row_ids is not None and self.line and self.line <= len(row_ids):
            return f"{file_name}, row id {row_ids[self.line - 1]}"
        return f"{file_name}:{self.line}" if self.line else file_name


def clip(problem: str) -> str:
    """A problem quotes the bad value, which may be a megabyte long."""
    return problem if len(problem) <= MAX_PROBLEM else problem[: MAX_PROBLEM - 1] + "…"


@dataclass
class ImportReport:
    kind: str
    file: str
    format: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    customers_created: int = 0
    won_back: int = 0
    sha256: str = ""
    dry_run: bool = False
    errors: list[Rejection] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # rows that are not purchases: (line, why)
    notes: dict[str, int] = field(default_factory=dict)  # what was inferred, and for how many rows
    usage: bool = False  # refused because of the command line, not the file
    unwon: int = 0  # won-back follow-ups reopened: the order that won them is no longer a purchase
    row_ids: list[str] | None = None  # rows from a live source: the source's id of each, by position

    def lines(self) -> list[str]:
        shown = [e.describe(self.file, self.row_ids) for e in self.errors[:MAX_LISTED_ERRORS]]
        if self.rejected > len(shown):
            shown.append(f"... and {self.rejected - len(shown)} more rejected rows")
        shown += [f"{self.file}:{line}: skipped: {why}" for line, why in self.skipped[:MAX_LISTED_ERRORS]]
        if len(self.skipped) > MAX_LISTED_ERRORS:
            shown.append(f"... and {len(self.skipped) - MAX_LISTED_ERRORS} more skipped rows")
        shown += [f"{self.file}: {n:,} {what}" for what, n in self.notes.items()]
        return shown

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        head = f"{self.file}: {verb} {self.kind}: {self.added} added, {self.updated} updated, "
        head += f"{self.unchanged} unchanged, {self.rejected} rejected"
        extra = []
        if self.customers_created:
            extra.append(f"{self.customers_created} new customers")
        if self.won_back:
            extra.append(f"{self.won_back} follow-ups won back")
        if self.unwon:
            extra.append(f"{self.unwon} won-back follow-ups reopened")
        if self.skipped:
            extra.append(f"{len(self.skipped)} skipped")
        if extra:
            head += " (" + ", ".join(extra) + ")"
        if self.rows and not self.added and not self.updated and not self.rejected:
            head += ". No changes: every row is already in the store."
        return head


class ImportRejected(Exception):
    """The file was refused; nothing was written. `report.lines()` says why."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary())
        self.report = report


class _DryRun(Exception):
    pass


# Per kind: the stored columns, and how to turn raw text into each.
def _specs(tz: tzinfo, decimal: str = ".") -> dict[str, dict[str, Callable[[str], object]]]:
    ts = partial(F.timestamp, tz=tz)
    amount = F.amount if decimal == "." else F.decimal_comma_amount
    return {
        "orders": {
            "id": F.text,
            "customer_id": F.text,
            "ordered_at": ts,
            "amount": amount,
            "currency": F.currency,
            "status": F.status,
            "customer_name": F.text,
            "email": F.text,
            "company": F.text,
            "segment": F.text,
        },
        "customers": {
            "id": F.text,
            "name": F.text,
            "email": F.text,
            "company": F.text,
            "segment": F.text,
            "owner_rep_id": F.slack_user_id,
            "created_at": ts,
            "churned_at": ts,
        },
        "reps": {
            "id": F.slack_user_id,
            "name": F.text,
            "email": F.text,
            "tz": F.timezone_name,
            "manager_id": F.slack_user_id,
            "active": F.boolean,
        },
        "feedback": {
            "id": F.text,
            "customer_id": F.text,
            "kind": lambda r: F.choice(r, ("nps", "csat", "ces")),
            "score": lambda r: F.number(r, 0, 10),
            "submitted_at": ts,
            "comment": F.text,
        },
    }


# The target table's columns (stage columns beyond these feed customers).
TABLE_COLUMNS = {
    "orders": ("id", "customer_id", "ordered_at", "amount", "currency", "status", "source_amount"),
    "customers": ("id", "name", "email", "company", "segment", "owner_rep_id", "created_at", "churned_at"),
    "reps": ("id", "name", "email", "tz", "manager_id", "active"),
    "feedback": ("id", "customer_id", "kind", "score", "submitted_at", "comment"),
}
DEFAULTS: dict[str, dict] = {"orders": {"status": "paid"}, "reps": {"active": 1}}  # orders' currency: the workspace's
# Staged beside the parsed columns: an order's amount as paid (`amount` is
# then the reporting currency's).
EXTRA_COLUMNS = {"orders": ("source_amount",)}
# Kinds whose id may be missing: derived from the row's content, numbered
# by occurrence, so re-importing the same file finds the same ids.
DERIVED_ID = {"orders": ("customer_id", "ordered_at", "amount"), "feedback": ("customer_id", "kind", "submitted_at")}
SCORE_RANGE = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class _Tracked(io.RawIOBase):
    """Reads a file once while hashing it, reporting progress, and refusing
    NUL bytes wherever they are: Python's csv reader accepts them, so a
    damaged file would otherwise store ids and names with NULs in them.
    Checked on the raw chunks, where it costs a memchr."""

    def __init__(self, f, on_bytes: Callable[[int], None] | None):
        self._f = f
        self._on_bytes = on_bytes
        self.sha = hashlib.sha256()
        self._lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        if n:
            chunk = bytes(memoryview(b)[:n])
            self.sha.update(chunk)
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise FileRejected(
                    self._lines + chunk.count(b"\n", 0, nul) + 1,
                    N_("NUL byte in the data: the file is binary or damaged"),
                    N_("export the data again as CSV text (UTF-8)"),
                )
            self._lines += chunk.count(b"\n")
            if self._on_bytes:
                self._on_bytes(n)
        return n


def _validated(
    rows: Iterator[tuple[int, dict]],
    kind: str,
    tz: tzinfo,
    report: ImportReport,
    defaults: dict,
    decimal: str,
    rates: Rates,
    required_cols: tuple[str, ...],
) -> Iterator[tuple]:
    spec = _specs(tz, decimal)[kind]
    cols = list(spec)
    money = (cols.index("amount"), cols.index("currency"), cols.index("ordered_at")) if kind == "orders" else None
    plan = [(col, spec[col], defaults.get(col), col in required_cols) for col in cols]
    derive = DERIVED_ID.get(kind)
    derive_at = [cols.index(c) for c in derive] if derive else []
    for line, raw in rows:
        report.rows += 1
        out: list[Any] = []
        try:
            for col, parse, default, required in plan:
                value = raw.get(col)
                if value and ((value[0] != " " and value[-1] != " ") or value.strip()):
                    out.append(parse(value))
                elif default is None and required:
                    raise F.FieldError(N_("missing value"), N_("fill in {column}"), column=col)
                else:
                    out.append(default)
        except F.FieldError as e:
            _reject(report, line, col, e.message, e.fix_message, e.values)
            continue
        if kind == "feedback":
            lo, hi = SCORE_RANGE[out[2]]
            if not lo <= out[3] <= hi:
                _reject(
                    report,
                    line,
                    "score",
                    N_("{score} is out of range for {kind}"),
                    N_("use {lo}..{hi}"),
                    {"score": float(out[3]), "kind": out[2], "lo": lo, "hi": hi},
                )
                continue
        extra: tuple = ()
        if money:
            amount_at, currency_at, time_at = money
            source, currency = out[amount_at], out[currency_at]
            converted = _reported(raw, rates.base)
            if converted is None and currency == rates.base:  # the common case: no rate, hence no local day
                converted = source
            elif converted is None:
                day = F.local_day(out[time_at], tz)
                converted = rates.convert(source, currency, day)
            if converted is None:
                _reject(
                    report,
                    line,
                    "currency",
                    N_("no rate for {currency} into {base} on or before {day}"),
                    N_("import rates first: {command}, a CSV of {columns} ({rule})"),
                    {
                        "currency": currency,
                        "base": rates.base,
                        "day": day,
                        "command": "retention-bot import fx FILE",
                        "columns": "date,currency,rate",
                        "rule": f"1 {currency} = rate {rates.base}",
                    },
                )
                continue
            out[amount_at] = converted
            extra = (source,)
        derived = 0
        if out[0] is None and derive:
            key = "|".join(str(out[i]) for i in derive_at)
            out[0] = "~" + hashlib.sha1(key.encode()).hexdigest()[:20]
            derived = 1
        yield (line, derived, *out, *extra)


def _validated_batches(
    batches: Iterable[RowBatch],
    kind: str,
    tz: tzinfo,
    report: ImportReport,
    defaults: dict,
    decimal: str,
    rates: Rates,
    required_cols: tuple[str, ...],
) -> Iterator[tuple]:
    """`_validated` a batch of rows at a time: a batch whose every cell
    storage.column_checks vouches for is staged from its columns; any other
    goes row by row, the one place where rows are rejected, so a file with
    a bad row is told exactly as before."""
    spec = _specs(tz, decimal)[kind]

    def each_batch() -> Iterator[Iterator[tuple]]:
        for batch in batches:
            staged = _checked_batch(batch, kind, spec, defaults, rates.base, required_cols)
            if staged is None:
                yield _validated(batch.rows(), kind, tz, report, defaults, decimal, rates, required_cols)
            else:
                report.rows += len(batch.lines)
                yield staged

    return chain.from_iterable(each_batch())  # no Python frame per row


def _checked_batch(
    batch: RowBatch,
    kind: str,
    spec: dict[str, Callable[[str], object]],
    defaults: dict,
    base: str,
    required_cols: tuple[str, ...],
) -> Iterator[tuple] | None:
    """The staged rows of `batch` (as `_validated` yields them), or None
    when some row needs `_validated`'s own look: a cell column_checks does
    not vouch for, a score out of its kind's range, an order in another
    currency than `base` (it needs a rate) or without an id (one is derived
    from its content)."""
    if "reporting_currency" in batch.fields:
        return None
    given = dict(zip(batch.fields, batch.columns, strict=True))
    n = len(batch.lines)
    out: dict[str, Sequence[object]] = {}
    for col, parse in spec.items():
        values = checked_column(given.get(col), n, parse, defaults.get(col), col in required_cols)
        if values is None:
            return None
        out[col] = values
    if kind in DERIVED_ID and None in out["id"]:
        return None
    if kind == "feedback":
        ranges = [SCORE_RANGE[str(k)] for k in out["kind"]]
        if not all(lo <= score <= hi for (lo, hi), score in zip(ranges, out["score"], strict=True)):  # type: ignore[operator]
            return None
    extra: list[Sequence[object]] = []
    if kind == "orders":
        if set(out["currency"]) - {base}:
            return None
        extra.append(out["amount"])  # as paid, and in the reporting currency
    return zip(batch.lines, repeat(0, n), *out.values(), *extra, strict=True)


def _reported(raw: dict, base: str) -> float | None:
    """The amount an export already gives in the reporting currency (Stripe's
    "Converted Amount" when its "Converted Currency" is ours), or None."""
    currency = raw.get("reporting_currency")
    if not currency or currency.strip().upper() != base or not (raw.get("reporting_amount") or "").strip():
        return None
    try:
        return F.amount(raw["reporting_amount"])
    except F.FieldError:
        return None


def _reject(
    report: ImportReport,
    line: int | None,
    column: str | None,
    problem: str,
    fix: str,
    values: dict[str, object] | None = None,
) -> None:
    report.rejected += 1
    if len(report.errors) < MAX_LISTED_ERRORS:
        report.errors.append(Rejection(line, column, problem, fix, values or {}))


def import_file(
    db: Database,
    kind: str,
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    tz: tzinfo = UTC,
    now: datetime,
    on_bytes: Callable[[int], None] | None = None,
    decimal: str = ".",
) -> ImportReport:
    """Import one file. Raises ImportRejected (nothing written) on bad input.
    `decimal` is "," for files whose amounts are written `1.234,50`."""
    if decimal not in (".", ","):
        raise ValueError(f"decimal mark {decimal!r}: use . or ,")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    path = Path(path)
    report = ImportReport(kind=kind, file=str(path), format=fmt or "?", dry_run=dry_run)
    if not path.is_file():
        report.errors.append(Rejection(None, None, N_("no such file"), N_("check the path")))
        raise ImportRejected(report)
    if is_store_file(db, path):  # opening it here would drop SQLite's locks on it (see storage.db)
        report.errors.append(
            Rejection(
                None,
                None,
                N_("this is the store itself (or its journal), not a data file"),
                N_("pass the CSV export to import"),
            )
        )
        raise ImportRejected(report)
    with open(path, "rb") as raw:
        head = raw.read(4096)
        raw.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # its NULs are not damage: say what it is
            report.errors.append(Rejection(1, None, N_("the file is UTF-16"), N_("save it as UTF-8 CSV")))
            raise ImportRejected(report)
        if b"\x00" in head:
            report.errors.append(
                Rejection(None, None, N_("this is a binary file, not CSV text"), N_("export the data as CSV (UTF-8)"))
            )
            raise ImportRejected(report)
        report.format = fmt = fmt or guess_format(path.name, head)
        tracked = _Tracked(raw, on_bytes)
        stream = io.BufferedReader(tracked, buffer_size=1 << 16)
        opts = ReadOptions(mapping=mapping or {})
        with _import_cache(db):
            try:
                if fmt == "csv":
                    batches = read_csv_batches(stream, kind, opts)
                    stage = stage_batches(db, kind, batches, report, tz=tz, decimal=decimal)
                else:
                    stage = stage_rows(db, kind, READERS[fmt](stream, kind, opts), report, tz=tz, decimal=decimal)
                report.sha256 = tracked.sha.hexdigest()
                report.skipped, report.notes = opts.skipped, opts.notes
                with transaction(db):
                    merge_staged(db, kind, stage, report, skip_invalid=skip_invalid, now=now, tz=tz)
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
            except FileRejected as e:
                report.errors.insert(0, Rejection(e.line, None, e.message, e.fix_message, e.values))
                report.usage = e.usage
                raise ImportRejected(report) from None
            finally:
                drop_stage(db, kind)
    return report


IMPORT_CACHE_KIB = 131_072


@contextmanager
def _import_cache(db: Database) -> Iterator[None]:
    """A 128 MB page cache for the store and for the staging table while
    importing (bounded: memory stays flat whatever the file size). With
    SQLite's default 2 MB, a load of millions of rows, the index builds
    after it and the aggregates re-read pages they just wrote (measured at
    0.87M orders: 16.5 s of CPU with 2 MB, 15.6 s with 64 MB, 14.2 s with
    256 MB, at 45, 228 and 370 MB peak RSS)."""
    before = [db.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in ("main", "temp")]
    for schema in ("main", "temp"):
        db.execute(f"PRAGMA {schema}.cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        for schema, size in zip(("main", "temp"), before, strict=True):
            db.execute(f"PRAGMA {schema}.cache_size = {int(size)}")


def stage_rows(
    db: Database,
    kind: str,
    rows: Iterable[tuple[int, dict]],
    report: ImportReport,
    *,
    tz: tzinfo,
    decimal: str = ".",
    require_id: bool = False,
) -> str:
    """Validate `rows` (`(line, {field: raw text})`, as the readers yield
    them) into a fresh temporary staging table and return its name. The one
    copy of the row rules, for files and live sources alike: each bad row is
    counted in `report` with its line and column. Writes the temp database
    only, so the store stays unlocked meanwhile. `require_id`: no id is
    derived from a row's content (a live source names each row)."""
    return _stage(db, kind, partial(_validated, iter(rows)), report, tz, decimal, require_id)


def stage_batches(
    db: Database, kind: str, batches: Iterable[RowBatch], report: ImportReport, *, tz: tzinfo, decimal: str = "."
) -> str:
    """`stage_rows` for a CSV file read by batches (formats.read_csv_batches):
    the same rows staged and the same rejections, at a fraction of the cost."""
    return _stage(db, kind, partial(_validated_batches, batches), report, tz, decimal, False)


def _stage(
    db: Database,
    kind: str,
    validate: Callable[..., Iterator[tuple]],
    report: ImportReport,
    tz: tzinfo,
    decimal: str,
    require_id: bool,
) -> str:
    spec_cols = [*_specs(tz)[kind], *EXTRA_COLUMNS.get(kind, ())]
    base = load_settings(db)["currency"]
    if db.conn.in_transaction:  # ATTACH cannot run inside one: a temp table, dropped by the merge
        stage = f"temp.stage_{kind}"
    else:
        _attach_staging(db)
        stage = f"{STAGING}.stage_{kind}"
    with transaction(db, write=False):
        db.execute(f"DROP TABLE IF EXISTS {stage}")
        db.execute(f"CREATE TABLE {stage} (line INTEGER PRIMARY KEY, derived INTEGER, " + ", ".join(spec_cols) + ")")
        defaults = {**DEFAULTS.get(kind, {}), **({"currency": base} if kind == "orders" else {})}
        required = (*REQUIRED[kind], *(("id",) if require_id else ()))
        valid = validate(kind, tz, report, defaults, decimal, Rates.load(db, base), required)
        insert = (
            f"INSERT INTO {stage} (line, derived, {', '.join(spec_cols)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * (len(spec_cols) + 2))})"
        )
        db.conn.executemany(insert, valid)
    return stage


# The staging tables' own database: a private temporary file (SQLite's
# ATTACH of ''), deleted when it is detached. Detaching a stage of millions
# of rows just closes the file, where DROP TABLE reads every page of it to
# free them (measured at 8.7M orders: 14 s).
STAGING = "staging"


def _attach_staging(db: Database) -> None:
    """Attach the staging database, with the temp database's page cache
    (the import's, see _import_cache), unless it is attached already."""
    if not _staging_attached(db):
        cache = int(db.execute("PRAGMA temp.cache_size").fetchone()[0])
        db.execute(f"ATTACH DATABASE '' AS {STAGING}")
        db.execute(f"PRAGMA {STAGING}.cache_size = {cache}")


def _staging_attached(db: Database) -> bool:
    return STAGING in {row[1] for row in db.execute("PRAGMA database_list").fetchall()}


def drop_stage(db: Database, kind: str) -> None:
    """Discard the staging table of an import or sync, once its transaction
    is over (inside a transaction it is left to the merge, which drops a
    temp one itself). One stage at a time: detaching discards them all."""
    if not db.conn.in_transaction:
        if _staging_attached(db):
            db.execute(f"DETACH DATABASE {STAGING}")
        db.execute(f"DROP TABLE IF EXISTS temp.stage_{kind}")


def merge_staged(
    db: Database,
    kind: str,
    stage: str,
    report: ImportReport,
    *,
    skip_invalid: bool,
    now: datetime,
    tz: tzinfo,
    record: bool = True,
) -> None:
    """Merge a staging table into the store, inside the caller's write
    transaction: reject duplicates and unknown references, count what is
    new or changed, upsert, keep the customers' aggregates and follow-ups
    current (a new order wins a follow-up back; an order refunded or
    cancelled takes back the win it made). Raises ImportRejected when a row
    was rejected and not `skip_invalid`. `record`: log the file in
    `imports` (a live source records its own state instead)."""

    def q(sql: str, *args) -> list:
        return db.execute(sql, args).fetchall()

    table = stage.partition(".")[2]
    if report.rows == 0:
        raise FileRejected(None, N_("the file has no data rows"), N_("export at least one row"))
    if kind in DERIVED_ID:
        # Identical rows (same customer, time and amount: real in CDNOW) are
        # told apart by their order of appearance in the file.
        db.execute(
            f"UPDATE {stage} SET id = {table}.id || '.' || r.n FROM ("  # noqa: S608
            f"SELECT line, ROW_NUMBER() OVER (PARTITION BY id ORDER BY line) AS n "
            f"FROM {stage} WHERE derived) AS r WHERE {table}.line = r.line"
        )
    db.execute(f"CREATE INDEX {stage}_id ON {table}(id)")
    for dup_id, first, second in q(
        f"SELECT id, MIN(line), MAX(line) FROM {stage} GROUP BY id HAVING COUNT(*) > 1"  # noqa: S608
    ):
        _reject(
            report,
            second,
            "id",
            N_("duplicate id {id} (also on line {line})"),
            N_("give each row its own id"),
            {"id": repr(dup_id), "line": first},
        )
        db.execute(f"DELETE FROM {stage} WHERE id = ? AND line > ?", [dup_id, first])  # noqa: S608
    if kind == "feedback":
        unknown = f"FROM {stage} WHERE customer_id NOT IN (SELECT id FROM customers)"  # noqa: S608
        for line, cid in q(f"SELECT line, customer_id {unknown}"):
            _reject(
                report,
                line,
                "customer_id",
                N_("unknown customer {id}"),
                N_("import the customer or its orders first"),
                {"id": repr(cid)},
            )
        db.execute(f"DELETE {unknown}")
    report.errors.sort(key=lambda e: e.line or 0)
    if report.rejected and not skip_invalid:
        raise ImportRejected(report)
    cols = TABLE_COLUMNS[kind]
    rest = [c for c in cols if c != "id"]
    if kind == "customers":  # a blank never overwrites what is known (COALESCE below): no change either
        differs = " OR ".join(f"(s.{c} IS NOT NULL AND t.{c} IS NOT s.{c})" for c in rest)
    else:
        differs = " OR ".join(f"t.{c} IS NOT s.{c}" for c in rest)
    total = q(f"SELECT COUNT(*) FROM {stage}")[0][0]  # noqa: S608
    first_load = not q(f"SELECT 1 FROM {kind} LIMIT 1")  # noqa: S608
    if first_load:
        report.added = total
    else:
        report.added = q(f"SELECT COUNT(*) FROM {stage} s WHERE s.id NOT IN (SELECT id FROM {kind})")[0][0]  # noqa: S608
        report.updated = q(f"SELECT COUNT(*) FROM {stage} s JOIN {kind} t ON t.id = s.id WHERE {differs}")[0][0]  # noqa: S608
    report.unchanged = total - report.added - report.updated
    if kind == "orders":
        _upsert_customers_from_orders(db, stage, report)
        start_touched(db)
        if not first_load:
            # An order moved to another customer changes its old customer too.
            db.execute(
                f"INSERT OR IGNORE INTO temp.touched SELECT t.customer_id FROM {stage} s "  # noqa: S608
                f"JOIN orders t ON t.id = s.id WHERE {differs}"
            )
    insert = f"INSERT INTO {kind} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {stage} WHERE true"  # noqa: S608
    if first_load:
        # Nothing to conflict with (duplicates are gone); the indexes are
        # built once after the load, by sorting, instead of row by row.
        with _indexes_built_after(db, kind), search_built_after(db) if kind == "customers" else nullcontext():
            db.execute(insert)
    else:
        if kind == "customers":
            # An order import may have created the customer with less detail; a
            # customer file fills in and corrects, but never blanks what is known.
            upd = ", ".join(f"{c} = COALESCE(excluded.{c}, {c})" for c in rest)
        else:
            upd = ", ".join(f"{c} = excluded.{c}" for c in rest)
        where = " OR ".join(f"{kind}.{c} IS NOT excluded.{c}" for c in rest)
        db.execute(f"{insert} ON CONFLICT(id) DO UPDATE SET {upd} WHERE {where}")
    if kind == "orders":
        # On a first load every customer with orders is touched, read in
        # order off the index just built instead of sorting the staged rows.
        source = "orders" if first_load else stage
        db.execute(f"INSERT OR IGNORE INTO temp.touched SELECT DISTINCT customer_id FROM {source}")  # noqa: S608
        refresh_customer_aggregates(db)
        report.unwon = reopen_unwon(db, now, tz)
        report.won_back = mark_won_back(db, now, tz, touched=True)
        db.execute("DROP TABLE temp.touched")
    if record and not report.dry_run:
        db.execute(
            "INSERT INTO imports (kind, file_name, sha256, format, added, updated, unchanged, rejected, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                kind,
                os.path.basename(report.file),
                report.sha256,
                report.format,
                report.added,
                report.updated,
                report.unchanged,
                report.rejected,
                F.format_utc(now),
            ],
        )
    if stage.startswith("temp."):  # a staging database is detached after the transaction (drop_stage)
        db.execute(f"DROP TABLE {stage}")


@contextmanager
def _indexes_built_after(db: Database, table: str) -> Iterator[None]:
    """Drop `table`'s own indexes and create them again after the block:
    loading millions of rows into an empty table, inserting each row into
    each index costs random page writes (the whole load slows down as the
    indexes outgrow the cache), while CREATE INDEX sorts once. Inside the
    caller's transaction, so a failure or a kill restores them with the
    rows (SQLite's schema changes are transactional)."""
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table]
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        db.execute(sql)


def _upsert_customers_from_orders(db: Database, stage: str, report: ImportReport) -> None:
    """Orders for unknown customers create them; customer columns in an order
    file fill in what is missing or changed. A customer exists from its
    first order on: an earlier order than any seen (a later file, a later
    batch of a sync) moves `created_at` back, so however the orders arrive
    the customer ends the same."""
    before = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    with search_built_after(db) if before == 0 else nullcontext():  # a first load: indexed once after
        _merge_customers_from_orders(db, stage)
    report.customers_created = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] - before


def _merge_customers_from_orders(db: Database, stage: str) -> None:
    db.execute(
        "INSERT INTO customers (id, name, email, company, segment, created_at) "  # noqa: S608
        "SELECT customer_id, MAX(customer_name), MAX(email), MAX(company), MAX(segment), MIN(ordered_at) "
        f"FROM {stage} WHERE true GROUP BY customer_id "
        "ON CONFLICT(id) DO UPDATE SET "
        "name = COALESCE(excluded.name, name), email = COALESCE(excluded.email, email), "
        "company = COALESCE(excluded.company, company), segment = COALESCE(excluded.segment, segment), "
        "created_at = MIN(excluded.created_at, COALESCE(created_at, excluded.created_at)) "
        "WHERE (excluded.name IS NOT NULL AND excluded.name IS NOT customers.name) "
        "OR excluded.created_at < COALESCE(customers.created_at, excluded.created_at) "
        "OR (excluded.email IS NOT NULL AND excluded.email IS NOT customers.email) "
        "OR (excluded.company IS NOT NULL AND excluded.company IS NOT customers.company) "
        "OR (excluded.segment IS NOT NULL AND excluded.segment IS NOT customers.segment)"
    )


@dataclass
class RatesReport:
    file: str
    base: str
    rates: int = 0
    changed: int = 0
    currencies: list[str] = field(default_factory=list)
    orders_converted: int = 0
    unconverted: str = ""  # orders in these currencies that the rates do not reach back to
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        converted = "would be converted" if self.dry_run else "converted"
        text = (
            f"{self.file}: {verb} {self.rates:,} rates for {', '.join(self.currencies) or 'no currency'} into "
            f"{self.base} ({self.changed:,} new or changed); {self.orders_converted:,} orders {converted}"
        )
        if self.unconverted:
            text += (
                f". Not converted: {self.unconverted} (rates start later); add earlier rates to convert "
                "them, until then they count as imported"
            )
        return text


def import_rates(
    db: Database, path: str | os.PathLike, *, base: str, tz: tzinfo = UTC, now: datetime, dry_run: bool = False
) -> RatesReport:
    """Import exchange rates into `base` (1 unit of `currency` = `rate`
    units of `base` from `date` on) and convert the orders in those
    currencies with them, in one transaction. A file with any bad row
    changes nothing (ImportRejected, FILE:LINE: column: problem)."""
    path = Path(path)
    report = ImportReport(kind="fx", file=str(path), format="csv", dry_run=dry_run)
    if not path.is_file():
        report.errors.append(Rejection(None, None, N_("no such file"), N_("check the path")))
        raise ImportRejected(report)
    if is_store_file(db, path):
        report.errors.append(
            Rejection(None, None, N_("this is the store itself, not a rates file"), N_("pass the CSV"))
        )
        raise ImportRejected(report)
    rows: list[tuple[str, str, float]] = []
    with open(path, "rb") as raw:
        try:
            for line, cells in read_rates(io.BufferedReader(_Tracked(raw, None), buffer_size=1 << 16)):
                report.rows += 1
                column = "date"
                try:
                    day = F.day(cells["date"])
                    column = "currency"
                    currency = F.currency(cells["currency"])
                    column = "rate"
                    row = (day, currency, F.number(cells["rate"], 1e-9, 1e12))
                except F.FieldError as e:
                    _reject(report, line, column, e.message, e.fix_message, e.values)
                    continue
                if row[1] == base:
                    _reject(
                        report,
                        line,
                        "currency",
                        N_("{base} is the currency the rates are into"),
                        N_("leave out rates of the reporting currency itself"),
                        {"base": base},
                    )
                    continue
                rows.append(row)
        except FileRejected as e:
            report.errors.insert(0, Rejection(e.line, None, e.message, e.fix_message, e.values))
            raise ImportRejected(report) from None
    if not rows and not report.rejected:
        report.errors.append(
            Rejection(None, None, N_("the file has no rates"), N_("add one row per date and currency"))
        )
    if report.errors:
        raise ImportRejected(report)
    out = RatesReport(str(path), base, rates=len(rows), currencies=sorted({c for _, c, _ in rows}), dry_run=dry_run)
    try:
        with transaction(db):
            out.changed = upsert_rates(db, base, rows)
            if base == load_settings(db)["currency"]:
                conversion = convert_orders(db, base, tz, currencies=set(out.currencies))
                out.orders_converted = conversion.changed
                out.unconverted = missing_text(conversion.missing, base)
                if conversion.changed:
                    record_conversion(db, path.name, base, conversion.changed, now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return out
