"""`retention-bot digest|remind preview|now` as a user runs them: posting
through the fake Slack when SLACK_BOT_TOKEN is set, printing otherwise,
and never posting a channel's digest twice on one local day by accident."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from storage import open_db
from storage.deliveries import claim_delivery, enqueue_delivery
from storage.settings import upsert_setting
from tests.support.followups import CHANNEL, REP, make_store
from tests.support.slack import SLACK_START
from tests.support.stores import SET_AT

AS_OF = ["--as-of", "2026-11-23"]  # previews only: --as-of changes nothing, so posting runs on "now"
NOW = SLACK_START  # the CLI's clock: Tue 09:30 in the digest channel's zone
DAY = "2026-11-24"  # its local day there (America/Los_Angeles)


@pytest.fixture
def store(db_path):
    db = make_store(db_path)
    upsert_setting(db, "digest_channels", f"{CHANNEL} 09:00 America/Los_Angeles mon-fri", now=SET_AT)
    db.conn.close()
    return db_path


def run(args, slack=None):
    env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url} if slack else {"SLACK_BOT_TOKEN": None}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False, obj=lambda: NOW)


def deliveries(path) -> list[tuple]:
    db = open_db(path)
    try:
        return db.execute("SELECT key, status FROM deliveries ORDER BY id").fetchall()
    finally:
        db.conn.close()


def test_digest_now_twice_says_already_sent_and_posts_once_then_force_posts_again(store, slack):
    first = run(["--db", str(store), "digest", "now"], slack)
    assert first.exit_code == 0, first.output
    assert f"digest for #{CHANNEL}: sent" in first.output
    again = run(["--db", str(store), "digest", "now", "--channel", CHANNEL], slack)
    assert again.exit_code == 0 and "already sent today" in again.output and "--force" in again.output
    assert len(slack.calls("chat.postMessage")) == 1
    forced = run(["--db", str(store), "digest", "now", "--force"], slack)
    assert forced.exit_code == 0 and "sent" in forced.output
    assert len(slack.posted()) == 2
    assert deliveries(store) == [(f"digest:{DAY}:{CHANNEL}", "sent"), (f"digest:{DAY}:{CHANNEL}:r2", "sent")]


def test_without_a_token_now_prints_and_posts_nothing(store):
    r = run(["--db", str(store), "digest", "now"])
    assert r.exit_code == 0 and "SLACK_BOT_TOKEN is not set" in r.output and "Churn digest" in r.output
    assert deliveries(store) == []


def test_preview_prints_the_digest_or_its_json(store):
    r = run(["--db", str(store), *AS_OF, "digest", "preview"])
    assert r.exit_code == 0 and "Churn digest · Mon 23 Nov 2026" in r.output
    r = run(["--db", str(store), *AS_OF, "digest", "preview", "--json"])
    data = json.loads(r.output)
    assert data["channel"] == CHANNEL and data["retention"]["S"] == 0 and data["overdue"]["count"] == 13
    assert deliveries(store) == []


def test_a_failed_post_exits_1(store, slack):
    slack.fail_next("chat.postMessage", error="channel_not_found")
    r = run(["--db", str(store), "digest", "now"], slack)
    assert r.exit_code == 1 and "failed (channel_not_found)" in r.output


def test_remind_preview_then_now_once_per_rep_per_day(store, slack):
    r = run(["--db", str(store), *AS_OF, "remind", "preview", "--rep", REP])
    assert r.exit_code == 0 and "Follow-ups for 2026-11-23" in r.output and "and 3 more" in r.output
    assert deliveries(store) == []
    r = run(["--db", str(store), "remind", "now"], slack)
    assert r.exit_code == 0, r.output
    assert f"reminder for {REP}: sent" in r.output and "U0REP002: nothing to send today" in r.output
    r = run(["--db", str(store), "remind", "now", "--rep", REP], slack)
    assert "already sent today" in r.output
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["D0REP001"]


@pytest.mark.parametrize("after", ["500", "502", "503", "504", "drop"])
def test_slack_posts_then_fails_and_the_second_digest_now_records_it_without_posting(store, slack, after):
    slack.fail_after("chat.postMessage", **({"drop": True} if after == "drop" else {"status": int(after)}))
    first = run(["--db", str(store), "digest", "now"], slack)
    assert first.exit_code == 1
    assert "posted, but Slack did not confirm it" in first.output and "looks for it in the channel" in first.output
    assert deliveries(store) == [(f"digest:{DAY}:{CHANNEL}", "pending")]
    second = run(["--db", str(store), "digest", "now"], slack)
    assert second.exit_code == 0, second.output
    assert "sent — the earlier attempt's post is in the channel" in second.output
    assert deliveries(store) == [(f"digest:{DAY}:{CHANNEL}", "sent")]
    assert len(slack.posted()) == 1 and len(slack.calls("chat.postMessage")) == 1
    third = run(["--db", str(store), "digest", "now"], slack)
    assert "already sent today" in third.output and len(slack.calls("chat.postMessage")) == 1


def test_digest_now_while_another_process_sends_it_says_so_and_posts_nothing(store, slack):
    db = open_db(store)
    key = f"digest:{DAY}:{CHANNEL}"
    enqueue_delivery(db, key, "digest", CHANNEL, {"text": "x"}, NOW)
    claim_delivery(db, key, NOW, timedelta(minutes=15))
    db.conn.close()
    r = run(["--db", str(store), "digest", "now"], slack)
    assert r.exit_code == 1
    assert "being sent by another process right now" in r.output and "None" not in r.output
    assert slack.calls("chat.postMessage") == []


@pytest.mark.parametrize(
    "args",
    [["digest", "now"], ["remind", "now"], ["ask", "config timezone Asia/Tehran"], ["ask", "digest now"], ["console"]],
    ids=lambda a: " ".join(a)[:14],
)
def test_as_of_is_a_read_only_look_at_another_day(store, slack, args):
    before = deliveries(store)
    db = open_db(store)
    audits = db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    db.conn.close()
    r = CliRunner().invoke(
        main,
        ["--db", str(store), *AS_OF, *args],
        input="press snooze C01\n",
        env={"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url},
    )
    assert "--as-of looks at another day and changes nothing" in r.output, r.output
    assert r.exit_code in (0, 2)
    assert slack.calls("chat.postMessage") == [] and deliveries(store) == before
    db = open_db(store)
    try:
        assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == audits
        assert db.execute("SELECT value FROM settings WHERE key = 'timezone'").fetchone() is None
    finally:
        db.conn.close()


@pytest.mark.parametrize(
    "ask",
    [["ask", "--json", "digest preview #" + CHANNEL], ["digest", "preview", "--json", "--channel", CHANNEL]],
    ids=["ask", "digest preview"],
)
@pytest.mark.parametrize("channel_zone", ["America/Los_Angeles", "Etc/GMT+12"])
def test_as_of_previews_that_days_digest_whenever_it_runs(store, ask, channel_zone):
    """`--as-of D` shows the digest of D in the channel's zone, its "last 24
    hours" ending at noon of D: not today's, and not moving with the clock."""
    db = open_db(store)
    upsert_setting(db, "timezone", "Asia/Tehran", now=SET_AT)  # the workspace's zone: +03:30
    upsert_setting(
        db, "digest_channels", f"{CHANNEL} 09:00 {channel_zone} mon-fri", now=SET_AT
    )  # noon in Tehran is D-1 at -12
    db.conn.close()
    r = run(["--db", str(store), *AS_OF, *ask])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    d = d[0] if isinstance(d, list) else d
    assert d["date"] == "2026-11-23"
    assert (d["since"], d["until"]) == ("2026-11-22T08:30:00Z", "2026-11-23T08:30:00Z")  # noon in Tehran


def test_as_of_previews_that_days_reminders_in_every_reps_zone(store):
    db = open_db(store)
    upsert_setting(db, "timezone", "Asia/Tehran", now=SET_AT)
    db.execute("UPDATE reps SET tz = 'Etc/GMT+12' WHERE id = ?", [REP])  # noon in Tehran is the day before there
    db.conn.commit()
    db.conn.close()
    r = run(["--db", str(store), *AS_OF, "remind", "preview", "--json"])
    assert r.exit_code == 0, r.output
    assert {d["rep_id"]: d["date"] for d in json.loads(r.output)}[REP] == "2026-11-23"
