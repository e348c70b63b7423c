"""Over signed HTTP: a person's Slack locale picks the language of their
answers (users.info with include_locale) until they choose their own — the
answers and the Home tab (button presses: tests/slack/test_buttons.py)."""

import json

from bench.slack_fake import REP
from storage import open_db
from storage.user_languages import upsert_user_language
from tests.support.stores import SET_AT


def test_the_slack_locale_then_the_persons_own_choice(bot, sender, slack):
    slack.users[REP] = {"locale": "fa-IR"}
    reply = sender.command("crr", user_id=REP)
    assert reply.status == 200
    assert "نرخ حفظ مشتری" in str(reply.json)
    asked = slack.calls("users.info")
    assert asked and all(str(c.params.get("include_locale")).lower() in ("1", "true") for c in asked)
    db = open_db(bot.db_path)
    try:
        upsert_user_language(db, REP, "hy", now=SET_AT)
        assert "հաճախորդների պահպանման գործակից" in str(sender.command("crr", user_id=REP).json)
        upsert_user_language(db, REP, None, now=SET_AT)
    finally:
        db.conn.close()
    slack.users[REP] = {}


def test_the_home_tab_in_the_viewers_language(bot, sender, slack):
    slack.users[REP] = {"locale": "fa-IR"}
    reply = sender.event(
        {"type": "app_home_opened", "user": REP, "channel": "D0DEMO001", "tab": "home", "event_ts": "2.1"}
    )
    assert reply.status == 200
    (call,) = slack.wait_for("views.publish")
    view = call.params["view"]
    text = json.dumps(view if isinstance(view, dict) else json.loads(view), ensure_ascii=False)
    assert "حفظ مشتری" in text and "*راهنمای استفاده*" in text and "*سبد مشتریان شما*" in text
    assert "How to use" not in text and "Your book" not in text
    slack.users[REP] = {}


def test_a_slow_answer_is_acked_in_the_askers_language(bot, sender, slack):
    slack.users[REP] = {"locale": "fa-IR"}
    reply = sender.command("trend 3", user_id=REP)
    assert reply.status == 200 and reply.json["text"].startswith(":hourglass_flowing_sand: در حال آماده‌سازی")
    slack.wait_for("response_url")  # the answer follows
    slack.users[REP] = {}
