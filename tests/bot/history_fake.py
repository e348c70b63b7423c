"""FakeSlack plus what the outbox needs on top of it: channel history with
message metadata (`conversations.history`, which slack_sdk calls with GET),
and a `down` switch that answers every call with a 503, like an outage."""

import json
import threading
from collections import defaultdict

from bot.outbox import delivery_tag
from tests.slack.fake_slack import Failure, FakeSlack


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
                    {"type": "message", "ts": body["ts"], "text": params.get("text"), "bot_id": "B0BOT",
                     "metadata": metadata})
        return body, extra

    def _api_conversations_history(self, params):
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._history_lock:
            found = [m for m in reversed(self.history[params.get("channel")]) if float(m["ts"]) > oldest]
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
        return {"ok": True, "messages": page, "has_more": len(found) > limit,
                "response_metadata": {"next_cursor": ""}}, {}

    def attempts(self, key: str) -> list:
        """Every chat.postMessage call tagged with delivery `key`, answered or failed."""
        return [c for c in self.calls("chat.postMessage") if tag_of(c.params) == delivery_tag(key)]

    def posted(self, key: str | None = None) -> list[dict]:
        """Messages that made it into a channel, optionally only `key`'s."""
        with self._history_lock:
            messages = [m for msgs in self.history.values() for m in msgs]
        return [m for m in messages if key is None or tag_of(m) == delivery_tag(key)]
