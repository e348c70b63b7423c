"""Fixtures shared by the bot tests."""

import pytest

from tests.support.slack import HistorySlack, slack_clock


@pytest.fixture
def slack():
    """The fake Slack Web API on 127.0.0.1 that also keeps channel history
    (what the outbox reads to settle an uncertain post)."""
    with HistorySlack(clock=slack_clock()) as fake:
        yield fake
