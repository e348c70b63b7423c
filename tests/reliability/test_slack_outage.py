"""Slack answers 503 to everything for an hour, right across the morning's
digests, reminders and escalation; once it is back, each of them is
delivered exactly once, and the follow-ups are counted as reminded once.

The real jobs (`build_jobs`: digest, reminders with escalation) and the
real outbox run at the times their triggers give, on an injected clock
stepping a minute at a time, with the outbox flushed every FLUSH_EVERY as
the scheduler does. The fake Slack's `down` switch is the outage."""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import build_jobs
from bot.scheduler import (
    FLUSH_EVERY,
    catch_up,
    load_schedules,
    run_digest_job,
    run_flush_job,
    run_reminders_job,
)
from storage import open_db
from tests.support.followups import CHANNELS, REP, outbox_client

pytestmark = pytest.mark.slow

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 9, tzinfo=NY)  # day 0; the outage is on day 7, the next Monday
MINUTE = timedelta(minutes=1)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run_clock(db_path, jobs, clock: Clock, start: datetime, end: datetime, outage=None, slack=None) -> None:
    """Step the clock a minute at a time from `start` to `end`, running each
    job whose trigger fires in that minute and flushing the outbox every
    FLUSH_EVERY, as the scheduler does; Slack is down during `outage`."""
    db = open_db(db_path)
    schedules = [s for s in load_schedules(db, jobs.client) if s.kind in ("digest", "remind")]
    db.conn.close()
    clock.now = start
    while clock.now <= end:
        now = clock.now
        if outage:
            slack.down = outage[0] <= now < outage[1]
        for s in schedules:
            if s.last_fire(now, MINUTE) is None:
                continue
            job = run_digest_job if s.kind == "digest" else run_reminders_job
            build = jobs.build_digest if s.kind == "digest" else jobs.build_reminder
            job(str(db_path), s.target, now, tz=s.tz, client=jobs.client, build_payload=build)
        if now.minute % int(FLUSH_EVERY.total_seconds() // 60) == 0:
            run_flush_job(str(db_path), now, client=jobs.client)
        clock.now = now + MINUTE


def test_an_hour_of_503s_then_every_digest_reminder_and_escalation_goes_out_once(digest_store, held_slack):
    slack = held_slack
    clock = Clock(MONDAY)
    jobs = build_jobs(outbox_client(slack), clock=clock)
    for day in range(7):  # a normal week: reminders go out, the follow-ups are ignored
        morning = MONDAY + timedelta(days=day, hours=8, minutes=50)
        run_clock(digest_store, jobs, clock, morning, morning + timedelta(minutes=30))
    db = open_db(digest_store)
    reminded_before = dict(db.execute("SELECT customer_id, reminder_count FROM followups").fetchall())
    db.conn.close()
    week = len(slack.posted())

    outage_day = MONDAY + timedelta(days=7)
    outage = (outage_day + timedelta(hours=8, minutes=55), outage_day + timedelta(hours=9, minutes=55))
    run_clock(digest_store, jobs, clock, outage[0] - 5 * MINUTE, outage[1] - MINUTE, outage, slack)
    assert slack.down and len(slack.posted()) == week  # nothing got through
    db = open_db(digest_store)
    waiting = db.execute(
        "SELECT key, kind, status, attempts, last_error FROM deliveries WHERE created_at >= ? ORDER BY key",
        [outage[0].astimezone(NY).strftime("%Y-%m-%d")],
    ).fetchall()
    db.conn.close()
    assert Counter(kind for _, kind, *_ in waiting) == {"digest": len(CHANNELS), "remind": 1, "escalate": 1}
    assert {(status, error) for _, _, status, _, error in waiting} == {("pending", "http_503")}
    assert all(attempts >= 12 for *_, attempts, _ in waiting)  # tried at every flush of the hour

    run_clock(digest_store, jobs, clock, outage[1], outage[1] + timedelta(hours=1), outage, slack)  # Slack is back
    assert not slack.down
    assert catch_up(str(digest_store), jobs, clock.now) == []  # a restart now would find nothing to redo
    db = open_db(digest_store)
    rows = db.execute("SELECT key, status, slack_ts FROM deliveries").fetchall()
    reminded_after = dict(db.execute("SELECT customer_id, reminder_count FROM followups").fetchall())
    escalated = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT subject) FROM audit_log WHERE action = 'followup.escalated'"
    ).fetchone()
    db.conn.close()
    for key, status, ts in rows:
        [message] = slack.posted(key)
        assert (status, ts) == ("sent", message["ts"]), key
    assert len(slack.posted()) == len(rows) == week + len(waiting)
    assert {key for key, *_ in waiting} <= {key for key, *_ in rows}
    bumped = {c for c in reminded_after if reminded_after[c] != reminded_before[c]}
    assert bumped and all(reminded_after[c] == reminded_before[c] + 1 for c in bumped)  # once, not per retry
    assert escalated[0] == escalated[1] > 0  # each follow-up went up to the manager once
    assert any(c.params.get("channel") == f"D{REP[1:]}" for c in slack.calls("chat.postMessage"))
