"""Over signed HTTP: a person's Slack locale picks the language of their
answers (users.info with include_locale) until they choose their own — the
answers, the Home tab, and what a button press says."""

import json

from bench.slack_fake import REP
from commands.remind import ACTION_CONTACTED, ACTION_SNOOZE
from storage import open_db
from storage.user_languages import upsert_user_language
from tests.slack.test_buttons import (  # noqa: F401 (fixtures)
    OTHER_REP,
    block,
    button_click,
    followup,
    items,
    now,
    post_reminder,
    store,
    updated,
)
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


def test_a_button_press_answers_in_the_pressers_language(store, items, sender, slack, now):
    """REP reads Persian (their own choice): the reminder, and the line that
    replaces its buttons once pressed, are Persian; a colleague who reads
    Armenian is refused in Armenian, privately."""
    upsert_user_language(store, REP, "fa", now=SET_AT)
    upsert_user_language(store, OTHER_REP, "hy", now=SET_AT)
    try:
        message = post_reminder(store, slack, now)
        assert "تماس گرفتم" in json.dumps(message["blocks"], ensure_ascii=False)
        button_click(sender, message, ACTION_CONTACTED, items[0])
        done = block(updated(slack, message), f"fua:{items[0]['id']}")["elements"][0]["text"]
        assert "با مشتری تماس گرفت" in done and f"<@{REP}>" in done and "Contacted" not in done
        assert followup(store, items[0]["customer_id"])["state"] == "contacted"
        button_click(sender, message, ACTION_SNOOZE, items[1], user=OTHER_REP, tag="refused-hy")
        (refused,) = slack.wait_for("response_url")
        assert refused.params["tag"] == "refused-hy" and refused.json["response_type"] == "ephemeral"
        assert "հետադարձ կապը" in refused.json["text"] and "belongs to" not in refused.json["text"]
        assert followup(store, items[1]["customer_id"])["state"] == "open"
    finally:
        upsert_user_language(store, REP, None, now=SET_AT)
        upsert_user_language(store, OTHER_REP, None, now=SET_AT)


def test_a_stale_button_is_answered_in_the_pressers_language(store, sender, slack):
    upsert_user_language(store, REP, "hy", now=SET_AT)
    try:
        assert sender.action("retired_button", user_id=REP).status == 200
        (reply,) = slack.wait_for("response_url")
        assert "Այս կոճակն այլևս ակտիվ չէ" in reply.json["text"]
    finally:
        upsert_user_language(store, REP, None, now=SET_AT)
