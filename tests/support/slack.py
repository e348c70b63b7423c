"""What the Slack tests share: the fake Slack with channel history (what the
outbox reads back), one that can hold a post open, and the checks every
message must pass, and a plausible invocation of each command."""

import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from bench.slack_fake import REP, Failure, FakeSlack
from bot.outbox import delivery_tag
from commands import blocks as B
from storage import open_db

SOMETHING_WRONG = "something went wrong"

# When a test's Slack starts: Tue 24 Nov 2026, 09:30 in Los Angeles. The
# outbox tests' `now` and the fake's message stamps both run from it.
SLACK_START = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)


def slack_clock(origin: datetime = SLACK_START) -> Callable[[], float]:
    """Epoch seconds from `origin` at real speed: later posts get later ts,
    and nothing depends on the day the suite runs."""
    start = time.monotonic()
    return lambda: origin.timestamp() + (time.monotonic() - start)


# The worked example of "Verifying requests from Slack" (docs.slack.dev /
# api.slack.com). Note: the issue quoted the body with token=
# xyzz0WbapA4vBCDEEOPcAoG5ym; Slack's page has token=xyzz0WbapA4vBCDEFasx0q6G,
# and only that body yields the documented signature (pinned below).
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = "1531420618"
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def tag_of(message_or_params: dict) -> str | None:
    """The delivery tag a post carries in its metadata (None if untagged)."""
    meta = message_or_params.get("metadata") or {}
    if isinstance(meta, str):
        meta = json.loads(meta)
    return (meta.get("event_payload") or {}).get("key")


class HistorySlack(FakeSlack):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.down = False
        self.history: dict[str, list[dict]] = defaultdict(list)
        self._history_lock = threading.Lock()
        handler = self._server.RequestHandlerClass
        if not hasattr(handler, "do_GET"):
            self._server.RequestHandlerClass = type("GetHandler", (handler,), {"do_GET": handler.do_POST})

    def _record(self, call):
        failure = super()._record(call)
        if failure is None and self.down:
            return Failure(status=503)
        return failure

    def _api_chat_postMessage(self, params):
        body, extra = super()._api_chat_postMessage(params)
        if body.get("ok"):
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            with self._history_lock:
                self.history[body["channel"]].append(
                    {
                        "type": "message",
                        "ts": body["ts"],
                        "text": params.get("text"),
                        "bot_id": "B0BOT",
                        "metadata": metadata,
                    }
                )
        return body, extra

    def _api_conversations_history(self, params):
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._history_lock:
            found = [m for m in reversed(self.history[params.get("channel")]) if float(m["ts"]) > oldest]
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
        return {
            "ok": True,
            "messages": page,
            "has_more": len(found) > limit,
            "response_metadata": {"next_cursor": ""},
        }, {}

    def attempts(self, key: str) -> list:
        """Every chat.postMessage call tagged with delivery `key`, answered or failed."""
        return [c for c in self.calls("chat.postMessage") if tag_of(c.params) == delivery_tag(key)]

    def posted(self, key: str | None = None) -> list[dict]:
        """Messages that made it into a channel, optionally only `key`'s."""
        with self._history_lock:
            messages = [m for msgs in self.history.values() for m in msgs]
        return [m for m in messages if key is None or tag_of(m) == delivery_tag(key)]


class HoldingSlack(HistorySlack):
    """HistorySlack that can keep a `chat.postMessage` request open, either
    after Slack has taken the message (it is in the channel, the poster has
    not heard back) or before, so a test kills the poster at exactly that
    point. `holding` is set while a request is held; `release()` lets go."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.hold: str | None = None  # None | "before" | "after"
        self.holding = threading.Event()
        self._released = threading.Event()
        # A killed client leaves the held request with a broken pipe: expected here.
        self._server.handle_error = lambda request, address: None

    def _api_chat_postMessage(self, params):
        if self.hold == "before":
            self._wait()
            return {"ok": False, "error": "internal_error"}, {}
        answer = super()._api_chat_postMessage(params)
        if self.hold == "after":
            self._wait()
        return answer

    def arm(self, hold: str | None) -> None:
        """Hold the next posts `before` or `after` they land (None: do not)."""
        self.hold = hold
        self.holding.clear()
        self._released.clear()

    def _wait(self) -> None:
        self.holding.set()
        self._released.wait(60)

    def release(self) -> None:
        self.hold = None
        self._released.set()


def assert_valid_message(msg: dict) -> None:
    assert msg.get("text", "").strip(), f"no text fallback: {msg}"
    assert B.limit_problems(msg) == [], B.limit_problems(msg)
    assert SOMETHING_WRONG not in msg["text"], msg["text"]


def example_text(name: str, db_path) -> str:
    """A plausible invocation of each known command; others are sent bare
    (a usage answer is a valid answer too)."""
    if name == "customer":
        db = open_db(db_path)
        try:
            customer_id = db.execute("SELECT id FROM customers ORDER BY revenue DESC LIMIT 1").fetchone()[0]
        finally:
            db.conn.close()
        return f"customer {customer_id}"
    return {
        "summary": "",
        "rep": f"rep <@{REP}>",
        "digest": "digest preview",
        "followups": "followups all",
        "kpis": "kpis last-quarter",
        "crr": "crr last-quarter",
        "churn": "churn last-quarter",
    }.get(name, name)


def channel_for(name: str) -> str:
    return "C0" + re.sub(r"[^A-Z0-9]", "", name.upper())
