"""Reading import files row by row, in each supported layout.

Every reader yields `(line_number, {field: raw_text})` with our field names,
streaming from a binary file so memory stays flat whatever the file size.
File-level problems (not text, NUL bytes, a missing column) raise FileRejected
with the line they were found on. Rows a shop's export holds that are not
purchases of any kind (an unknown payment status) are skipped and counted in
`ReadOptions.skipped`, never a reason to refuse the file.

CSV files may be separated by `,`, `;` (European Excel), tabs or `|`: the
header line decides.
"""

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import BinaryIO

from storage.problems import N_, Said, english

csv.field_size_limit(1_000_000)

FORMATS = ("csv", "cdnow", "shopify", "stripe")


class FileRejected(Exception):
    """`usage`: the command line is wrong (a --map naming no column), not the file."""

    def __init__(self, line: int | None, problem: str, fix: str, *, usage: bool = False, **values: object):
        self.line = line
        self.message = problem  # msgids with `values` (see storage.problems)
        self.fix_message = fix
        self.values = values
        self.problem = english(problem, values)
        self.fix = english(fix, values)
        self.usage = usage
        super().__init__(self.problem)


@dataclass
class ReadOptions:
    """What a reader is told (`mapping`: --map renames) and what it reports:
    rows left out (`skipped`: line, why) and things it inferred (`notes`)."""

    mapping: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.notes[what] = self.notes.get(what, 0) + 1


DELIMITERS = (",", ";", "\t", "|")


# Our field names per kind, and the header spellings we accept for each.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "id": ("order_id", "order", "order_number", "transaction_id"),
        "customer_id": ("customer", "customerid", "client_id", "account_id"),
        "ordered_at": ("date", "order_date", "created_at", "ordered", "timestamp", "purchased_at"),
        "amount": ("total", "value", "revenue", "price", "dollar_value"),
        "currency": (),
        "status": ("order_status", "financial_status"),
        "customer_name": ("name",),
        "email": ("customer_email",),
        "company": (),
        "segment": (),
    },
    "customers": {
        "id": ("customer_id",),
        "name": ("customer_name", "full_name"),
        "email": (),
        "company": ("organization", "account"),
        "segment": ("tier", "plan"),
        "owner_rep_id": ("owner", "rep", "rep_id", "account_manager"),
        "created_at": ("signup_date", "signed_up_at"),
        "churned_at": ("cancelled_at", "canceled_at"),
    },
    "reps": {
        "id": ("slack_id", "user_id", "rep_id"),
        "name": (),
        "email": (),
        "tz": ("timezone", "time_zone"),
        "manager_id": ("manager",),
        "active": (),
    },
    "feedback": {
        "id": ("response_id",),
        "customer_id": ("customer",),
        "kind": ("type", "survey"),
        "score": ("rating", "value"),
        "submitted_at": ("date", "created_at", "timestamp"),
        "comment": ("comments", "text"),
    },
}

REQUIRED = {
    "orders": ("customer_id", "ordered_at", "amount"),
    "customers": ("id",),
    "reps": ("id",),
    "feedback": ("customer_id", "kind", "score", "submitted_at"),
}


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _text_lines(fp: BinaryIO) -> io.TextIOWrapper:
    head = fp.peek(4096)[:4096] if hasattr(fp, "peek") else b""
    if b"\x00" in head:
        raise FileRejected(None, N_("this is a binary file, not CSV text"), N_("export the data as CSV (UTF-8)"))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(1, N_("the file is UTF-16"), N_("save it as UTF-8 CSV"))
    return io.TextIOWrapper(fp, encoding="utf-8-sig", newline="")


def delimiter_of(header: str) -> str:
    """The separator a header line uses: the candidate seen most often
    outside quotes (a comma when none is)."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(fp: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Physical line number of each record, with the record."""
    text = _text_lines(fp)
    try:
        header = text.readline()
    except UnicodeDecodeError:
        raise FileRejected(1, N_("the file is not UTF-8 text"), N_("save it as UTF-8 CSV")) from None
    if not header:
        return
    reader = csv.reader(itertools.chain([header], text), delimiter=delimiter_of(header))
    try:
        for row in reader:
            yield reader.line_num, row
    except UnicodeDecodeError:
        raise FileRejected(reader.line_num + 1, N_("the file is not UTF-8 text"), N_("save it as UTF-8 CSV")) from None
    except csv.Error as e:
        raise FileRejected(
            reader.line_num, N_("unreadable CSV ({reason})"), N_("check quoting on that line"), reason=str(e)
        ) from None


THE_FILE = Said(N_("the file"))


def header_mapping(
    kind: str, header: list[str], overrides: dict[str, str], *, option: str = "--map", what: Said = THE_FILE
) -> dict[int, str]:
    """Column index → our field, from header names, aliases and --map (for
    a live source: its `map` table, `option` "map", and `what` its query,
    a message said in the reader's language)."""
    fields = FIELDS[kind]
    wanted = {_norm(k): v for k, v in overrides.items()}
    for target in wanted.values():
        if target not in fields:
            raise FileRejected(
                None,
                N_("{option} names unknown field {field}"),
                N_("fields for {kind}: {fields}"),
                usage=True,
                option=option,
                field=repr(target),
                kind=kind,
                fields=", ".join(fields),
            )
    present = {_norm(c) for c in header}
    for source in overrides:
        if _norm(source) not in present:
            raise FileRejected(
                1,
                N_("{option} {column}: {what} has no column {column} (found: {found})")
                if ", ".join(header)
                else N_("{option} {column}: {what} has no column {column} (found: nothing)"),
                N_("name one of the columns found, as written in the header"),
                usage=True,
                option=option,
                column=repr(source),
                what=what,
                found=", ".join(header),
            )
    aliases = {}
    for ours, names in fields.items():
        aliases[ours] = ours
        for name in names:
            aliases.setdefault(name, ours)
    mapping: dict[int, str] = {}
    for i, col in enumerate(header):
        key = _norm(col)
        found = wanted.get(key) or aliases.get(key)
        if found and found not in mapping.values():
            mapping[i] = found
    missing = [f for f in REQUIRED[kind] if f not in mapping.values()]
    if missing:
        raise FileRejected(
            1,
            N_("missing required column {columns} (found: {found})")
            if ", ".join(header)
            else N_("missing required column {columns} (found: nothing)"),
            N_("add the column, or map yours with {mapping}")
            if option == "--map"
            else N_("add the column, or map yours: {mapping}"),
            columns=", ".join(missing),
            found=", ".join(header),
            mapping=f"{option} YOUR_COLUMN={missing[0]}"
            if option == "--map"
            else f'{option} = {{"YOUR_COLUMN" = "{missing[0]}"}}',
        )
    return mapping


BATCH_ROWS = 50_000  # rows validated together: a few MB of cells, whatever the file size


@dataclass
class RowBatch:
    """Consecutive data rows of a CSV file, column by column (`columns[i]`
    holds field `fields[i]` of every row; `lines` each row's physical line),
    so the importer can check a column at a time."""

    fields: tuple[str, ...]
    lines: list[int]
    columns: list[tuple[str, ...]]

    def rows(self) -> Iterator[tuple[int, dict]]:
        """Row by row, as `read_csv` yields them."""
        for line, *cells in zip(self.lines, *self.columns, strict=True):
            yield line, dict(zip(self.fields, cells, strict=True))


def read_csv_batches(fp: BinaryIO, kind: str, opts: ReadOptions, size: int = BATCH_ROWS) -> Iterator[RowBatch]:
    """`read_csv` by batches of up to `size` rows. A problem with the file
    (a line with too many columns, a NUL byte, bad UTF-8) is raised after
    the rows before it were yielded, as reading row by row would."""
    rows = _csv_rows(fp)
    first = next(rows, None)
    if first is None:
        raise FileRejected(None, N_("the file is empty"), N_("export at least a header and one row"))
    mapping = header_mapping(kind, first[1], opts.mapping)
    width = len(first[1])
    names = tuple(mapping.values())
    at = list(mapping)
    cells = itemgetter(*at) if len(at) > 1 else lambda row: (row[at[0]],)
    lines: list[int] = []
    batch: list[tuple[str, ...]] = []

    def done() -> RowBatch:
        return RowBatch(names, lines, list(zip(*batch, strict=True)))

    try:
        for line, row in rows:
            if len(row) == width and row[0].strip():  # the common case: a full row, not a blank one
                batch.append(cells(row))
            elif not row or all(not c.strip() for c in row):
                continue
            elif len(row) > width:
                raise FileRejected(
                    line,
                    N_("{count} columns but the header has {width}"),
                    N_("check the quoting and commas"),
                    count=len(row),
                    width=width,
                )
            else:
                batch.append(tuple(row[i] if i < len(row) else "" for i in at))
            lines.append(line)
            if len(batch) >= size:
                yield done()
                lines, batch = [], []
    except FileRejected:
        if batch:
            yield done()
        raise
    if batch:
        yield done()


def read_csv(fp: BinaryIO, kind: str, opts: ReadOptions) -> Iterator[tuple[int, dict]]:
    for batch in read_csv_batches(fp, kind, opts):
        yield from batch.rows()


def read_cdnow(fp: BinaryIO, kind: str, opts: ReadOptions) -> Iterator[tuple[int, dict]]:
    """CDNOW, both layouts: 5 columns without header (the 2,357-customer
    sample: master id, sample id, date, CDs, dollars) or 4 columns with the
    header `customer_id date number_of_cds dollar_value` (the master file)."""
    if kind != "orders":
        raise FileRejected(
            None,
            N_("the {format} format holds orders only"),
            N_("use: {command}"),
            format="cdnow",
            command="retention-bot import orders FILE --format cdnow",
        )
    text = _text_lines(fp)
    line_no = 0
    layout = None
    try:
        for raw in text:
            line_no += 1
            parts = raw.split()
            if not parts:
                continue
            if layout is None:
                if parts[0].lower() == "customer_id":
                    layout = 4
                    continue
                layout = len(parts)
                if layout not in (4, 5):
                    raise FileRejected(
                        line_no,
                        N_("{count} columns; CDNOW files have 5 (sample) or 4 (master, with header)"),
                        N_("check {option} (csv?)"),
                        count=layout,
                        option="--format",
                    )
            if len(parts) != layout:
                raise FileRejected(
                    line_no,
                    N_("{count} columns, expected {width}"),
                    N_("fix or remove the line"),
                    count=len(parts),
                    width=layout,
                )
            cust, day, dollars = (parts[1], parts[2], parts[4]) if layout == 5 else (parts[0], parts[1], parts[3])
            yield (
                line_no,
                {
                    "customer_id": cust.lstrip("0") or "0",
                    "ordered_at": day,
                    "amount": dollars,
                    "currency": "USD",
                },
            )
    except UnicodeDecodeError:
        raise FileRejected(line_no + 1, N_("the file is not UTF-8 text"), N_("save it as UTF-8")) from None
    if layout is None:
        raise FileRejected(None, N_("the file is empty"), N_("export at least one row"))


def _export_header(fp: BinaryIO, kind: str, fmt: str) -> tuple[Iterator[tuple[int, list[str]]], dict[str, int]]:
    """Rows after the header of a shop's order export, and its columns by
    normalised name."""
    if kind != "orders":
        raise FileRejected(
            None,
            N_("the {format} format holds orders only"),
            N_("use: {command}"),
            format=fmt,
            command=f"retention-bot import orders FILE --format {fmt}",
        )
    rows = _csv_rows(fp)
    first = next(rows, None)
    if first is None:
        raise FileRejected(None, N_("the file is empty"), N_("export at least a header and one row"))
    return rows, {_norm(c): i for i, c in enumerate(first[1])}


def _cell(row: list[str], cols: Mapping[str, int | None], key: str) -> str:
    i = cols.get(key)
    return row[i] if i is not None and i < len(row) else ""


_SHOPIFY = {
    "name": "id",  # order name like #1001, unique per shop
    "email": "customer_id",
    "created_at": "ordered_at",
    "total": "amount",
    "currency": "currency",
    "financial_status": "status",
    "billing_name": "customer_name",
    "billing_company": "company",
}


def read_shopify(fp: BinaryIO, kind: str, opts: ReadOptions) -> Iterator[tuple[int, dict]]:
    """Shopify's Orders export: one row per line item; the order's totals and
    status stand on its first row only, so later rows of the same order are
    skipped. The order's rules are `shopify_order`'s."""
    rows, cols = _export_header(fp, kind, "shopify")
    for need in ("name", "created_at", "total", "financial_status"):
        if need not in cols:
            raise FileRejected(
                1,
                N_("missing Shopify column {column}"),
                N_("use Shopify's {menu}"),
                column=repr(need),
                menu="Orders › Export › CSV for Excel",
            )
    get = {
        k: cols.get(k)
        for k in (*_SHOPIFY, "refunded_amount", "cancelled_at", "outstanding_balance", "shipping_name", "phone")
    }
    for line, row in rows:
        cell = partial(_cell, row, get)
        if not cell("financial_status").strip() and not cell("total").strip():
            continue  # a further line item of the order above
        out = {name: cell(col) for col, name in _SHOPIFY.items() if get[col] is not None}
        shopify_order(
            out,
            cancelled=bool(cell("cancelled_at").strip()),
            refunded=cell("refunded_amount"),
            outstanding=cell("outstanding_balance"),
            stand_ins=(
                (cell("billing_name"), "billing name"),
                (cell("shipping_name"), "shipping name"),
                (cell("phone"), "phone"),
            ),
            opts=opts,
        )
        yield line, out


def shopify_order(
    out: dict,
    *,
    cancelled: bool,
    refunded: str,
    outstanding: str,
    stand_ins: Iterable[tuple[str, str]],
    opts: ReadOptions,
) -> None:
    """Shopify's rules for one order row (`out`: our fields as text, the
    email in `customer_id`, the financial status in `status`), for the CSV
    export and the Admin API alike. Refunds net off the total; a partly paid
    order counts what was paid (total − outstanding balance); cancelled
    orders are not purchases. Customers are their email; an order without
    one (a POS sale) is the first stand-in's (billing name, shipping name,
    phone) — and reported."""
    email = out.get("customer_id", "").strip().lower()
    out["customer_id"] = email or _stand_in(stand_ins, opts)
    out["email"] = email
    status = out.get("status", "").strip().lower()
    if cancelled:
        out["status"] = "cancelled"
    elif status == "partially_refunded":
        out["amount"] = _minus(out["amount"], refunded)
    elif status == "partially_paid":
        out["amount"] = _minus(out["amount"], outstanding)
        out["status"] = "paid"
        opts.note("partly paid orders counted for what was paid")


def _stand_in(stand_ins: Iterable[tuple[str, str]], opts: ReadOptions) -> str:
    for value, what in stand_ins:
        value = (value or "").strip()
        if value:
            opts.note(f"orders without an email matched to a customer by {what}")
            return value
    return ""


def _minus(amount: str, less: str) -> str:
    """`amount − less` as text, both from the export; the amount as it was
    when `less` is blank (the row's own validation then judges it)."""
    try:
        return f"{max(float(amount) - float(less or 0), 0):.2f}"
    except ValueError:
        return amount


_STRIPE = {
    "id": "id",
    "created_date_utc": "ordered_at",
    "created_utc": "ordered_at",
    "amount": "amount",
    "currency": "currency",
    "status": "status",
    "customer_id": "customer_id",
    "customer_email": "email",
    "customer_description": "customer_name",
}


# Stripe's payment statuses (any case), as our order statuses. Money counts
# only when it was received: a partial refund nets off, a full one is a refund.
STRIPE_STATUSES = {
    "paid": "paid",
    "succeeded": "paid",
    "partially refunded": "paid",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "failed": "failed",
    "uncaptured": "pending",
    "pending": "pending",  # the API's charge not yet settled (bank debits)
    "requires_capture": "pending",
    "canceled": "cancelled",
    "cancelled": "cancelled",
}


def read_stripe(fp: BinaryIO, kind: str, opts: ReadOptions) -> Iterator[tuple[int, dict]]:
    """Stripe's Payments export (unified_payments.csv), by `stripe_payment`'s
    rules; a status outside Stripe's vocabulary is skipped and reported.
    "Created date (UTC)" is UTC, whatever the workspace's zone."""
    rows, cols = _export_header(fp, kind, "stripe")
    if "id" not in cols or "amount" not in cols or not ({"created_date_utc", "created_utc"} & cols.keys()):
        raise FileRejected(
            1,
            N_("missing Stripe columns {columns}"),
            N_("use Stripe's {menu}"),
            columns="id, Amount, Created date (UTC)",
            menu="Payments › Export",
        )
    for line, row in rows:
        cell = partial(_cell, row, cols)
        out = {name: cell(col) for col, name in _STRIPE.items() if col in cols}
        out["ordered_at"] = _as_utc(out.get("ordered_at", ""))
        if not out.get("customer_id", "").strip():
            out["customer_id"] = cell("customer_email").strip().lower()
        why = stripe_payment(
            out,
            captured=cell("captured").strip().lower() != "false",
            refunded=cell("amount_refunded"),
            converted=cell("converted_amount"),
            converted_refunded=cell("converted_amount_refunded"),
            converted_currency=cell("converted_currency"),
        )
        if why:
            opts.skipped.append((line, why))
            continue
        yield line, out


def stripe_payment(
    out: dict,
    *,
    captured: bool,
    refunded: str,
    converted: str = "",
    converted_refunded: str = "",
    converted_currency: str = "",
) -> str | None:
    """Stripe's rules for one payment (`out`: our fields as text, Stripe's
    status word in `status`), for the Payments export and the API alike:
    failed, refunded and uncaptured payments are kept but not counted;
    refunds (`refunded`) net off, all of it makes a refund; `converted` is
    the same money in the account's currency, as Stripe converted it (less
    `converted_refunded`). Returns why the row is not a payment we count
    (a status outside Stripe's vocabulary), else None."""
    word = out.get("status", "").strip().lower() or "paid"
    status = STRIPE_STATUSES.get(word)
    if status is None:
        return f"Stripe status {out.get('status', '')!r} is not a payment we count"
    if not captured and status == "paid":
        status = "pending"
    refunded = refunded.strip()
    if status == "paid" and refunded:
        net = _minus(out["amount"], refunded)
        if net == "0.00" and out["amount"].strip():
            status = "refunded"
        else:
            out["amount"] = net
    if converted.strip():
        out["reporting_amount"] = _minus(converted, converted_refunded)
        out["reporting_currency"] = converted_currency
    out["status"] = status
    return None


def _as_utc(raw: str) -> str:
    """A Stripe time without an offset, marked as the UTC it is."""
    s = raw.strip()
    if s and not re.search(r"(Z|[+-]\d\d:?\d\d)$", s) and re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d", s):
        return s + "+00:00"
    return s


def read_rates(fp: BinaryIO) -> Iterator[tuple[int, dict]]:
    """A rates file: `date,currency,rate` (also `day`), any separator."""
    rows = _csv_rows(fp)
    first = next(rows, None)
    if first is None:
        raise FileRejected(
            None,
            N_("the file is empty"),
            N_("write a header {header} and one row per rate"),
            header="date,currency,rate",
        )
    cols: dict[str, int | None] = {_norm(c): i for i, c in enumerate(first[1])}
    cols.setdefault("date", cols.get("day"))
    missing = [c for c in ("date", "currency", "rate") if cols.get(c) is None]
    if missing:
        raise FileRejected(
            1,
            N_("missing column {columns} (found: {found})")
            if ", ".join(first[1])
            else N_("missing column {columns} (found: nothing)"),
            N_("write a header {header}: {rule}"),
            columns=", ".join(missing),
            found=", ".join(first[1]),
            header="date,currency,rate",
            rule="1 unit of currency = rate units of yours",
        )
    for line, row in rows:
        if not row or all(not c.strip() for c in row):
            continue
        yield line, {key: _cell(row, cols, key) for key in ("date", "currency", "rate")}


READERS = {"csv": read_csv, "cdnow": read_cdnow, "shopify": read_shopify, "stripe": read_stripe}


def guess_format(name: str, head: bytes) -> str:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if name.lower().endswith(".txt") and "," not in first:
        return "cdnow"
    if "financial status" in first and "lineitem" in first:
        return "shopify"
    if "created date (utc)" in first or ("amount refunded" in first and "captured" in first):
        return "stripe"
    return "csv"
