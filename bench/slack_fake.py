"""A small fake of Slack for the tests and the benchmarks: its Web API, the
requests Slack sends to an app, and the app served as in production.

`FakeSlack` is an HTTP server on 127.0.0.1 (port 0) that answers the Web API
methods the bot uses and records every call, so tests assert on what the bot
really sent over the wire, with no monkeypatching of slack_sdk:

    with FakeSlack() as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        ...
        slack.wait_for("chat.postMessage")          # bounded wait, no sleeps
        slack.calls("chat.postMessage")[0].params["channel"]
        slack.fail_next("chat.postMessage", error="channel_not_found")
        slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})
        slack.fail_next("chat.postMessage", status=503, times=2)
        slack.fail_after("chat.postMessage", status=502)  # posted, then a 502
        slack.fail_after("chat.postMessage", drop=True)   # posted, then the connection drops

Methods: auth.test (scopes in the `x-oauth-scopes` header), chat.postMessage,
chat.postEphemeral, chat.update, views.publish, users.info,
conversations.open, conversations.info, the three steps of files_upload_v2
(files.getUploadURLExternal → POST of the bytes to the returned upload_url
on this server, recorded as method "upload" → files.completeUploadExternal),
and response_url endpoints (`response_url()`, recorded as "response_url").
Any other method answers `unknown_method`. Every method checks the bearer
token (`invalid_auth` otherwise), like Slack.

`SlackSender` plays Slack's side towards the app: slash commands, events and
button clicks, signed with the signing secret exactly as Slack signs them.
"""

import hashlib
import hmac
import itertools
import json
import logging
import os
import queue
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from waitress import wasyncore

from bot.app import shutdown_listeners
from bot.manifest import BOT_SCOPES
from bot.server import make_server

log = logging.getLogger(__name__)

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SCOPES = BOT_SCOPES  # the fake grants what the manifest asks for
TEAM_ID = "T0FAKE"
BOT_USER_ID = "U0BOT"
APP_ID = "A0FAKE"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]  # query + form + JSON body merged; JSON-valued fields stay strings
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


class FakeSlack:
    def __init__(self, *, token: str = BOT_TOKEN, app_token: str = APP_TOKEN, scopes=SCOPES, clock=time.time):
        self.token = token
        self.clock = clock  # epoch seconds for message ts: Slack's clock, real unless a test fixes it
        self.app_token = app_token
        self.scopes = list(scopes)
        self.users: dict[str, dict] = {}  # users.info overrides, by user id
        self.channels: dict[str, dict] = {}  # conversations.info answers, by channel id
        self.uploads: dict[str, bytes] = {}  # file id -> bytes received at its upload_url
        self._calls: list[Call] = []
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._after: dict[str, deque[Failure | None]] = defaultdict(deque)  # None: drop the connection
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )

    # ---- lifecycle -------------------------------------------------------
    def start(self) -> "FakeSlack":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What to pass as SLACK_API_URL / WebClient(base_url=...)."""
        return self.base_url + "/api/"

    def response_url(self, tag: str = "") -> str:
        return f"{self.base_url}/response/{tag or next(self._ids)}"

    # ---- the recorder ----------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls()]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0, where=None) -> list[Call]:
        """Block until `count` calls of `method` (matching `where(call)` if
        given) arrived, or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout:.1f}s for {count} {method} call(s), got {len(found)}; "
                        f"calls so far: {[c.method for c in self._calls]}"
                    )
                self._cond.wait(left)

    def reset(self) -> None:
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self.users.clear()
            self.channels.clear()
            self.uploads.clear()
            self.scopes = list(SCOPES)

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: dict | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail: `error` gives Slack's
        `{"ok": false, "error": ...}` with HTTP `status` (200 like Slack);
        `status=429` defaults to error "ratelimited" (add Retry-After in
        `headers`); a 5xx without `error` gets a plain error body."""
        if error is None and status == 429:
            error = "ratelimited"
        with self._cond:
            for _ in range(times):
                self._failures[method].append(Failure(status, error, dict(headers or {}), body))

    def fail_after(self, method: str, *, status: int = 500, drop: bool = False, times: int = 1) -> None:
        """The next `times` calls of `method` take effect (a post lands in
        the channel) and then fail: an HTTP `status` with a proxy's plain
        body, or (`drop`) the connection closes without any answer — what a
        client sees when Slack or a proxy breaks after doing the work."""
        with self._cond:
            for _ in range(times):
                self._after[method].append(None if drop else Failure(status))

    def _after_answer(self, method: str) -> tuple[bool, Failure | None]:
        with self._cond:
            queue = self._after.get(method)
            return (True, queue.popleft()) if queue else (False, None)

    # ---- serving ---------------------------------------------------------
    def _record(self, call: Call) -> Failure | None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
            queue = self._failures.get(call.method)
            return queue.popleft() if queue else None

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[dict, dict]:
        """(JSON body, extra headers) for an API method that did not fail."""
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip() or params.get("token")
        if method == "apps.connections.open":
            if bearer != self.app_token:
                return {"ok": False, "error": "invalid_auth"}, {}
            return {"ok": True, "url": f"ws://{self.base_url.split('//')[1]}/socket-mode"}, {}
        if not bearer:
            return {"ok": False, "error": "not_authed"}, {}
        if bearer != self.token:
            return {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}, {}
        return handler(params)

    def _ts(self) -> str:
        return f"{self.clock():.6f}"

    def _api_auth_test(self, params):
        return (
            {
                "ok": True,
                "url": "https://fake-team.slack.com/",
                "team": "Fake Team",
                "user": "retention-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
                "app_id": APP_ID,
                "is_enterprise_install": False,
            },
            {"x-oauth-scopes": ",".join(self.scopes)},
        )

    def _api_chat_postMessage(self, params):
        channel = params.get("channel")
        if channel in self.channels and not self.channels[channel].get("is_member", True):
            return {"ok": False, "error": "not_in_channel"}, {}
        return {
            "ok": True,
            "channel": channel,
            "ts": self._ts(),
            "message": {"text": params.get("text"), "user": BOT_USER_ID},
        }, {}

    def _api_chat_postEphemeral(self, params):
        return {"ok": True, "message_ts": self._ts()}, {}

    def _api_chat_update(self, params):
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text")}, {}

    def _api_views_publish(self, params):
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": f"V{next(self._ids):06d}", **(view or {})}}, {}

    def _api_users_info(self, params):
        user_id = params.get("user", "")
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "real_name": user_id,
            "tz": "UTC",
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "deleted": False,
        }
        if str(params.get("include_locale", "")).lower() in ("1", "true"):
            user["locale"] = "en-US"  # Slack sends the locale only when asked
        user.update(self.users.get(user_id, {}))
        if str(params.get("include_locale", "")).lower() not in ("1", "true"):
            user.pop("locale", None)
        return {"ok": True, "user": user}, {}

    def _api_conversations_open(self, params):
        users = str(params.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}, {}

    def _api_conversations_info(self, params):
        channel = params.get("channel")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}, {}
        return {"ok": True, "channel": {"id": channel, "is_member": True, **self.channels[channel]}}, {}

    def _api_files_getUploadURLExternal(self, params):
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}, {}

    def _api_files_completeUploadExternal(self, params):
        files = json.loads(params.get("files") or "[]")
        missing = [f["id"] for f in files if f["id"] not in self.uploads]
        if not files or missing:
            return {"ok": False, "error": "invalid_arguments", "missing_uploads": missing}, {}
        return {
            "ok": True,
            "files": [{"id": f["id"], "title": f.get("title"), "size": len(self.uploads[f["id"]])} for f in files],
        }, {}


def _parse_params(query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    ctype = headers.get("content-type", "")
    if ctype.startswith("application/json") and body:
        params.update(json.loads(body))
    elif ctype.startswith("multipart/form-data"):
        msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            params[name] = payload if part.get_filename() else payload.decode()
    elif body:
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    return params


def _handler(fake: FakeSlack):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # quiet: the recorder is the log
            pass

        def do_POST(self):
            path, _, query = self.path.partition("?")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if path.startswith("/api/"):
                method = path[len("/api/") :]
                params = _parse_params(query, headers, body)
            elif path.startswith("/upload/"):
                method, params = "upload", {"file_id": path.rsplit("/", 1)[1]}
            elif path.startswith("/response/"):
                method, params = "response_url", {"tag": path.rsplit("/", 1)[1], **_parse_params("", headers, body)}
            else:
                self._send(404, {"ok": False, "error": "not_found"})
                return
            failure = fake._record(Call(method, params, headers, body))
            if failure:
                self._fail(failure)
            elif method == "upload":
                fake.uploads[params["file_id"]] = body
                self._send(200, f"OK - {len(body)}", ctype="text/plain")
            elif method == "response_url":
                self._send(200, "ok", ctype="text/html")
            else:
                payload, extra = fake._answer(method, params, headers)
                broken, after = fake._after_answer(method)
                if not broken:
                    self._send(200, payload, extra)
                elif after is None:
                    self.close_connection = True  # no answer at all: the client sees the connection drop
                else:
                    self._fail(after)

        def _fail(self, failure: Failure) -> None:
            if failure.body is not None:
                payload: Any = failure.body
            elif failure.error:
                payload = {"ok": False, "error": failure.error}
            else:
                payload = f"{failure.status} fake failure"
            self._send(failure.status, payload, failure.headers)

        def _send(self, status: int, payload: Any, extra: dict | None = None, ctype: str = "application/json"):
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            if not isinstance(payload, str):
                ctype = "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


# ---- Slack's side: signed requests to the app ----------------------------


def slack_signature(secret: str, timestamp: str | int, body: str | bytes) -> str:
    """`v0=` + HMAC-SHA256(secret, "v0:{timestamp}:{body}"), as Slack signs.
    Written out here, independently of slack_sdk, so the app's verifier is
    checked against Slack's documented recipe rather than against itself."""
    if isinstance(body, bytes):
        body = body.decode()
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Sends what Slack would send to the app at `events_url`."""

    def __init__(self, events_url: str, signing_secret: str, slack: FakeSlack, *, clock=time.time):
        self.events_url = events_url
        self.secret = signing_secret
        self.slack = slack
        self.clock = clock  # signing time; pass an old one to test the replay window

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict | None = None,
    ) -> Reply:
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or slack_signature(self.secret, ts, body),
            **(extra_headers or {}),
        }
        req = urllib.request.Request(self.events_url, data=body.encode(), headers=headers, method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                data, status, got = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as e:
            data, status, got = e.read(), e.code, dict(e.headers)
        return Reply(status, data, {k.lower(): v for k, v in got.items()}, time.perf_counter() - start)

    def trigger_id(self) -> str:
        """Unique per request, as Slack's are (so two identical commands in
        one second are two requests, not a replay)."""
        return f"{next(self.slack._ids)}.{int(self.clock())}.trigger"

    def command_body(self, text: str, *, user_id: str, channel_id: str = "C0GENERAL", response_tag: str = "") -> str:
        return urllib.parse.urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "team_domain": "fake-team",
                "channel_id": channel_id,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/retention",
                "text": text,
                "api_app_id": "A0FAKE",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url(response_tag),
                "trigger_id": self.trigger_id(),
            }
        )

    def command(self, text: str, *, user_id: str, channel_id: str = "C0GENERAL", response_tag: str = "", **kw) -> Reply:
        body = self.command_body(text, user_id=user_id, channel_id=channel_id, response_tag=response_tag)
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict, **kw) -> Reply:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0FAKE",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self.slack._ids):08d}",
                "event_time": int(self.clock()),
                "authorizations": [
                    {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}
                ],
            }
        )
        return self.post(body, "application/json", **kw)

    def action(self, action_id: str, *, user_id: str, value: str = "", response_tag: str = "", **kw) -> Reply:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": user_id},
            "api_app_id": "A0FAKE",
            "token": "legacy-verification-token",
            "trigger_id": self.trigger_id(),
            "container": {"type": "message", "channel_id": "C0GENERAL", "message_ts": "1.000001"},
            "channel": {"id": "C0GENERAL"},
            "response_url": self.slack.response_url(response_tag),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": "1.000002"}
            ],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kw)


# ---- the app served as in production, and a real bot process's environment ----

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
        stop_server(server, thread)
        shutdown_listeners(app)  # let Bolt's lazy listeners finish

    return f"http://127.0.0.1:{server.effective_port}", stop


def stop_server(server, thread: threading.Thread) -> None:
    """Close every socket from inside waitress's own loop (a trigger thunk),
    which ends the loop, then let its worker threads finish.

    Waitress closes a dispatcher whose poll reports an error, the trigger
    included (seen once in CI under heavy load, at teardown): then nothing
    can wake the loop, so what is left is closed from this thread and the
    loop ends at its next poll, its map empty."""
    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except OSError:
        log.warning("waitress's trigger was already closed; closing its sockets from the stopping thread")
        wasyncore.close_all(server._map, ignore_all=True)
    thread.join(10)
    server.task_dispatcher.shutdown(timeout=5)


def copy_store(template: Path, directory: Path) -> Path:
    path = directory / "store.db"
    shutil.copy(template, path)
    return path


SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


def slack_env(slack, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    env.update(SLACK_BOT_TOKEN=slack.token, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url)
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


# What `retention-bot run` prints once it listens, found by its URL's path
# (the only line with it; a log line may name the fake Slack's URL): the
# sentence around it is in the store's language (or --language).
LISTENING = "/slack/events"
_EVENTS_URL = re.compile(r"http://[\w.]+:\d+/slack/events")


def events_url(line: str) -> str:
    """The events URL in `run`'s "listening on" line, in any language."""
    found = _EVENTS_URL.search(line)
    if found is None:
        raise AssertionError(f"no events URL in {line!r}")
    return found.group(0)


class StderrLines:
    """Reads a process's stderr on a thread so waits can have deadlines."""

    def __init__(self, proc):
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(proc.stderr,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line)

    def wait_for(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no {needle!r} on stderr within {timeout}s; got: {''.join(self.seen)}")

    def rest(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)
