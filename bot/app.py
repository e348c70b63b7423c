"""The Bolt app: one factory for HTTP mode, Socket Mode and the tests.

Slack glue only. What to answer comes from `commands` (Slack-free); this
module wires Bolt to it: the Web API client (which `SLACK_API_URL` can point
at a proxy or the test fake), who is asking (admin or not), and the store:
one long-lived SQLite connection per worker thread (`storage.db.thread_db`),
because waitress and Bolt run listeners on thread pools, a sqlite3
connection must not be shared between concurrent threads, and opening and
closing one per request is both slow and how a process loses its locks.
"""

import importlib
import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlite_utils import Database

from bot.clock import utc_now
from bot.listeners import actions, command, errors, guards, home
from bot.logs import REQUEST_ID, ContextExecutor, new_request_id
from bot.retries import TIMEOUT, retry_handlers
from bot.services import Services
from bot.settings import SlackSettings
from commands.core import COMMANDS
from commands.frames import FRAMES, load_order_frame
from storage.db import store_path

log = logging.getLogger(__name__)

# Lazy listeners (slow answers, charts, button follow-ups) share the process's
# interpreter lock with the acknowledgements; a few threads keep that work
# from starving acks under a burst (measured: docs/reliability.md).
LISTENER_THREADS = 4


def build_client(settings: SlackSettings) -> WebClient:
    """The Web API client: `SLACK_API_URL` as base URL, and the bot's retry
    policy (bot.retries: 429 after Retry-After; 5xx and dropped connections
    only for calls that are safe to repeat, never for a post)."""
    return WebClient(
        token=settings.bot_token, base_url=settings.api_url, timeout=TIMEOUT, retry_handlers=retry_handlers()
    )


def db_file(db: Database) -> str:
    path = store_path(db)
    if not path:
        raise ValueError("the Slack app needs a file-backed store (not :memory:)")
    return path


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
            return self._verifier.is_valid(
                body=req.raw_body, timestamp=first("x-slack-request-timestamp"), signature=first("x-slack-signature")
            )
        except (TypeError, ValueError):  # a timestamp that is not a number
            return False

    @cached_property
    def _verifier(self) -> SignatureVerifier:
        return SignatureVerifier(self._signing_secret)


def create_app(
    settings: SlackSettings, db: Database, *, as_of: date | None = None, clock: Callable[[], datetime] = utc_now
) -> App:
    """A Bolt App answering `/retention`, the Home tab and buttons (the
    follow-up and digest buttons, then the fallback for unknown ones).

    `process_before_response=True` (Bolt's setting for FaaS, equally right on
    a long-running server and in Socket Mode) finishes the ack listener before
    the response goes out, so a fast answer is the ack body itself and the
    lazy listeners start only after it, seeing what it decided (in its
    context). Anything slow runs in those lazy listeners, on Bolt's thread
    pool, so nothing slow ever delays the acknowledgement.
    """
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
    auth = client.auth_test().data
    assert isinstance(auth, dict)  # auth.test answers JSON; slack_sdk's `bytes` is for binary answers
    guards.register(app, guards.Installed.from_auth_test(auth), services.db_path, clock)
    command.register(app, services)
    home.register(app, services)
    actions.register(app, services)
    actions.register_fallback(app, services)  # last: specific action listeners must come before it
    errors.register(app)
    return app


# Imported lazily by the modules that use them (so the CLI starts fast), and
# all at once here before a serving process starts its threads: two threads
# importing one of them for the first time through different submodules trip
# Python's import deadlock detection, which hands one a partially initialised
# module (a failed answer).
SERVING_LIBRARIES = (
    "pandas",
    "scipy.optimize",
    "scipy.special",
    "matplotlib.figure",
    "matplotlib.colors",
    "matplotlib.ticker",
    "matplotlib.backends.backend_agg",
    "babel.numbers",
    "babel.dates",
    "babel.messages.pofile",
    "babel.messages.mofile",
)


def warm_caches(db: Database) -> None:
    """Have the libraries and the KPI order frame before serving, and from
    then on rebuild the frame in the background after an import, answering
    from the previous version meanwhile (commands.frames). Mapping the saved
    frame takes milliseconds; building one takes seconds on a large store
    (~4 s for 930k orders), longer than Slack's 3-second ack window."""
    for name in SERVING_LIBRARIES:
        importlib.import_module(name)
    COMMANDS.load_all()
    FRAMES.background = True
    load_order_frame(db)


def stop_serving_caches() -> None:
    """Nothing serves any more: a changed store is rebuilt before answering
    again (the CLI's behaviour; matters when `run` ran inside a test)."""
    FRAMES.background = False


def shutdown_listeners(app: App) -> None:
    """Let in-flight slow answers (respond + uploads) finish before exit."""
    app.listener_runner.listener_executor.shutdown(wait=True)
