"""Slow clients cannot starve the server: 120 connections that trickle a
request one byte at a time (a slowloris) leave `/healthz` and Slack's
requests answered, and the server's limits are the deliberate ones."""

import contextlib
import json
import socket
import threading
import urllib.request

import pytest

from bench.slack_fake import REP, stop_server
from bot.server import LIMITS, make_server

TRICKLERS = 120


def test_trickling_connections_do_not_stop_health_checks_or_slack(bot, sender, slack):
    host, port = bot.url.removeprefix("http://").split(":")
    socks = []
    stop = threading.Event()
    for _ in range(TRICKLERS):
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)

    def trickle() -> None:
        while not stop.wait(0.2):
            for s in socks:
                with contextlib.suppress(OSError):
                    s.sendall(b"a")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        for _ in range(3):
            with urllib.request.urlopen(bot.url + "/healthz", timeout=10) as resp:
                assert resp.status == 200 and json.loads(resp.read())["ok"] is True
            reply = sender.command("help", user_id=REP)
            assert reply.status == 200 and "What I can answer" in json.dumps(reply.json)
    finally:
        stop.set()
        thread.join(5)
        for s in socks:
            s.close()


def test_the_server_limits_are_set_deliberately(bot):
    server = make_server(bot.app, str(bot.db_path), host="127.0.0.1", port=0)
    try:
        adj = server.adj
        assert adj.connection_limit == LIMITS["connection_limit"] >= 5 * TRICKLERS
        assert adj.channel_timeout == 60 and adj.cleanup_interval == 10 and adj.asyncore_use_poll
        assert adj.max_request_header_size == 16 << 10 and adj.max_request_body_size == 4 << 20
    finally:
        server.close()


def test_a_server_whose_trigger_closed_itself_still_stops(bot):
    """Waitress closes its own wake-up pipe when a poll reports an error on
    it; stopping must still close the listening socket and end the loop."""
    server = make_server(bot.app, str(bot.db_path), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    port = server.effective_port
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    server.trigger.close()
    stop_server(server, thread)
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
