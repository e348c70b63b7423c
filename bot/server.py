"""HTTP mode: Bolt's WSGI adapter under waitress, plus a health check.

waitress is a production WSGI server (Bolt's built-in server is for
development only). `/slack/events` takes every Slack request (commands,
events, buttons); `GET /healthz` answers 200 when the store can be queried,
503 otherwise, for load balancers and platform health checks.
"""

import json
import logging
import signal
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.app import shutdown_listeners
from storage import open_db

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SERVER_THREADS = 8


def check_store(db_path: str) -> tuple[bool, str]:
    try:
        db = open_db(db_path, create=False)
        try:
            customers = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        finally:
            db.conn.close()
    except Exception as e:
        return False, f"store unavailable: {type(e).__name__}: {e}"
    return True, f"{customers} customers"


def build_wsgi_app(app: App, db_path: str) -> Callable:
    """The WSGI callable: health check in front of Bolt's handler."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok, detail = check_store(db_path)
            body = json.dumps({"ok": ok, "detail": detail}).encode()
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return wsgi


def make_server(app: App, db_path: str, *, host: str, port: int, **adjustments):
    """A waitress server bound to host:port (port 0 picks a free one; see
    `server.effective_port`)."""
    return create_server(build_wsgi_app(app, db_path), host=host, port=port, threads=SERVER_THREADS,
                         ident="retention-bot", **adjustments)


def serve_http(app: App, db_path: str, *, host: str, port: int,
               on_listening: Callable[[str, int], None]) -> None:
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
