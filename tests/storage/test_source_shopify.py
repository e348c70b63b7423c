"""The `shopify` source against a fake Shopify Admin GraphQL API on
127.0.0.1: bulk backfill, increments, errors; the real sync engine into a
real SQLite store. Polling and throttling wait on an injected sleep."""

import json
from datetime import UTC, datetime

import pytest

from storage.sources import open_source
from storage.sources.config import load_sources
from storage.sources.shopify import ShopifySource
from storage.sources.sync import sync_source
from tests.support.shopify_fake import TOKEN, FakeShopify

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def shop():
    with FakeShopify(now=NOW) as fake:
        yield fake


def config(tmp_path, fake, **extra):
    lines = ["[sources.store]", 'kind = "shopify"', 'shop = "example.myshopify.com"']
    lines += ['access_token_env = "SHOPIFY_TOKEN"', f'shop_url = "{fake.url}"']
    lines += [f"{k} = {v!r}" for k, v in extra.items()]
    (tmp_path / "sources.toml").write_text("\n".join(lines) + "\n")
    return load_sources(tmp_path / "sources.toml").sources[0]


def source(tmp_path, fake, sleeps=None, token=TOKEN, **extra):
    s = open_source(config(tmp_path, fake, **extra), {"SHOPIFY_TOKEN": token})
    assert isinstance(s, ShopifySource)
    s.sleep = (sleeps if sleeps is not None else []).append
    return s


def sync(db, tmp_path, fake, sleeps=None, **extra):
    return sync_source(db, source(tmp_path, fake, sleeps, **extra), now=NOW, tz=UTC, secrets=[TOKEN])


def order(db, name):
    return db.execute("SELECT customer_id, amount, status FROM orders WHERE id = ?", [name]).fetchone()


def stock(fake, n=20):
    """`n` paid orders of five customers from October, and the cases the
    order rules care about."""
    for i in range(n):
        fake.add_order(total=f"{40 + i}.00", email=f"c{i % 5}@example.com", created=f"2026-10-{i + 1:02d}T10:00:00Z")
    part = fake.add_order(total="100.00", email="Pat@Example.com", created="2026-10-25T12:00:00Z")
    fake.refund(part["name"], "30.00", at="2026-10-26T08:00:00Z")
    fake.add_order(
        total="80.00",
        email="dee@example.com",
        created="2026-10-27T12:00:00Z",
        status="PARTIALLY_PAID",
        outstanding="20.00",
    )
    pos = fake.add_order(total="12.50", created="2026-10-28T15:00:00Z", billing_name="Walk-in Wendy")
    return part, pos


def test_bulk_backfill_then_an_increment_with_a_cancellation(fresh_db, tmp_path, shop):
    part, pos = stock(shop)
    sleeps: list[float] = []
    first = sync(fresh_db, tmp_path, shop, sleeps)
    assert (first.error, first.added, first.updated) == (None, 23, 0)
    assert shop.calls == ["currentAppInstallation", "bulkOperationRunQuery", "node", "node", "download"]
    assert sleeps == [1.0]  # one wait between the two polls, never a real one
    assert order(fresh_db, "#1001") == ("c0@example.com", 40.0, "paid")
    assert order(fresh_db, part["name"]) == ("pat@example.com", 70.0, "paid")  # partly refunded: net
    assert order(fresh_db, "#1022") == ("dee@example.com", 60.0, "paid")  # partly paid: what was paid
    assert order(fresh_db, pos["name"]) == ("Walk-in Wendy", 12.5, "paid")  # no email: the billing name
    revenue = fresh_db.execute("SELECT revenue FROM customers WHERE id = 'c0@example.com'").fetchone()[0]

    shop.cancel("#1006", at="2026-11-25T09:00:00Z")  # c0's order of 45.00
    shop.refund("#1002", "1.00", at="2026-11-25T09:05:00Z")
    shop.add_order(total="9.99", email="new@example.com", created="2026-11-25T10:00:00Z")
    second = sync(fresh_db, tmp_path, shop)
    assert (second.error, second.added, second.updated) == (None, 1, 2)
    assert shop.calls[-1] == "orders" and shop.calls.count("bulkOperationRunQuery") == 1
    assert order(fresh_db, "#1006")[2] == "cancelled"
    assert order(fresh_db, "#1002")[1:] == (40.0, "paid")
    after = fresh_db.execute("SELECT revenue FROM customers WHERE id = 'c0@example.com'").fetchone()[0]
    assert after == pytest.approx(revenue - 45.0)
    assert sync(fresh_db, tmp_path, shop).summary() == "store: no changes"


def test_increments_page_by_cursor_and_never_split_a_second(fresh_db, tmp_path, shop):
    sync(fresh_db, tmp_path, shop)  # an empty shop: no file to download
    assert "download" not in shop.calls
    for i in range(600):  # 600 orders updated in 3 seconds: pages of 250 cut through them
        shop.add_order(total="5.00", email=f"b{i}@example.com", created=f"2026-11-25T10:00:0{i % 3}Z")
    report = sync(fresh_db, tmp_path, shop, batch_size=100)
    assert (report.error, report.added, report.batches) == (None, 600, 3)
    assert shop.calls.count("orders") == 3
    assert sync(fresh_db, tmp_path, shop).summary() == "store: no changes"


def test_an_interrupted_backfill_resumes_in_the_same_export(fresh_db, tmp_path, shop):
    for i in range(600):
        shop.add_order(total="5.00", email=f"b{i % 40}@example.com", created="2026-11-01T10:00:00Z")
    batches = source(tmp_path, shop, batch_size=250).batches(None)
    first = next(batches)
    assert len(first.rows) == 250 and json.loads(first.cursor)["line"] == 250
    assert first.total == 600  # the export's objectCount: a progress bar's end
    batches.close()  # the process died here
    rest = list(source(tmp_path, shop, batch_size=250).batches(first.cursor))
    assert [(len(b.rows), b.total) for b in rest] == [(250, 350), (100, 350), (0, 350)]
    assert json.loads(rest[-1].cursor) == {"phase": "updates", "since": "2026-11-24T09:30:00Z", "seen": []}
    assert shop.calls.count("bulkOperationRunQuery") == 1 and shop.calls.count("download") == 2


def test_throttled_answers_wait_as_shopify_asks(fresh_db, tmp_path, shop):
    stock(shop, 3)
    shop.throttle_next = 1
    sleeps: list[float] = []
    assert sync(fresh_db, tmp_path, shop, sleeps).added == 6
    assert sleeps[0] == 7.5  # (752 − 2 available) / 100 a second


def test_a_bad_token_says_what_and_how_to_fix(fresh_db, tmp_path, shop):
    report = sync(fresh_db, tmp_path, shop, token="shpat_wrong")
    assert report.error.startswith("source store: Shopify refused the access token for example.myshopify.com (HTTP 401")
    assert "SHOPIFY_TOKEN" in report.error and "shpat_wrong" not in report.error


def test_a_missing_scope_is_named(fresh_db, tmp_path):
    with FakeShopify(now=NOW, scopes=("read_products",)) as fake:
        report = sync(fresh_db, tmp_path, fake)
    assert "lacks the read_orders scope" in report.error and "read_all_orders" in report.error


def test_history_cut_without_read_all_orders_is_said(fresh_db, tmp_path):
    with FakeShopify(now=NOW, scopes=("read_orders",)) as fake:
        fake.add_order(total="10.00", email="old@example.com", created="2026-01-05T10:00:00Z")
        fake.add_order(total="20.00", email="recent@example.com", created="2026-11-01T10:00:00Z")
        report = sync(fresh_db, tmp_path, fake)
        assert report.added == 1  # what could be read is stored
        assert "history cut" in report.error and "read_all_orders" in report.error and "2026-09-25" in report.error
        assert fresh_db.execute("SELECT customer_id FROM orders").fetchall() == [("recent@example.com",)]
        assert sync(fresh_db, tmp_path, fake).error is None  # increments go on


def test_doctor_check_names_the_scopes(tmp_path, shop):
    assert str(source(tmp_path, shop).check()) == (
        "Shopify example.myshopify.com: orders readable (scopes: read_all_orders, read_customers, read_orders)"
    )


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (403, "Shopify refused access (HTTP 403: a scope is missing, or the app is not installed)"),
        (402, "example.myshopify.com is frozen (HTTP 402"),
        (404, "no Shopify shop at http://127.0.0.1:"),
    ],
)
def test_http_refusals_say_what_to_change(fresh_db, tmp_path, shop, status, said):
    shop.http_status = status
    report = sync(fresh_db, tmp_path, shop)
    assert said in report.error
    if status == 403:
        assert "grant read_orders (and read_all_orders" in report.error and "SHOPIFY_TOKEN" in report.error
