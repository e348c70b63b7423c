"""The Bolt app: one factory for HTTP mode, Socket Mode and the tests.

Slack glue only. What to answer comes from `commands` (Slack-free); this
module wires Bolt to it: the Web API client (which `SLACK_API_URL` can point
at a proxy or the test fake), who is asking (admin or not), and one SQLite
connection per request, because waitress and Bolt run listeners on thread
pools and a sqlite3 connection must not be shared between concurrent threads.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlite_utils import Database

from bot.logs import REQUEST_ID, ContextExecutor, new_request_id
from bot.settings import SlackSettings
from commands import Context
from storage import open_db
from storage.kpi_queries import load_order_frame
from storage.settings import load_settings

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300
# Lazy listeners (slow answers, charts, button follow-ups) share the process's
# interpreter lock with the acknowledgements; a few threads keep that work
# from starving acks under a burst (measured: docs/reliability.md).
LISTENER_THREADS = 4


def build_client(settings: SlackSettings) -> WebClient:
    """The Web API client: `SLACK_API_URL` as base URL, and slack_sdk's retry
    handlers for dropped connections, 429 (honouring Retry-After) and 5xx."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def db_file(db: Database) -> str:
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path:
        raise ValueError("the Slack app needs a file-backed store (not :memory:)")
    return path


class AdminResolver:
    """Who may change settings: the `admins` setting when it names anyone,
    otherwise the workspace's own admins and owners (users.info), so a fresh
    install is administrable by whoever administers the workspace. users.info
    answers are cached briefly: the check runs on every command."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(self, db: Database, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        admins = load_settings(db)["admins"]
        if admins:
            return user_id in admins
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as e:
            log.warning("users.info for %s failed (%s); treating as non-admin", user_id, e.response.get("error"))
            return False
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        with self._lock:
            self._cache[user_id] = (now, allowed)
        return allowed


@dataclass
class Services:
    """What the listeners need besides Bolt's own arguments."""

    db_path: str
    as_of: date | None = None
    admins: AdminResolver = field(default_factory=AdminResolver)

    @contextmanager
    def db(self) -> Iterator[Database]:
        db = open_db(self.db_path, create=False)
        try:
            yield db
        finally:
            db.conn.close()

    def context(self, db: Database, client: WebClient, user_id: str | None) -> Context:
        return Context(db, as_of=self.as_of, user_id=user_id, surface="slack",
                       is_admin=self.admins.is_admin(db, client, user_id))


class RetentionApp(App):
    """Bolt's App, with a request id around each dispatch: in the logs of
    everything the request runs (lazy listeners included, through
    ContextExecutor) and in `context["request_id"]` for the listeners. An id
    already set by the HTTP layer is kept, so its response header matches."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        token = REQUEST_ID.set(REQUEST_ID.get() or new_request_id())
        try:
            req.context["request_id"] = REQUEST_ID.get()
            return super().dispatch(req)
        finally:
            REQUEST_ID.reset(token)


def create_app(settings: SlackSettings, db: Database, *, as_of: date | None = None) -> App:
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

    services = Services(db_file(db), as_of=as_of)
    app = RetentionApp(
        client=build_client(settings),
        signing_secret=settings.signing_secret,
        request_verification_enabled=bool(settings.signing_secret),
        process_before_response=True,
        listener_executor=ContextExecutor(LISTENER_THREADS, thread_name_prefix="bolt-listener"),
        name="retention-bot",
    )
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
