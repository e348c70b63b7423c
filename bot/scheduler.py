"""When things are posted: the daily digests, the reps' reminders, the nightly
score and the outbox flush, on an APScheduler 3 BackgroundScheduler.

The scheduler decides *when*; the database decides *whether*. Every run
turns its scheduled local date into a delivery key (`digest:<date>:<channel>`,
`remind:<date>:<rep>`) and goes through the outbox, so a second instance, a
restart, a catch-up or a coalesced misfire can run a job again without
posting again. Triggers are cron triggers in the channel's or rep's own IANA
zone, so 09:00 stays 09:00 local through daylight-saving changes.

Live sources sync at `sync_time` (and every `sync_every`) from the sources
file, and always before the nightly score and a day's first digest: each of
those first runs the day's sync when it has not run yet (`SOURCES_MARK`
holds when the last scheduled sync started; a run claims its fire time
there, so two instances or a catch-up sync once per scheduled time).

Jobs have fixed ids (`digest:<channel>`, `remind:<rep>`, `score`,
`sources:sync`, `sources:every`, `outbox:flush`, `schedule:sync`),
`coalesce=True`, `max_instances=1` and a
misfire grace time; on start, a run missed within that grace is caught up
once. Job functions take `(db_path, channel|rep, now)` and use their worker
thread's own long-lived connection (`storage.db.thread_db`).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from bot.clock import utc_now
from bot.outbox import deliver, flush_outbox
from storage.db import thread_db, transaction
from storage.deliveries import Delivery, enqueue_delivery, load_delivery
from storage.fields import format_utc
from storage.reps import load_active_reps
from storage.settings import SCORE_MARK, load_meta, load_settings, upsert_meta

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=1)
FLUSH_EVERY = timedelta(minutes=5)
SYNC_EVERY = timedelta(minutes=15)
JOB_FLUSH = "outbox:flush"
JOB_SYNC = "schedule:sync"
JOB_SCORE = "score"
JOB_SOURCES = "sources:sync"
JOB_SOURCES_EVERY = "sources:every"
SOURCES_MARK = "sources_synced_at"

BuildPayload = Callable[[Database, str, date], dict[str, Any] | None]
"""Content of one post: (db, channel or rep id, local date) → message dict
(`{"text", "blocks"}`), or None when there is nothing to send that day."""


@dataclass(frozen=True)
class Schedule:
    """One recurring job: local `HH:MM` on `weekdays` in zone `tz`."""

    job_id: str
    kind: str  # digest | remind | score | sync
    target: str | None  # channel id, rep id, or None for the score and the sync
    time: str
    tz: str
    weekdays: str

    def trigger(self) -> CronTrigger:
        hour, minute = (int(x) for x in self.time.split(":"))
        return CronTrigger(hour=hour, minute=minute, day_of_week=self.weekdays, timezone=ZoneInfo(self.tz))

    @property
    def signature(self) -> str:
        return f"{self.kind} {self.target or ''} {self.time} {self.tz} {self.weekdays}"

    def last_fire(self, now: datetime, grace: timedelta) -> datetime | None:
        """The latest scheduled time in (now - grace, now], if any: APScheduler
        3 triggers only look forward, so walk forward from the window start."""
        trigger = self.trigger()
        found = None
        fire = trigger.get_next_fire_time(None, now - grace)
        while fire is not None and fire <= now:
            found = fire
            fire = trigger.get_next_fire_time(fire, fire)
        return found


@dataclass(frozen=True)
class Jobs:
    """What the scheduled jobs use, injected: the Slack client (with the
    outbox retry handlers), the content builders, the score refresh
    (`score(db, now)`), the live sources' sync (`sync(db, now)`, at local
    `sync_time` and every `sync_every` seconds), and the clock."""

    client: WebClient
    build_digest: BuildPayload
    build_reminder: BuildPayload
    score: Callable[[Database, datetime], Any] | None = None
    clock: Callable[[], datetime] = utc_now
    sync: Callable[[Database, datetime], Any] | None = None
    sync_time: str = "06:00"
    sync_every: int | None = None


def digest_key(local_date: date, channel: str) -> str:
    return f"digest:{local_date.isoformat()}:{channel}"


def remind_key(local_date: date, rep: str) -> str:
    return f"remind:{local_date.isoformat()}:{rep}"


def rep_timezone(client: WebClient | None, rep: str, stored: str | None, default: str) -> str:
    """The rep's own zone: `reps.tz`, else Slack's `users.info`, else the
    workspace's."""
    if stored:
        return stored
    if client is not None:
        try:
            tz = client.users_info(user=rep)["user"].get("tz")
            if tz:
                ZoneInfo(tz)
                return tz
        except (SlackApiError, OSError, ValueError, KeyError) as e:
            log.warning("no time zone for rep %s from Slack (%s); using %s", rep, e, default)
    return default


def load_schedules(db: Database, client: WebClient | None = None) -> list[Schedule]:
    """Every timed job the settings and the active reps call for."""
    settings = load_settings(db)
    workspace = settings["timezone"]
    out = [
        Schedule(f"digest:{d['channel']}", "digest", d["channel"], d["time"], d.get("tz") or workspace, d["weekdays"])
        for d in settings["digest_channels"]
    ]
    for rep, tz in load_active_reps(db):
        out.append(
            Schedule(
                f"remind:{rep}",
                "remind",
                rep,
                settings["reminder_time"],
                rep_timezone(client, rep, tz, workspace),
                settings["reminder_weekdays"],
            )
        )
    out.append(Schedule(JOB_SCORE, "score", None, settings["score_time"], workspace, "mon-sun"))
    return out


def _post_once(
    db_path: str,
    kind: str,
    key: str,
    target: str,
    local_date: date,
    now: datetime,
    client: WebClient,
    build_payload: BuildPayload,
) -> Delivery | None:
    db = thread_db(db_path)
    if load_delivery(db, key) is None:
        payload = build_payload(db, target, local_date)
        if payload is None:
            log.info("%s: nothing to send", key)
            return None
        enqueue_delivery(db, key, kind, target, payload, now)
    return deliver(db, client, key, now)


def run_digest_job(
    db_path: str,
    channel: str,
    now: datetime,
    *,
    tz: str,
    client: WebClient,
    build_payload: BuildPayload,
    scheduled_for: datetime | None = None,
    sync_first: Callable[[datetime], Any] | None = None,
) -> Delivery | None:
    """Post the digest for the local date of the scheduled run (`now` unless
    catching up), once: its key makes any rerun a no-op. `sync_first`: the
    day's sync of the live sources, run before the day's first digest."""
    local_date = (scheduled_for or now).astimezone(ZoneInfo(tz)).date()
    if sync_first is not None and load_delivery(thread_db(db_path), digest_key(local_date, channel)) is None:
        sync_first(now)
    return _post_once(
        db_path, "digest", digest_key(local_date, channel), channel, local_date, now, client, build_payload
    )


def run_reminders_job(
    db_path: str,
    rep: str,
    now: datetime,
    *,
    tz: str,
    client: WebClient,
    build_payload: BuildPayload,
    scheduled_for: datetime | None = None,
) -> Delivery | None:
    """DM one rep their batched reminder for the local date, at most once."""
    local_date = (scheduled_for or now).astimezone(ZoneInfo(tz)).date()
    return _post_once(db_path, "remind", remind_key(local_date, rep), rep, local_date, now, client, build_payload)


def run_score_job(
    db_path: str,
    now: datetime,
    *,
    score: Callable[[Database, datetime], Any],
    sync_first: Callable[[datetime], Any] | None = None,
) -> None:
    """Refresh the scores, and remember when, so a restart knows whether the
    nightly run happened (after the day's sync of the live sources)."""
    if sync_first is not None:
        sync_first(now)
    db = thread_db(db_path)
    score(db, now)
    upsert_meta(db, SCORE_MARK, format_utc(now))


def run_sync_job(
    db_path: str, now: datetime, *, sync: Callable[[Database, datetime], Any], scheduled_for: datetime | None = None
) -> bool:
    """Sync the live sources for the scheduled time `scheduled_for` (`now`
    unless catching up), once: the first run to claim that time in
    `SOURCES_MARK` syncs, any other (a second instance, a catch-up) does
    nothing. Returns whether this run synced."""
    db = thread_db(db_path)
    fire = format_utc(scheduled_for or now)
    with transaction(db):
        last = load_meta(db, SOURCES_MARK)
        if last is not None and last >= fire:
            return False
        upsert_meta(db, SOURCES_MARK, format_utc(now))
    sync(db, now)
    return True


def sync_before(db_path: str, jobs: Jobs, tz: str) -> Callable[[datetime], Any] | None:
    """What the score and digest jobs call first: the day's sync (local day
    in the workspace zone `tz`) when no scheduled sync has run since that
    day began."""
    if jobs.sync is None:
        return None
    sync = jobs.sync

    def first(now: datetime) -> None:
        local = now.astimezone(ZoneInfo(tz))
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        run_sync_job(db_path, now, sync=sync, scheduled_for=day_start)

    return first


def run_flush_job(db_path: str, now: datetime, *, client: WebClient) -> None:
    db = thread_db(db_path)
    outcome = flush_outbox(db, client, now)
    if outcome:
        log.info("outbox flush: %s", dict(outcome))


def _at_clock(clock: Callable[[], datetime], job: Callable, *args: Any, **kwargs: Any) -> Any:
    """What APScheduler calls: the job gets the clock's time as `now`."""
    return job(*args, clock(), **kwargs)


def _job_call(schedule: Schedule, db_path: str, jobs: Jobs, workspace_tz: str) -> tuple[Callable, list, dict]:
    first = sync_before(db_path, jobs, workspace_tz)
    if schedule.kind == "digest":
        return (
            run_digest_job,
            [db_path, schedule.target],
            {"tz": schedule.tz, "client": jobs.client, "build_payload": jobs.build_digest, "sync_first": first},
        )
    if schedule.kind == "sync":
        return run_sync_job, [db_path], {"sync": jobs.sync}
    if schedule.kind == "remind":
        return (
            run_reminders_job,
            [db_path, schedule.target],
            {"tz": schedule.tz, "client": jobs.client, "build_payload": jobs.build_reminder},
        )
    return run_score_job, [db_path], {"score": jobs.score, "sync_first": first}


def _wanted(db: Database, jobs: Jobs) -> list[Schedule]:
    """The timed jobs: the live sources' sync first (a catch-up runs it
    before the score and digests it feeds), then those of the settings."""
    schedules = [s for s in load_schedules(db, jobs.client) if s.kind != "score" or jobs.score is not None]
    if jobs.sync is not None:
        workspace = load_settings(db)["timezone"]
        schedules.insert(0, Schedule(JOB_SOURCES, "sync", None, jobs.sync_time, workspace, "mon-sun"))
    return schedules


def sync_jobs(scheduler: BackgroundScheduler, db_path: str, jobs: Jobs) -> None:
    """Make the timed jobs match the settings and reps: add new ones,
    replace changed ones (only those, so an unchanged job keeps its next run),
    remove those no longer wanted."""
    db = thread_db(db_path)
    schedules = _wanted(db, jobs)
    workspace = load_settings(db)["timezone"]
    wanted = {s.job_id for s in schedules}
    for job in scheduler.get_jobs():
        if (job.id.startswith(("digest:", "remind:")) or job.id in (JOB_SCORE, JOB_SOURCES)) and job.id not in wanted:
            scheduler.remove_job(job.id)
    for schedule in schedules:
        existing = scheduler.get_job(schedule.job_id)
        if existing is not None and existing.name == schedule.signature:
            continue
        func, args, kwargs = _job_call(schedule, db_path, jobs, workspace)
        scheduler.add_job(
            _at_clock,
            schedule.trigger(),
            args=[jobs.clock, func, *args],
            kwargs=kwargs,
            id=schedule.job_id,
            name=schedule.signature,
            replace_existing=True,
        )


def build_scheduler(
    db_path: str, jobs: Jobs, *, grace: timedelta = MISFIRE_GRACE, flush_every: timedelta = FLUSH_EVERY
) -> BackgroundScheduler:
    """The scheduler with every job added, not started (see start_scheduler)."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(grace.total_seconds())},
    )
    sync_jobs(scheduler, db_path, jobs)
    if jobs.sync is not None and jobs.sync_every:
        scheduler.add_job(
            _at_clock,
            IntervalTrigger(seconds=jobs.sync_every),
            args=[jobs.clock, run_sync_job, db_path],
            kwargs={"sync": jobs.sync},
            id=JOB_SOURCES_EVERY,
            name="sources sync every",
            replace_existing=True,
        )
    scheduler.add_job(
        _at_clock,
        IntervalTrigger(seconds=flush_every.total_seconds()),
        args=[jobs.clock, run_flush_job, db_path],
        kwargs={"client": jobs.client},
        id=JOB_FLUSH,
        name="outbox flush",
        replace_existing=True,
    )
    scheduler.add_job(
        sync_jobs,
        IntervalTrigger(seconds=SYNC_EVERY.total_seconds()),
        args=[scheduler, db_path, jobs],
        id=JOB_SYNC,
        name="schedule sync",
        replace_existing=True,
    )
    return scheduler


def catch_up(db_path: str, jobs: Jobs, now: datetime, *, grace: timedelta = MISFIRE_GRACE) -> list[str]:
    """Run, once, each job whose latest scheduled time lies within the grace
    window and whose result is not in the database yet (the scheduler itself
    only looks forward from its start). Returns what was run."""
    db = thread_db(db_path)
    schedules = _wanted(db, jobs)
    workspace = load_settings(db)["timezone"]
    due = []
    for schedule in schedules:
        fire = schedule.last_fire(now, grace)
        if fire is None:
            continue
        if schedule.kind == "sync":
            ran = load_meta(db, SOURCES_MARK)
            if ran is None or ran < format_utc(fire):
                due.append((schedule, fire, JOB_SOURCES))
            continue
        if schedule.kind == "score":
            ran = load_meta(db, SCORE_MARK)
            if ran is None or ran < format_utc(fire):
                due.append((schedule, fire, JOB_SCORE))
            continue
        local_date = fire.astimezone(ZoneInfo(schedule.tz)).date()
        assert schedule.target is not None  # digest and remind schedules always name a channel or a rep
        key = (digest_key if schedule.kind == "digest" else remind_key)(local_date, schedule.target)
        row = load_delivery(db, key)
        if row is None or row.status in ("pending", "sending"):
            due.append((schedule, fire, key))
    for schedule, fire, key in due:
        log.info("catching up %s scheduled for %s", key, fire.isoformat())
        func, args, kwargs = _job_call(schedule, db_path, jobs, workspace)
        if schedule.kind != "score":
            kwargs["scheduled_for"] = fire
        func(*args, now, **kwargs)
    return [key for _, _, key in due]


def start_scheduler(db_path: str, jobs: Jobs, *, grace: timedelta = MISFIRE_GRACE) -> BackgroundScheduler:
    """Flush what is pending, catch up missed runs, then start the clock."""
    scheduler = build_scheduler(db_path, jobs, grace=grace)
    now = jobs.clock()
    run_flush_job(db_path, now, client=jobs.client)
    catch_up(db_path, jobs, now, grace=grace)
    scheduler.start()
    return scheduler
