"""The real CDNOW sample through the importer: counts, dates and money exact."""

from decimal import Decimal

from storage.importer import import_file
from tests.support.stores import CDNOW, IMPORTED_AT, dump


def _file_dollar_total() -> Decimal:
    return sum((Decimal(line.split()[4]) for line in CDNOW.read_text().splitlines() if line.strip()), Decimal(0))


def test_cdnow_sample_imports_exactly(cdnow_db):
    db = cdnow_db
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 2357
    assert db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 6919
    first, last = db.execute("SELECT MIN(ordered_at), MAX(ordered_at) FROM orders").fetchone()
    assert (first[:10], last[:10]) == ("1997-01-01", "1998-06-30")
    total = Decimal(str(round(db.execute("SELECT SUM(amount) FROM orders").fetchone()[0], 2)))
    assert total == _file_dollar_total() == Decimal("244091.94")
    # Aggregates kept at import agree with the orders themselves.
    agg = db.execute("SELECT SUM(order_count), ROUND(SUM(revenue), 2) FROM customers").fetchone()
    assert agg == (6919, 244091.94)
    # Identical rows (same customer, day and amount) stay distinct orders.
    assert (
        db.execute(
            "SELECT COUNT(*) FROM orders WHERE customer_id = '147' AND ordered_at LIKE '1997-07-31%'"
        ).fetchone()[0]
        == 2
    )


def test_reimport_changes_nothing_and_says_so(cdnow_db):
    before = dump(cdnow_db)
    report = import_file(cdnow_db, "orders", CDNOW, now=IMPORTED_AT)
    assert (report.added, report.updated, report.unchanged, report.rejected) == (0, 0, 6919, 0)
    assert "No changes" in report.summary()
    after = dump(cdnow_db)
    after.pop("imports"), before.pop("imports")
    assert after == before
    assert cdnow_db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 2


def test_import_is_recorded_with_hash(cdnow_db):
    row = cdnow_db.execute("SELECT kind, file_name, sha256, added FROM imports").fetchone()
    import hashlib

    assert row == ("orders", "CDNOW_sample.txt", hashlib.sha256(CDNOW.read_bytes()).hexdigest(), 6919)


def test_master_layout_with_header(fresh_db, tmp_path):
    path = tmp_path / "CDNOW_master.txt"
    path.write_text(
        "customer_id date number_of_cds dollar_value\n1 19970101 1 11.77\n2 19970112 1 12.00\n2 19970112 5 77.00\n"
    )
    report = import_file(fresh_db, "orders", path, fmt="cdnow", now=IMPORTED_AT)
    assert (report.added, report.customers_created) == (3, 2)
    assert fresh_db.execute("SELECT revenue FROM customers WHERE id = '2'").fetchone()[0] == 89.0
