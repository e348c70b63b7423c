"""`retention-bot run | manifest | doctor` as a user runs them, against the
fake Slack: a real process for `run`, click's runner for the rest."""

import signal
import subprocess
import sys
import urllib.request
from contextlib import contextmanager

import pytest
import yaml
from click.testing import CliRunner

from bench.slack_fake import (
    LISTENING,
    REP,
    SIGNING_SECRET,
    SLACK_VARS,
    SlackSender,
    StderrLines,
    copy_store,
    events_url,
    slack_env,
)
from bot.cli import main
from bot.manifest import BOT_SCOPES
from storage import open_db
from tests.support.slack import assert_valid_message


@pytest.fixture
def slack(fake_slack):
    """Only the fake (these tests start their own app)."""
    fake_slack.reset()
    return fake_slack


@pytest.fixture
def store(demo_template, tmp_path):
    return copy_store(demo_template, tmp_path)


def invoke(args, env) -> object:
    return CliRunner().invoke(main, args, env={k: env.get(k) for k in SLACK_VARS}, catch_exceptions=False)


@contextmanager
def running_http(store, env):
    """`retention-bot run` in HTTP mode on a free port, as a real process; its
    stderr read line by line, and the process reaped whatever the test did."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--db", str(store), "run", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield proc, StderrLines(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_in_http_mode_serves_and_stops_cleanly_on_sigterm(slack, store):
    with running_http(store, slack_env(slack)) as (proc, err):
        base = events_url(err.wait_for(LISTENING, timeout=60)).removesuffix("/slack/events")
        with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
            assert resp.status == 200 and b'"ok": true' in resp.read()
        reply = SlackSender(base + "/slack/events", SIGNING_SECRET, slack).command("help", user_id=REP)
        assert reply.status == 200
        assert reply.json["response_type"] == "ephemeral"
        assert_valid_message(reply.json)
        assert slack.methods()[0] == "auth.test"  # the token was checked at start, against the fake
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, err.rest()
        assert "stopped" in err.rest()


def test_run_says_it_started_and_stopped_in_the_workspace_language(slack, store):
    """An Armenian workspace: `run` says where it listens and that it
    stopped in Armenian (the URL as it is); its log stays English."""
    assert invoke(["--db", str(store), "config", "language", "hy"], slack_env(slack)).exit_code == 0
    with running_http(store, {**slack_env(slack), "RETENTION_LANGUAGE": ""}) as (proc, err):
        line = err.wait_for("retention-bot. HTTP ռեժիմ", timeout=60)
        url = line.split("հարցումներն ընդունվում են ")[1].split(" ")[0]
        assert line == (
            f"retention-bot. HTTP ռեժիմ, հարցումներն ընդունվում են {url} հասցեով (առողջության ստուգում՝ /healthz)\n"
        )
        assert url.startswith("http://127.0.0.1:") and url.endswith("/slack/events")
        assert LISTENING in line and events_url(line) == url  # what scripts wait for, in any language
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, err.rest()
        assert err.rest().endswith("retention-bot. կանգնեցված է\n")


def test_missing_tokens_in_persian(slack, store):
    r = invoke(
        ["--db", str(store), "--language", "fa", "run"],
        slack_env(slack, SLACK_BOT_TOKEN=None, SLACK_SIGNING_SECRET=None),
    )
    assert r.exit_code == 2
    fsi, pdi = "\u2068", "\u2069"
    lines = r.output.splitlines()
    assert lines[0].startswith(f"خطا: {fsi}{fsi}SLACK_BOT_TOKEN{pdi} تنظیم نشده است. آن را از ")
    assert lines[1].startswith(f"خطا: {fsi}{fsi}SLACK_SIGNING_SECRET{pdi} تنظیم نشده است. آن را از ")
    assert "Signing Secret" in lines[1] and "api.slack.com/apps" in lines[1]
    assert lines[2:] == [
        f"{fsi}`retention-bot manifest`{pdi} برنامهٔ اسلک را می‌سازد؛ {fsi}`retention-bot doctor`{pdi} "
        "راه‌اندازی را بررسی می‌کند."
    ]
    assert slack.calls() == []


def test_a_token_slack_rejects_in_armenian(slack, store):
    r = invoke(["--db", str(store), "--language", "hy", "run"], slack_env(slack, SLACK_BOT_TOKEN="xoxb-revoked-SECRET"))
    assert r.exit_code == 2
    assert r.output.startswith("սխալ՝ Slack-ը մերժեց SLACK_BOT_TOKEN-ը (")
    assert "invalid_auth" in r.output and "SECRET" not in r.output
    assert r.output.endswith(
        "։ Կրկին պատճենեք այն https://api.slack.com/apps → ձեր հավելվածը → OAuth & Permissions → "
        "Bot User OAuth Token (նախ տեղադրեք հավելվածը աշխատատարածքում)-ից։\n"
    )
    r = invoke(["--db", str(store), "--language", "fa", "run"], slack_env(slack, SLACK_APP_TOKEN="xapp-wrong-SECRET"))
    assert r.exit_code == 2
    assert r.output.startswith("خطا: \u2068اسلک \u2068SLACK_APP_TOKEN\u2069 را نپذیرفت (\u2068invalid_auth\u2069).")


def test_missing_tokens_name_the_variable_and_where_to_get_it(slack, store):
    r = invoke(["--db", str(store), "run"], slack_env(slack, SLACK_BOT_TOKEN=None, SLACK_SIGNING_SECRET=None))
    assert r.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in r.output and "OAuth & Permissions" in r.output
    assert "SLACK_SIGNING_SECRET is not set" in r.output and "Signing Secret" in r.output
    assert "api.slack.com/apps" in r.output
    assert slack.calls() == []


def test_malformed_tokens_are_refused_without_echoing_them(slack, store):
    env = slack_env(slack, SLACK_BOT_TOKEN="xoxp-user-SECRET123", SLACK_APP_TOKEN="xoxb-bot-SECRET456")
    r = invoke(["--db", str(store), "run"], env)
    assert r.exit_code == 2
    assert "SLACK_BOT_TOKEN must start with xoxb-; this looks like a user token" in r.output
    assert "SLACK_APP_TOKEN must start with xapp-; this looks like a bot token" in r.output
    assert "App-Level Tokens" in r.output
    assert "SECRET" not in r.output
    assert slack.calls() == []


def test_a_token_slack_rejects_exits_2_with_the_fix(slack, store):
    r = invoke(["--db", str(store), "run"], slack_env(slack, SLACK_BOT_TOKEN="xoxb-revoked-SECRET"))
    assert r.exit_code == 2
    assert "Slack rejected SLACK_BOT_TOKEN" in r.output and "invalid_auth" in r.output
    assert "SECRET" not in r.output
    r = invoke(["--db", str(store), "run"], slack_env(slack, SLACK_APP_TOKEN="xapp-wrong-SECRET"))
    assert r.exit_code == 2
    assert "Slack rejected SLACK_APP_TOKEN (invalid_auth)" in r.output
    assert "apps.connections.open" in slack.methods()  # Socket Mode was chosen because the app token is set
    assert "SECRET" not in r.output


def test_manifest_is_yaml_with_command_scopes_and_interactivity():
    r = CliRunner().invoke(main, ["manifest"])
    assert r.exit_code == 0
    m = yaml.safe_load(r.output)
    (cmd,) = m["features"]["slash_commands"]
    assert cmd["command"] == "/retention" and cmd["usage_hint"] and cmd["should_escape"] is True
    assert (
        set(m["oauth_config"]["scopes"]["bot"])
        == set(BOT_SCOPES)
        == {
            "commands",
            "chat:write",
            "im:write",
            "users:read",
            "files:write",
            "channels:history",
            "groups:history",
            "im:history",
        }
    )  # history: the outbox's resend check
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["settings"]["socket_mode_enabled"] is True and "url" not in cmd

    r = CliRunner().invoke(main, ["manifest", "--url", "https://bot.example.com/", "--name", "Keep: Them"])
    m = yaml.safe_load(r.output)
    events = "https://bot.example.com/slack/events"
    assert m["display_information"]["name"] == "Keep: Them"
    assert m["features"]["slash_commands"][0]["url"] == events
    assert m["settings"]["interactivity"]["request_url"] == events
    assert m["settings"]["event_subscriptions"]["request_url"] == events
    assert m["settings"]["socket_mode_enabled"] is False


def test_doctor_all_good(slack, store):
    r = invoke(["--db", str(store), "doctor"], slack_env(slack))
    assert r.exit_code == 0, r.output
    assert "✓ auth.test: bot @retention-bot" in r.output
    assert "✓ scopes: all granted" in r.output
    assert "All good." in r.output


def test_doctor_says_what_to_fix(slack, store):
    slack.scopes = ["commands", "chat:write", "users:read"]
    db = open_db(store)
    db.execute("INSERT INTO settings (key, value) VALUES ('digest_channel', '\"C0DIGEST\"')")
    db.conn.commit()
    db.conn.close()
    slack.channels["C0DIGEST"] = {"is_member": False}
    r = invoke(["--db", str(store), "doctor"], slack_env(slack))
    assert r.exit_code == 1
    assert "✗ scopes: missing im:write files:write" in r.output and "reinstall the app" in r.output
    assert "✗ digest channel C0DIGEST: the bot is not a member" in r.output and "/invite @retention-bot" in r.output
    assert "2 problem(s) to fix." in r.output

    r = invoke(["--db", str(store), "doctor"], slack_env(slack, SLACK_BOT_TOKEN="xoxb-revoked"))
    assert r.exit_code == 1
    assert "✗ auth.test: Slack rejected the bot token (invalid_auth)" in r.output
    assert "Bot User OAuth Token" in r.output


def test_doctor_says_what_to_fix_in_persian(slack, store):
    """A check whose words hold other messages (a gone channel's fix holds
    the /invite step, which holds the channel) is said in Persian all
    through, down to the innermost; the channel id stays Latin, isolated,
    and a count is grouped in Persian digits."""
    db = open_db(store)
    db.execute("INSERT INTO settings (key, value) VALUES ('digest_channels', '[\"C0DIGEST\", \"C0GONE\"]')")
    db.conn.commit()
    db.conn.close()
    slack.channels["C0DIGEST"] = {"is_member": False}
    r = invoke(["--db", str(store), "--language", "fa", "doctor"], slack_env(slack))
    assert r.exit_code == 1
    lines = r.output.splitlines()
    at = lines.index("✗ کانال خلاصه \u2068C0DIGEST\u2069: ربات عضو نیست")
    assert lines[at + 1] == "    راه رفع: \u2068در <#\u2068C0DIGEST\u2069> بنویسید /invite @retention-bot\u2069"
    assert lines[at + 2 : at + 4] == [
        "✗ کانال خلاصه \u2068C0GONE\u2069: پیدا نشد (حذف شده، یا خصوصی و بدون ربات)",
        "    راه رفع: \u2068\u2068در <#\u2068C0GONE\u2069> بنویسید /invite @retention-bot\u2069، یا کانال خلاصهٔ دیگری تعیین کنید\u2069",
    ]
    assert f"✓ انباره: \u2068{store}\u2069: ۲٬۰۰۰ مشتری" in lines  # a count grouped, in Persian digits
    assert lines[-1] == "۲ مشکل برای رفع."
