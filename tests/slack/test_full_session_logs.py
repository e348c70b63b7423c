"""A full HTTP-mode session as operators run it, with debug logging in JSON:
the bot token and the signing secret appear in no log line and no output,
every log line is one JSON object, and a request's lines carry the request
id its response header names.

The process is the real `retention-bot -vv --log-format json run`, against
the fake Slack with a random token and secret (so a leak cannot hide behind
a well-known test value): signed commands (a fast one, a chart, a customer),
a forged request, the Home tab, button clicks, and a digest posted through
the outbox, then SIGTERM.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import threading

from bench.slack_fake import ADMIN, LISTENING, REP, SLACK_VARS, FakeSlack, SlackSender, copy_store, events_url
from commands.digest import ACTION_AT_RISK
from commands.remind import ACTION_SNOOZE
from storage import open_db

DIGEST_CHANNEL = "C0LOGS"


class Output:
    """All of a stream, read on a thread; waits have deadlines, no sleeps."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(self, needle: str, timeout: float) -> str:
        with self._cond:
            if not self._cond.wait_for(lambda: any(needle in line for line in self.lines), timeout):
                raise AssertionError(f"no {needle!r} within {timeout}s:\n{''.join(self.lines)[-3000:]}")
            return next(line for line in self.lines if needle in line)

    def everything(self, timeout: float = 10) -> str:
        self._thread.join(timeout)
        return "".join(self.lines)


def test_a_full_session_logs_no_secret_and_tags_each_request(demo_template, tmp_path):
    token = "xoxb-" + secrets.token_hex(12)
    secret = secrets.token_hex(16)
    store = copy_store(demo_template, tmp_path)
    db = open_db(store)
    followup = db.execute("SELECT id FROM followups WHERE closed_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    customer = db.execute("SELECT id FROM customers ORDER BY revenue DESC LIMIT 1").fetchone()[0]
    db.conn.close()
    with FakeSlack(token=token) as slack:
        env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
        env.update(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=secret, SLACK_API_URL=slack.api_url)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "-vv",
                "--log-format",
                "json",
                "--db",
                str(store),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = Output(proc.stdout), Output(proc.stderr)
        try:
            url = events_url(err.wait_for(LISTENING, timeout=60))
            sender = SlackSender(url, secret, slack)
            help_reply = sender.command("help", user_id=REP)
            assert help_reply.status == 200
            assert sender.command(f"customer {customer}", user_id=REP).status == 200
            assert sender.command("cohorts", user_id=REP, response_tag="chart").status == 200
            slack.wait_for("files.completeUploadExternal", timeout=30)
            assert SlackSender(url, "forged", slack).command("help", user_id=REP).status == 401
            assert (
                sender.event({"type": "app_home_opened", "user": REP, "tab": "home", "event_ts": "1.1"}).status == 200
            )
            slack.wait_for("views.publish", timeout=30)
            assert sender.action(ACTION_AT_RISK, user_id=REP, value="at-risk", response_tag="click1").status == 200
            assert sender.action(ACTION_SNOOZE, user_id=ADMIN, value=str(followup), response_tag="click2").status == 200
            slack.wait_for("response_url", count=3, timeout=30)
            assert sender.command(f"digest now <#{DIGEST_CHANNEL}|sales>", user_id=ADMIN).status == 200
            slack.wait_for("chat.postMessage", timeout=30, where=lambda c: c.params.get("channel") == DIGEST_CHANNEL)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stdout, stderr = out.everything(), err.everything()
        assert all(c.headers.get("authorization") == f"Bearer {token}" for c in slack.calls("auth.test"))

    everything = stdout + stderr
    for value in (token, token.removeprefix("xoxb-"), secret):
        assert value not in everything, "a secret reached the output"
    records = []
    for raw in stderr.splitlines():
        if raw.startswith("retention-bot: "):  # the CLI's own status lines
            continue
        record = json.loads(raw)  # every log line is one JSON object
        assert {"time", "level", "logger", "message"} <= set(record), record
        records.append(record)
    assert any(r["level"] == "DEBUG" for r in records)  # -vv really was on: the scan saw the chatty logs
    assert any("Invalid request signature" in r["message"] for r in records)
    ids = {r["request_id"] for r in records if "request_id" in r}
    assert len(ids) >= 8, ids  # commands, their lazy answers, the event, the clicks
    assert help_reply.headers["x-request-id"] in ids
    uploads = [r for r in records if "files.getUploadURLExternal" in r["message"]]
    assert uploads and all(r.get("request_id") in ids for r in uploads)  # the lazy listener's calls are tagged too
