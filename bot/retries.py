"""Which Slack Web API calls slack_sdk may repeat on its own, and how long it
may wait: one policy for every client the bot builds.

A 429 means Slack refused the call before doing anything, so any call may be
retried after its Retry-After. A 5xx or a dropped connection does not say
whether the call took effect: repeating an idempotent call (reads,
`chat.update`, `views.publish`, `conversations.open`) is harmless, repeating
a post can show a message twice. So posts are never repeated by a retry
handler; the outbox settles them instead (it looks for the post in the
channel before trying again).

Waits are capped: a Retry-After longer than MAX_RETRY_AFTER is not waited
for in the call (the outbox's next flush tries again), so a claim is never
held anywhere near the outbox's 15-minute stale threshold.
"""

import random
import time
from collections.abc import Callable
from urllib.parse import urlparse

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler, default_interval_calculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RETRIES = 2
MAX_RETRY_AFTER = 30.0  # seconds; two such waits plus three 10 s calls stay far below 15 minutes
TIMEOUT = 10  # seconds per Web API call (slack_sdk's default is 30)
SERVER_ERRORS = frozenset({500, 502, 503, 504})
# Calls whose repetition is visible to people: each one posts or shares.
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.completeUploadExternal",
        "files.upload",
        "files.share",
    }
)


def api_method(request: HttpRequest) -> str:
    return urlparse(request.url).path.rstrip("/").rsplit("/", 1)[-1]


def repeatable(request: HttpRequest) -> bool:
    return api_method(request) not in NOT_IDEMPOTENT


class RetryAfterHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting Retry-After seconds (plus up to one
    second of jitter, as slack_sdk does) through an injectable `sleep`, so
    tests check the wait without spending it; a wait longer than
    `max_wait` is not taken (the call fails as rate limited)."""

    def __init__(
        self,
        max_retry_count: int = MAX_RETRIES,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_RETRY_AFTER,
    ):
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            super()._can_retry(state=state, request=request, response=response, error=error)
            and response is not None
            and retry_after(response) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        self.sleep(retry_after(response) + random.random())
        state.increment_current_attempt()


def retry_after(response: HttpResponse) -> float:
    values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(values[0] if isinstance(values, list | tuple) else values))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


class ServerErrorRetry(ServerErrorRetryHandler):
    """500, 502, 503 and 504, with backoff, for calls that may be repeated."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in SERVER_ERRORS and repeatable(request)


class ConnectionErrorRetry(ConnectionErrorRetryHandler):
    """A dropped or refused connection, for calls that may be repeated."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return repeatable(request) and super()._can_retry(state=state, request=request, response=response, error=error)


def retry_handlers(
    *,
    sleep: Callable[[float], None] = time.sleep,
    interval: RetryIntervalCalculator = default_interval_calculator,
    max_retries: int = MAX_RETRIES,
    max_wait: float = MAX_RETRY_AFTER,
) -> list[RetryHandler]:
    """The handlers every WebClient of the bot gets."""
    return [
        RetryAfterHandler(max_retries, sleep=sleep, max_wait=max_wait),
        ServerErrorRetry(max_retry_count=max_retries, interval_calculator=interval),
        ConnectionErrorRetry(max_retry_count=max_retries, interval_calculator=interval),
    ]
