"""The digest and reminder messages as pure functions of their data, the
`/retention digest` command, and the console's `press`."""

import json
from datetime import UTC, date, datetime

import pytest

from commands import Context, answer
from commands.blocks import limit_problems
from commands.buttons import press
from commands.digest import ACTION_CLAIM, build_digest_message, build_digest_sent_message
from commands.remind import (
    build_reminder_message,
    followup_blocks,
    followup_id_from_block,
    replace_blocks,
    state_outcome,
)
from storage.settings import upsert_setting
from tests.support.digests import EVIL, digest_data, item
from tests.support.followups import MGR, REP, REP2, audit, followup, make_store

NOW = datetime(2026, 11, 23, 17, tzinfo=UTC)


def test_all_quiet_is_short_and_still_says_how_retention_stands():
    msg = build_digest_message(digest_data(), "USD")
    assert limit_problems(msg) == [] and len(msg["blocks"]) == 4
    assert msg["blocks"][0]["text"]["text"] == "Churn digest · Mon 23 Nov 2026"
    assert "all quiet since the last digest" in msg["text"] and "(E 35, N 2, S 40)" in msg["text"]
    assert "(E 35 − N 2) / S 40 = 82.5%" in json.dumps(msg, ensure_ascii=False)


def test_full_digest_escapes_credits_and_offers_claim_only_when_unowned():
    d = digest_data(
        all_quiet=False,
        churned={
            "count": 12,
            "customers": [
                {
                    "id": "C01",
                    "name": EVIL,
                    "company": None,
                    "owner_rep_id": REP,
                    "revenue": 4200.0,
                    "last_order": "2026-08-24",
                }
            ],
        },
        went_quiet={"count": 14, "customers": [item(1), item(2, rep=None)]},
        won_back={"count": 1, "customers": [item(3, state="won_back", note="ordered again on 2026-11-23")]},
        overdue={
            "count": 5,
            "new": 2,
            "by_rep": [{"rep_id": REP, "count": 3}, {"rep_id": None, "count": 2}],
            "after_days": 7,
        },
        nps={"nps": 40.0, "responses": 10, "previous_nps": 30.0, "previous_responses": 8, "new_answers": 3},
    )
    msg = build_digest_message(d, "USD")
    assert limit_problems(msg) == []
    body = json.dumps(msg, ensure_ascii=False)
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body
    assert "CRR 82.5%* this month  ▼ 9.6 pts vs last month (92.1%)" in body
    assert "12 churned" in body and "…and 11 more" in body and "…and 12 more: open the at-risk list" in body
    assert f"credited to <@{REP}>" in body and "ordered again on 2026-11-23" in body
    assert "5 follow-ups overdue* (no action for 7+ days; 2 new)" in body and "unassigned 2" in body
    assert "NPS 40.0* this month  ▲ 10.0 vs last month (30.0) · 3 new answers" in body
    claims = [b for b in msg["blocks"] if b.get("accessory")]
    assert [(b["block_id"], b["accessory"]["action_id"], b["accessory"]["value"]) for b in claims] == [
        ("cq:f2", ACTION_CLAIM, "f2")
    ]  # the follow-up, never the customer id (it may be an email)
    assert msg["text"].startswith("Churn digest · Mon 23 Nov 2026: CRR 82.5% (E 35, N 2, S 40)")


def test_reminder_batches_ten_and_item_blocks_carry_the_follow_up_id():
    d = {
        "rep_id": REP,
        "date": "2026-11-23",
        "total": 25,
        "shown": 10,
        "dismiss_days": 90,
        "items": [item(i) for i in range(1, 11)],
    }
    msg = build_reminder_message(d, "USD")
    assert limit_problems(msg) == [] and "25 valuable customers" in msg["text"]
    assert "…and 15 more" in json.dumps(msg, ensure_ascii=False)
    ids = [followup_id_from_block(b.get("block_id")) for b in msg["blocks"] if b["type"] == "actions"]
    assert ids == list(range(1, 11))
    assert "&lt;!channel&gt;" in msg["text"] and "<!channel>" not in json.dumps(msg)


def test_rewriting_one_customer_keeps_the_rest_of_the_message():
    d = {"rep_id": REP, "date": "2026-11-23", "total": 2, "shown": 2, "dismiss_days": 90, "items": [item(1), item(2)]}
    msg = build_reminder_message(d, "USD")
    done = item(1, state="snoozed", snooze_until="2026-11-30T17:00:00Z")
    new = replace_blocks(msg, followup_blocks(done, "USD", state_outcome(done, REP)))
    assert new["text"] == msg["text"] and len(new["blocks"]) == len(msg["blocks"])
    changed = [i for i, (a, b) in enumerate(zip(msg["blocks"], new["blocks"], strict=True)) if a != b]
    assert [new["blocks"][i]["block_id"] for i in changed] == ["fua:1"]
    assert f"Snoozed by <@{REP}> until 2026-11-30" in new["blocks"][changed[0]]["elements"][0]["text"]


def test_sent_outcomes_read_well():
    for status, words in [
        ("sent", "Digest posted"),
        ("already sent", "already sent"),
        ("pending", "retried"),
        ("failed", "could not be posted"),
    ]:
        msg = build_digest_sent_message(
            {"status": status, "channel": "C0SALES", "key": "digest:x:C0SALES", "error": "channel_not_found"}
        )
        assert words in msg["text"] and limit_problems(msg) == []


@pytest.fixture
def store(db_path):
    db = make_store(db_path)
    upsert_setting(db, "digest_channels", "C0SALES 09:00 America/Los_Angeles", now=NOW)
    yield db
    db.conn.close()


def ask(db, text, **kw):
    return answer(Context(db, as_of=date(2026, 11, 23), now=NOW, **kw), text)


def test_the_digest_command(store):
    a = ask(store, "digest")
    assert a.ok and a.data["mode"] == "preview" and a.data["channel"] == "C0SALES"
    json.dumps(a.data, allow_nan=False)
    assert ask(store, "digest preview <#C0OTHER|other>").data["channel"] == "C0OTHER"
    a = ask(store, "digest now", user_id=REP, is_admin=False)
    assert not a.ok and "Only admins" in a.data["error"]
    a = ask(store, "digest now")  # the console: shows it, says it was not posted
    assert a.ok and a.data["posted"] is False and "Not posted" in json.dumps(a.message)
    assert store.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    a = ask(store, "digest now", surface="slack")  # Slack: the bot's listener posts it
    assert a.data["post"] == {"channel": "C0SALES", "force": False}
    assert ask(store, "digest now #C0SALES force", surface="slack").data["post"]["force"] is True
    assert not ask(store, "digest preview tomorrow").ok


def test_press_in_the_console_uses_the_same_transitions(store):
    a = answer_press(store, "contacted C01")
    assert a.ok and followup(store, "C01")["state"] == "contacted"
    assert "Contacted by console" in json.dumps(a.message)
    assert audit(store, "followup.contacted")[0]["actor"] == "console"
    assert answer_press(store, "snooze C02").ok and followup(store, "C02")["state"] == "snoozed"
    assert answer_press(store, f"reassign C03 {REP2}").ok and followup(store, "C03")["rep_id"] == REP2
    assert answer_press(store, "not-at-risk C04").ok and followup(store, "C04")["state"] == "dismissed"
    again = answer_press(store, "contacted C04")
    assert not again.ok and "no open follow-up" in again.data["summary"]
    assert not answer_press(store, "reassign C05 U0NOBODY1").ok
    assert not answer_press(store, "claim C05 " + MGR).ok  # C05 is REP's
    store.execute("UPDATE customers SET owner_rep_id = NULL WHERE id = 'C06'")
    claimed = answer_press(store, f"claim C06 {REP2}")
    assert claimed.ok and followup(store, "C06")["rep_id"] == REP2
    assert store.execute("SELECT owner_rep_id FROM customers WHERE id = 'C06'").fetchone()[0] == REP2
    assert not answer_press(store, "wave C01").ok
    for a in (again, claimed):
        assert limit_problems(a.message) == []


def answer_press(db, text: str):
    return press(Context(db, as_of=date(2026, 11, 23), now=NOW), text.split())
