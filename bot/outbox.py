"""Posting through the outbox: exactly once per delivery key.

The database decides *whether* to post (storage.deliveries: enqueue by UNIQUE
key, atomic claim); this module does the posting. Each post carries message
metadata `{"event_type": "retention_delivery", "event_payload": {"key": …}}`,
so a process that takes over a stale claim (its predecessor died between the
send and the mark, or never got Slack's answer) first reads the channel's
recent history for a message with that key and, if found, records it as sent
instead of posting again.

Slack's transient trouble (429 with Retry-After, 500/503, dropped
connections) is retried inside one send by slack_sdk's retry handlers on the
WebClient; what survives them leaves the delivery pending for the next
`flush_outbox`. Any other Slack error cannot be fixed by retrying: the
delivery fails for good, with a log line and one DM to each admin.
"""

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler, default_interval_calculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlite_utils import Database

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
from storage.fields import parse_utc
from storage.settings import load_settings

log = logging.getLogger(__name__)

EVENT_TYPE = "retention_delivery"
# Longer than the slowest send the retry handlers allow (two Retry-After waits
# plus backoff), so a claim still being worked on is never taken over.
STALE_AFTER = timedelta(minutes=15)
# Where to look for an earlier post of a stale delivery: from shortly before
# the row was created (clock skew) onwards, at most this many messages.
HISTORY_SKEW = timedelta(hours=1)
HISTORY_PAGE = 200
HISTORY_PAGES = 5
MAX_RETRIES = 2

TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})
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
}
_PASS_THROUGH = ("text", "blocks", "attachments", "unfurl_links", "unfurl_media", "thread_ts")


class RetryAfterHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting Retry-After seconds (plus up to one
    second of jitter, as slack_sdk does) through an injectable `sleep`, so
    tests check the wait without spending it."""

    def __init__(self, max_retry_count: int = MAX_RETRIES, *, sleep: Callable[[float], None] = time.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            wait = float(values[0] if isinstance(values, list | tuple) else values)
        except (TypeError, ValueError):
            wait = 1.0
        self.sleep(wait + random.random())
        state.increment_current_attempt()


def retry_handlers(*, sleep: Callable[[float], None] = time.sleep,
                   interval: RetryIntervalCalculator = default_interval_calculator,
                   max_retries: int = MAX_RETRIES) -> list[RetryHandler]:
    """The WebClient retry handlers posting relies on: 429 honouring
    Retry-After and 500/503 with backoff (`interval`). A dropped connection is
    deliberately not retried here: the post may have gone through, so the row
    stays `sending` and the next flush checks Slack (by metadata) first."""
    return [
        RetryAfterHandler(max_retries, sleep=sleep),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]


def build_outbox_client(token: str, base_url: str, **handler_options: Any) -> WebClient:
    return WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(**handler_options))


def metadata_for(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def resolve_channel(client: WebClient, channel: str) -> str:
    """A user id means a DM: open (or find) the IM channel, whose id is also
    where the history check must look."""
    if channel.startswith(("U", "W")):
        return client.conversations_open(users=channel)["channel"]["id"]
    return channel


def post_delivery(client: WebClient, delivery: Delivery) -> str:
    """Post the delivery's message, tagged with its key; returns Slack's ts."""
    message = {k: v for k, v in delivery.payload.items() if k in _PASS_THROUGH}
    channel = resolve_channel(client, delivery.channel)
    return client.chat_postMessage(channel=channel, metadata=metadata_for(delivery.key), **message)["ts"]


def find_posted(client: WebClient, delivery: Delivery) -> str | None:
    """The ts of a message already carrying this delivery's key, looking at
    the bounded window of history since the row was created."""
    channel = resolve_channel(client, delivery.channel)
    oldest = (parse_utc(delivery.created_at) - HISTORY_SKEW).timestamp()
    cursor = None
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=HISTORY_PAGE,
                                            include_all_metadata=True, cursor=cursor)
        for message in page.get("messages", []):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == delivery.key:
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


def deliver(db: Database, client: WebClient, key: str, now: datetime, *,
            stale_after: timedelta = STALE_AFTER) -> Delivery | None:
    """Send one enqueued delivery if this process wins its claim; returns the
    row as it stands afterwards (None for an unknown key)."""
    claimed = claim_delivery(db, key, now, stale_after)
    if claimed is None:
        return load_delivery(db, key)
    checked = not claimed.stale  # a stale claim may already be in Slack: look before posting
    try:
        ts = None
        if claimed.stale:
            ts = find_posted(client, claimed)
            checked = True
        if ts:
            log.info("delivery %s was already posted (ts %s) before a restart; recorded, not resent", key, ts)
        else:
            ts = post_delivery(client, claimed)
    except SlackApiError as e:
        error = slack_error(e)
        if not is_transient(e):
            fail_permanently(db, client, claimed, error, now)
        elif checked:
            log.warning("delivery %s to %s: Slack %s after retries; will retry on the next flush",
                        key, claimed.channel, error)
            mark_failed(db, key, error, permanent=False, now=now)
        else:
            log.warning("delivery %s to %s: cannot check for an earlier post (Slack %s); will look again in %s",
                        key, claimed.channel, error, stale_after)
            mark_uncertain(db, key, error)
        return load_delivery(db, key)
    except (OSError, HTTPException) as e:
        log.warning("delivery %s to %s: no answer from Slack (%s); will check for the post and retry in %s",
                    key, claimed.channel, e, stale_after)
        mark_uncertain(db, key, f"{type(e).__name__}: {e}")
        return load_delivery(db, key)
    mark_sent(db, key, ts, now)
    return load_delivery(db, key)


def fail_permanently(db: Database, client: WebClient, delivery: Delivery, error: str, now: datetime) -> None:
    """No retry can fix this: mark it failed, say so in the log, and tell
    each admin once (a notice about a notice is not sent: no cascades)."""
    mark_failed(db, delivery.key, error, permanent=True, now=now)
    hint = HINTS.get(error, "Slack refused the message")
    log.error("delivery %s to %s failed permanently: %s (%s); not retrying", delivery.key, delivery.channel,
              error, hint)
    if delivery.kind == "notice":
        return
    admins = load_settings(db)["admins"]
    if not admins:
        log.error("no admins configured (setting `admins`) to notify about %s", delivery.key)
    where = f"<@{delivery.channel}>" if delivery.channel.startswith(("U", "W")) else f"<#{delivery.channel}>"
    text = (f":warning: Could not post the {delivery.kind} `{delivery.key}` to {where}: `{error}` — {hint}. "
            "It will not be retried automatically.")
    for admin in admins:
        notice_key = f"notice:{delivery.key}:{admin}"
        enqueue_delivery(db, notice_key, "notice", admin, {"text": text}, now)
        deliver(db, client, notice_key, now)


def flush_outbox(db: Database, client: WebClient, now: datetime, *,
                 stale_after: timedelta = STALE_AFTER) -> Counter:
    """Try every unsettled delivery once (at start and on a schedule): what
    Slack refused while it was down goes out when it is back. Returns how
    many ended in each status."""
    outcome: Counter = Counter()
    for pending in load_pending(db):
        row = deliver(db, client, pending.key, now, stale_after=stale_after)
        outcome[row.status if row else "missing"] += 1
    return outcome
