"""Rep reminders through the real jobs and outbox, against the fake Slack,
with time injected: batched, at most one DM per rep per day, snoozes that
come back, "not at risk" silences, and escalation to the manager once."""

import json
from datetime import timedelta

import pytest

from bot.jobs import build_jobs, reminder_payload
from bot.scheduler import remind_key, run_reminders_job
from commands.blocks import limit_problems
from commands.remind import ACTION_CONTACTED, ACTION_DISMISS, ACTION_REASSIGN, ACTION_SNOOZE
from storage import open_db
from storage.fields import format_utc
from storage.followup_actions import dismiss, mark_contacted, reassign, snooze
from storage.user_languages import upsert_user_language
from tests.support.followups import MGR, REP, REP2, audit, followup, make_store, outbox_client, utc

TZ = "America/New_York"
DAY0 = utc(2026, 11, 9, 14)  # Monday 09:00 in New York


@pytest.fixture
def store(db_path):
    db = make_store(db_path)
    yield db
    db.conn.close()


def listed(message: dict) -> list[str]:
    """Customers with buttons in a reminder, top to bottom (by their text)."""
    ids = [b["block_id"].split(":")[1] for b in message["blocks"] if b.get("block_id", "").startswith("fua:")]
    return [_customer_of(message, i) for i in ids]


def _customer_of(message: dict, followup_id: str) -> str:
    (text,) = [b["text"]["text"] for b in message["blocks"] if b.get("block_id") == f"fu:{followup_id}"]
    return f"C{int(text.split('Customer ')[1].split('*')[0]):02d}"


def remind(db_path, slack, rep: str, now):
    jobs = build_jobs(outbox_client(slack), clock=lambda: now)
    return run_reminders_job(str(db_path), rep, now, tz=TZ, client=jobs.client, build_payload=jobs.build_reminder)


def payload_of(db_path, key: str) -> dict:
    db = open_db(db_path)
    try:
        row = db.execute("SELECT payload FROM deliveries WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None
    finally:
        db.conn.close()


def test_top_ten_by_value_then_and_n_more_each_with_reason_and_four_buttons(store):
    message = reminder_payload(store, None, REP, DAY0.date(), DAY0)
    assert limit_problems(message) == [] and message["text"].startswith("Follow-ups for 2026-11-09: 13")
    assert listed(message) == [f"C{i:02d}" for i in range(1, 11)]
    body = json.dumps(message)
    assert "and 3 more" in body and "expected 12-month value $13,000" in body and "$13,000 at risk" in body
    first = next(b for b in message["blocks"] if b.get("block_id", "").startswith("fua:"))
    fid = first["block_id"].split(":")[1]
    assert [e["action_id"] for e in first["elements"]] == [
        ACTION_CONTACTED,
        ACTION_SNOOZE,
        ACTION_REASSIGN,
        ACTION_DISMISS,
    ]
    assert [e["type"] for e in first["elements"]] == ["button", "button", "users_select", "button"]
    assert [e.get("value") for e in first["elements"]] == [fid, fid, None, fid]
    assert [e["text"]["text"] for e in first["elements"] if e["type"] == "button"] == [
        "Contacted",
        "Snooze 7 days",
        "Not at risk",
    ]
    assert (followup(store, "C01")["reminder_count"], followup(store, "C01")["reminded_at"]) == (1, format_utc(DAY0))
    assert followup(store, "C11")["reminder_count"] == 0  # in "and 3 more", not listed
    (entry,) = audit(store, "followup.reminded")
    assert entry["subject"] == f"rep:{REP}" and len(json.loads(entry["detail"])["followups"]) == 10


def test_at_most_one_dm_per_rep_per_day_to_their_dm(db_path, store, slack):
    for hours in (0, 2, 9):
        remind(db_path, slack, REP, DAY0 + timedelta(hours=hours))
    remind(db_path, slack, REP, DAY0 + timedelta(days=1))
    assert len(slack.posted(remind_key(DAY0.date(), REP))) == 1
    assert len(slack.posted(remind_key(DAY0.date() + timedelta(days=1), REP))) == 1
    assert {c.params["channel"] for c in slack.calls("chat.postMessage")} == {"D0REP001"}
    assert followup(store, "C01")["reminder_count"] == 2


def test_a_rep_with_nothing_due_gets_no_dm(db_path, store, slack):
    assert remind(db_path, slack, REP2, DAY0) is None
    assert slack.calls("chat.postMessage") == []


def test_snoozed_ones_come_back_after_seven_days(store):
    fid = followup(store, "C01")["id"]
    snooze(store, fid, REP, DAY0)
    assert followup(store, "C01")["snooze_until"] == format_utc(DAY0 + timedelta(days=7))
    for day in range(1, 7):
        now = DAY0 + timedelta(days=day)
        assert "C01" not in listed(reminder_payload(store, None, REP, now.date(), now))
    back = DAY0 + timedelta(days=7)
    assert listed(reminder_payload(store, None, REP, back.date(), back))[0] == "C01"
    assert followup(store, "C01")["state"] == "open"
    (entry,) = audit(store, "followup.snoozed")
    assert (entry["actor"], entry["subject"]) == (REP, f"followup:{fid}")


def test_not_at_risk_silences_for_dismiss_days_unless_the_value_changes_markedly(store):
    dismiss(store, followup(store, "C01")["id"], REP, DAY0, 90)
    # the next score run sees C01 quiet again and opens a new follow-up
    store.execute(
        "INSERT INTO followups (customer_id, rep_id, opened_at, value_at_open) VALUES ('C01', ?, ?, 13000)",
        [REP, format_utc(DAY0 + timedelta(days=1))],
    )
    later = DAY0 + timedelta(days=30)
    assert "C01" not in listed(reminder_payload(store, None, REP, later.date(), later))
    store.execute("UPDATE customer_scores SET predicted_clv_12m = 30000 WHERE customer_id = 'C01'")
    assert listed(reminder_payload(store, None, REP, later.date(), later))[0] == "C01"
    store.execute("UPDATE customer_scores SET predicted_clv_12m = 14000 WHERE customer_id = 'C01'")
    assert "C01" not in listed(reminder_payload(store, None, REP, later.date(), later))
    after = DAY0 + timedelta(days=91)
    assert listed(reminder_payload(store, None, REP, after.date(), after))[0] == "C01"
    (entry,) = audit(store, "followup.dismissed")
    assert json.loads(entry["detail"])["silenced_until"] == format_utc(DAY0 + timedelta(days=90))


def test_ignored_follow_ups_reach_the_manager_once(db_path, store, slack):
    remind(db_path, slack, REP, DAY0)
    mark_contacted(store, followup(store, "C01")["id"], REP, DAY0 + timedelta(hours=1))
    snooze(store, followup(store, "C02")["id"], REP, DAY0 + timedelta(hours=1))
    for day in range(1, 12):
        remind(db_path, slack, REP, DAY0 + timedelta(days=day))
    to_manager = [c for c in slack.calls("chat.postMessage") if c.params["channel"] == "D0MGR001"]
    assert len(to_manager) == 2
    # C03–C10 were in the reminders from day 0, C11 and C12 from day 1 (once
    # C01 and C02 left the top ten): each goes up 7 days later, and once; C02
    # is back from its snooze on day 8, with a fresh clock.
    first = payload_of(db_path, f"escalate:{(DAY0 + timedelta(days=7)).date()}:{REP}")
    second = payload_of(db_path, f"escalate:{(DAY0 + timedelta(days=8)).date()}:{REP}")
    assert limit_problems(first) == [] and "no action for 7+ days" in first["text"]
    assert listed(first) == [f"C{i:02d}" for i in range(3, 11)]  # not the contacted, not the snoozed
    assert listed(second) == ["C11", "C12"]
    escalated = store.execute(
        "SELECT customer_id, escalated_at FROM followups WHERE escalated_at IS NOT NULL"
    ).fetchall()
    assert sorted(c for c, _ in escalated) == [f"C{i:02d}" for i in range(3, 13)]
    entries = audit(store, "followup.escalated")
    assert len(entries) == 10 and len({e["subject"] for e in entries}) == 10
    assert {json.loads(e["detail"])["manager_id"] for e in entries} == {MGR}


def test_a_handover_restarts_the_escalation_clock(db_path, store, slack):
    remind(db_path, slack, REP, DAY0)
    fid = followup(store, "C01")["id"]
    reassign(store, fid, MGR, REP2, DAY0 + timedelta(days=6))
    for day in range(6, 13):
        remind(db_path, slack, REP2, DAY0 + timedelta(days=day))
    assert followup(store, "C01")["escalated_at"] is None
    remind(db_path, slack, REP2, DAY0 + timedelta(days=13))
    assert followup(store, "C01")["escalated_at"] == format_utc(DAY0 + timedelta(days=13))
    (entry,) = audit(store, "followup.reassigned")
    assert json.loads(entry["detail"])["previous_rep_id"] == REP and entry["actor"] == MGR


def test_reminders_and_escalations_speak_each_recipients_language(db_path, store, slack):
    """The rep chose Persian; the manager reads Slack in Armenian; the
    workspace is English."""
    upsert_user_language(store, REP, "fa", now=DAY0)
    slack.users[MGR] = {"locale": "hy-AM"}
    remind(db_path, slack, REP, DAY0)
    dm = payload_of(db_path, remind_key(DAY0.date(), REP))
    assert "مشتری باارزش کم‌پیدا شده‌اند" in dm["text"] and "تماس گرفتم" in json.dumps(dm, ensure_ascii=False)
    for day in range(1, 8):
        remind(db_path, slack, REP, DAY0 + timedelta(days=day))
    escalation = payload_of(db_path, f"escalate:{(DAY0 + timedelta(days=7)).date()}:{REP}")
    assert escalation["text"].startswith("Փոխանցում ղեկավարին")
    asked = [c for c in slack.calls("users.info") if c.params.get("user") == MGR]
    assert asked and all(str(c.params.get("include_locale")).lower() in ("1", "true") for c in asked)
