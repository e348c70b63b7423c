"""The app under test, served like production: create_app + the WSGI app
under waitress on 127.0.0.1, port 0, in a background thread. Used by the
fixtures and by bench/bench_slack.py (so it does not import pytest)."""

import shutil
import threading
from pathlib import Path

from waitress import wasyncore

from bot.app import shutdown_listeners
from bot.server import make_server

SIGNING_SECRET = "e2e-signing-secret-not-a-real-one"
REP = "U0DEMO001"  # Maria Lopez in the demo store: a rep with a book, not an admin
DM = "D0DEMO001"  # the fake server's DM channel with REP
ADMIN = "U0DEMOMGR"  # the demo store's `admins` setting


def serve_in_thread(app, db_path: str):
    """Start serving; returns (base url, stop)."""
    server = make_server(app, db_path, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()

    def stop():
        # Close every socket from inside waitress's own loop (a trigger thunk),
        # which ends the loop; then let its worker threads and Bolt's finish.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown(timeout=5)
        shutdown_listeners(app)

    return f"http://127.0.0.1:{server.effective_port}", stop


def copy_store(template: Path, directory: Path) -> Path:
    path = directory / "store.db"
    shutil.copy(template, path)
    return path
