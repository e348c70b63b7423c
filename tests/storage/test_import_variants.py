"""Files as people export them: European Excel (semicolons, decimal
commas), tabs and pipes; a --map that names no column; Shopify's partly
paid and email-less orders; Stripe's status words in any case and its UTC
dates in a non-UTC workspace."""

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage.importer import ImportRejected, import_file
from storage.settings import upsert_setting
from tests.support.stores import IMPORTED_AT, SET_AT


def orders(db) -> dict:
    return {r[0]: r[1:] for r in db.execute("SELECT id, customer_id, ordered_at, amount, status FROM orders")}


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_any_common_separator_is_read_from_the_header(fresh_db, tmp_path, sep):
    path = tmp_path / "orders.csv"
    path.write_text(
        sep.join(["id", "customer_id", "ordered_at", "amount"])
        + "\n"
        + sep.join(["o1", "c1", "2026-01-02", "12.50"])
        + "\n"
        + sep.join(["o2", '"c2; the second"' if sep == ";" else "c2", "2026-01-03", "7"])
        + "\n"
    )
    report = import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    assert report.added == 2
    assert orders(fresh_db)["o1"] == ("c1", "2026-01-02T00:00:00Z", 12.5, "paid")


def test_decimal_commas_need_and_take_the_decimal_option(db_path, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "id;customer_id;ordered_at;amount\no1;c1;2026-01-02;1.234,50\no2;c2;2026-01-03;12,5\n", encoding="utf-8"
    )
    plain = CliRunner().invoke(main, ["--db", str(db_path), "import", "orders", str(path)])
    assert plain.exit_code == 1
    assert (
        "export.csv:2: amount: '1.234,50' is not a number (write amounts like 1234.50, or pass --decimal ,"
        in plain.output
    )
    ok = CliRunner().invoke(main, ["--db", str(db_path), "import", "orders", str(path), "--decimal", ","])
    assert ok.exit_code == 0, ok.output
    assert "2 added" in ok.output
    from storage import open_db

    db = open_db(db_path)
    try:
        assert {k: v[2] for k, v in orders(db).items()} == {"o1": 1234.5, "o2": 12.5}
    finally:
        db.conn.close()


def test_a_map_naming_no_column_is_a_usage_error_naming_the_columns(db_path, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("Order,Client,When,Total,Status\nA1,c1,2026-01-02,10,refunded\n")
    args = [
        "--db",
        str(db_path),
        "import",
        "orders",
        str(path),
        "--map",
        "Order=id",
        "--map",
        "Client=customer_id",
        "--map",
        "When=ordered_at",
        "--map",
        "Total=amount",
    ]
    assert CliRunner().invoke(main, [*args, "--map", "Status=status"]).exit_code == 0
    typo = CliRunner().invoke(main, [*args, "--map", "Satus=status"])
    assert typo.exit_code == 2
    assert "--map 'Satus': the file has no column 'Satus' (found: Order, Client, When, Total, Status)" in typo.output
    for lang, said in [
        ("fa", "فایل ستون \u2068'Satus'\u2069 ندارد"),
        ("hy", "--map 'Satus'. ֆայլը 'Satus' սյունակ չունի (գտնված սյունակներ՝ Order, Client, When, Total, Status)"),
    ]:
        told = CliRunner().invoke(main, ["--language", lang, *args, "--map", "Satus=status"]).output
        assert said in told and "the file" not in told, told
    from storage import open_db

    db = open_db(db_path)
    try:
        assert orders(db)["A1"][3] == "refunded"  # the typo did not flip it to paid
    finally:
        db.conn.close()


def shopify(tmp_path: Path, rows: list[dict]) -> Path:
    header = [
        "Name",
        "Email",
        "Financial Status",
        "Currency",
        "Total",
        "Created at",
        "Lineitem name",
        "Billing Name",
        "Shipping Name",
        "Refunded Amount",
        "Outstanding Balance",
        "Cancelled at",
        "Phone",
    ]
    path = tmp_path / "orders_export.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        for row in rows:
            w.writerow({"Currency": "USD", "Created at": "2026-02-01 10:00:00 -0500", "Lineitem name": "Mug", **row})
    return path


def test_shopify_partly_paid_orders_count_what_was_paid_and_email_less_ones_are_matched(fresh_db, tmp_path):
    path = shopify(
        tmp_path,
        [
            {
                "Name": "#1",
                "Email": "ann@x.io",
                "Financial Status": "partially_paid",
                "Total": "100.00",
                "Outstanding Balance": "40.00",
            },
            {"Name": "#2", "Email": "", "Financial Status": "paid", "Total": "25.00", "Billing Name": "Walk-in Wendy"},
            {"Name": "#3", "Email": "", "Financial Status": "paid", "Total": "30.00", "Shipping Name": "Sam Ship"},
            {"Name": "#4", "Email": "", "Financial Status": "paid", "Total": "5.00", "Phone": "+1 555 0100"},
        ],
    )
    report = import_file(fresh_db, "orders", path, fmt="shopify", now=IMPORTED_AT)
    got = orders(fresh_db)
    assert got["#1"][2:] == (60.0, "paid")
    assert (got["#2"][0], got["#3"][0], got["#4"][0]) == ("Walk-in Wendy", "Sam Ship", "+1 555 0100")
    assert report.notes == {
        "partly paid orders counted for what was paid": 1,
        "orders without an email matched to a customer by billing name": 1,
        "orders without an email matched to a customer by shipping name": 1,
        "orders without an email matched to a customer by phone": 1,
    }
    assert any("1 partly paid orders counted" in line or "partly paid" in line for line in report.lines())


def stripe(tmp_path: Path, rows: list[tuple]) -> Path:
    path = tmp_path / "unified_payments.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "Created date (UTC)",
                "Amount",
                "Amount Refunded",
                "Currency",
                "Captured",
                "Status",
                "Customer ID",
                "Customer Email",
            ]
        )
        w.writerows(rows)
    return path


def test_stripe_statuses_in_any_case_and_unknown_ones_skipped_not_fatal(fresh_db, tmp_path):
    path = stripe(
        tmp_path,
        [
            ("ch_1", "2026-01-05 10:00:00", "80.00", "30.00", "usd", "true", "Partially refunded", "cus_A", ""),
            ("ch_2", "2026-01-05 10:00:00", "50.00", "0.00", "usd", "true", "succeeded", "cus_A", ""),
            ("ch_3", "2026-01-05 10:00:00", "50.00", "0.00", "usd", "false", "Uncaptured", "cus_B", ""),
            ("ch_4", "2026-01-05 10:00:00", "50.00", "50.00", "usd", "true", "REFUNDED", "cus_B", ""),
            ("ch_5", "2026-01-05 10:00:00", "50.00", "0.00", "usd", "true", "Disputed-ish", "cus_C", ""),
            ("ch_6", "2026-01-05 10:00:00", "50.00", "0.00", "usd", "true", "Canceled", "", "pay@c.io"),
        ],
    )
    report = import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    got = orders(fresh_db)
    assert got["ch_1"][2:] == (50.0, "paid") and got["ch_2"][2:] == (50.0, "paid")
    assert got["ch_3"][3] == "pending" and got["ch_4"][3] == "refunded" and got["ch_6"][:1] == ("pay@c.io",)
    assert got["ch_6"][3] == "cancelled" and "ch_5" not in got
    assert report.skipped == [(6, "Stripe status 'Disputed-ish' is not a payment we count")]
    assert f"{path}:6: skipped: Stripe status 'Disputed-ish' is not a payment we count" in report.lines()
    assert "1 skipped" in report.summary()


def test_stripe_utc_dates_stay_utc_in_a_los_angeles_workspace(fresh_db, tmp_path):
    upsert_setting(fresh_db, "timezone", "America/Los_Angeles", now=SET_AT)
    path = stripe(tmp_path, [("ch_q", "2026-04-01 02:00:00", "10.00", "0.00", "usd", "true", "Paid", "cus_A", "")])
    import_file(fresh_db, "orders", path, tz=ZoneInfo("America/Los_Angeles"), now=IMPORTED_AT)
    assert orders(fresh_db)["ch_q"][1] == "2026-04-01T02:00:00Z"  # 19:00 on 31 March in Los Angeles: Q1
    from datetime import date

    from commands import Context, answer

    q1 = answer(Context(fresh_db, as_of=date(2026, 6, 30)), "kpis 2026-Q1").data
    assert q1["orders"] == 1


def test_a_rejected_file_still_leaves_the_store_as_it_was(fresh_db, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("id;customer_id;ordered_at;amount\no1;c1;2026-01-02;12,50\n")
    with pytest.raises(ImportRejected):
        import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    assert orders(fresh_db) == {}
