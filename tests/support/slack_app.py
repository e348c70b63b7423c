"""Pytest fixtures for the Slack end-to-end tests (a plugin the root
conftest registers, so any suite can use them): the fake Slack, a demo store
of a fixed day, and the real app (create_app + the production WSGI app under
waitress) on 127.0.0.1, port 0, in a background thread, with a clock that
starts on that day."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bench.slack_fake import SIGNING_SECRET, FakeSlack, SlackSender, copy_store, serve_in_thread
from bot.app import create_app
from bot.demo import ensure_demo_store
from bot.settings import EVENTS_PATH, SlackSettings
from commands import COMMANDS
from commands.core import Command
from storage import open_db

# The day the Slack tests' demo store is built for and the bot believes it is.
SLACK_DAY = date(2026, 11, 24)


def running_clock(day: date) -> Callable[[], datetime]:
    """A clock that starts at noon UTC on `day` and runs at real speed, so
    answers never depend on the day the suite runs and time still moves
    forward within a test."""
    start = datetime.now(UTC)
    origin = datetime.combine(day, time(12), UTC)
    return lambda: origin + (datetime.now(UTC) - start)


@dataclass
class RunningBot:
    url: str
    db_path: Path
    app: object
    clock: Callable[[], datetime]  # what the bot believes the time is

    @property
    def events_url(self) -> str:
        return self.url + EVENTS_PATH


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("slack-demo") / "demo.db"
    db, _ = ensure_demo_store(str(path), today=SLACK_DAY)
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
    clock = running_clock(SLACK_DAY)
    app = create_app(settings, db, clock=clock)
    url, stop = serve_in_thread(app, str(path))
    yield RunningBot(url, path, app, clock)
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


@pytest.fixture
def test_command():
    """Register a throwaway sub-command for this test only (removed after)."""
    added = []

    def add(name, handler, *, slow):
        COMMANDS.register(Command(name, handler, name, "test only", slow))
        added.append(name)
        return name

    yield add
    for name in added:
        COMMANDS.unregister(name)
