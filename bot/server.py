"""HTTP mode: Bolt's WSGI adapter under waitress, plus a health check.

waitress is a production WSGI server (Bolt's built-in server is for
development only). `/slack/events` takes every Slack request (commands,
events, buttons), each under a fresh request id that the response carries
in `X-Request-Id`; `GET /healthz` answers 200 when the store can be queried,
503 with the reason otherwise, for load balancers and platform health checks.
"""

import json
import logging
import resource
import signal
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.app import shutdown_listeners
from bot.logs import REQUEST_ID, new_request_id
from bot.settings import EVENTS_PATH, HEALTH_PATH
from storage.db import thread_db
from storage.status import count_customers

log = logging.getLogger(__name__)

SERVER_THREADS = 8
MAX_BODY_BYTES = 4 << 20
# What a slow or hostile client can take from the server. waitress reads a
# request completely on its event loop before a worker thread sees it, so a
# client trickling bytes holds one connection, never a thread; these bound
# the connections (so 120 tricklers leave room for Slack and /healthz), how
# long an idle one is kept, and how much of a header is buffered. Beyond
# them, a reverse proxy in front is the defence (README, "Run it").
LIMITS = {
    "connection_limit": 1000,  # waitress's default, 100, is filled by 100 slow clients
    "channel_timeout": 60,  # seconds without a byte before a connection is closed
    "cleanup_interval": 10,  # how often that is checked
    "max_request_header_size": 16 << 10,  # Slack's headers are well under 4 KiB
    "asyncore_use_poll": True,  # select() stops at 1,024 descriptors
}


def check_store(db_path: str) -> tuple[bool, str]:
    try:
        customers = count_customers(thread_db(db_path))
    except Exception as e:
        return False, f"store unavailable: {type(e).__name__}: {e}"
    return True, f"{customers} customers"


def build_wsgi_app(app: App, db_path: str) -> Callable:
    """The WSGI callable: health check in front of Bolt's handler."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok, detail = check_store(db_path)
            if not ok:
                log.error("health check failed: %s", detail)
            body = json.dumps({"ok": ok, "detail": detail}).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        request_id = new_request_id()
        token = REQUEST_ID.set(request_id)

        def start_with_id(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Request-Id", request_id)], exc_info)

        try:
            return slack(environ, start_with_id)
        except Exception as e:
            # Bolt's dispatch answers for every failure inside it; what escapes
            # is reading and parsing the body (not UTF-8, a JSON content type
            # without JSON), before any signature check. That is not a Slack
            # request, and must not be a 500 for whoever sends it.
            log.warning("unreadable request: %s: %s", type(e).__name__, e)
            return _plain(start_with_id, "400 Bad Request", "not a Slack request")
        finally:
            REQUEST_ID.reset(token)

    return wsgi


def _plain(start_response, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def make_server(app: App, db_path: str, *, host: str, port: int, **adjustments):
    """A waitress server bound to host:port (port 0 picks a free one; see
    `server.effective_port`). Bodies over MAX_BODY_BYTES are refused (413)
    before anyone reads them: no Slack request comes near it."""
    adjustments.setdefault("max_request_body_size", MAX_BODY_BYTES)
    for key, value in LIMITS.items():
        adjustments.setdefault(key, value)
    _allow_descriptors(LIMITS["connection_limit"] + 100)
    return create_server(
        build_wsgi_app(app, db_path), host=host, port=port, threads=SERVER_THREADS, ident="retention-bot", **adjustments
    )


def _allow_descriptors(wanted: int) -> None:
    """Raise the soft open-files limit to `wanted` (within the hard limit)
    when it is lower: each connection is one descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def serve_http(app: App, db_path: str, *, host: str, port: int, on_listening: Callable[[str, int], None]) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop gracefully: waitress finishes
    the requests it is serving (SystemExit is its documented stop signal),
    and lazy listeners finish their Slack calls before the process exits."""
    server = make_server(app, db_path, host=host, port=port)

    def stop(signum, frame):
        log.info("signal %s: shutting down", signum)
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        on_listening(server.effective_host, server.effective_port)
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutdown_listeners(app)
