"""Reminder and digest buttons end to end: a message the bot posted, a
signed `block_actions` request for a click on it, and what the app does —
the follow-up changes, the message is rewritten in place (`chat.update`),
the audit log records who did it. Also `/retention digest now`."""

import json
import urllib.parse
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient

from bench.slack_fake import ADMIN, DM, REP, TEAM_ID
from bot.jobs import digest_payload, reminder_payload
from commands.digest import ACTION_AT_RISK, ACTION_CLAIM
from commands.remind import ACTION_CONTACTED, ACTION_DISMISS, ACTION_REASSIGN, ACTION_SNOOZE
from storage import open_db
from storage.fields import format_utc
from storage.user_languages import upsert_user_language
from tests.support.slack import assert_valid_message
from tests.support.stores import SET_AT

OTHER_REP = "U0DEMO002"  # Sam Okafor: a rep, not REP's manager, not an admin
DIGEST_CHANNEL = "C0DIGEST"


@pytest.fixture
def store(bot):
    db = open_db(bot.db_path)
    yield db
    db.conn.close()


@pytest.fixture
def now(bot) -> datetime:
    """The bot's time (its clock starts on the demo store's day)."""
    return bot.clock()


@pytest.fixture
def items(store, now) -> list[dict]:
    """Four fresh open follow-ups for REP's customers (earlier tests' closed)."""
    store.execute("UPDATE followups SET state = 'lost', closed_at = ? WHERE closed_at IS NULL", [format_utc(now)])
    customers = [
        r[0] for r in store.execute("SELECT id FROM customers WHERE owner_rep_id = ? ORDER BY id LIMIT 4", [REP])
    ]
    for i, cid in enumerate(customers):
        store.execute(
            "INSERT INTO followups (customer_id, rep_id, opened_at, value_at_open) VALUES (?, ?, ?, ?)",
            [cid, REP, format_utc(now - timedelta(hours=1)), 9000.0 - 1000 * i],
        )
    return [followup(store, cid) for cid in customers]


def followup(db, customer_id: str) -> dict:
    cur = db.execute("SELECT * FROM followups WHERE customer_id = ? ORDER BY id DESC LIMIT 1", [customer_id])
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def last_audit(db, action: str) -> dict:
    row = db.execute(
        "SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1", [action]
    ).fetchone()
    return {"actor": row[0], "subject": row[1], "detail": json.loads(row[2])}


def post(slack, channel: str, payload: dict) -> dict:
    """Post as the bot would; returns the message as Slack would show it."""
    reply = WebClient(token=slack.token, base_url=slack.api_url).chat_postMessage(channel=channel, **payload)
    return {"channel": channel, "ts": reply["ts"], "text": payload["text"], "blocks": payload["blocks"]}


def post_reminder(store, slack, now: datetime) -> dict:
    return post(slack, DM, reminder_payload(store, None, REP, now.date(), now))


def click(
    sender,
    message: dict,
    action_id: str,
    *,
    block_id: str,
    value: str | None = None,
    selected_user: str | None = None,
    user: str = REP,
    tag: str = "",
):
    action = {"type": "button", "action_id": action_id, "block_id": block_id, "action_ts": "1.000002"}
    if selected_user:
        action.update(type="users_select", selected_user=selected_user)
    else:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0FAKE",
        "token": "legacy-verification-token",
        "trigger_id": sender.trigger_id(),
        "container": {
            "type": "message",
            "channel_id": message["channel"],
            "message_ts": message["ts"],
            "is_ephemeral": False,
        },
        "channel": {"id": message["channel"]},
        "message": {"type": "message", "ts": message["ts"], "text": message["text"], "blocks": message["blocks"]},
        "response_url": sender.slack.response_url(tag),
        "actions": [action],
    }
    reply = sender.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    assert reply.status == 200
    return reply


def updated(slack, message: dict) -> dict:
    (call,) = slack.wait_for("chat.update")
    assert (call.params["channel"], call.params["ts"]) == (message["channel"], message["ts"])
    blocks = call.params["blocks"]
    new = {"text": call.params["text"], "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}
    assert_valid_message(new)
    return new


def block(message: dict, block_id: str) -> dict:
    (found,) = [b for b in message["blocks"] if b.get("block_id") == block_id]
    return found


def digest_with_an_unowned_customer(store, slack, now: datetime) -> tuple[str, dict, str]:
    """A high-value customer nobody owns, with an open follow-up, in a
    posted digest: the customer, the message and its Claim button's value."""
    unowned = store.execute("SELECT id FROM customers WHERE owner_rep_id IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    store.execute(
        "INSERT INTO followups (customer_id, opened_at, value_at_open) VALUES (?, ?, 1e7)",
        [unowned, format_utc(now - timedelta(minutes=30))],
    )
    message = post(slack, DIGEST_CHANNEL, digest_payload(store, DIGEST_CHANNEL, now.date(), now))
    return unowned, message, f"f{followup(store, unowned)['id']}"


def button_click(sender, message, action_id, item, **kw):
    return click(sender, message, action_id, block_id=f"fua:{item['id']}", value=str(item["id"]), **kw)


def test_contacted_closes_the_loop_for_now_and_rewrites_only_that_customer(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    first, second = items[0], items[1]
    button_click(sender, message, ACTION_CONTACTED, first)
    new = updated(slack, message)
    done = block(new, f"fua:{first['id']}")
    assert done["type"] == "context" and f"Contacted by <@{REP}>" in done["elements"][0]["text"]
    assert block(new, f"fua:{second['id']}") == block(message, f"fua:{second['id']}")  # the rest as it was
    assert len(new["blocks"]) == len(message["blocks"])
    after = followup(store, first["customer_id"])
    assert after["state"] == "contacted" and after["closed_at"] is None  # a new order still counts as won back
    audit = last_audit(store, "followup.contacted")
    assert audit["actor"] == REP and audit["subject"] == f"followup:{first['id']}"
    assert slack.calls("response_url") == []


def test_snooze_sets_seven_days_and_says_until_when(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    button_click(sender, message, ACTION_SNOOZE, items[1])
    new = updated(slack, message)
    until = (now + timedelta(days=7)).date().isoformat()
    assert f"Snoozed by <@{REP}> until {until}" in block(new, f"fua:{items[1]['id']}")["elements"][0]["text"]
    after = followup(store, items[1]["customer_id"])
    assert after["state"] == "snoozed" and after["snooze_until"].startswith(until)
    assert last_audit(store, "followup.snoozed")["detail"]["snooze_until"] == after["snooze_until"]


def test_reassign_with_the_user_picker(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    click(sender, message, ACTION_REASSIGN, block_id=f"fua:{items[2]['id']}", selected_user=OTHER_REP)
    new = updated(slack, message)
    assert f"Reassigned by <@{REP}> to <@{OTHER_REP}>" in block(new, f"fua:{items[2]['id']}")["elements"][0]["text"]
    after = followup(store, items[2]["customer_id"])
    assert (after["rep_id"], after["state"], after["reminder_count"]) == (OTHER_REP, "open", 0)
    audit = last_audit(store, "followup.reassigned")
    assert (audit["actor"], audit["detail"]["rep_id"], audit["detail"]["previous_rep_id"]) == (REP, OTHER_REP, REP)


def test_not_at_risk_dismisses_and_silences(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    button_click(sender, message, ACTION_DISMISS, items[3])
    new = updated(slack, message)
    assert "Not at risk" in block(new, f"fua:{items[3]['id']}")["elements"][0]["text"]
    after = followup(store, items[3]["customer_id"])
    assert after["state"] == "dismissed" and after["closed_at"] is not None
    assert last_audit(store, "followup.dismissed")["detail"]["silenced_until"] > after["closed_at"]


def test_someone_elses_follow_up_is_refused_privately(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    button_click(sender, message, ACTION_CONTACTED, items[0], user=OTHER_REP, tag="refused")
    (reply,) = slack.wait_for("response_url")
    assert reply.params["tag"] == "refused" and "belongs to" in reply.json["text"]
    assert reply.json["response_type"] == "ephemeral" and reply.json["replace_original"] is False
    assert followup(store, items[0]["customer_id"])["state"] == "open"
    assert slack.calls("chat.update") == []


def test_a_second_click_on_a_closed_follow_up_shows_its_state(store, items, sender, slack, now):
    message = post_reminder(store, slack, now)
    button_click(sender, message, ACTION_DISMISS, items[0])
    updated(slack, message)
    slack.reset()
    button_click(sender, message, ACTION_CONTACTED, items[0], tag="stale")  # an old copy of the message
    (reply,) = slack.wait_for("response_url")
    assert "already closed" in reply.json["text"]
    assert "Marked not at risk" in block(updated(slack, message), f"fua:{items[0]['id']}")["elements"][0]["text"]
    assert followup(store, items[0]["customer_id"])["state"] == "dismissed"


def test_claim_assigns_the_customer_to_the_clicker(store, items, sender, slack, now):
    unowned, message, ref = digest_with_an_unowned_customer(store, slack, now)
    claim = block(message, f"cq:{ref}")
    assert claim["accessory"]["action_id"] == ACTION_CLAIM and "owner unassigned" in claim["text"]["text"]
    click(sender, message, ACTION_CLAIM, block_id=f"cq:{ref}", value=ref)
    new = block(updated(slack, message), f"cq:{ref}")
    assert "accessory" not in new and f"owner <@{REP}> (just claimed)" in new["text"]["text"]
    owner = store.execute("SELECT owner_rep_id FROM customers WHERE id = ?", [unowned]).fetchone()[0]
    assert owner == REP and followup(store, unowned)["rep_id"] == REP
    audit = last_audit(store, "customer.claimed")
    assert (audit["actor"], audit["subject"], audit["detail"]["previous_owner"]) == (REP, f"customer:{unowned}", None)


def test_open_the_at_risk_list(store, items, sender, slack, now):
    message = post(slack, DIGEST_CHANNEL, digest_payload(store, DIGEST_CHANNEL, now.date(), now))
    click(sender, message, ACTION_AT_RISK, block_id="digest:actions", value="at-risk", tag="risk")
    (reply,) = slack.wait_for("response_url")
    assert reply.json["response_type"] == "ephemeral" and "Going quiet" in reply.json["text"]
    assert_valid_message(reply.json)


def test_digest_now_posts_once_for_admins(store, sender, slack):
    reply = sender.command(f"digest now <#{DIGEST_CHANNEL}|sales>", user_id=ADMIN, response_tag="now1")
    assert reply.status == 200 and "Working on it" in reply.json["text"]
    (answer,) = slack.wait_for("response_url")
    assert f"Digest posted to <#{DIGEST_CHANNEL}>" in answer.json["text"]
    (posted,) = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == DIGEST_CHANNEL
    assert posted.params["metadata"]["event_payload"]["key"].startswith("d1:")

    sender.command(f"digest now <#{DIGEST_CHANNEL}|sales>", user_id=ADMIN, response_tag="now2")
    second = slack.wait_for("response_url", count=2)[1]
    assert "already sent" in second.json["text"]
    third = sender.command(f"digest now <#{DIGEST_CHANNEL}|sales>", user_id=REP, response_tag="now3")
    assert "only managers and admins" in third.json["text"]  # a rep, in `reps` access: refused in the ack
    assert len(slack.calls("chat.postMessage")) == 1


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


def test_why_nothing_changed_is_said_in_the_pressers_language(store, items, sender, slack, now):
    """A refused change (storage's FollowupError) reaches the presser as a
    whole sentence of their language: a closed follow-up's state by its
    Persian or Armenian name, the owner of a claimed customer as a mention
    (isolated in Persian)."""
    readers = {REP: "fa", ADMIN: "hy"}
    for user, lang in readers.items():
        upsert_user_language(store, user, lang, now=SET_AT)
    try:
        message = post_reminder(store, slack, now)
        button_click(sender, message, ACTION_DISMISS, items[0])
        updated(slack, message)
        said = {}
        for user in readers:
            slack.reset()
            button_click(sender, message, ACTION_CONTACTED, items[0], user=user, tag=f"closed-{user}")
            (reply,) = slack.wait_for("response_url")
            said[readers[user]] = reply.json["text"]
        assert said == {
            "fa": "چیزی تغییر نکرد: این پیگیری پیش‌تر بسته شده است (در معرض ریزش نیست).",
            "hy": "Ոչինչ չփոխվեց․ այս հետադարձ կապն արդեն փակված է (ռիսկ չկա)։",
        }

        _, digest, ref = digest_with_an_unowned_customer(store, slack, now)
        slack.reset()
        click(sender, digest, ACTION_CLAIM, block_id=f"cq:{ref}", value=ref, user=OTHER_REP)
        updated(slack, digest)
        said = {}
        for lang in ("fa", "hy"):
            upsert_user_language(store, REP, lang, now=SET_AT)
            slack.reset()
            click(sender, digest, ACTION_CLAIM, block_id=f"cq:{ref}", value=ref, tag=f"owned-{lang}")
            (reply,) = slack.wait_for("response_url")
            said[lang] = reply.json["text"]
        assert said == {
            "fa": f"چیزی تغییر نکرد: مسئول این مشتری از پیش \u2068<@{OTHER_REP}>\u2069 است.",
            "hy": f"Ոչինչ չփոխվեց․ այս հաճախորդն արդեն <@{OTHER_REP}>-ինն է։",
        }
    finally:
        for user in readers:
            upsert_user_language(store, user, None, now=SET_AT)
