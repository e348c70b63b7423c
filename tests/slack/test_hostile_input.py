"""Hostile input never escapes as an error: oversized or odd numbers and
texts get a usage answer; button values that are not follow-ups get a
short note; signed but malformed payloads, events and views are a 400 (not
a 500); names thousands of characters long still make valid Block Kit;
`--json` never prints NaN or Infinity; an absurd amount is refused at
import with its file and line."""

import json
import math
import time
import urllib.parse

import pytest
from click.testing import CliRunner

from bench.slack_fake import ADMIN, TEAM_ID
from bot.cli import main, to_json
from commands import COMMANDS, Context, answer
from commands.blocks import limit_problems
from commands.dispatch import MAX_TEXT
from commands.remind import ACTION_SNOOZE
from storage import open_db
from storage.importer import ImportRejected, import_file
from tests.support.stores import IMPORTED_AT

FORM = "application/x-www-form-urlencoded"
TEXTS = [
    "top " + "9" * 5000,
    "at-risk " + "9" * 5000,
    "trend ²",
    "cohorts ²",
    "cohorts " + "9" * 5000,
    "customer " + "x" * 100_000,
    "customer " + "y" * 3000,
    "kpis " + "2026-" * 2000,
    "x " * 50_000,
    "crr since " + "9" * 5000,
    "top ²",
    "followups ²",
    "rep:@" + "z" * 5000,
]


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: f"{t[:12]}…{len(t)}")
def test_odd_and_oversized_texts_get_a_usage_answer(bot, text):
    db = open_db(bot.db_path)
    try:  # timed in tests/reliability/test_latency.py
        a = answer(Context(db, user_id=ADMIN, surface="slack", now=bot.clock()), text)
    finally:
        db.conn.close()
    assert not a.ok, a.message["text"]
    assert limit_problems(a.message) == [] and len(a.message["text"]) < 500, a.message["text"]


def test_a_text_over_the_cap_is_refused_over_http_too(sender, slack):
    reply = sender.command("customer " + "x" * MAX_TEXT, user_id=ADMIN)
    assert reply.status == 200 and "a /retention command is at most 4,000" in reply.json["text"]


def click_body(sender, slack, value: str, block_id: str, tag: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "api_app_id": "A0FAKE",
        "trigger_id": sender.trigger_id(),
        "response_url": slack.response_url(tag),
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [{"type": "button", "action_id": ACTION_SNOOZE, "value": value, "block_id": block_id}],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1.5", ""])
def test_a_button_value_that_is_not_a_follow_up_gets_a_note(sender, slack, value):
    reply = sender.post(click_body(sender, slack, value, f"fua:{value}", "odd"), FORM)
    assert reply.status == 200
    (note,) = slack.wait_for("response_url", where=lambda c: c.params["tag"] == "odd")
    assert "does not name a follow-up" in note.json["text"]


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ADMIN}, "actions": "snooze"},
        {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": ADMIN}, "actions": ["snooze"]},
        {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": ADMIN}, "view": "x"},
        {"type": "block_actions", "team": "T0FAKE", "user": {"id": ADMIN}, "actions": []},
    ],
    ids=["actions-text", "actions-of-text", "view-text", "team-text"],
)
def test_a_signed_malformed_payload_is_a_400(sender, payload):
    reply = sender.post(urllib.parse.urlencode({"payload": json.dumps({**payload, "api_app_id": "A0FAKE"})}), FORM)
    assert (reply.status, reply.body) == (400, b"malformed Slack request")


@pytest.mark.parametrize("event", ["app_home_opened", {"user": ADMIN}, [1, 2]], ids=["text", "no-type", "list"])
def test_a_signed_malformed_event_is_a_400(sender, event):
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "api_app_id": "A0FAKE",
            "event": event,
            "event_id": f"Ev{time.time_ns()}",
        }
    )
    assert sender.post(body, "application/json").status == 400


def test_an_unsigned_malformed_payload_is_still_a_401(sender):
    body = urllib.parse.urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x"})})
    assert sender.post(body, FORM, signature="v0=" + "0" * 64).status == 401


def test_names_thousands_of_characters_long_make_valid_block_kit(bot):
    db = open_db(bot.db_path)
    try:
        top = db.execute("SELECT customer_id FROM customer_scores ORDER BY predicted_clv_12m DESC LIMIT 30").fetchall()
        db.execute(
            "UPDATE customers SET name = ?, company = ? WHERE id IN (" + ",".join("?" * len(top)) + ")",
            ["N" * 3500, "Co " * 1200, *[r[0] for r in top]],
        )
        db.execute("UPDATE reps SET name = ?", ["R" * 3200])
        ctx = Context(db, user_id=ADMIN, surface="slack", now=bot.clock())
        for text in {
            *COMMANDS,
            "at-risk 50",
            "top 50",
            "rep",
            "followups all",
            f"customer {top[0][0]}",
            "churn last-quarter",
        }:
            a = answer(ctx, text)
            assert limit_problems(a.message) == [], (text, limit_problems(a.message))
            for block in a.message["blocks"]:
                if block.get("type") == "section" and "text" in block:
                    assert block["text"]["text"].strip(), (text, block)
        long = answer(ctx, f"customer {top[0][0]}")
        assert "…" in json.dumps(long.message, ensure_ascii=False)
    finally:
        db.conn.close()


def test_json_output_never_holds_nan_or_infinity():
    data = {"crr": math.nan, "rows": [math.inf, -math.inf, 1.5], "nested": {"x": float("nan")}}
    text = to_json(data)
    assert json.loads(text) == {"crr": None, "rows": [None, None, 1.5], "nested": {"x": None}}
    assert "NaN" not in text and "Infinity" not in text


def test_every_json_answer_on_an_empty_store_is_strict_json(tmp_path):
    store = tmp_path / "empty.db"
    CliRunner().invoke(main, ["--db", str(store), "config", "timezone", "UTC"])
    for text in ("", "crr", "kpis", "churn", "nps", "top", "at-risk", "cohorts", "trend", "rep", "followups all"):
        r = CliRunner().invoke(main, ["--db", str(store), "ask", text, "--json"])
        assert "NaN" not in r.output and "Infinity" not in r.output, (text, r.output[:300])
        json.loads(r.output)


def test_an_absurd_amount_is_refused_at_import_with_its_line(fresh_db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,customer_id,ordered_at,amount\nO1,C1,2026-01-02,12.50\nO2,C1,2026-01-03,5000000000000\n")
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "orders", path, now=IMPORTED_AT)
    (line,) = e.value.report.lines()
    assert line.startswith(f"{path}:3: amount: amount '5000000000000' is beyond a trillion")
    assert fresh_db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0


def test_rep_ids_must_be_slack_user_ids(fresh_db, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text("id,name,manager_id\nmaria,Maria,\nU0SAM01,Sam,dana@example.com\nC0SALES,Channel,\n")
    with pytest.raises(ImportRejected) as e:
        import_file(fresh_db, "reps", path, now=IMPORTED_AT)
    lines = e.value.report.lines()
    assert lines[0].startswith(f"{path}:2: id: 'maria' is not a Slack user id (use the member id")
    assert lines[1].startswith(f"{path}:3: manager_id: 'dana@example.com' is not a Slack user id")
    assert lines[2].startswith(f"{path}:4: id: 'C0SALES' is not a Slack user id")
