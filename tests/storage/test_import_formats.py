"""Shopify and Stripe exports (real column headers); other kinds of file."""

from storage.importer import import_file
from tests.support.stores import DATA, IMPORTED_AT


def _orders(db):
    return {r[0]: r[1:] for r in db.execute("SELECT id, customer_id, ordered_at, amount, status FROM orders")}


def test_shopify_orders_export(fresh_db):
    report = import_file(fresh_db, "orders", DATA / "shopify_orders.csv", now=IMPORTED_AT)
    assert report.format == "shopify"
    orders = _orders(fresh_db)
    assert set(orders) == {"#1001", "#1002", "#1003", "#1004", "#1005", "#1006"}  # line-item rows folded
    assert orders["#1001"] == ("jane@example.com", "2026-01-15T15:23:45Z", 100.0, "paid")
    assert orders["#1002"][3] == "refunded"
    assert orders["#1003"][2:] == (50.0, "paid")  # partially refunded: net of the refund
    assert orders["#1004"][3] == "cancelled"
    assert orders["#1005"][3] == "pending"
    counted = fresh_db.execute("SELECT id, order_count, revenue FROM customers ORDER BY id").fetchall()
    assert counted == [("jane@example.com", 2, 150.0), ("kim@example.net", 0, 0.0), ("sam@example.org", 1, 120.5)]
    assert fresh_db.execute("SELECT name, company FROM customers WHERE id = 'jane@example.com'").fetchone() == (
        "Jane Doe",
        "Doe Bakery",
    )


def test_stripe_payments_export(fresh_db):
    report = import_file(fresh_db, "orders", DATA / "stripe_payments.csv", now=IMPORTED_AT)
    assert report.format == "stripe"
    orders = _orders(fresh_db)
    assert orders["ch_3A1"] == ("cus_A", "2026-01-05T10:00:00Z", 49.0, "paid")
    assert orders["ch_3A2"][3] == "failed"
    assert orders["ch_3A3"][3] == "refunded"
    assert orders["ch_3A4"][2:] == (80.0, "paid")
    assert orders["ch_3A5"][3] == "pending"  # authorised, never captured
    assert orders["ch_3A6"][3] == "cancelled"
    counted = dict(fresh_db.execute("SELECT id, revenue FROM customers").fetchall())
    assert counted == {"cus_A": 129.0, "cus_B": 0.0, "cus_C": 0.0}


def test_customers_reps_feedback(fresh_db, tmp_path):
    (tmp_path / "reps.csv").write_text(
        "id,name,email,tz,manager_id\nU0ANA1,Ana,ana@x.io,Europe/Berlin,\nU0BO2,Bo,bo@x.io,Asia/Tokyo,U0ANA1\n"
    )
    (tmp_path / "customers.csv").write_text("id,name,email,segment,owner_rep_id\nc1,Acme,a@acme.io,Enterprise,U0BO2\n")
    (tmp_path / "fb.csv").write_text("customer_id,kind,score,submitted_at\nc1,nps,9,2026-01-01\nc1,csat,5,2026-01-02\n")
    assert import_file(fresh_db, "reps", tmp_path / "reps.csv", now=IMPORTED_AT).added == 2
    assert import_file(fresh_db, "customers", tmp_path / "customers.csv", now=IMPORTED_AT).added == 1
    assert import_file(fresh_db, "feedback", tmp_path / "fb.csv", now=IMPORTED_AT).added == 2
    assert import_file(fresh_db, "feedback", tmp_path / "fb.csv", now=IMPORTED_AT).unchanged == 2
    (tmp_path / "customers.csv").write_text("id,segment\nc1,SMB\n")
    report = import_file(fresh_db, "customers", tmp_path / "customers.csv", now=IMPORTED_AT)
    assert report.updated == 1
    assert fresh_db.execute("SELECT name, segment FROM customers").fetchone() == ("Acme", "SMB")


def test_feedback_for_unknown_customer_and_bad_score(fresh_db, tmp_path):
    import pytest

    from storage.importer import ImportRejected

    (tmp_path / "fb.csv").write_text(
        "customer_id,kind,score,submitted_at\nghost,nps,9,2026-01-01\nghost,csat,9,2026-01-01\n"
    )
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "feedback", tmp_path / "fb.csv", now=IMPORTED_AT)
    lines = e.value.report.lines()
    assert ":2: customer_id: unknown customer 'ghost'" in lines[0]
    assert ":3: score: 9 is out of range for csat" in lines[1] or ":3: score: 9 is out of range for csat" in lines[0]


def test_new_order_marks_open_followup_won_back(cdnow_db, tmp_path):
    cdnow_db.execute(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at) VALUES ('1', 'U1', 'open', '1998-07-01T00:00:00Z')"
    )
    (tmp_path / "o.csv").write_text("customer_id,ordered_at,amount\n1,1998-07-10,30\n")
    report = import_file(cdnow_db, "orders", tmp_path / "o.csv", now=IMPORTED_AT)
    assert report.won_back == 1
    assert cdnow_db.execute("SELECT state, note FROM followups").fetchone() == (
        "won_back",
        "ordered again on 1998-07-10",
    )
