"""Currencies: orders keep what they were paid in and are summed in the
workspace's reporting currency by imported rates; an order with no rate is
refused; the reporting currency changes only with every order converted;
Stripe's own converted amounts are used when they are in ours."""

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from commands import Context, answer
from storage import open_db
from storage.importer import ImportRejected, import_file, import_rates
from tests.support.stores import IMPORTED_AT


def write(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def orders_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "orders.csv",
        ["id", "customer_id", "ordered_at", "amount", "currency"],
        [("u1", "ann", "2026-01-10", "100.00", "USD"), ("j1", "ken", "2026-02-10", "10000", "JPY")],
    )


def rates_file(tmp_path: Path, rows=(("2026-01-01", "JPY", "0.0068"), ("2026-02-01", "JPY", "0.0067"))) -> Path:
    return write(tmp_path / "rates.csv", ["date", "currency", "rate"], list(rows))


def stored(db) -> dict:
    return {r[0]: r[1:] for r in db.execute("SELECT id, amount, currency, source_amount FROM orders")}


def test_an_order_in_a_currency_without_a_rate_is_refused_naming_it(fresh_db, tmp_path):
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", orders_file(tmp_path), now=IMPORTED_AT)
    (line,) = e.value.report.lines()
    assert line.startswith(f"{tmp_path / 'orders.csv'}:3: currency: no rate for JPY into USD on or before 2026-02-10")
    assert "retention-bot import fx FILE" in line and "1 JPY = rate USD" in line
    assert stored(fresh_db) == {}


def test_rates_convert_orders_by_the_latest_rate_on_or_before_their_day(fresh_db, tmp_path):
    report = import_rates(fresh_db, rates_file(tmp_path), base="USD", now=IMPORTED_AT)
    assert (report.rates, report.changed, report.currencies) == (2, 2, ["JPY"])
    import_file(fresh_db, "orders", orders_file(tmp_path), now=IMPORTED_AT)
    assert stored(fresh_db) == {"u1": (100.0, "USD", 100.0), "j1": (67.0, "JPY", 10000.0)}  # Feb's rate
    revenue = answer(Context(fresh_db, as_of=date(2026, 3, 31)), "kpis 2026-Q1").data["revenue"]
    assert revenue == 167.0  # not $10,100
    assert dict(fresh_db.execute("SELECT id, revenue FROM customers")) == {"ann": 100.0, "ken": 67.0}


def test_new_rates_reconvert_the_orders_they_cover(fresh_db, tmp_path):
    import_rates(fresh_db, rates_file(tmp_path), base="USD", now=IMPORTED_AT)
    import_file(fresh_db, "orders", orders_file(tmp_path), now=IMPORTED_AT)
    better = rates_file(tmp_path, [("2026-02-10", "JPY", "0.0070")])
    report = import_rates(fresh_db, better, base="USD", now=IMPORTED_AT)
    assert report.orders_converted == 1
    assert stored(fresh_db)["j1"] == (70.0, "JPY", 10000.0)
    assert fresh_db.execute("SELECT revenue FROM customers WHERE id = 'ken'").fetchone()[0] == 70.0


def test_changing_the_currency_needs_rates_and_then_converts_never_relabels(db_path, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db_path), "import", "fx", str(rates_file(tmp_path))]).exit_code == 0
    assert runner.invoke(main, ["--db", str(db_path), "import", "orders", str(orders_file(tmp_path))]).exit_code == 0
    refused = runner.invoke(main, ["--db", str(db_path), "config", "currency", "EUR", "--json"])
    assert refused.exit_code == 2
    error = json.loads(refused.output)["error"]
    assert (
        error.startswith(
            "`currency` stays USD: 1 JPY order from 2026-02-10 has no JPY→EUR rate; 1 USD order "
            "from 2026-01-10 has no USD→EUR rate"
        )
        and "retention-bot import fx FILE --to EUR" in error
    )
    db = open_db(db_path)
    assert stored(db)["u1"] == (100.0, "USD", 100.0)
    db.conn.close()
    eur = write(
        tmp_path / "eur.csv",
        ["date", "currency", "rate"],
        [("2026-01-01", "USD", "0.90"), ("2026-01-01", "JPY", "0.0060")],
    )
    prepared = runner.invoke(main, ["--db", str(db_path), "import", "fx", str(eur), "--to", "EUR"])
    assert prepared.exit_code == 0 and "0 orders converted" in prepared.output  # USD is still the currency
    switched = runner.invoke(main, ["--db", str(db_path), "config", "currency", "EUR", "--json"])
    assert switched.exit_code == 0, switched.output
    assert json.loads(switched.output)["orders_converted"] == 2
    db = open_db(db_path)
    try:
        assert stored(db) == {"u1": (90.0, "USD", 100.0), "j1": (60.0, "JPY", 10000.0)}
        assert answer(Context(db, as_of=date(2026, 3, 31)), "kpis 2026-Q1").data["revenue"] == 150.0
        assert "€150 revenue" in str(answer(Context(db, as_of=date(2026, 3, 31)), "kpis 2026-Q1").message)
    finally:
        db.conn.close()


def test_stripes_converted_amount_is_used_when_it_is_in_our_currency(fresh_db, tmp_path):
    path = write(
        tmp_path / "unified_payments.csv",
        [
            "id",
            "Created date (UTC)",
            "Amount",
            "Amount Refunded",
            "Currency",
            "Captured",
            "Converted Amount",
            "Converted Amount Refunded",
            "Converted Currency",
            "Status",
            "Customer ID",
        ],
        [("ch_e", "2026-01-05 10:00:00", "100.00", "10.00", "eur", "true", "108.00", "10.80", "usd", "Paid", "cus_E")],
    )
    import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    assert stored(fresh_db) == {"ch_e": (97.2, "EUR", 90.0)}  # no EUR rate needed: Stripe converted it


def test_a_bad_rates_file_names_file_line_and_column_and_changes_nothing(fresh_db, tmp_path):
    path = write(
        tmp_path / "rates.csv",
        ["date", "currency", "rate"],
        [
            ("2026-01-01", "JPY", "0.0068"),
            ("2026-13-01", "JPY", "0.007"),
            ("2026-01-02", "yen!", "1"),
            ("2026-01-03", "EUR", "-1"),
            ("2026-01-04", "USD", "1"),
        ],
    )
    with pytest.raises(ImportRejected) as e:
        import_rates(fresh_db, path, base="USD", now=IMPORTED_AT)
    lines = e.value.report.lines()
    assert lines[0].startswith(f"{path}:3: date: '2026-13-01' is not a date")
    assert lines[1].startswith(f"{path}:4: currency: 'yen!' is not a currency code")
    assert lines[2].startswith(f"{path}:5: rate: -1 is out of range")
    assert lines[3].startswith(f"{path}:6: currency: USD is the currency the rates are into")
    assert fresh_db.execute("SELECT COUNT(*) FROM fx_rates").fetchone()[0] == 0
