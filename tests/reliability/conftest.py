"""Fixtures for the reliability suite: stores to break, and the fake Slack
that can hold a post open at the moment a test wants to kill the poster."""

from datetime import date
from pathlib import Path

import pytest

from bench.slack_fake import slack_env
from storage.settings import upsert_setting
from tests.support.followups import CHANNELS, make_store
from tests.support.slack import HoldingSlack
from tests.support.stores import SET_AT

DEMO_DAY = date(2026, 11, 20)


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
    upsert_setting(
        db, "digest_channels", "; ".join(f"{c} 09:00 America/New_York mon-sun" for c in CHANNELS), now=SET_AT
    )
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
