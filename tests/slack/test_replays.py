"""Replays, retries and strangers: a signed request sent again inside the
five-minute window (same body, same signature) is answered with an empty
200 and not applied again, on this instance or another one on the same
store; an event Slack re-sends (`X-Slack-Retry-Num`, same event id) runs
once; a request from another workspace or app is refused."""

import json
import logging
import time
import urllib.parse

import pytest

from bench.slack_fake import (
    ADMIN,
    REP,
    SIGNING_SECRET,
    TEAM_ID,
    SlackSender,
    serve_in_thread,
    slack_signature,
)
from bot.app import create_app
from bot.settings import SlackSettings
from commands.remind import ACTION_SNOOZE
from storage import open_db
from storage.replays import requests_path

FORM = "application/x-www-form-urlencoded"


def signed(sender: SlackSender, body: str) -> dict:
    ts = str(int(time.time()))
    return {"timestamp": int(ts), "signature": slack_signature(SIGNING_SECRET, ts, body)}


@pytest.fixture
def dropped(caplog):
    """How many requests the guard has dropped as already handled: it does
    so inside the request, before any listener, so the count is exact when
    the reply arrives (no waiting for work that must not happen)."""
    caplog.set_level(logging.INFO, logger="bot.listeners.guards")
    return lambda: sum("already handled" in r.getMessage() for r in caplog.records)


def audit_count(db_path, action: str) -> int:
    db = open_db(db_path)
    try:
        return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = ?", [action]).fetchone()[0]
    finally:
        db.conn.close()


def test_a_replayed_config_change_is_applied_once(bot, sender, slack):
    before = audit_count(bot.db_path, "config.set")
    body = sender.command_body("config dismiss_days 77", user_id=ADMIN)
    sig = signed(sender, body)
    first = sender.post(body, FORM, **sig)
    assert "set to 77" in first.json["text"]
    again = sender.post(body, FORM, **sig)
    assert (again.status, again.body) == (200, b"")
    assert audit_count(bot.db_path, "config.set") == before + 1
    assert requests_path(bot.db_path).exists()


def test_a_replayed_forced_digest_posts_once(bot, sender, slack, dropped):
    body = sender.command_body("digest now <#C0REPLAY|sales> force", user_id=ADMIN, response_tag="force1")
    sig = signed(sender, body)
    assert "Working on it" in sender.post(body, FORM, **sig).json["text"]
    slack.wait_for("response_url")
    assert sender.post(body, FORM, **sig).body == b"" and dropped() == 1
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_replayed_click_is_audited_once(bot, sender, slack, dropped):
    db = open_db(bot.db_path)
    try:
        (followup_id,) = db.execute(
            "SELECT id FROM followups WHERE closed_at IS NULL AND state = 'open' ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        db.conn.close()
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "api_app_id": "A0FAKE",
        "token": "legacy-verification-token",
        "trigger_id": sender.trigger_id(),
        "container": {"type": "message", "channel_id": "C0GENERAL", "message_ts": "1.1", "is_ephemeral": True},
        "channel": {"id": "C0GENERAL"},
        "response_url": slack.response_url("snooze"),
        "actions": [
            {
                "type": "button",
                "action_id": ACTION_SNOOZE,
                "block_id": f"fua:{followup_id}",
                "value": str(followup_id),
                "action_ts": "1.2",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    sig = signed(sender, body)
    before = audit_count(bot.db_path, "followup.snoozed")
    assert sender.post(body, FORM, **sig).status == 200
    slack.wait_for("response_url")
    assert sender.post(body, FORM, **sig).body == b"" and dropped() == 1
    assert audit_count(bot.db_path, "followup.snoozed") == before + 1


def test_an_event_slack_sends_again_is_handled_once(bot, sender, slack, dropped):
    event = {"type": "app_home_opened", "user": REP, "tab": "home", "channel": "D0DEMO001"}
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0FAKE",
            "event": event,
            "type": "event_callback",
            "event_id": "Ev0REPLAY01",
            "event_time": int(time.time()),
        }
    )
    assert sender.post(body, "application/json").status == 200
    slack.wait_for("views.publish")
    retry = sender.post(
        body, "application/json", extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert (retry.status, retry.body, dropped()) == (200, b"", 1)
    assert len(slack.calls("views.publish")) == 1


def test_a_replay_to_the_other_instance_is_not_applied_either(bot, sender, slack):
    db = open_db(bot.db_path)
    settings = SlackSettings(bot_token=slack.token, signing_secret=SIGNING_SECRET, api_url=slack.api_url)
    url, stop = serve_in_thread(create_app(settings, db), str(bot.db_path))
    try:
        other = SlackSender(url + "/slack/events", SIGNING_SECRET, slack)
        before = audit_count(bot.db_path, "config.set")
        body = sender.command_body("config dismiss_days 78", user_id=ADMIN)
        sig = signed(sender, body)
        assert "set to 78" in sender.post(body, FORM, **sig).json["text"]
        assert other.post(body, FORM, **sig).body == b""
        assert audit_count(bot.db_path, "config.set") == before + 1
    finally:
        stop()
        db.conn.close()


@pytest.mark.parametrize(("field", "value"), [("team_id", "T0OTHER"), ("api_app_id", "A0OTHER")])
def test_a_request_from_another_workspace_or_app_is_refused(bot, sender, slack, field, value):
    params = dict(urllib.parse.parse_qsl(sender.command_body("config dismiss_days 79", user_id=ADMIN)))
    params[field] = value
    before = audit_count(bot.db_path, "config.set")
    reply = sender.post(urllib.parse.urlencode(params), FORM)
    assert reply.status == 200 and "installed for another workspace" in reply.json["text"]
    assert audit_count(bot.db_path, "config.set") == before


def test_a_click_from_another_workspace_does_nothing(bot, sender, slack, caplog):
    payload = {
        "type": "block_actions",
        "team": {"id": "T0OTHER"},
        "user": {"id": ADMIN},
        "api_app_id": "A0FAKE",
        "response_url": slack.response_url("x"),
        "trigger_id": sender.trigger_id(),
        "actions": [{"type": "button", "action_id": ACTION_SNOOZE, "value": "1", "block_id": "fua:1"}],
    }
    reply = sender.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), FORM)
    assert (reply.status, reply.body) == (200, b"")
    assert any("refused a request from team T0OTHER" in r.getMessage() for r in caplog.records)
