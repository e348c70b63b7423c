"""Schedules in local time, driven by an injected clock: the APScheduler
triggers are asked for their successive fire times and each job is run at
that time, with restarts (a new scheduler and a catch-up) along the way."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.outbox import build_outbox_client, delivery_tag
from bot.scheduler import (
    JOB_FLUSH,
    JOB_SCORE,
    JOB_SYNC,
    MISFIRE_GRACE,
    Jobs,
    build_scheduler,
    catch_up,
    digest_key,
    remind_key,
    run_digest_job,
    start_scheduler,
    sync_jobs,
)
from commands.blocks import header, limit_problems, message, section
from storage import open_db
from storage.deliveries import load_delivery
from storage.settings import upsert_setting
from tests.support.slack import tag_of
from tests.support.stores import SET_AT

CHANNEL = "C0SALES"


def build_digest(db, channel, day):
    """A small real digest message for the local date."""
    msg = message(
        f"Churn digest for {day:%A %d %B %Y}",
        [header(f"Churn digest · {day:%a %d %b %Y}"), section("All quiet since yesterday.")],
    )
    assert not limit_problems(msg)
    return msg


def build_reminder(db, rep, day):
    return message(f"Follow-ups for {day}", [section(f"<@{rep}>, nothing overdue today.")])


@pytest.fixture
def jobs(slack):
    client = build_outbox_client(
        slack.token, slack.api_url, sleep=lambda s: None, interval=FixedValueRetryIntervalCalculator(0)
    )
    return Jobs(
        client=client,
        build_digest=build_digest,
        build_reminder=build_reminder,
        clock=lambda: pytest.fail("the simulation passes `now` explicitly"),
    )


def store(db_path, digest: str, reps=()):
    db = open_db(db_path)
    upsert_setting(db, "digest_channels", digest, now=SET_AT)
    for rep, tz in reps:
        db.execute("INSERT INTO reps (id, name, tz) VALUES (?, ?, ?)", [rep, rep, tz])
    db.conn.close()


def weekdays_between(start: date, end: date) -> list[date]:
    days = (start + timedelta(n) for n in range((end - start).days))
    return [d for d in days if d.weekday() < 5]


# (zone, first local day, DST switch inside the window, UTC time of 09:00 before it, after it)
WINDOWS = [
    ("America/Los_Angeles", date(2026, 2, 15), date(2026, 3, 8), (17, 0), (16, 0)),
    ("America/Los_Angeles", date(2026, 10, 5), date(2026, 11, 1), (16, 0), (17, 0)),
    ("Europe/Berlin", date(2026, 3, 1), date(2026, 3, 29), (8, 0), (7, 0)),
    ("Europe/Berlin", date(2026, 10, 1), date(2026, 10, 25), (7, 0), (8, 0)),
    ("Asia/Tokyo", date(2026, 3, 1), date(2026, 3, 29), (0, 0), (0, 0)),
    ("UTC", date(2026, 3, 1), date(2026, 3, 29), (9, 0), (9, 0)),
    ("Asia/Tehran", date(2026, 3, 1), date(2026, 3, 22), (5, 30), (5, 30)),  # +03:30, no DST since 2022
    ("Asia/Kathmandu", date(2026, 3, 1), date(2026, 3, 29), (3, 15), (3, 15)),  # +05:45
    ("Australia/Lord_Howe", date(2026, 3, 10), date(2026, 4, 5), (22, 0), (22, 30)),  # half-hour DST: +11 → +10:30
    ("Australia/Lord_Howe", date(2026, 9, 10), date(2026, 10, 4), (22, 30), (22, 0)),
]


@pytest.mark.parametrize(
    ("zone", "first", "switch", "utc_before", "utc_after"), WINDOWS, ids=[f"{w[0]}-{w[2]}" for w in WINDOWS]
)
def test_one_digest_per_weekday_at_nine_local_across_dst_and_restarts(
    db_path, slack, jobs, zone, first, switch, utc_before, utc_after
):
    tz = ZoneInfo(zone)
    store(db_path, f"{CHANNEL} 09:00 {zone} mon-fri")
    db = open_db(db_path)  # held open, so each job's close skips the last-connection checkpoint
    last = first + timedelta(days=60)
    weekdays = weekdays_between(first, last)
    down_at_nine = {weekdays[7], weekdays[30]}  # process down 08:50–09:20: the restart catches up
    restart_after_run = {weekdays[3], weekdays[22]}  # restart at 09:10 after the run: nothing to do
    restart_before_run = {weekdays[12]}  # restart at 08:55: the new trigger fires at 09:00
    second_instance = {weekdays[5], weekdays[25]}  # another instance runs the same job too

    def restart(at: datetime):
        trigger = build_scheduler(str(db_path), jobs).get_job(f"digest:{CHANNEL}").trigger
        caught = catch_up(str(db_path), jobs, at)
        return trigger, caught

    trigger, _ = restart(datetime.combine(first, time(0), tz))
    prev, now = None, datetime.combine(first, time(0), tz)
    fired, caught_up = [], []
    while (fire := trigger.get_next_fire_time(prev, now)) < datetime.combine(last, time(0), tz):
        day = fire.astimezone(tz).date()
        if day in restart_before_run and now < datetime.combine(day, time(8, 55), tz):
            trigger, caught = restart(datetime.combine(day, time(8, 55), tz))
            assert caught == []
            prev, now = None, datetime.combine(day, time(8, 55), tz)
            continue
        if day in down_at_nine:
            back = fire + timedelta(minutes=20)
            trigger, caught = restart(back)
            caught_up += caught
            prev, now = None, back
            continue
        run_digest_job(str(db_path), CHANNEL, fire, tz=zone, client=jobs.client, build_payload=build_digest)
        fired.append(fire)
        if day in second_instance:
            run_digest_job(
                str(db_path),
                CHANNEL,
                fire + timedelta(seconds=1),
                tz=zone,
                client=jobs.client,
                build_payload=build_digest,
            )
        prev, now = fire, fire
        if day in restart_after_run:
            trigger, caught = restart(fire + timedelta(minutes=10))
            assert caught == []
            prev, now = None, fire + timedelta(minutes=10)

    assert caught_up == [digest_key(d, CHANNEL) for d in sorted(down_at_nine)]

    def utc(fire):
        return fire.astimezone(UTC).hour, fire.astimezone(UTC).minute

    for fire in fired:
        local = fire.astimezone(tz)
        assert (local.hour, local.minute, local.weekday() < 5) == (9, 0, True)
        assert utc(fire) == (utc_before if local.date() < switch else utc_after), fire
    assert {utc(f) for f in fired} == {utc_before, utc_after}
    assert len(fired) + len(caught_up) == len(weekdays)

    rows = db.execute("SELECT key, status FROM deliveries ORDER BY key").fetchall()
    assert rows == [(digest_key(d, CHANNEL), "sent") for d in weekdays]
    posted = sorted(tag_of(m) for m in slack.posted())
    assert posted == sorted(delivery_tag(digest_key(d, CHANNEL)) for d in weekdays)
    assert len(slack.calls("chat.postMessage")) == len(weekdays)
    db.conn.close()


def test_jobs_have_fixed_ids_coalesce_one_instance_and_a_grace_time(db_path, jobs):
    store(
        db_path,
        f"{CHANNEL} 09:00 America/Los_Angeles; C0EMEA 08:30 Europe/Berlin mon,wed,fri",
        reps=[("U0MARIA", "Asia/Tokyo")],
    )
    scheduler = build_scheduler(str(db_path), Jobs(**{**jobs.__dict__, "score": lambda db, now: None}))
    scheduler.start(paused=True)
    try:
        found = {job.id: job for job in scheduler.get_jobs()}
        assert set(found) == {f"digest:{CHANNEL}", "digest:C0EMEA", "remind:U0MARIA", JOB_SCORE, JOB_FLUSH, JOB_SYNC}
        for job in found.values():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE.total_seconds())
        emea = found["digest:C0EMEA"].trigger
        assert str(emea.timezone) == "Europe/Berlin"
        assert "day_of_week='mon,wed,fri'" in str(emea) and "hour='8'" in str(emea) and "minute='30'" in str(emea)
        assert str(found["remind:U0MARIA"].trigger.timezone) == "Asia/Tokyo"
        before = found[f"digest:{CHANNEL}"].next_run_time
        sync_jobs(scheduler, str(db_path), jobs)  # unchanged jobs keep their next run; no score → no score job
        assert scheduler.get_job(f"digest:{CHANNEL}").next_run_time == before
        assert scheduler.get_job(JOB_SCORE) is None
    finally:
        scheduler.shutdown(wait=False)


def test_catch_up_runs_a_missed_digest_once_within_the_grace_window(db_path, slack, jobs):
    store(db_path, f"{CHANNEL} 09:00 America/Los_Angeles mon-fri")
    tz = ZoneInfo("America/Los_Angeles")
    monday = date(2026, 3, 9)
    assert catch_up(str(db_path), jobs, datetime.combine(monday, time(8, 59), tz)) == []
    assert catch_up(str(db_path), jobs, datetime.combine(monday, time(9, 40), tz)) == [digest_key(monday, CHANNEL)]
    assert catch_up(str(db_path), jobs, datetime.combine(monday, time(9, 45), tz)) == []
    tuesday = monday + timedelta(1)
    assert catch_up(str(db_path), jobs, datetime.combine(tuesday, time(10, 1), tz)) == []  # outside the grace
    assert len(slack.posted()) == 1
    db = open_db(db_path)
    assert load_delivery(db, digest_key(monday, CHANNEL)).created_at == "2026-03-09T16:40:00Z"


def test_a_late_catch_up_keeps_the_scheduled_local_date(db_path, slack, jobs):
    store(db_path, f"{CHANNEL} 23:45 Asia/Tokyo daily")
    after_midnight = datetime(2026, 3, 10, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert catch_up(str(db_path), jobs, after_midnight) == [digest_key(date(2026, 3, 9), CHANNEL)]
    assert "Mon 09 Mar 2026" in str(slack.calls("chat.postMessage")[0].params["blocks"])


def test_reminders_follow_each_reps_own_morning(db_path, slack, jobs):
    slack.users["U0KENJI"] = {"tz": "Asia/Tokyo"}
    store(db_path, "[]", reps=[("U0MARIA", "America/New_York"), ("U0KENJI", None)])
    scheduler = build_scheduler(str(db_path), jobs)
    maria = scheduler.get_job("remind:U0MARIA").trigger
    kenji = scheduler.get_job("remind:U0KENJI").trigger
    start = datetime(2026, 3, 6, tzinfo=UTC)  # a Friday; New York moves to DST on Sunday the 8th
    assert maria.get_next_fire_time(None, start) == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert maria.get_next_fire_time(None, start + timedelta(days=1)) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert kenji.get_next_fire_time(None, start) == datetime(2026, 3, 6, 0, 0, tzinfo=UTC)
    monday_tokyo = datetime(2026, 3, 9, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert catch_up(str(db_path), jobs, monday_tokyo) == [remind_key(date(2026, 3, 9), "U0KENJI")]
    assert catch_up(str(db_path), jobs, monday_tokyo) == []
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["D0KENJI"]


def test_nightly_score_is_caught_up_once(db_path, jobs):
    store(db_path, "[]")
    runs = []
    scored = Jobs(**{**jobs.__dict__, "score": lambda db, now: runs.append(now)})
    night = datetime(2026, 3, 9, 2, 20, tzinfo=UTC)  # workspace zone UTC, score_time 02:00
    assert catch_up(str(db_path), scored, night) == [JOB_SCORE]
    assert catch_up(str(db_path), scored, night + timedelta(minutes=5)) == []
    assert runs == [night]


def test_start_flushes_pending_and_catches_up_then_runs(db_path, slack, jobs):
    store(db_path, f"{CHANNEL} 09:00 Europe/Berlin mon-fri")
    at = datetime(2026, 3, 9, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    scheduler = start_scheduler(str(db_path), Jobs(**{**jobs.__dict__, "clock": lambda: at}))
    try:
        assert scheduler.running
        assert [tag_of(m) for m in slack.posted()] == [delivery_tag(digest_key(date(2026, 3, 9), CHANNEL))]
    finally:
        scheduler.shutdown(wait=False)


def test_a_working_week_from_saturday_is_scheduled(db_path, jobs):
    """A Tehran team's digest `sat-wed` (a range across Sunday, which cron
    ranges cannot say): after Wednesday 2026-11-25 09:00 the next post is
    Saturday 2026-11-28 09:00 Tehran time — no Thursday, no Friday."""
    store(db_path, f"{CHANNEL} 09:00 Asia/Tehran sat-wed")
    scheduler = build_scheduler(str(db_path), Jobs(**{**jobs.__dict__, "score": lambda db, now: None}))
    trigger = scheduler.get_job(f"digest:{CHANNEL}").trigger
    tehran = ZoneInfo("Asia/Tehran")
    wednesday = datetime(2026, 11, 25, 9, 0, tzinfo=tehran)
    assert trigger.get_next_fire_time(None, wednesday) == wednesday
    assert trigger.get_next_fire_time(None, wednesday + timedelta(minutes=1)) == datetime(
        2026, 11, 28, 9, 0, tzinfo=tehran
    )
