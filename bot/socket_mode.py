"""Socket Mode: Slack delivers requests over a WebSocket the bot opens, so no
public URL, TLS certificate or signing secret is needed (`SLACK_APP_TOKEN`).

Bolt's SocketModeHandler does the protocol; this module adds the lifecycle:
connect, wait for SIGTERM or Ctrl-C, close the socket, let in-flight slow
answers finish. (Not named `socket.py`: with bot/ on sys.path, as in
`python bot/cli.py`, that would shadow the standard library's `socket`.)
"""

import logging
import signal
import threading
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import shutdown_listeners

log = logging.getLogger(__name__)


def serve_socket_mode(app: App, app_token: str, *, on_connected: Callable[[], None]) -> None:
    handler = SocketModeHandler(app, app_token)
    stopping = threading.Event()

    def stop(signum, frame):
        log.info("signal %s: shutting down", signum)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        handler.connect()
        on_connected()
        while not stopping.wait(1.0):
            pass
    finally:
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
        handler.close()
        shutdown_listeners(app)
