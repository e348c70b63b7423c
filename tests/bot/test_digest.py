"""The daily digest through the real jobs and outbox, against the fake
Slack, with time injected: only what is new since the channel's previous
digest, won-back customers credited once, and the all-quiet form."""

import csv
import json
from datetime import timedelta

import pytest

from bot.jobs import build_jobs
from bot.scheduler import digest_key, run_digest_job
from commands.blocks import limit_problems
from commands.digest import ACTION_AT_RISK, ACTION_CLAIM
from storage.deliveries import load_delivery
from storage.fields import format_utc
from storage.importer import import_file
from storage.settings import upsert_setting
from tests.support.followups import CHANNEL, REP, make_store, outbox_client, utc
from tests.support.stores import SET_AT

TZ = "America/Los_Angeles"
DAY1 = utc(2026, 11, 23, 17)  # Monday 09:00 in Los Angeles


@pytest.fixture
def store(db_path):
    db = make_store(db_path)
    upsert_setting(db, "digest_channels", f"{CHANNEL} 09:00 {TZ} mon-sun", now=SET_AT)
    yield db
    db.conn.close()


def digest(db_path, slack, now):
    jobs = build_jobs(outbox_client(slack), clock=lambda: now)
    return run_digest_job(str(db_path), CHANNEL, now, tz=TZ, client=jobs.client, build_payload=jobs.build_digest)


def posted_blocks(slack, key: str) -> dict:
    """The message as Slack received it (blocks and text)."""
    (call,) = slack.attempts(key)
    blocks = call.params["blocks"]
    return {"text": call.params["text"], "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}


def import_order(db, tmp_path, customer_id: str, ordered_at: str, now) -> None:
    path = tmp_path / f"order-{customer_id}-{ordered_at[:10]}.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(
            [
                ["id", "customer_id", "ordered_at", "amount", "status"],
                [f"N-{customer_id}-{ordered_at[:10]}", customer_id, ordered_at, "250", "paid"],
            ]
        )
    report = import_file(db, "orders", path, now=now)
    assert report.won_back == 1


def test_a_new_order_shows_as_won_back_credited_in_the_next_digest_and_never_again(db_path, store, slack, tmp_path):
    first = digest(db_path, slack, DAY1)
    assert first.status == "sent"
    assert "won back" not in posted_blocks(slack, first.key)["text"]
    import_order(store, tmp_path, "C03", "2026-11-23T20:00:00Z", utc(2026, 11, 23, 21))

    second = digest(db_path, slack, DAY1 + timedelta(days=1))
    msg = posted_blocks(slack, second.key)
    assert limit_problems(msg) == [] and "1 won back" in msg["text"]
    body = json.dumps(msg["blocks"])
    assert "Customer 3" in body and f"credited to <@{REP}>" in body and "ordered again on 2026-11-23" in body

    for day in (2, 3):
        later = digest(db_path, slack, DAY1 + timedelta(days=day))
        msg = posted_blocks(slack, later.key)
        assert "won back" not in msg["text"] and "Customer 3*" not in json.dumps(msg["blocks"])
    assert len(slack.posted()) == 4  # one per day


def test_only_what_happened_since_the_previous_digest_then_all_quiet(db_path, store, slack):
    first = digest(db_path, slack, DAY1)
    quiet_day = posted_blocks(slack, first.key)
    assert "all quiet" in quiet_day["text"] and len(quiet_day["blocks"]) <= 5 and limit_problems(quiet_day) == []
    assert "CRR" in quiet_day["text"] and any(b.get("block_id") == "digest:actions" for b in quiet_day["blocks"])
    # the night's score run flags a new, unowned customer
    store.execute("INSERT INTO customers (id, name, company) VALUES ('C99', 'New <!here> Co', 'Beta & Co')")
    store.execute(
        "INSERT INTO customer_scores (customer_id, as_of, frequency, recency_days, tenure_days, predicted_clv_12m, "
        "value_pct, typical_gap_days, quiet, reason_code) "
        "VALUES ('C99', '2026-11-24', 4, 36, 76, 50000, 2, 9, 1, 'own_gap')"
    )
    store.execute(
        "INSERT INTO followups (customer_id, opened_at, value_at_open) VALUES ('C99', ?, 50000)",
        [format_utc(utc(2026, 11, 24, 10))],
    )

    second = posted_blocks(slack, digest(db_path, slack, DAY1 + timedelta(days=1)).key)
    assert "1 went quiet" in second["text"] and limit_problems(second) == []
    (fid,) = store.execute("SELECT id FROM followups WHERE customer_id = 'C99'").fetchone()
    (block,) = [b for b in second["blocks"] if b.get("block_id") == f"cq:f{fid}"]
    assert "New &lt;!here&gt; Co" in block["text"]["text"] and "owner unassigned" in block["text"]["text"]
    assert (
        "orders every ~9 days; last order 40 days ago (4.4×); expected 12-month value $50,000; top 2%"
        in (block["text"]["text"])
    )
    assert (block["accessory"]["action_id"], block["accessory"]["value"]) == (ACTION_CLAIM, f"f{fid}")
    (actions,) = [b for b in second["blocks"] if b.get("type") == "actions"]
    assert actions["elements"][0]["action_id"] == ACTION_AT_RISK
    assert second["blocks"][0]["text"]["text"] == "Churn digest · Tue 24 Nov 2026"

    third = posted_blocks(slack, digest(db_path, slack, DAY1 + timedelta(days=2)).key)
    assert "all quiet" in third["text"] and "C99" not in json.dumps(third["blocks"])


def test_a_digest_that_never_went_out_does_not_move_the_boundary(db_path, store, slack, tmp_path):
    digest(db_path, slack, DAY1)
    import_order(store, tmp_path, "C05", "2026-11-23T20:00:00Z", utc(2026, 11, 23, 21))
    slack.fail_next("chat.postMessage", error="channel_not_found")
    assert digest(db_path, slack, DAY1 + timedelta(days=1)).status == "failed"
    third = digest(db_path, slack, DAY1 + timedelta(days=2))
    assert "1 won back" in posted_blocks(slack, third.key)["text"]


def test_the_first_digest_covers_the_last_24_hours(store):
    from commands import Context
    from commands.digest import compute_digest

    d = compute_digest(Context(store, as_of=DAY1.date(), now=DAY1), CHANNEL)
    assert d["first"] and d["since"] == format_utc(DAY1 - timedelta(days=1)) and d["until"] == format_utc(DAY1)
    assert d["overdue"]["count"] == 13 and d["overdue"]["new"] == 0 and d["all_quiet"]
    json.dumps(d, allow_nan=False)
    assert load_delivery(store, digest_key(DAY1.date(), CHANNEL)) is None  # computing posts nothing
