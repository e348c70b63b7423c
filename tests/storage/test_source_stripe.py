"""The `stripe` source against a fake Stripe on 127.0.0.1, through the real
`stripe` library and the real sync engine into a real SQLite store."""

import json
from datetime import UTC, datetime

import pytest

from storage.sources import open_source
from storage.sources.config import load_sources
from storage.sources.state import load_source_state, stored_error
from storage.sources.stripe import charge_row, major
from storage.sources.sync import sync_source
from tests.support.stores import dump
from tests.support.stripe_fake import API_KEY, FakeStripe

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
DAY = 86_400
T0 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())


@pytest.fixture
def stripe_fake():
    with FakeStripe() as fake:
        yield fake


def sync(db, fake, tmp_path, *, key=API_KEY, full=False, **extra):
    lines = ["[sources.billing]", 'kind = "stripe"', 'api_key_env = "STRIPE_KEY"', f'api_base = "{fake.url}"']
    lines += ["max_network_retries = 0", *(f"{k} = {v!r}" for k, v in extra.items())]
    (tmp_path / "sources.toml").write_text("\n".join(lines) + "\n")
    config = load_sources(tmp_path / "sources.toml").sources[0]
    source = open_source(config, {"STRIPE_KEY": key})
    try:
        return sync_source(db, source, now=NOW, tz=UTC, full=full, secrets=[key])
    finally:
        source.close()


def order(db, order_id):
    return db.execute(
        "SELECT customer_id, amount, status, currency, source_amount FROM orders WHERE id = ?", [order_id]
    ).fetchone()


def shop(fake, n=250):
    """`n` charges over `n` hours from T0, every third one of a customer
    with an account (the others paid as guests, by email)."""
    ann = fake.add_customer(created=T0 - DAY, name="Ann Lee", email="ann@example.com")
    return ann, [
        fake.add_charge(
            amount=1000 + i,
            created=T0 + i * 3600,
            customer=ann["id"] if i % 3 == 0 else None,
            email=f"Guest{i % 7}@Example.com",
        )
        for i in range(n)
    ]


def charge_pages(fake):
    return [params for path, params in fake.requests if path == "/v1/charges"]


def test_backfill_of_three_pages_then_a_late_refund_nets_the_order(fresh_db, stripe_fake, tmp_path):
    ann, charges = shop(stripe_fake)
    first = sync(fresh_db, stripe_fake, tmp_path, batch_size=100)
    assert (first.error, first.added, first.updated) == (None, 251, 0)  # 250 orders and Ann
    pages = charge_pages(stripe_fake)
    assert [p.get("starting_after") for p in pages] == [None, charges[150]["id"], charges[50]["id"]]
    assert all(p["limit"] == "100" and p["expand[0]"] == "data.balance_transaction" for p in pages)
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 250
    old = charges[3]  # Ann's, 247 charges ago
    assert order(fresh_db, old["id"]) == (ann["id"], 10.03, "paid", "USD", 10.03)
    assert order(fresh_db, charges[1]["id"])[0] == "guest1@example.com"  # no customer: the payer's email
    assert fresh_db.execute("SELECT name, email FROM customers WHERE id = ?", [ann["id"]]).fetchone() == (
        "Ann Lee",
        "ann@example.com",
    )
    revenue = fresh_db.execute("SELECT revenue FROM customers WHERE id = ?", [ann["id"]]).fetchone()[0]

    stripe_fake.refund(old["id"], 403, at=T0 + 300 * 3600)
    second = sync(fresh_db, stripe_fake, tmp_path)
    assert (second.error, second.added, second.updated) == (None, 0, 1)
    assert order(fresh_db, old["id"]) == (ann["id"], 6.0, "paid", "USD", 6.0)  # 10.03 − 4.03
    after = fresh_db.execute("SELECT revenue FROM customers WHERE id = ?", [ann["id"]]).fetchone()[0]
    assert after == pytest.approx(revenue - 4.03)
    assert sync(fresh_db, stripe_fake, tmp_path).summary() == "billing: no changes"


def test_full_refund_lost_dispute_and_late_capture(fresh_db, stripe_fake, tmp_path):
    _, charges = shop(stripe_fake, 5)
    held = stripe_fake.add_charge(amount=7000, created=T0 + DAY, email="held@example.com", captured=False)
    sync(fresh_db, stripe_fake, tmp_path)
    assert order(fresh_db, held["id"])[2] == "pending"  # authorised, not captured: not a purchase yet
    stripe_fake.refund(charges[0]["id"], 1000, at=T0 + 2 * DAY)
    dispute = stripe_fake.dispute(charges[1]["id"], at=T0 + 2 * DAY)
    stripe_fake.capture(held["id"], at=T0 + 2 * DAY + 1)
    report = sync(fresh_db, stripe_fake, tmp_path)
    assert (report.error, report.updated) == (None, 2)
    assert order(fresh_db, charges[0]["id"])[2] == "refunded"
    assert order(fresh_db, charges[1]["id"])[1:3] == (10.01, "paid")  # an open dispute may yet be won
    assert order(fresh_db, held["id"])[1:3] == (70.0, "paid")
    stripe_fake.close_dispute(dispute["id"], "lost", at=T0 + 3 * DAY)
    assert sync(fresh_db, stripe_fake, tmp_path).updated == 1
    assert order(fresh_db, charges[1]["id"])[2] == "refunded"
    stripe_fake.refund_failed(charges[0]["id"], 1000, at=T0 + 4 * DAY)  # the refund bounced: paid again
    assert sync(fresh_db, stripe_fake, tmp_path).updated == 1
    assert order(fresh_db, charges[0]["id"])[1:3] == (10.0, "paid")


def test_settled_amount_is_used_in_the_reporting_currency(fresh_db, stripe_fake, tmp_path):
    yen = stripe_fake.add_charge(amount=5000, currency="jpy", created=T0, email="k@example.jp", settled=(3312, "usd"))
    dinar = stripe_fake.add_charge(
        amount=12345, currency="kwd", created=T0, email="d@example.kw", settled=(4012, "usd")
    )
    assert sync(fresh_db, stripe_fake, tmp_path).error is None
    assert order(fresh_db, yen["id"])[1:] == (33.12, "paid", "JPY", 5000.0)  # JPY has no minor unit
    assert order(fresh_db, dinar["id"])[1:] == (40.12, "paid", "KWD", 12.345)  # KWD has three
    stripe_fake.refund(yen["id"], 2500, at=T0 + DAY)
    sync(fresh_db, stripe_fake, tmp_path)
    assert order(fresh_db, yen["id"])[1:] == (16.56, "paid", "JPY", 2500.0)  # half refunded: half the settled


def test_a_failure_midway_keeps_what_was_stored_and_the_next_sync_resumes(fresh_db, stripe_fake, tmp_path, db_path):
    shop(stripe_fake)
    stripe_fake.fail("/v1/charges", 500, after=2)  # the third page of charges
    broken = sync(fresh_db, stripe_fake, tmp_path, batch_size=100)
    assert broken.error and "Stripe answered an error while reading charges" in broken.error
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 200
    resumed = sync(fresh_db, stripe_fake, tmp_path, batch_size=100)
    assert (resumed.error, resumed.added) == (None, 50)
    assert charge_pages(stripe_fake)[-1].get("starting_after")  # went on after the stored page
    whole = tmp_path / "whole"
    whole.mkdir()
    from storage import open_db

    other = open_db(whole / "store.db")
    try:
        sync(other, stripe_fake, whole)
        assert {t: rows for t, rows in dump(other).items() if t in ("customers", "orders")} == {
            t: rows for t, rows in dump(fresh_db).items() if t in ("customers", "orders")
        }
    finally:
        other.conn.close()


def test_a_bad_key_says_what_and_how_to_fix(fresh_db, stripe_fake, tmp_path):
    report = sync(fresh_db, stripe_fake, tmp_path, key="sk_live_wrong_key_0000")
    assert report.error.startswith("source billing: Stripe refused the API key while reading events")
    assert "STRIPE_KEY" in report.error and "sk_live_wrong_key_0000" not in report.error
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0
    state = load_source_state(fresh_db, "billing")  # kept as its message and values too, scrubbed as well
    assert "STRIPE_KEY" in state["error_message"] and "sk_live_wrong" not in state["error_message"]
    assert str(stored_error(state)) == report.error == state["last_error"]


def test_a_restricted_key_without_a_permission_is_named(fresh_db, tmp_path):
    with FakeStripe(restricted={"charges": "rak_charge_read"}) as fake:
        report = sync(fresh_db, fake, tmp_path)
    assert "the Stripe key may not read charges" in report.error
    assert "rak_charge_read" in report.error and "Read on Charges, Customers, Disputes and Events" in report.error


def test_events_older_than_stripe_keeps_ask_for_a_full_sync(fresh_db, stripe_fake, tmp_path):
    shop(stripe_fake, 3)
    sync(fresh_db, stripe_fake, tmp_path)
    stripe_fake.add_charge(amount=500, created=T0 + 40 * DAY, email="late@example.com")
    report = sync(fresh_db, stripe_fake, tmp_path)
    assert "Stripe keeps events for 30 days only" in report.error and "--full" in report.error
    when = report.error_values["when"]  # an instant, so each reader is told it in the workspace's zone and calendar
    assert (
        isinstance(when, datetime) and when.tzinfo is not None and when.strftime("%Y-%m-%dT%H:%M:%SZ") in report.error
    )
    assert stored_error(load_source_state(fresh_db, "billing")).values["when"] == when  # kept as one in the store
    assert sync(fresh_db, stripe_fake, tmp_path, full=True).added == 1


def test_a_charge_as_a_row():
    charge = {
        "id": "ch_1",
        "amount": 2000,
        "amount_refunded": 500,
        "currency": "eur",
        "created": T0,
        "customer": None,
        "billing_details": {"email": " Bo@Example.com ", "name": "Bo"},
        "captured": True,
        "status": "succeeded",
    }
    row, why = charge_row(charge)
    assert why is None
    assert row == {
        "id": "ch_1",
        "customer_id": "bo@example.com",
        "ordered_at": "2026-10-01T00:00:00Z",
        "amount": "15.00",
        "currency": "EUR",
        "status": "paid",
        "email": "Bo@Example.com",
        "customer_name": "Bo",
    }
    assert charge_row({**charge, "status": "failed"})[0]["status"] == "failed"
    assert charge_row({**charge, "status": "pending"}) == ({**row, "status": "pending", "amount": "20.00"}, None)
    assert (major(5, "jpy"), major(5, "usd"), major(5, "bhd")) == ("5", "0.05", "0.005")


def test_doctor_check_reads_each_kind_of_object(stripe_fake, tmp_path):
    shop(stripe_fake, 2)
    (tmp_path / "sources.toml").write_text(
        f'[sources.billing]\nkind = "stripe"\napi_key_env = "K"\napi_base = "{stripe_fake.url}"\n'
    )
    source = open_source(load_sources(tmp_path / "sources.toml").sources[0], {"K": API_KEY})
    assert (
        str(source.check())
        == "Stripe: charges, customers and events readable (some charges; newest event 2026-10-01T01:00:00Z)"
    )
    assert [path for path, _ in stripe_fake.requests] == ["/v1/charges", "/v1/customers", "/v1/events"]


def test_increments_resume_inside_a_second_without_missing_or_repeating(fresh_db, stripe_fake, tmp_path):
    shop(stripe_fake, 2)
    sync(fresh_db, stripe_fake, tmp_path)
    t1 = T0 + 10 * DAY
    new = [stripe_fake.add_charge(amount=300, created=t1 + i // 120, email=f"n{i}@example.com") for i in range(250)]
    stripe_fake.fail(f"/v1/charges/{new[150]['id']}", 500)  # in the second page of events, mid-second
    broken = sync(fresh_db, stripe_fake, tmp_path, batch_size=100)
    # the first page of events: the backfill's newest one again (unchanged), then 99 new
    assert (broken.added, broken.unchanged) == (99, 1) and "Stripe answered an error" in broken.error
    state = json.loads(fresh_db.execute("SELECT cursor FROM sources").fetchone()[0])
    assert (state["since"], len(state["seen"])) == (t1, 99)  # 99 of the 120 events of that second
    resumed = sync(fresh_db, stripe_fake, tmp_path, batch_size=100)
    assert (resumed.error, resumed.added, resumed.updated, resumed.unchanged) == (None, 151, 0, 0)
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 252
    assert sync(fresh_db, stripe_fake, tmp_path).summary() == "billing: no changes"
