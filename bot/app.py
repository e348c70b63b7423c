"""The Bolt app: one factory for HTTP mode, Socket Mode and the tests.

Slack glue only. What to answer comes from `commands` (Slack-free); this
module wires Bolt to it: the Web API client (which `SLACK_API_URL` can point
at a proxy or the test fake), who is asking (admin or not), and the store:
one long-lived SQLite connection per worker thread (`storage.db.thread_db`),
because waitress and Bolt run listeners on thread pools, a sqlite3
connection must not be shared between concurrent threads, and opening and
closing one per request is both slow and how a process loses its locks.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from sqlite_utils import Database

from bot.listeners import guards
from bot.logs import REQUEST_ID, ContextExecutor, new_request_id
from bot.retries import TIMEOUT, retry_handlers
from bot.settings import SlackSettings
from commands import Context
from storage.db import thread_db
from storage.kpi_queries import load_order_frame
from storage.settings import load_settings

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300


def utc_now() -> datetime:
    return datetime.now(UTC)
# Lazy listeners (slow answers, charts, button follow-ups) share the process's
# interpreter lock with the acknowledgements; a few threads keep that work
# from starving acks under a burst (measured: docs/reliability.md).
LISTENER_THREADS = 4


def build_client(settings: SlackSettings) -> WebClient:
    """The Web API client: `SLACK_API_URL` as base URL, and the bot's retry
    policy (bot.retries: 429 after Retry-After; 5xx and dropped connections
    only for calls that are safe to repeat, never for a post)."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=TIMEOUT,
                     retry_handlers=retry_handlers())


def db_file(db: Database) -> str:
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path:
        raise ValueError("the Slack app needs a file-backed store (not :memory:)")
    return path


class People:
    """What Slack says about the person asking (users.info, cached briefly:
    the check runs on every request): whether they administer the workspace,
    and whether they are a guest. Admins are the `admins` setting when it
    names anyone, otherwise the workspace's own admins and owners, so a
    fresh install is administrable by whoever administers the workspace."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def profile(self, client: WebClient, user_id: str) -> dict:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as e:
            log.warning("users.info for %s failed (%s); treating as a member, not an admin", user_id,
                        e.response.get("error"))
            return {}
        with self._lock:
            self._cache[user_id] = (now, user)
        return user

    def is_admin(self, db: Database, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        admins = load_settings(db)["admins"]
        if admins:
            return user_id in admins
        user = self.profile(client, user_id)
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    def is_guest(self, client: WebClient, user_id: str | None) -> bool:
        user = self.profile(client, user_id) if user_id else {}
        return bool(user.get("is_restricted") or user.get("is_ultra_restricted"))


@dataclass
class Services:
    """What the listeners need besides Bolt's own arguments."""

    db_path: str
    as_of: date | None = None
    clock: Callable[[], datetime] = utc_now
    people: People = field(default_factory=People)

    @contextmanager
    def db(self) -> Iterator[Database]:
        yield thread_db(self.db_path)

    def context(self, db: Database, client: WebClient, user_id: str | None) -> Context:
        return Context(db, as_of=self.as_of, user_id=user_id, surface="slack", now=self.clock(),
                       read_only=self.as_of is not None,
                       is_admin=self.people.is_admin(db, client, user_id),
                       is_guest=self.people.is_guest(client, user_id))


class RetentionApp(App):
    """Bolt's App, with a request id around each dispatch: in the logs of
    everything the request runs (lazy listeners included, through
    ContextExecutor) and in `context["request_id"]` for the listeners. An id
    already set by the HTTP layer is kept, so its response header matches."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        token = REQUEST_ID.set(REQUEST_ID.get() or new_request_id())
        try:
            req.context["request_id"] = REQUEST_ID.get()
            problem = guards.malformed(req.body)
            if problem is not None:  # signed but not what Slack sends; unsigned stays a 401
                if self._signing_secret and not self._signed(req):
                    return BoltResponse(status=401, body="")
                log.warning("refused a malformed Slack request: %s", problem)
                return BoltResponse(status=400, body="malformed Slack request")
            return super().dispatch(req)
        finally:
            REQUEST_ID.reset(token)

    def _signed(self, req: BoltRequest) -> bool:
        def first(name: str) -> str | None:
            values = req.headers.get(name) or []
            return values[0] if values else None

        try:
            return self._verifier.is_valid(body=req.raw_body, timestamp=first("x-slack-request-timestamp"),
                                           signature=first("x-slack-signature"))
        except (TypeError, ValueError):  # a timestamp that is not a number
            return False

    @cached_property
    def _verifier(self) -> SignatureVerifier:
        return SignatureVerifier(self._signing_secret)


def create_app(settings: SlackSettings, db: Database, *, as_of: date | None = None,
               clock: Callable[[], datetime] = utc_now) -> App:
    """A Bolt App answering `/retention`, the Home tab and buttons (the
    follow-up and digest buttons, then the fallback for unknown ones).

    `process_before_response=True` (Bolt's setting for FaaS, equally right on
    a long-running server and in Socket Mode) finishes the ack listener before
    the response goes out, so a fast answer is the ack body itself and the
    lazy listeners start only after it, seeing what it decided (in its
    context). Anything slow runs in those lazy listeners, on Bolt's thread
    pool, so nothing slow ever delays the acknowledgement.
    """
    from bot.listeners import actions, command, errors, home  # they import Services from here

    services = Services(db_file(db), as_of=as_of, clock=clock)
    client = build_client(settings)
    app = RetentionApp(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=bool(settings.signing_secret),
        process_before_response=True,
        listener_executor=ContextExecutor(LISTENER_THREADS, thread_name_prefix="bolt-listener"),
        name="retention-bot",
    )
    # After Bolt's own checks (signature, token): our workspace only, once per request.
    guards.register(app, guards.Installed.from_auth_test(client.auth_test().data), services.db_path, clock)
    command.register(app, services)
    home.register(app, services)
    actions.register(app, services)
    actions.register_fallback(app)  # last: specific action listeners must come before it
    errors.register(app)
    return app


def warm_caches(db: Database) -> None:
    """Build the KPI order frame before serving. It is cached per process, but
    building it takes seconds on a large store (~4 s for 930k orders), longer
    than Slack's 3-second ack window: without this, the first KPI command
    after a start would time out in Slack."""
    load_order_frame(db)


def shutdown_listeners(app: App) -> None:
    """Let in-flight slow answers (respond + uploads) finish before exit."""
    app.listener_runner.listener_executor.shutdown(wait=True)
