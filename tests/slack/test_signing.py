"""Request signatures: Slack's documented example through the app's own
verifier, then the real HTTP endpoint rejecting forged and replayed requests
and answering a genuine one fast."""

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk.signature import SignatureVerifier

from bench.slack_fake import REP, SIGNING_SECRET, TEAM_ID, SlackSender, slack_signature
from bot.app import create_app
from bot.settings import SlackSettings
from storage import open_db
from tests.support.slack import (
    DOC_BODY,
    DOC_SECRET,
    DOC_SIGNATURE,
    DOC_TIMESTAMP,
    assert_valid_message,
)

ISSUE_BODY = DOC_BODY.replace("xyzz0WbapA4vBCDEFasx0q6G", "xyzz0WbapA4vBCDEEOPcAoG5ym")


class FixedClock:
    def __init__(self, now: float):
        self._now = now

    def now(self) -> float:
        return self._now


def app_verifier(app) -> SignatureVerifier:
    """The verifier instance inside the app's request-verification middleware
    (Bolt keeps its middleware list private; the middleware's `verifier` is public)."""
    (middleware,) = [m for m in app._middleware_list if isinstance(m, RequestVerification)]
    return middleware.verifier


def test_slacks_documented_example_with_the_apps_verifier(fake_slack, demo_template):
    db = open_db(demo_template)
    try:
        app = create_app(
            SlackSettings(bot_token=fake_slack.token, signing_secret=DOC_SECRET, api_url=fake_slack.api_url), db
        )
    finally:
        db.conn.close()
    verifier = app_verifier(app)
    assert type(verifier) is SignatureVerifier
    assert verifier.generate_signature(timestamp=DOC_TIMESTAMP, body=DOC_BODY) == DOC_SIGNATURE
    assert verifier.generate_signature(timestamp=DOC_TIMESTAMP, body=ISSUE_BODY) != DOC_SIGNATURE
    # The same class with the clock at the example's time: valid, then the
    # 5-minute replay window, then a tampered body.
    at = int(DOC_TIMESTAMP)
    assert SignatureVerifier(DOC_SECRET, clock=FixedClock(at + 60)).is_valid(DOC_BODY, DOC_TIMESTAMP, DOC_SIGNATURE)
    assert not SignatureVerifier(DOC_SECRET, clock=FixedClock(at + 301)).is_valid(
        DOC_BODY, DOC_TIMESTAMP, DOC_SIGNATURE
    )
    assert not SignatureVerifier(DOC_SECRET, clock=FixedClock(at)).is_valid(
        DOC_BODY + "x", DOC_TIMESTAMP, DOC_SIGNATURE
    )


def test_bad_signature_is_401_and_runs_nothing(sender, slack):
    reply = sender.command("help", user_id=REP, signature="v0=" + "0" * 64)
    assert reply.status == 401
    other_secret = SlackSender(sender.events_url, "not-the-secret", slack)
    assert other_secret.command("help", user_id=REP).status == 401
    assert sender.command("help", user_id=REP, signature="garbage").status == 401
    assert slack.calls() == []


def test_replayed_timestamp_outside_five_minutes_is_401(sender, slack):
    now = int(time.time())
    assert sender.command("help", user_id=REP, timestamp=now - 301).status == 401
    # +302: the verifier compares with its own fractional clock, so +301 is
    # inside the window whenever the request arrives a fraction later.
    assert sender.command("help", user_id=REP, timestamp=now + 302).status == 401
    assert sender.command("help", user_id=REP, timestamp=now - 240).status == 200  # inside the window


def test_signed_help_is_answered_in_the_ack(sender, slack):
    from commands import COMMANDS

    reply = sender.command("help", user_id=REP)
    assert reply.status == 200
    msg = reply.json
    assert msg["response_type"] == "ephemeral"
    assert msg["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "What I can answer", "emoji": True},
    }
    text = " ".join(b.get("text", {}).get("text", "") for b in msg["blocks"])
    for name, spec in COMMANDS.items():
        if name != "help":
            assert f"/retention {spec.usage}".strip() in text
    assert_valid_message(msg)
    assert slack.calls("response_url") == []


# ---- every route and every kind of request Slack sends ----------------------


def _form(payload: dict) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _bodies(sender) -> dict[str, tuple[str, str]]:
    """One body per kind of request Slack sends to the request URL (slash
    commands, events, interactivity), as (body, content type)."""
    base = {
        "team": {"id": TEAM_ID},
        "user": {"id": REP},
        "api_app_id": "A0FAKE",
        "token": "legacy",
        "trigger_id": "1.2.3",
    }
    return {
        "slash command": (sender.command_body("help", user_id=REP), FORM),
        "event_callback": (
            json.dumps(
                {
                    "type": "event_callback",
                    "team_id": TEAM_ID,
                    "api_app_id": "A0FAKE",
                    "event": {"type": "app_home_opened", "user": REP, "tab": "home", "event_ts": "1.1"},
                    "event_id": "Ev1",
                    "event_time": 1,
                }
            ),
            JSON,
        ),
        "url_verification": (
            json.dumps({"type": "url_verification", "token": "legacy", "challenge": "c4ll3nge"}),
            JSON,
        ),
        "block_actions": (
            _form(
                {
                    **base,
                    "type": "block_actions",
                    "container": {"type": "message"},
                    "actions": [{"action_id": "retired_button", "block_id": "b", "value": "1"}],
                    "response_url": sender.slack.response_url("sig"),
                }
            ),
            FORM,
        ),
        "view_submission": (
            _form(
                {
                    **base,
                    "type": "view_submission",
                    "view": {"id": "V1", "type": "modal", "callback_id": "x", "state": {"values": {}}},
                }
            ),
            FORM,
        ),
        "block_suggestion": (
            _form({**base, "type": "block_suggestion", "action_id": "x", "block_id": "b", "value": "a"}),
            FORM,
        ),
        "shortcut": (_form({**base, "type": "shortcut", "callback_id": "x"}), FORM),
    }


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
FORGED = {
    "unsigned": lambda secret, ts, body: {"X-Slack-Request-Timestamp": str(ts)},
    "wrong secret": lambda secret, ts, body: {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": slack_signature("not-it", ts, body),
    },
    "stale (6 min)": lambda secret, ts, body: {
        "X-Slack-Request-Timestamp": str(ts - 360),
        "X-Slack-Signature": slack_signature(secret, ts - 360, body),
    },
    "future (6 min)": lambda secret, ts, body: {
        "X-Slack-Request-Timestamp": str(ts + 360),
        "X-Slack-Signature": slack_signature(secret, ts + 360, body),
    },
    "signed, no timestamp": lambda secret, ts, body: {"X-Slack-Signature": slack_signature(secret, ts, body)},
    "body changed after signing": lambda secret, ts, body: {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": slack_signature(secret, ts, body + "&x=1"),
    },
}


def _post(url: str, body: str, ctype: str, headers: dict, method: str = "POST") -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=body.encode() if method == "POST" else None, headers={"Content-Type": ctype, **headers}, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.parametrize("forgery", list(FORGED))
def test_every_kind_of_request_needs_a_valid_recent_signature(forgery, sender, slack):
    now = int(time.time())
    for kind, (body, ctype) in _bodies(sender).items():
        status, reply = _post(sender.events_url, body, ctype, FORGED[forgery](SIGNING_SECRET, now, body))
        assert status == 401, (kind, forgery, status, reply[:200])
        assert b"c4ll3nge" not in reply
    assert slack.calls() == []  # nothing ran: no Web API call, no response_url


def test_every_kind_of_request_is_accepted_when_signed(sender, slack):
    """The same bodies, signed: past verification (200, or Bolt's 404 for a
    kind the bot has no listener for), and url_verification answered."""
    now = int(time.time())
    for kind, (body, ctype) in _bodies(sender).items():
        status, reply = _post(
            sender.events_url,
            body,
            ctype,
            {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": slack_signature(SIGNING_SECRET, now, body)},
        )
        assert status in (200, 404), (kind, status, reply[:200])
        if kind == "url_verification":
            assert json.loads(reply) == {"challenge": "c4ll3nge"}
    slack.wait_for("views.publish")  # the Home tab and the stale-button note, answered after the ack:
    slack.wait_for("response_url")  # waited for, so nothing spills into the next test


def test_no_other_route_serves_anything(bot, sender, slack):
    """Only POST /slack/events reaches Bolt, and only GET/HEAD /healthz is
    open; every other path and method is 404, signed or not."""
    now = int(time.time())
    body, ctype = sender.command_body("help", user_id=REP), FORM
    signed = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": slack_signature(SIGNING_SECRET, now, body)}
    for path in (
        "/",
        "/slack/events/",
        "/slack/event",
        "/slack/install",
        "/slack/oauth_redirect",
        "/healthz/x",
        "/slack/commands",
        "/slack/interactive",
        "/admin",
        "/../slack/events",
    ):
        for headers in ({}, signed):
            status, _ = _post(bot.url + path, body, ctype, headers)
            assert status in (404, 405), (path, status)
    for method in ("GET", "PUT", "DELETE"):
        status, _ = _post(sender.events_url, body, ctype, signed, method=method)
        assert status in (404, 405), (method, status)
    status, _ = _post(bot.url + "/healthz", "", ctype, {}, method="GET")
    assert status == 200
    assert slack.calls() == []


def test_ssl_check_is_answered_empty_and_runs_nothing(sender, slack):
    """Slack's certificate check (`ssl_check=1`) is the one request Bolt
    answers before verifying: an empty 200 that reads and runs nothing."""
    status, reply = _post(sender.events_url, "ssl_check=1&token=whatever", FORM, {})
    assert (status, reply) == (200, b"")
    assert slack.calls() == []


def test_unreadable_bodies_are_400_not_500(sender, slack):
    """Bolt parses the body before it checks the signature and used to crash
    on a body that is not UTF-8 or not the JSON its content type claims: a
    500 (and a traceback in the log) for anyone who sent junk."""
    for body, ctype in ((b"\x80\x81", FORM), (b"{not json", JSON), (b"\x00", JSON)):
        req = urllib.request.Request(sender.events_url, data=body, headers={"Content-Type": ctype}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=10)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        assert status == 400, (body, status)
    assert slack.calls() == []


def test_oversized_bodies_are_refused_before_anyone_reads_them(bot, slack):
    """Announced as bigger than MAX_BODY_BYTES: 413 at once, before the body
    is even sent (waitress checks Content-Length)."""
    from bot.server import MAX_BODY_BYTES
    from bot.settings import EVENTS_PATH

    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        status_line = conn.makefile("rb").readline()
    assert status_line.split()[1] == b"413", status_line
    assert slack.calls() == []
