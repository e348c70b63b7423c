"""What the scheduled jobs post, and posting on demand (`digest now`,
`remind now`), all through the outbox.

The scheduler's builders get `(db, channel or rep, local date)`; the clock
and the Slack client come from the closures `build_jobs` makes, so tests can
inject both. Building a reminder is also when its rep's ignored follow-ups
are escalated: the scheduler calls the builder once per rep and local day
(only while that day's delivery does not exist yet), so escalations ride on
the same once-a-day guarantee, and `escalated_at` (set in the transaction
that enqueues the manager's message) makes each follow-up go up once.
"""

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from analytics.calendars import calendar_named
from bot.clock import utc_now
from bot.outbox import build_outbox_client, deliver
from bot.scheduler import Jobs, digest_key, remind_key, rep_timezone
from commands import Answer, Context
from commands.core import display_currency, language_of
from commands.digest import (
    build_digest_message,
    build_digest_sent_message,
    channel_language,
    channel_zone,
    compute_digest,
)
from commands.i18n import DEFAULT_LANGUAGE
from commands.messages import source_failure_notice, sources_file_notice
from commands.problems import told
from commands.remind import (
    build_escalation_message,
    build_reminder_message,
    compute_escalation,
    compute_reminder,
)
from commands.scoring import run_score
from commands.status import source_error
from commands.syncs import sync_error
from storage.db import transaction
from storage.deliveries import Delivery, enqueue_delivery, load_delivery
from storage.followup_actions import (
    escalation_due_ids,
    load_manager,
    mark_escalated,
    record_reminded,
)
from storage.reps import load_rep
from storage.settings import load_settings
from storage.sources import SourceError, SourcesFile
from storage.sources.config import every_seconds, load_sources
from storage.sources.state import clear_file_problem, load_source_state, mark_failure_notified, record_file_problem
from storage.sources.sync import SyncReport, sync_sources

log = logging.getLogger(__name__)


def escalate_key(local_date: date, rep: str) -> str:
    return f"escalate:{local_date.isoformat()}:{rep}"


def score_store(db: Database, now: datetime) -> None:
    """The nightly score: the value model's own entry point, as of `now`."""
    run = run_score(Context(db, now=now))
    log.info(
        "scored %s customers as of %s: %s going quiet, %s follow-ups opened, %s won back",
        run.customers,
        run.as_of,
        run.quiet,
        run.followups_opened,
        run.won_back,
    )


def digest_payload(db: Database, channel: str, local_date: date, now: datetime) -> dict[str, Any]:
    """The digest for the channel's local day (the short "all quiet" form
    when nothing changed: a day without a digest would look like a failure)."""
    ctx = Context(db, as_of=local_date, now=now)
    return build_digest_message(
        compute_digest(ctx, channel), ctx.display_currency, channel_language(ctx.settings, channel)
    )


def escalate(db: Database, client: WebClient | None, rep: str, local_date: date, now: datetime) -> Delivery | None:
    """Send the rep's manager, once, the rep's follow-ups ignored for
    `escalate_after_days`. Without a client the message waits in the outbox
    for the next flush."""
    manager = load_manager(db, rep)
    if manager is None:
        return None
    settings = load_settings(db)
    after = int(settings["escalate_after_days"])
    ids = escalation_due_ids(db, rep, now, after, int(settings["dismiss_days"]))
    key = escalate_key(local_date, rep)
    if not ids or load_delivery(db, key) is not None:
        return None
    with transaction(db):
        escalated = mark_escalated(db, ids, manager, now)
        if escalated:
            zone = ZoneInfo(settings["timezone"])
            d = compute_escalation(
                db,
                rep,
                manager,
                escalated,
                local_date,
                after,
                zone,
                settings["calendar"],
                currency=settings["currency"],
            )
            message = build_escalation_message(
                d, display_currency(settings), recipient_language(db, client, manager, settings)
            )
            enqueue_delivery(db, key, "escalate", manager, message, now)
    if not escalated:
        return None
    log.info("escalated %d follow-up(s) of %s to %s", len(escalated), rep, manager)
    return deliver(db, client, key, now) if client is not None else load_delivery(db, key)


def reminder_payload(
    db: Database, client: WebClient | None, rep: str, local_date: date, now: datetime
) -> dict[str, Any] | None:
    """Escalate what the rep ignored, then their reminder (None when nothing
    is due: no empty DMs). The listed follow-ups are counted as reminded
    here, as the message is handed to the outbox."""
    escalate(db, client, rep, local_date, now)
    settings = load_settings(db)
    d = compute_reminder(db, rep, local_date, now, settings)
    if not d["items"]:
        return None
    record_reminded(db, rep, [item["followup_id"] for item in d["items"]], now)
    return build_reminder_message(d, display_currency(settings), recipient_language(db, client, rep, settings))


def recipient_language(db: Database, client: WebClient | None, user_id: str, settings: dict[str, Any]) -> str:
    """The language of a DM to `user_id`: their own choice, else their Slack
    locale (users.info with include_locale; none without a client or when
    Slack cannot say), else the workspace's."""
    locale = None
    if client is not None:
        try:
            locale = client.users_info(user=user_id, include_locale=True)["user"].get("locale")
        except SlackApiError as e:
            log.warning(
                "users.info for %s failed (%s); writing in the workspace language", user_id, e.response.get("error")
            )
    return language_of(db, user_id, locale, settings)


def sync_store(
    client: WebClient | None, sources_path: str, *, explicit: bool = True, env: Mapping[str, str] | None = None
) -> Callable[[Database, datetime], None]:
    """The scheduled sync of the live sources: the sources file is read at
    each run (an edit applies from the next one); a source that fails is
    logged, and each admin told once per failure episode."""

    def sync(db: Database, now: datetime) -> None:
        try:
            sources = load_sources(sources_path, explicit=explicit)
        except SourceError as e:
            log.error("sources not synced: %s", e)
            notify_sources_file_problem(db, client, e, now)
            return
        clear_file_problem(db)
        tz = ZoneInfo(load_settings(db)["timezone"])
        env_ = os.environ if env is None else env
        reports = sync_sources(
            db, sources.sources, env_, now=now, tz=tz, stale_after_hours=sources.sync.stale_after_hours
        )
        from commands.frames import refresh_order_frame

        refresh_order_frame(db)  # the new content's frame, built in the background now, not at the next request
        for report in reports:
            if report.ok:
                log.info("sync: %s", report.summary())
            else:
                log.error("sync of source %s failed: %s", report.source, report.error)
                notify_source_failure(db, client, report.source, now, report)

    return sync


def notify_source_failure(
    db: Database, client: WebClient | None, name: str, now: datetime, report: SyncReport | None = None
) -> list[str]:
    """Tell each admin, once per failure episode of source `name` (the key
    names the episode's start), that it fails and since when the data is
    stale — in the admin's language (why too, from the failed sync's
    `report`: the store keeps only its English), the time local to the
    workspace (its zone and calendar). Returns the notice keys enqueued now."""
    state = load_source_state(db, name)
    if state is None or state["failing_since"] is None:
        return []
    settings = load_settings(db)
    admins = settings["admins"]
    if not admins:
        log.error("no admins configured (setting `admins`) to tell that source %s fails", name)
    sent = []
    for admin in admins:
        key = f"notice:source:{name}:{state['failing_since']}:{admin}"
        if load_delivery(db, key) is not None:
            continue
        lang = recipient_language(db, client, admin, settings)
        error: str | None
        calendar, tz = calendar_named(settings["calendar"]), ZoneInfo(settings["timezone"])
        if report is not None and report.error:
            error = sync_error(lang, report, calendar, tz)
        else:
            error = source_error(state, lang, calendar, tz)
        text = source_failure_notice(name, error, state["synced_at"], settings, lang)
        enqueue_delivery(db, key, "notice", admin, {"text": text}, now)
        sent.append(key)
        if client is not None:
            deliver(db, client, key, now)
    mark_failure_notified(db, name, now)
    return sent


def notify_sources_file_problem(db: Database, client: WebClient | None, error: SourceError, now: datetime) -> list[str]:
    """Tell each admin, once per distinct problem of the sources file (the
    key names the problem's episode, as a failing source's does), why no
    source synced, in the admin's language. Returns the notice keys
    enqueued now."""
    problem = hashlib.sha256(f"{error.message}\n{error}".encode()).hexdigest()  # what is wrong, not the file's text
    since = record_file_problem(db, problem, now)
    settings = load_settings(db)
    if not settings["admins"]:
        log.error("no admins configured (setting `admins`) to tell that the sources file cannot be read")
    sent = []
    for admin in settings["admins"]:
        key = f"notice:sources-file:{since}:{admin}"
        if load_delivery(db, key) is not None:
            continue
        lang = recipient_language(db, client, admin, settings)
        enqueue_delivery(db, key, "notice", admin, {"text": sources_file_notice(told(lang, error), lang)}, now)
        sent.append(key)
        if client is not None:
            deliver(db, client, key, now)
    return sent


def build_jobs(
    client: WebClient,
    *,
    clock: Callable[[], datetime] = utc_now,
    sources: SourcesFile | None = None,
    sources_explicit: bool = True,
) -> Jobs:
    """The scheduler's jobs with the real builders, the nightly score and,
    when the sources file declares any, the live sources' sync."""

    def build_digest(db: Database, channel: str, local_date: date) -> dict[str, Any]:
        return digest_payload(db, channel, local_date, clock())

    def build_reminder(db: Database, rep: str, local_date: date) -> dict[str, Any] | None:
        return reminder_payload(db, client, rep, local_date, clock())

    sync = None
    if sources is not None and sources.sources:
        sync = sync_store(client, sources.path, explicit=sources_explicit)
    return Jobs(
        client=client,
        build_digest=build_digest,
        build_reminder=build_reminder,
        score=score_store,
        clock=clock,
        sync=sync,
        sync_time=sources.sync.sync_time if sources else "06:00",
        sync_every=every_seconds(sources.sync.sync_every) if sources and sources.sync.sync_every else None,
    )


# What a delivery attempt did, in the words `digest now` / `remind now` and
# Slack's `/retention digest now` answer with (see bot.outbox.deliver).
WORDS = {
    "posted": "sent",
    "found": "sent",
    "busy": "sending elsewhere",
    "uncertain": "unconfirmed",
    "retry": "pending",
    "failed": "failed",
}


def outcome(row: Delivery | None, key: str, target: str) -> dict[str, Any]:
    """A delivery's fate in words a person reads: sent, already sent (before
    this attempt), sending elsewhere (another process holds the claim),
    unconfirmed (Slack did not answer the post; the next attempt looks for it
    first), pending (will be retried), failed, or nothing (nothing to send)."""
    if row is None:
        return {"status": "nothing", "key": key, "channel": target, "ts": None, "error": None, "found": False}
    word = WORDS.get(row.outcome or "") or {
        "sent": "already sent",
        "failed": "failed",
        "sending": "sending elsewhere",
    }.get(row.status, "pending")
    return {
        "status": word,
        "key": key,
        "channel": target,
        "ts": row.slack_ts,
        "error": row.last_error,
        "found": row.outcome == "found",
    }


def resend_key(db: Database, key: str) -> str:
    """`<key>:r2`, `<key>:r3`, … : the first one not used yet."""
    n = 2
    while load_delivery(db, f"{key}:r{n}") is not None:
        n += 1
    return f"{key}:r{n}"


def _post(
    db: Database,
    client: WebClient,
    key: str,
    kind: str,
    target: str,
    now: datetime,
    build: Callable[[], dict[str, Any] | None],
    force: bool,
) -> dict[str, Any]:
    existing = load_delivery(db, key)
    if existing is not None and not force:
        if existing.status in ("sent", "failed"):
            return outcome(existing, key, target)
        return outcome(deliver(db, client, key, now), key, target)
    if existing is not None:
        key = resend_key(db, key)
    payload = build()
    if payload is None:
        return outcome(None, key, target)
    enqueue_delivery(db, key, kind, target, payload, now)
    return outcome(deliver(db, client, key, now), key, target)


def send_digest(db: Database, client: WebClient, channel: str, now: datetime, *, force: bool = False) -> dict:
    """Post today's digest for `channel` now, unless it was already sent
    today (then nothing is posted); `force` posts it again under a new key."""
    local_date = now.astimezone(channel_zone(load_settings(db), channel)).date()
    return _post(
        db,
        client,
        digest_key(local_date, channel),
        "digest",
        channel,
        now,
        lambda: digest_payload(db, channel, local_date, now),
        force,
    )


def send_reminder(db: Database, client: WebClient, rep: str, now: datetime) -> dict:
    """DM the rep today's reminder now, unless it was already sent today."""
    local_date = now.astimezone(ZoneInfo(rep_zone(db, client, rep))).date()
    return _post(
        db,
        client,
        remind_key(local_date, rep),
        "remind",
        rep,
        now,
        lambda: reminder_payload(db, client, rep, local_date, now),
        False,
    )


def rep_zone(db: Database, client: WebClient | None, rep: str) -> str:
    known = load_rep(db, rep)
    return rep_timezone(client, rep, known["tz"] if known else None, load_settings(db)["timezone"])


def post_requested_digest(
    db: Database, client: WebClient, request: Answer, now: datetime, lang: str = DEFAULT_LANGUAGE
) -> Answer:
    """`/retention digest now` on Slack: the command asked for a post (its
    data's `post`); send it through the outbox with the bot's token, and
    answer with what happened (in the asker's `lang`)."""
    post = request.data["post"]
    outbox = build_outbox_client(client.token, client.base_url)
    result = send_digest(db, outbox, post["channel"], now, force=bool(post.get("force")))
    return Answer(
        "digest",
        {"mode": "now", **result},
        build_digest_sent_message(result, lang),
        ok=result["status"] in ("sent", "already sent"),
    )
