"""Bad input: one clear message naming file, line and column; nothing written."""

import pytest

from storage.importer import ImportRejected, import_file
from tests.support.stores import IMPORTED_AT, dump, orders_csv


def test_one_bad_row_rejects_whole_file(cdnow_db, tmp_path):
    path = tmp_path / "orders.csv"
    orders_csv(path, 2000, bad_line=1234)
    before = dump(cdnow_db)
    with pytest.raises(ImportRejected) as e:
        import_file(cdnow_db, "orders", path, now=IMPORTED_AT)
    lines = e.value.report.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:1234: ordered_at: 'not-a-date' is not a date")
    assert dump(cdnow_db) == before


def test_skip_invalid_imports_the_rest(cdnow_db, tmp_path):
    path = tmp_path / "orders.csv"
    orders_csv(path, 2000, bad_line=1234)
    report = import_file(cdnow_db, "orders", path, skip_invalid=True, now=IMPORTED_AT)
    assert (report.added, report.rejected) == (1999, 1)
    assert report.errors[0].line == 1234


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty"),
        ("id,customer_id,amount\n1,c1,3\n", ":1: missing required column ordered_at"),
        ("customer_id,ordered_at,amount\nc1,2026-01-01,abc\n", ":2: amount: 'abc' is not a number"),
        ("customer_id,ordered_at,amount\nc1,2026-01-01,-5\n", ":2: amount: negative amount"),
        ("customer_id,ordered_at,amount\n,2026-01-01,5\n", ":2: customer_id: missing value"),
        (
            "id,customer_id,ordered_at,amount\na,c1,2026-01-01,5\na,c2,2026-01-02,6\n",
            ":3: id: duplicate id 'a' (also on line 2)",
        ),
        ("customer_id,ordered_at,amount,status\nc1,2026-01-01,5,weird\n", ":2: status: unknown order status 'weird'"),
        ("customer_id,ordered_at,amount\n", "no data rows"),
    ],
)
def test_bad_files_name_line_and_column(fresh_db, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    text = "\n".join(e.value.report.lines())
    assert expected in text
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0
    assert fresh_db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0


def test_binary_and_missing_files(fresh_db, tmp_path):
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", binary, now=IMPORTED_AT)
    assert "binary file" in e.value.report.lines()[0]
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", tmp_path / "nope.csv", now=IMPORTED_AT)
    assert "no such file" in e.value.report.lines()[0]


def test_not_utf8_names_the_line(fresh_db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"customer_id,ordered_at,amount\nc1,2026-01-01,5\n" + "Müller,2026-01-01,5\n".encode("latin-1"))
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    assert "not UTF-8" in e.value.report.lines()[0]


def test_map_option_and_bom(fresh_db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes('\ufeffOrder Ref,Client,When,Total\nA1,acme,2026-02-03T10:00:00+02:00,"1,250.00"\n'.encode())
    report = import_file(
        fresh_db,
        "orders",
        path,
        mapping={"Order Ref": "id", "Client": "customer_id", "When": "ordered_at"},
        now=IMPORTED_AT,
    )
    assert report.added == 1
    assert fresh_db.execute("SELECT id, customer_id, ordered_at, amount FROM orders").fetchone() == (
        "A1",
        "acme",
        "2026-02-03T08:00:00Z",
        1250.0,
    )


def test_wrong_format_is_named(fresh_db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,customer_id,ordered_at,amount\n1,c1,2026-01-01,5\n")
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", path, fmt="cdnow", now=IMPORTED_AT)
    assert ":1: 1 columns; CDNOW files have 5" in e.value.report.lines()[0]
