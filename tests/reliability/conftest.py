"""Fixtures for the reliability suite: stores to break, and the fake Slack
that can hold a post open at the moment a test wants to kill the poster."""

import threading
from datetime import date
from pathlib import Path

import pytest

from storage.settings import upsert_setting
from tests.bot.followup_store import make_store
from tests.bot.history_fake import HistorySlack
from tests.slack.test_cli import slack_env

DEMO_DAY = date(2026, 11, 20)
CHANNELS = ("C0SALES", "C0EMEA", "C0APAC", "C0NA", "C0LATAM", "C0ANZ")


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


@pytest.fixture
def held_slack():
    with HoldingSlack() as fake:
        yield fake
        fake.release()


@pytest.fixture
def env(held_slack) -> dict:
    """The environment a real bot process gets: tokens and SLACK_API_URL
    pointing at the fake on 127.0.0.1."""
    return slack_env(held_slack)


@pytest.fixture
def digest_store(db_path) -> Path:
    """Reps with overdue follow-ups (so reminders and escalations exist) and
    a digest in each of CHANNELS."""
    db = make_store(db_path)
    upsert_setting(db, "digest_channels", "; ".join(f"{c} 09:00 America/New_York mon-sun" for c in CHANNELS))
    db.conn.close()
    return db_path



@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The demo store of a fixed day (scored, with reps, admins and open
    follow-ups), built once; tests copy it."""
    from bot.demo import ensure_demo_store

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db, _ = ensure_demo_store(str(path), today=DEMO_DAY)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path
