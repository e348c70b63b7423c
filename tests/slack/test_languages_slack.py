"""Over signed HTTP: a person's Slack locale picks the language of their
answers (users.info with include_locale) until they choose their own."""

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
