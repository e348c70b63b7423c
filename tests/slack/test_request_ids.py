"""Request ids and health: each Slack request gets an id, returned in
`X-Request-Id`, quoted in an error reply (also by the lazy listener that
answers later, on another thread) and carried by the log records; `/healthz`
queries the store and says 503 with the reason when it cannot."""

import io
import json
import logging
import re
import sqlite3
import sys

import pytest

from bench.slack_fake import REP
from bot.logs import REQUEST_ID, ContextExecutor, JsonFormatter, RequestIdFilter, TextFormatter
from bot.server import build_wsgi_app, check_store

ID = re.compile(r"req-[0-9a-f]{12}")


def broken(ctx, req):
    raise RuntimeError("boom")


@pytest.mark.parametrize("slow", [False, True], ids=["fast", "slow"])
def test_an_error_reply_quotes_the_request_id_of_its_request(slow, test_command, sender, slack):
    name = test_command("test-broken-ids", broken, slow=slow)
    reply = sender.command(name, user_id=REP, response_tag="broken")
    request_id = reply.headers["x-request-id"]
    assert ID.fullmatch(request_id)
    msg = slack.wait_for("response_url")[0].json if slow else reply.json
    assert re.search(r"error id `E[0-9A-F]{6}`, request `(req-[0-9a-f]{12})`", msg["text"]).group(1) == request_id


def test_every_response_has_its_own_request_id(sender):
    ids = {sender.command("help", user_id=REP).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(ID.fullmatch(i) for i in ids)


def _record(message: str, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("bad")
        except ValueError:
            info = sys.exc_info()
    record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, (), info)
    RequestIdFilter().filter(record)
    return record


def test_json_and_text_lines_carry_the_request_id():
    token = REQUEST_ID.set("req-0123456789ab")
    try:
        tagged = _record("answered", exc=True)
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(JsonFormatter().format(tagged))
    assert entry["request_id"] == "req-0123456789ab" and entry["message"] == "answered"
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test" and "ValueError: bad" in entry["traceback"]
    assert "\n" not in JsonFormatter().format(tagged)  # one line, traceback included
    assert TextFormatter("%(levelname)s %(message)s").format(tagged).startswith("ERROR answered [req-0123456789ab]\n")
    plain = _record("outside a request")
    assert "request_id" not in json.loads(JsonFormatter().format(plain))
    assert TextFormatter("%(message)s").format(plain) == "outside a request"


def test_listener_threads_inherit_the_request_id():
    with ContextExecutor(2) as pool:
        token = REQUEST_ID.set("req-aaaaaaaaaaaa")
        try:
            inside = pool.submit(REQUEST_ID.get).result()
        finally:
            REQUEST_ID.reset(token)
        outside = pool.submit(REQUEST_ID.get).result()
    assert (inside, outside) == ("req-aaaaaaaaaaaa", None)


def _health(app, db_path) -> tuple[str, dict]:
    seen = {}
    body = build_wsgi_app(app, str(db_path))(
        {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()},
        lambda status, headers: seen.update(status=status),
    )
    return seen["status"], json.loads(b"".join(body))


def test_healthz_is_503_with_the_reason_when_the_store_is_unusable(bot, tmp_path):
    status, body = _health(bot.app, bot.db_path)
    assert status == "200 OK" and body["ok"] is True
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database")
    corrupt = tmp_path / "corrupt.db"
    conn = sqlite3.connect(corrupt)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    data = bytearray(corrupt.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    corrupt.write_bytes(bytes(data))
    for path, why in (
        (tmp_path / "gone.db", "no such store"),
        (foreign, "not a SQLite database"),
        (corrupt, "malformed|damaged|not a database|cannot open"),
    ):
        status, body = _health(bot.app, path)
        assert status == "503 Service Unavailable", (path, body)
        assert body["ok"] is False and re.search(why, body["detail"]), body
        assert check_store(str(path))[0] is False
