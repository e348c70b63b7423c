"""Fixtures for the Slack end-to-end tests: the fake Slack, a demo store, and
the real app (create_app + the production WSGI app under waitress) served on
127.0.0.1, port 0, in a background thread."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import create_app
from bot.demo import ensure_demo_store
from bot.settings import EVENTS_PATH, SlackSettings
from storage import open_db
from tests.slack.fake_slack import FakeSlack, SlackSender
from tests.slack.harness import SIGNING_SECRET, copy_store, serve_in_thread


@dataclass
class RunningBot:
    url: str
    db_path: Path
    app: object

    @property
    def events_url(self) -> str:
        return self.url + EVENTS_PATH


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("slack-demo") / "demo.db"
    db, _ = ensure_demo_store(str(path), today=datetime.now(UTC).date())
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def fake_slack():
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def bot(fake_slack, demo_template, tmp_path_factory):
    path = copy_store(demo_template, tmp_path_factory.mktemp("slack-store"))
    db = open_db(path)
    settings = SlackSettings(bot_token=fake_slack.token, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url)
    app = create_app(settings, db)
    url, stop = serve_in_thread(app, str(path))
    yield RunningBot(url, path, app)
    stop()
    db.conn.close()


@pytest.fixture
def slack(bot, fake_slack) -> FakeSlack:
    """The fake Slack, emptied for this test."""
    fake_slack.reset()
    return fake_slack


@pytest.fixture
def sender(bot, slack) -> SlackSender:
    return SlackSender(bot.events_url, SIGNING_SECRET, slack)
