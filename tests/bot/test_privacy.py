"""Privacy in channels: everything that lands where more people see it
than the asker — the digest, a shared answer, the rewrite of a digest after
a click, escalations and notices — masks email addresses and phone numbers,
also non-ASCII addresses and customers whose only identity is an email; and
Slack message metadata never carries personal data or values."""

import json
from datetime import timedelta

import pytest

from bot.jobs import build_jobs, escalate
from bot.outbox import deliver
from bot.scheduler import run_digest_job
from commands import Context, answer
from commands.blocks import mask_text
from storage.deliveries import enqueue_delivery
from storage.settings import upsert_setting
from tests.support.followups import CHANNEL, MGR, REP, make_store, outbox_client, utc
from tests.support.slack import tag_of

NOW = utc(2026, 11, 23, 17)
EMAIL_IDS = ("anna@bücher.de", "用户@例子.中国")
PERSONAL = (
    "anna@bücher.de",
    "用户@例子.中国",
    "jürgen.müller@firma.de",
    "+49 30 1234567",
    "(212) 555-0100",
    "müller",
    "1234567",
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("anna@bücher.de", "a•••@bücher.de"),
        ("jürgen.müller@firma.de", "j•••@firma.de"),
        ("用户@例子.中国", "用•••@例子.中国"),
        ("Ann <ann.lee+vip@acme.io>", "Ann <a•••@acme.io>"),
        ("call +1 (555) 123-4567", "call +• (•••) •••-••67"),
        ("+374 10 123456", "+••• •• ••••56"),
        ("0912 345 6789", "•••• ••• ••89"),
    ],
)
def test_emails_in_any_script_and_phone_numbers_are_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "$1,234,567.50",
        "2026-11-23",
        "as of 2026-03-09 06:00.",
        "to 06:00 2026-03-09",
        "۲۰۲۶-۰۳-۰۹ ۰۶:۰۰",
        "2026-01-01..2026-03-31",
        "C0017",
        "U0DEMO001",
        "12345678",
        "1700000000.000100",
        "99.7%",
        "9,835 customers",
        "E 35, N 2, S 40",
    ],
)
def test_figures_dates_and_ids_are_left_alone(text):
    assert mask_text(text) == text


@pytest.fixture
def store(db_path):
    """Unowned quiet customers with personal data everywhere a name can be:
    two known only by an email (as Shopify and email-keyed CSVs make them),
    one with an email as name and a phone number as company."""
    db = make_store(db_path, customers=2, owner=None, opened_at="2026-11-23T08:00:00Z")
    db.execute("UPDATE customers SET name = 'jürgen.müller@firma.de', company = '+49 30 1234567' WHERE id = 'C01'")
    db.execute("UPDATE customers SET company = '(212) 555-0100' WHERE id = 'C02'")
    for i, cid in enumerate(EMAIL_IDS):
        db.execute(
            "INSERT INTO customers (id, created_at, first_order_at, last_order_at, order_count, revenue) "
            "VALUES (?, '2026-01-01', '2026-05-01T10:00:00Z', '2026-08-01T10:00:00Z', 2, 9000)",
            [cid],
        )
        db.execute(
            "INSERT INTO orders (id, customer_id, ordered_at, amount) VALUES (?, ?, '2026-08-01T10:00:00Z', 9000)",
            [f"OE{i}", cid],
        )
        db.execute(
            "INSERT INTO customer_scores (customer_id, as_of, frequency, recency_days, tenure_days, "
            "predicted_clv_12m, revenue_12m, value_pct, quiet, reason_code) "
            "VALUES (?, '2026-11-02', 0, 0, 93, 20000, 9000, 1, 1, 'no_gap')",
            [cid],
        )
        db.execute(
            "INSERT INTO followups (customer_id, state, opened_at, value_at_open) "
            "VALUES (?, 'open', '2026-11-23T08:00:00Z', 20000)",
            [cid],
        )
    upsert_setting(db, "digest_channels", f"{CHANNEL} 09:00 UTC mon-sun", now=NOW)
    upsert_setting(db, "admins", MGR, now=NOW)
    yield db
    db.conn.close()


def assert_clean(payload) -> None:
    body = json.dumps(payload, ensure_ascii=False)
    leaked = [p for p in PERSONAL if p in body]
    assert leaked == [], (leaked, body[:2000])


def test_the_channel_digest_masks_everything_personal(store, db_path, slack):
    jobs = build_jobs(outbox_client(slack), clock=lambda: NOW)
    row = run_digest_job(str(db_path), CHANNEL, NOW, tz="UTC", client=jobs.client, build_payload=jobs.build_digest)
    assert row.status == "sent"
    (call,) = slack.calls("chat.postMessage")
    assert "went quiet" in call.params["text"]
    assert_clean({k: call.params[k] for k in ("text", "blocks")})
    assert "a•••@bücher.de" in json.dumps(call.params["blocks"], ensure_ascii=False)
    blocks = call.params["blocks"]
    buttons = [
        b["accessory"]["value"]
        for b in (json.loads(blocks) if isinstance(blocks, str) else blocks)
        if b.get("accessory")
    ]
    assert buttons and all(v.startswith("f") and v[1:].isdigit() for v in buttons)  # follow-up numbers only
    metadata = call.params["metadata"]
    assert metadata["event_payload"] == {"key": tag_of(call.params)} and tag_of(call.params).startswith("d1:")
    assert CHANNEL not in json.dumps(metadata) and "digest" not in json.dumps(metadata)


def test_a_shared_answer_masks_non_ascii_addresses(store):
    for text in ("at-risk share", "followups all share", "customer anna@bücher.de share", "top share"):
        a = answer(Context(store, as_of=NOW.date(), now=NOW), text)
        assert a.ok and a.shared, text
        assert_clean(a.message)
        assert_clean(a.data)
    private = answer(Context(store, as_of=NOW.date(), now=NOW), "customer anna@bücher.de")
    assert "anna@bücher.de" in json.dumps(private.message, ensure_ascii=False)  # the asker's own view


def test_escalations_and_notices_are_masked_reminders_are_the_reps_own(store, slack):
    store.execute(
        "UPDATE followups SET rep_id = ?, reminder_count = 3, reminded_at = '2026-11-10T09:00:00Z', "
        "opened_at = '2026-11-01T08:00:00Z'",
        [REP],
    )
    store.execute("UPDATE customers SET owner_rep_id = ?", [REP])
    sent = escalate(store, outbox_client(slack), REP, NOW.date(), NOW + timedelta(days=3))
    assert sent is not None and sent.status == "sent"
    (call,) = slack.calls("chat.postMessage")
    assert "escalate" in sent.key
    assert_clean({k: call.params[k] for k in ("text", "blocks")})
    enqueue_delivery(store, "notice:x:U0MGR001", "notice", MGR, {"text": "About anna@bücher.de, +49 30 1234567"}, NOW)
    deliver(store, outbox_client(slack), "notice:x:U0MGR001", NOW)
    assert_clean(slack.calls("chat.postMessage")[-1].params["text"])
    enqueue_delivery(store, "remind:x:U0REP001", "remind", REP, {"text": "Call anna@bücher.de"}, NOW)
    deliver(store, outbox_client(slack), "remind:x:U0REP001", NOW)
    assert slack.calls("chat.postMessage")[-1].params["text"] == "Call anna@bücher.de"
