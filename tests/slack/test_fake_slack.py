"""The fake Slack itself, driven by the real slack_sdk client: if these fail,
every end-to-end test would be testing the fake rather than the bot."""

import urllib.error

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bench.slack_fake import SCOPES, FakeSlack, slack_signature
from tests.support.slack import DOC_BODY, DOC_SECRET, DOC_SIGNATURE, DOC_TIMESTAMP


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url)


@pytest.fixture
def slack(fake_slack) -> FakeSlack:
    """Only the fake, no app (so no startup auth.test in the recording)."""
    fake_slack.reset()
    return fake_slack


def test_records_calls_and_reports_scopes(client, slack):
    auth = client.auth_test()
    assert auth["user_id"] and auth.headers["x-oauth-scopes"] == ",".join(SCOPES)
    client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    (call,) = slack.calls("chat.postMessage")
    assert call.params["channel"] == "C1" and call.params["blocks"] == [{"type": "divider"}]
    assert call.headers["authorization"] == f"Bearer {slack.token}"
    assert slack.methods() == ["auth.test", "chat.postMessage"]


def test_rejects_a_wrong_token(slack):
    with pytest.raises(SlackApiError) as e:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert e.value.response["error"] == "invalid_auth"


def test_files_upload_v2_three_steps(client, slack):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    client.files_upload_v2(channel="C1", file=png, filename="c.png", title="Cohorts")
    assert slack.methods() == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    get_url, upload, complete = slack.calls()
    assert get_url.params["filename"] == "c.png" and int(get_url.params["length"]) == len(png)
    assert upload.body == png
    assert complete.params["channel_id"] == "C1"
    assert '"title": "Cohorts"' in complete.params["files"]


def test_injected_failures_are_served_in_order(client, slack):
    slack.fail_next("chat.postMessage", error="channel_not_found")
    slack.fail_next("chat.postMessage", status=503, times=2)
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "7"})
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x")
    assert e.value.response["error"] == "channel_not_found"
    for _ in range(2):
        with pytest.raises(SlackApiError) as e:
            client.chat_postMessage(channel="C1", text="x")
        assert e.value.response.status_code == 503
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x")
    assert e.value.response.status_code == 429 and e.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(slack.calls("chat.postMessage")) == 5


def test_wait_for_is_bounded(slack):
    with pytest.raises(AssertionError, match=r"waited 0\.1s for 1 views\.publish"):
        slack.wait_for("views.publish", timeout=0.1)


def test_independent_signer_matches_slacks_documented_example():
    assert slack_signature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY) == DOC_SIGNATURE


def test_context_manager_frees_the_port():
    with FakeSlack() as fake:
        url = fake.api_url
        assert WebClient(token=fake.token, base_url=url).auth_test()["ok"]
    with pytest.raises(urllib.error.URLError):
        WebClient(token="xoxb-x", base_url=url, timeout=2, retry_handlers=[]).auth_test()
