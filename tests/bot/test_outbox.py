"""The outbox against the fake Slack Web API: one post per key, whatever
happens to Slack or to the process."""

import logging
import socket
import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.outbox import (
    STALE_AFTER,
    build_outbox_client,
    deliver,
    delivery_tag,
    flush_outbox,
    post_delivery,
)
from storage import open_db
from storage.deliveries import claim_delivery, enqueue_delivery, load_delivery
from storage.settings import upsert_setting
from tests.support.slack import SLACK_START, HistorySlack, tag_of

# The fake stamps messages from SLACK_START on, and the history check looks
# from the delivery's creation onwards.
NOW = SLACK_START
MSG = {"text": "Churn digest", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "All quiet."}}]}


class Sleeps(list):
    """Records the waits the retry handlers ask for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(slack: HistorySlack, sleeps: Sleeps | None = None) -> WebClient:
    return build_outbox_client(
        slack.token,
        slack.api_url,
        sleep=sleeps if sleeps is not None else Sleeps(),
        interval=FixedValueRetryIntervalCalculator(0),
    )


def enqueue(db, key="digest:2026-03-09:C0SALES", channel="C0SALES", kind="digest", now=NOW):
    enqueue_delivery(db, key, kind, channel, MSG, now)
    return key


def test_posts_with_the_key_in_metadata_and_records_the_ts(fresh_db, slack):
    key = enqueue(fresh_db)
    row = deliver(fresh_db, client_for(slack), key, NOW)
    call = slack.calls("chat.postMessage")[0]
    assert call.params["metadata"] == {"event_type": "retention_delivery", "event_payload": {"key": delivery_tag(key)}}
    assert "C0SALES" not in str(call.params["metadata"])  # no ids, names or values in metadata
    assert (call.params["channel"], call.params["text"], call.params["blocks"]) == (
        "C0SALES",
        MSG["text"],
        MSG["blocks"],
    )
    assert (row.status, row.attempts, row.slack_ts) == ("sent", 1, slack.posted(key)[0]["ts"])
    assert deliver(fresh_db, client_for(slack), key, NOW + timedelta(hours=1)).status == "sent"
    assert len(slack.calls("chat.postMessage")) == 1


def test_two_app_instances_on_one_database_post_each_key_once(db_path, slack):
    setup = open_db(db_path)
    keys = [enqueue(setup, f"digest:2026-03-{d:02d}:C0SALES") for d in range(1, 21)]
    setup.conn.close()
    start = threading.Barrier(2)
    errors = []

    def instance() -> None:
        try:
            db, client = open_db(db_path), client_for(slack)
            start.wait(5)
            for key in keys:
                deliver(db, client, key, NOW)
            flush_outbox(db, client, NOW)
            db.conn.close()
        except Exception as e:  # surfaced by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=instance) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(tag_of(m) for m in slack.posted()) == sorted(map(delivery_tag, keys))
    db = open_db(db_path)
    assert {load_delivery(db, k).status for k in keys} == {"sent"}


def test_killed_after_the_send_and_before_the_mark_still_posts_once(db_path, slack):
    crashed = open_db(db_path)
    key = enqueue(crashed)
    claimed = claim_delivery(crashed, key, NOW, STALE_AFTER)
    ts = post_delivery(client_for(slack), claimed)
    crashed.conn.close()  # the process dies here: posted, never marked

    restarted, client = open_db(db_path), client_for(slack)
    assert flush_outbox(restarted, client, NOW + timedelta(minutes=1)) == {"sending": 1}  # not stale yet: hands off
    assert flush_outbox(restarted, client, NOW + STALE_AFTER + timedelta(minutes=1)) == {"sent": 1}
    row = load_delivery(restarted, key)
    assert (row.status, row.slack_ts, row.attempts) == ("sent", ts, 2)
    assert len(slack.posted(key)) == 1 and len(slack.attempts(key)) == 1
    history = slack.calls("conversations.history")[0].params
    assert history["channel"] == "C0SALES" and history["include_all_metadata"] in ("1", "true", True)


def test_killed_after_the_send_then_restarted_during_an_outage_still_posts_once(db_path, slack):
    crashed = open_db(db_path)
    key = enqueue(crashed)
    post_delivery(client_for(slack), claim_delivery(crashed, key, NOW, STALE_AFTER))
    crashed.conn.close()

    restarted, client = open_db(db_path), client_for(slack)
    slack.down = True
    row = deliver(restarted, client, key, NOW + STALE_AFTER)
    assert (row.status, row.uncertain, row.last_error) == ("pending", True, "http_503")  # could not look
    assert flush_outbox(restarted, client, NOW + STALE_AFTER + timedelta(minutes=5)) == {"pending": 1}
    slack.down = False
    assert flush_outbox(restarted, client, NOW + STALE_AFTER + timedelta(minutes=10)) == {"sent": 1}
    assert len(slack.posted(key)) == 1 and len(slack.attempts(key)) == 1


def test_killed_after_the_claim_and_before_the_send_posts_once_after_restart(db_path, slack):
    crashed = open_db(db_path)
    key = enqueue(crashed)
    claim_delivery(crashed, key, NOW, STALE_AFTER)
    crashed.conn.close()

    restarted = open_db(db_path)
    row = deliver(restarted, client_for(slack), key, NOW + STALE_AFTER)
    assert row.status == "sent" and len(slack.posted(key)) == 1
    assert slack.methods() == ["conversations.history", "chat.postMessage"]


def test_no_answer_from_slack_is_checked_before_any_resend(fresh_db, slack):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]  # closed when the block ends: nobody listens there
    dead = build_outbox_client(
        slack.token, f"http://127.0.0.1:{dead_port}/api/", interval=FixedValueRetryIntervalCalculator(0)
    )
    key = enqueue(fresh_db)
    row = deliver(fresh_db, dead, key, NOW)
    assert (row.status, row.uncertain, row.outcome) == ("pending", True, "uncertain")
    assert row.last_error.startswith("URLError")
    client = client_for(slack)
    assert flush_outbox(fresh_db, client, NOW + timedelta(minutes=5)) == {"sent": 1}  # the next flush, not in 15 min
    assert len(slack.posted(key)) == 1 and slack.methods()[0] == "conversations.history"


def test_rate_limited_twice_then_success_is_one_post_after_three_attempts(fresh_db, slack):
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "7"}, times=2)
    sleeps = Sleeps()
    key = enqueue(fresh_db)
    row = deliver(fresh_db, client_for(slack, sleeps), key, NOW)
    assert len(slack.attempts(key)) == 3
    assert len(slack.posted(key)) == 1
    assert row.status == "sent" and row.attempts == 1  # one delivery attempt, retried inside slack_sdk
    assert len(sleeps) == 2 and all(7 <= s < 8 for s in sleeps)  # Retry-After honoured, not slept here


def test_channel_not_found_fails_once_with_one_admin_notice(fresh_db, slack, caplog):
    upsert_setting(fresh_db, "admins", "U0ADMIN", now=NOW)
    slack.fail_next("chat.postMessage", error="channel_not_found")
    key = enqueue(fresh_db, channel="C0GONE", key="digest:2026-03-09:C0GONE")
    client = client_for(slack)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        row = deliver(fresh_db, client, key, NOW)
    assert (row.status, row.last_error) == ("failed", "channel_not_found")
    assert any(
        key in r.getMessage() and "channel_not_found" in r.getMessage() and "not retrying" in r.getMessage()
        for r in caplog.records
    )
    for minutes in (5, 10, 60, 24 * 60):
        assert flush_outbox(fresh_db, client, NOW + timedelta(minutes=minutes)) == {}
        deliver(fresh_db, client, key, NOW + timedelta(minutes=minutes))
    assert len(slack.attempts(key)) == 1
    notices = slack.posted(f"notice:{key}:U0ADMIN")
    assert len(notices) == 1 and "channel_not_found" in notices[0]["text"] and key in notices[0]["text"]
    assert slack.calls("conversations.open")[0].params["users"] == "U0ADMIN"
    assert load_delivery(fresh_db, f"notice:{key}:U0ADMIN").status == "sent"
    assert len(slack.calls("chat.postMessage")) == 2


def test_a_failed_notice_does_not_cascade(fresh_db, slack):
    upsert_setting(fresh_db, "admins", "U0ADMIN", now=NOW)
    slack.fail_next("chat.postMessage", error="invalid_auth", times=2)
    key = enqueue(fresh_db)
    assert deliver(fresh_db, client_for(slack), key, NOW).status == "failed"
    assert load_delivery(fresh_db, f"notice:{key}:U0ADMIN").status == "failed"
    assert len(slack.calls("chat.postMessage")) == 2


def test_slack_down_for_an_hour_then_delivered_once(fresh_db, slack):
    client = client_for(slack)
    key = enqueue(fresh_db)
    slack.down = True
    minute = 0
    while minute <= 60:  # the scheduler flushes every 5 minutes
        assert flush_outbox(fresh_db, client, NOW + timedelta(minutes=minute)) == {"pending": 1}
        minute += 5
    down_row = load_delivery(fresh_db, key)
    assert (down_row.status, down_row.attempts, down_row.last_error) == ("pending", 13, "http_503")
    assert slack.posted() == []
    slack.down = False
    for later in (65, 70, 75):
        flush_outbox(fresh_db, client, NOW + timedelta(minutes=later))
    assert len(slack.posted(key)) == 1
    assert load_delivery(fresh_db, key).status == "sent"


def test_a_reminder_to_a_rep_goes_to_their_dm(fresh_db, slack):
    key = enqueue(fresh_db, key="remind:2026-03-09:U0MARIA", channel="U0MARIA", kind="remind")
    assert deliver(fresh_db, client_for(slack), key, NOW).status == "sent"
    assert slack.calls("conversations.open")[0].params["users"] == "U0MARIA"
    assert slack.calls("chat.postMessage")[0].params["channel"] == "D0MARIA"


def test_a_stale_claim_that_cannot_be_checked_is_not_resent_blindly(fresh_db, slack):
    upsert_setting(fresh_db, "admins", "U0ADMIN", now=NOW)
    key = enqueue(fresh_db)
    claim_delivery(fresh_db, key, NOW, STALE_AFTER)
    slack.fail_next("conversations.history", error="missing_scope")
    row = deliver(fresh_db, client_for(slack), key, NOW + STALE_AFTER)
    assert (row.status, row.last_error) == ("failed", "missing_scope")
    assert slack.attempts(key) == []
    assert "history" in slack.posted(f"notice:{key}:U0ADMIN")[0]["text"]


@pytest.mark.parametrize("after", ["500", "502", "503", "504", "drop"])
def test_posted_then_a_5xx_or_a_dropped_connection_is_one_post(fresh_db, slack, after):
    """Slack (or a proxy) takes the message, then answers 5xx or closes the
    connection: nothing resends it blindly; the next attempt finds it."""
    key = enqueue(fresh_db)
    slack.fail_after("chat.postMessage", **({"drop": True} if after == "drop" else {"status": int(after)}))
    client = client_for(slack)
    row = deliver(fresh_db, client, key, NOW)
    assert (row.status, row.uncertain, row.outcome) == ("pending", True, "uncertain")
    assert len(slack.attempts(key)) == 1 and len(slack.posted(key)) == 1  # not retried inside slack_sdk
    again = deliver(fresh_db, client, key, NOW + timedelta(minutes=1))
    assert (again.status, again.outcome, again.slack_ts) == ("sent", "found", slack.posted(key)[0]["ts"])
    assert len(slack.attempts(key)) == 1 and len(slack.posted(key)) == 1


def test_a_5xx_before_the_post_landed_is_posted_by_the_next_attempt(fresh_db, slack):
    key = enqueue(fresh_db)
    slack.fail_next("chat.postMessage", status=502)
    row = deliver(fresh_db, client_for(slack), key, NOW)
    assert (row.status, row.uncertain) == ("pending", True)
    again = deliver(fresh_db, client_for(slack), key, NOW + timedelta(minutes=1))
    assert (again.status, again.outcome) == ("sent", "posted")
    assert slack.methods() == ["chat.postMessage", "conversations.history", "chat.postMessage"]
    assert len(slack.posted(key)) == 1


def test_a_long_retry_after_is_not_waited_for(fresh_db, slack):
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "600"})
    sleeps = Sleeps()
    key = enqueue(fresh_db)
    row = deliver(fresh_db, client_for(slack, sleeps), key, NOW)
    assert sleeps == [] and (row.status, row.uncertain, row.outcome) == ("pending", False, "retry")
    assert deliver(fresh_db, client_for(slack), key, NOW + timedelta(minutes=11)).status == "sent"
    assert len(slack.posted(key)) == 1 and "conversations.history" not in slack.methods()


def test_a_reminder_to_something_that_is_not_a_user_is_never_posted_to_it(fresh_db, slack):
    key = enqueue(fresh_db, key="remind:2026-03-09:C0SALES", channel="C0SALES", kind="remind")
    row = deliver(fresh_db, client_for(slack), key, NOW)
    assert (row.status, row.last_error) == ("failed", "not_a_user")
    assert slack.calls("chat.postMessage") == [] and slack.calls("conversations.open") == []
