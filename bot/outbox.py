"""Posting through the outbox: exactly once per delivery key.

The database decides *whether* to post (storage.deliveries: enqueue by UNIQUE
key, atomic claim with a token); this module does the posting. Each post
carries message metadata `{"event_type": "retention_delivery",
"event_payload": {"key": <tag>}}`, where the tag is an opaque digest of the
delivery key (metadata never carries user ids, names or values). Whenever a
post may already be in Slack — the last attempt got a 5xx or no answer, or
its process died between the send and the mark — the next attempt first
reads the channel's recent history for a message with that tag and, if
found, records it as sent instead of posting again.

`chat.postMessage` is not idempotent, so it is never repeated by a retry
handler (bot.retries): a 429 is waited out (Retry-After, capped), a 5xx or
a dropped connection leaves the delivery pending and `uncertain` for the
next flush or `digest now`. Any other Slack error cannot be fixed by
retrying: the delivery fails for good, with a log line and one DM to each
admin.
"""

import hashlib
import logging
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from bot.retries import TIMEOUT, retry_handlers
from commands.blocks import mask_personal
from storage.deliveries import (
    Delivery,
    claim_delivery,
    enqueue_delivery,
    load_delivery,
    load_pending,
    mark_failed,
    mark_sent,
    mark_uncertain,
)
from storage.fields import SLACK_USER_ID, parse_utc
from storage.settings import load_settings

log = logging.getLogger(__name__)

EVENT_TYPE = "retention_delivery"
# Far longer than the slowest claim the retry policy allows (three 10 s calls
# and two capped Retry-After waits, plus the history pages), so a claim still
# being worked on is never taken over.
STALE_AFTER = timedelta(minutes=15)
# Where to look for an earlier post of a stale delivery: from shortly before
# the row was created (clock skew) onwards, at most this many messages.
HISTORY_SKEW = timedelta(hours=1)
HISTORY_PAGE = 200
HISTORY_PAGES = 5

TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# Every other Slack error is permanent (retrying cannot fix it); these get a
# hint in the log line and the admin notice.
HINTS = {
    "channel_not_found": "the channel does not exist or the bot cannot see it; check the channel id in the settings",
    "not_in_channel": "the bot is not a member; invite it with /invite @retention-bot",
    "is_archived": "the channel is archived; unarchive it or pick another channel",
    "account_inactive": "the recipient or the bot's account is deactivated",
    "invalid_auth": "the bot token is not valid; reinstall the app and update SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks a scope (e.g. channels:history, groups:history, im:history to "
    "check for an earlier post); add it and reinstall",
    "not_a_user": "a DM goes to a Slack user id (U… or W…); fix the rep or admin id",
}
_PASS_THROUGH = ("text", "blocks", "attachments", "unfurl_links", "unfurl_media", "thread_ts")
PRIVATE_KINDS = frozenset({"remind"})  # a rep's DM about their own customers


class NotAUser(Exception):
    """A DM was asked for someone who is not a Slack user id."""


def build_outbox_client(token: str | None, base_url: str, **handler_options: Any) -> WebClient:
    return WebClient(token=token, base_url=base_url, timeout=TIMEOUT, retry_handlers=retry_handlers(**handler_options))


def delivery_tag(key: str) -> str:
    """What a post carries to be recognised later: a digest of its key,
    since keys name users (`remind:<date>:<user id>`)."""
    return "d1:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def metadata_for(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": delivery_tag(key)}}


def resolve_channel(client: WebClient, delivery: Delivery) -> str:
    """Where the delivery goes, and where the history check must look: the
    channel of a digest; the DM (conversations.open) of anything addressed
    to a person. A person's delivery naming something other than a user id
    is refused, never posted to it as if it were a channel."""
    channel = delivery.channel
    if delivery.kind == "digest":
        return channel
    if not is_user_id(channel):
        raise NotAUser(channel)
    return client.conversations_open(users=channel)["channel"]["id"]


def is_user_id(value: str) -> bool:
    return bool(SLACK_USER_ID.match(value))


def post_delivery(client: WebClient, delivery: Delivery) -> str:
    """Post the delivery's message, tagged with its key; returns Slack's ts.
    Everything but a rep's own reminder is masked (emails, phone numbers):
    digests land in channels, escalations and notices reach people the
    customers do not belong to."""
    message = {k: v for k, v in delivery.payload.items() if k in _PASS_THROUGH}
    if delivery.kind not in PRIVATE_KINDS:
        message = mask_personal(message)
    channel = resolve_channel(client, delivery)
    return client.chat_postMessage(channel=channel, metadata=metadata_for(delivery.key), **message)["ts"]


def find_posted(client: WebClient, delivery: Delivery) -> str | None:
    """The ts of a message already carrying this delivery's key, looking at
    the bounded window of history since the row was created."""
    channel = resolve_channel(client, delivery)
    tags = {delivery_tag(delivery.key), delivery.key}  # the key itself: posts of earlier releases
    oldest = (parse_utc(delivery.created_at) - HISTORY_SKEW).timestamp()
    cursor = None
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor
        )
        messages: list[dict[str, Any]] = page.get("messages", [])
        for message in messages:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") in tags:
                return message["ts"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
    return None


def slack_error(e: SlackApiError) -> str:
    """Slack's error code, or `http_<status>` when the answer was not Slack's
    JSON (slack_sdk then puts its own sentence in `error`)."""
    data = e.response.data if isinstance(e.response.data, dict) else {}
    error = str(data.get("error") or "")
    if not error or (e.response.status_code != 200 and error.startswith("Received a response in a non-JSON")):
        return f"http_{e.response.status_code}"
    return error


def is_transient(e: SlackApiError) -> bool:
    status = e.response.status_code
    return status == 429 or status >= 500 or slack_error(e) in TRANSIENT_ERRORS


def deliver(
    db: Database, client: WebClient, key: str, now: datetime, *, stale_after: timedelta = STALE_AFTER
) -> Delivery | None:
    """Send one enqueued delivery if this process wins its claim; returns the
    row as it stands afterwards (None for an unknown key), with `outcome`
    saying what this call did: posted, found (an earlier post, recorded),
    busy (another process holds the claim), uncertain, retry or failed."""
    claimed = claim_delivery(db, key, now, stale_after)
    if claimed is None:
        row = load_delivery(db, key)
        return replace(row, outcome="busy" if row.status == "sending" else None) if row else None
    posting = False
    try:
        ts = find_posted(client, claimed) if claimed.check_first else None
        if ts:
            log.info("delivery %s was already posted (ts %s); recorded, not resent", key, ts)
            outcome = "found"
        else:
            posting = True
            ts = post_delivery(client, claimed)
            outcome = "posted"
    except NotAUser as e:
        fail_permanently(db, client, claimed, "not_a_user", now, detail=f"{e} is not a Slack user id")
        return _after(db, key, "failed")
    except SlackApiError as e:
        error = slack_error(e)
        if not is_transient(e):
            fail_permanently(db, client, claimed, error, now)
            return _after(db, key, "failed")
        refused = e.response.status_code == 429 or error == "ratelimited"  # Slack did nothing
        return _unsettled(db, claimed, error, now, uncertain=not refused if posting else claimed.check_first)
    except (OSError, HTTPException) as e:
        return _unsettled(db, claimed, f"{type(e).__name__}: {e}", now, uncertain=posting or claimed.check_first)
    if not mark_sent(db, claimed, ts, now):
        log.warning("delivery %s: the claim was taken over while posting (ts %s); left to its new holder", key, ts)
    return _after(db, key, outcome)


def _unsettled(db: Database, claimed: Delivery, error: str, now: datetime, *, uncertain: bool) -> Delivery | None:
    """Back to pending for the next attempt. `uncertain`: the message may be
    in Slack (a post went unanswered, or a post that may have been made
    before could not be looked for), so that attempt looks first."""
    if uncertain:
        log.warning(
            "delivery %s to %s: Slack did not settle it (%s) and it may be there already; the next "
            "attempt looks for it before posting",
            claimed.key,
            claimed.channel,
            error,
        )
        mark_uncertain(db, claimed, error)
        return _after(db, claimed.key, "uncertain")
    log.warning(
        "delivery %s to %s: Slack did not take it (%s); will retry on the next flush",
        claimed.key,
        claimed.channel,
        error,
    )
    mark_failed(db, claimed, error, permanent=False, now=now)
    return _after(db, claimed.key, "retry")


def _after(db: Database, key: str, outcome: str) -> Delivery | None:
    row = load_delivery(db, key)
    return replace(row, outcome=outcome) if row else None


def fail_permanently(
    db: Database, client: WebClient, delivery: Delivery, error: str, now: datetime, *, detail: str | None = None
) -> None:
    """No retry can fix this: mark it failed, say so in the log, and tell
    each admin once (a notice about a notice is not sent: no cascades)."""
    if not mark_failed(db, delivery, error, permanent=True, now=now):
        return  # the claim was taken over: its new holder settles it
    hint = detail or HINTS.get(error, "Slack refused the message")
    log.error(
        "delivery %s to %s failed permanently: %s (%s); not retrying", delivery.key, delivery.channel, error, hint
    )
    if delivery.kind == "notice":
        return
    admins = load_settings(db)["admins"]
    if not admins:
        log.error("no admins configured (setting `admins`) to notify about %s", delivery.key)
    where = (
        f"<#{delivery.channel}>"
        if delivery.kind == "digest"
        else f"<@{delivery.channel}>"
        if is_user_id(delivery.channel)
        else f"`{delivery.channel}`"
    )
    text = (
        f":warning: Could not post the {delivery.kind} `{delivery.key}` to {where}: `{error}` — {hint}. "
        "It will not be retried automatically."
    )
    for admin in admins:
        notice_key = f"notice:{delivery.key}:{admin}"
        enqueue_delivery(db, notice_key, "notice", admin, {"text": text}, now)
        deliver(db, client, notice_key, now)


def flush_outbox(db: Database, client: WebClient, now: datetime, *, stale_after: timedelta = STALE_AFTER) -> Counter:
    """Try every unsettled delivery once (at start and on a schedule): what
    Slack refused while it was down goes out when it is back. Returns how
    many ended in each status."""
    outcome: Counter = Counter()
    for pending in load_pending(db):
        row = deliver(db, client, pending.key, now, stale_after=stale_after)
        outcome[row.status if row else "missing"] += 1
    return outcome
