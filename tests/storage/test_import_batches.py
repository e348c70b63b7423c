"""A CSV file is checked a batch of rows at a time (storage.column_checks),
falling back to the row by row rules for a batch with anything unusual.
Both ways must stage the same rows and reject the same rows with the same
words: the same mixed files go through both, batches of two rows so clean
and dirty batches alternate, and the result is compared — and checked
against values worked out by hand, so both cannot be wrong alike."""

import io
from datetime import UTC
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from storage import fields as F
from storage.column_checks import checked_column
from storage.db import transaction
from storage.formats import ReadOptions, read_csv, read_csv_batches
from storage.fx import upsert_rates
from storage.importer import ImportRejected, ImportReport, import_file, stage_batches, stage_rows
from tests.support.stores import IMPORTED_AT

MIXED_ORDERS = (
    "id,customer_id,ordered_at,amount,currency,status,customer_name\n"
    "o1,c1,2026-01-01T10:00:00Z,12.50,USD,paid,Ann\n"
    "o2,c1,2026-01-02T10:00:00Z,007,USD,paid,\n"
    'o3, c2 ,2026-01-03,"1,234.50",usd,Completed,"Bob\nBrown"\n'  # two physical lines: line 5, as the csv module counts
    "\n"
    "o4,c2,2026-02-30T10:00:00Z,5,USD,paid,Bob\n"  # no such day
    "o5,c3,2026-01-05T10:00:00Z,5,EUR,paid,Cy\n"  # no EUR rate before 2026-01-05
    "o6,c3,2026-01-06T10:00:00Z,5,EUR,paid,Cy\n"
    "o7,c4,2026-01-07T10:00:00Z,-3,USD,paid,Di\n"
    ",c4,2026-01-08T10:00:00Z,4,USD,refunded,Di\n"  # no id: derived from the content
    "o9,c5,2026-01-09T10:00:00Z,9,USD,weird,Ed\n"
    "o10,c5,2026-01-10T10:00:00Z,10,USD,paid\n"  # a short row: customer_name blank
    "o11,,2026-01-11T10:00:00Z,11,USD,paid,Ed\n"
    "o12,c6,2026-01-12T10:00:00Z,1.1234567,USD,,Fay\n"
    "o13,c6,2026-01-13T10:00:00Z,13,USD,paid,Fay\n"
)
CUSTOMERS = (
    "id,name,email,company,segment,owner_rep_id,created_at,churned_at\n"
    "c1,Ann,ann@x.example,Acme,SMB,U0A,2025-09-17,\n"
    "c2,Bob,,,SMB,U0A,2025-09-18,2026-01-01\n"
    "c3,Cy,,,Enterprise,,2025-09-18T10:00:00Z,\n"
    "c4,Di,,,SMB,u0a,2025-09-19,\n"  # not a Slack id
    "c5,Ed,,,SMB,U0B,2025-13-01,\n"  # no 13th month
    " ,Nobody,,,SMB,U0B,2025-09-20,\n"  # no id
    "c7,  Gus  ,,,SMB,U0B,20250921,\n"
)
FEEDBACK = (
    "id,customer_id,kind,score,submitted_at,comment\n"
    "f1,c1,nps,9,2026-01-01,great\n"
    "f2,c1,csat,5,2026-01-02,\n"
    "f3,c1,csat,6,2026-01-03,\n"  # csat is 1..5
    "f4,c1,CES,7,2026-01-04,\n"
    "f5,c1,nps,11,2026-01-05,\n"
    "f6,c1,nps,0,2026-01-06,\n"
)


def _stage_both_ways(db, kind: str, text: str, tz) -> tuple[list, list]:
    """(staged rows, described rejections, rows read) row by row and by
    batches of two rows."""
    results = []
    for batched in (False, True):
        report = ImportReport(kind=kind, file="f.csv", format="csv")
        fp = io.BufferedReader(io.BytesIO(text.encode()))  # type: ignore[arg-type]
        if batched:
            stage = stage_batches(db, kind, read_csv_batches(fp, kind, ReadOptions(), size=2), report, tz=tz)
        else:
            stage = stage_rows(db, kind, read_csv(fp, kind, ReadOptions()), report, tz=tz)
        rows = db.execute(f"SELECT * FROM {stage} ORDER BY line").fetchall()
        results.append((rows, [e.describe(report.file) for e in report.errors], report.rows))
    return results[0], results[1]


@pytest.mark.parametrize("tz", [UTC, ZoneInfo("UTC"), ZoneInfo("Asia/Tehran")], ids=str)
def test_mixed_orders_stage_and_reject_alike_both_ways(fresh_db, tz):
    with transaction(fresh_db):
        upsert_rates(fresh_db, "USD", [("2026-01-06", "EUR", 1.25)])
    by_row, by_batch = _stage_both_ways(fresh_db, "orders", MIXED_ORDERS, tz)
    assert by_batch == by_row
    rows, errors, read = by_row
    assert read == 13
    assert errors == [
        "f.csv:7: ordered_at: '2026-02-30T10:00:00Z' is not a date (write dates as YYYY-MM-DD or ISO-8601 like 2026-01-31T09:30:00Z)",
        "f.csv:8: currency: no rate for EUR into USD on or before 2026-01-05 (import rates first: "
        "retention-bot import fx FILE, a CSV of date,currency,rate (1 EUR = rate USD))",
        "f.csv:10: amount: negative amount '-3' (record refunds with status 'refunded', not a negative amount)",
        "f.csv:12: status: unknown order status 'weird' (use paid, pending, refunded, cancelled or failed (or --map the right column))",
        "f.csv:14: customer_id: missing value (fill in customer_id)",
    ]
    by_id = {r[2]: r for r in rows}
    assert by_id["o1"] == (2, 0, "o1", "c1", "2026-01-01T10:00:00Z", 12.5, "USD", "paid", "Ann", None, None, None, 12.5)
    assert by_id["o2"][5:9] == (7.0, "USD", "paid", None)
    midnight = "2026-01-02T20:30:00Z" if tz == ZoneInfo("Asia/Tehran") else "2026-01-03T00:00:00Z"
    assert by_id["o3"] == (5, 0, "o3", "c2", midnight, 1234.5, "USD", "paid", "Bob\nBrown", None, None, None, 1234.5)
    assert by_id["o6"][5:7] == (6.25, "EUR") and by_id["o6"][-1] == 5.0
    derived = [r for r in rows if r[1] == 1]
    assert len(derived) == 1 and derived[0][0] == 11 and derived[0][2].startswith("~")
    assert by_id["o10"][8] is None
    assert by_id["o12"][5:8] == (1.123457, "USD", "paid")
    assert [r[0] for r in rows] == [2, 3, 5, 9, 11, 13, 15, 16]


def test_a_clean_file_stages_the_same_both_ways(fresh_db):
    clean = "".join(line + "\n" for line in MIXED_ORDERS.splitlines()[:3])
    by_row, by_batch = _stage_both_ways(fresh_db, "orders", clean, ZoneInfo("UTC"))
    assert by_batch == by_row
    assert by_row[0] == [
        (2, 0, "o1", "c1", "2026-01-01T10:00:00Z", 12.5, "USD", "paid", "Ann", None, None, None, 12.5),
        (3, 0, "o2", "c1", "2026-01-02T10:00:00Z", 7.0, "USD", "paid", None, None, None, None, 7.0),
    ]


def test_customers_and_feedback_stage_and_reject_alike_both_ways(fresh_db):
    by_row, by_batch = _stage_both_ways(fresh_db, "customers", CUSTOMERS, UTC)
    assert by_batch == by_row
    assert by_row[1] == [
        "f.csv:5: owner_rep_id: 'u0a' is not a Slack user id (use the member id from the person's Slack profile, like U012AB3CD)",
        "f.csv:6: created_at: '2025-13-01' is not a date (write dates as YYYY-MM-DD or ISO-8601 like 2026-01-31T09:30:00Z)",
        "f.csv:7: id: missing value (fill in id)",
    ]
    assert [r[2:] for r in by_row[0]] == [
        ("c1", "Ann", "ann@x.example", "Acme", "SMB", "U0A", "2025-09-17T00:00:00Z", None),
        ("c2", "Bob", None, None, "SMB", "U0A", "2025-09-18T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("c3", "Cy", None, None, "Enterprise", None, "2025-09-18T10:00:00Z", None),
        ("c7", "Gus", None, None, "SMB", "U0B", "2025-09-21T00:00:00Z", None),
    ]
    by_row, by_batch = _stage_both_ways(fresh_db, "feedback", FEEDBACK, UTC)
    assert by_batch == by_row
    assert [e.split(" (")[0] for e in by_row[1]] == [
        "f.csv:4: score: 6 is out of range for csat",
        "f.csv:6: score: 11 is out of range",
    ]
    assert [(r[2], r[4], r[5]) for r in by_row[0]] == [
        ("f1", "nps", 9.0),
        ("f2", "csat", 5.0),
        ("f4", "ces", 7.0),
        ("f6", "nps", 0.0),
    ]


def test_a_file_refused_midway_lists_the_rows_before_it_as_row_by_row(fresh_db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(MIXED_ORDERS.replace("o7,c4,2026-01-07T10:00:00Z,-3,USD,paid,Di", "o7,c4,x,3,USD,paid,Di,extra"))
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", path, tz=ZoneInfo("UTC"), now=IMPORTED_AT)
    lines = e.value.report.lines()
    assert lines[0] == f"{path}:10: 8 columns but the header has 7 (check the quoting and commas)"
    assert [line.split(": ")[0] + ": " + line.split(": ")[1] for line in lines[1:]] == [
        f"{path}:7: ordered_at",
        f"{path}:8: currency",  # no EUR rate at all in this store
        f"{path}:9: currency",
    ]
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


def test_each_column_check_gives_the_row_rules_values_or_declines():
    ts = checked_column(("2026-01-01T10:00:00Z", ""), 2, F.timestamp, None, False)
    assert ts == ["2026-01-01T10:00:00Z", None]
    assert checked_column(("2026-02-29T10:00:00Z",), 1, F.timestamp, None, True) is None  # 2026 is no leap year
    assert checked_column(("12.50", "007", "3."), 3, F.amount, None, True) == [12.5, 7.0, 3.0]
    assert checked_column(("1,234.50", "$2"), 2, F.amount, None, True) == [1234.5, 2.0]
    assert checked_column(("1000000000001",), 1, F.amount, None, True) is None  # beyond a trillion
    assert checked_column((" a ", "b", " "), 3, F.text, None, False) == ["a", "b", None]
    assert checked_column((" a ", " "), 2, F.text, None, True) is None
    assert checked_column(("", "usd", " EUR "), 3, F.currency, "USD", False) == ["USD", "USD", "EUR"]
    assert checked_column(None, 2, F.status, "paid", False) == ["paid", "paid"]
    assert checked_column(None, 2, F.amount, None, True) is None
    assert checked_column(("Completed", "void"), 2, F.status, "paid", False) == ["paid", "cancelled"]
    assert checked_column(("paid", "weird"), 2, F.status, "paid", False) is None


def test_an_import_leaves_nothing_staged_on_its_connection(fresh_db, tmp_path):
    """The staged rows live in a private temporary database attached for the
    import and detached after it (storage.importer.STAGING), whether the
    import is a dry run, is refused or lands; staged inside a caller's
    transaction (where SQLite cannot attach) they are a temp table the merge
    drops. Either way a long-lived connection keeps no copy of a file."""
    good = tmp_path / "orders.csv"
    good.write_text("id,customer_id,ordered_at,amount\no1,c1,2026-01-01T10:00:00Z,5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,customer_id,ordered_at,amount\no2,c1,x,5\n")

    def staged() -> list:
        schemas = [row[1] for row in fresh_db.execute("PRAGMA database_list")]
        return [s for s in schemas if s not in ("main", "temp")] + [
            row[0] for row in fresh_db.execute("SELECT name FROM temp.sqlite_master WHERE name LIKE 'stage%'")
        ]

    assert import_file(fresh_db, "orders", good, now=IMPORTED_AT, dry_run=True).added == 1
    assert staged() == []
    with pytest.raises(ImportRejected):
        import_file(fresh_db, "orders", bad, now=IMPORTED_AT)
    assert staged() == []
    with transaction(fresh_db):
        assert import_file(fresh_db, "orders", good, now=IMPORTED_AT).added == 1
        assert staged() == []
    assert import_file(fresh_db, "orders", good, now=IMPORTED_AT).unchanged == 1
    assert staged() == []
    assert fresh_db.execute("SELECT id, amount FROM orders").fetchall() == [("o1", 5.0)]


@pytest.mark.parametrize("year", ["1969", "2101"])
def test_a_stored_form_time_outside_the_years_leaves_its_batch_to_the_row_by_row_path(year):
    """The column check keeps the field's own year range (F.FIRST_YEAR to
    F.LAST_YEAR): a time outside it is not vouched for, so the row path
    refuses it with its words."""
    ts = partial(F.timestamp, tz=UTC)
    inside = ["1970-01-01T00:00:00Z", "2100-12-31T23:59:59Z"]
    assert checked_column(inside, 2, ts, None, True) == inside
    assert checked_column([*inside, f"{year}-06-01T00:00:00Z"], 3, ts, None, True) is None
