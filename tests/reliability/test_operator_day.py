"""The operator's day against a live bot: everything the README tells an
operator to run, while `retention-bot run` serves signed Slack traffic —
and then the same with two instances on one store, each restarted once.

Afterwards the store must pass `PRAGMA integrity_check`, every write the bot
acknowledged (config changes answered "set to …", button clicks answered
in Slack) must be in it, and the fake Slack must hold one post per delivery
key. This is the workflow that lost WAL content when any code in the bot
process opened the store file behind SQLite's back (closing that descriptor
drops the process's POSIX locks, so another process deleted the live WAL).
"""

import json
import shutil
import sqlite3
import threading
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bench.slack_fake import ADMIN, REP, SIGNING_SECRET, SlackSender
from commands.remind import ACTION_SNOOZE
from tests.support.procs import BotProcess, run_cli
from tests.support.slack import tag_of

pytestmark = pytest.mark.slow

CHANNELS = ("C0SALES", "C0EMEA")


def new_orders_csv(path: Path, n: int = 3000) -> Path:
    """Orders of existing demo customers plus new ones, dated inside the demo."""
    lines = ["id,customer_id,ordered_at,amount,customer_name"]
    for i in range(n):
        customer = f"C{(i % 2500):04d}" if i % 3 else f"NEW{i:05d}"
        lines.append(f"DAY{i:06d},{customer},2026-11-{1 + i % 19:02d}T10:00:00Z,{10 + i % 90}.50,Buyer {i}")
    path.write_text("\n".join(lines) + "\n")
    return path


class Traffic:
    """Signed Slack requests and health checks against the running
    instances, round robin, on a background thread for as long as the day
    lasts; and the acknowledged writes, made on the test's own thread."""

    def __init__(self, slack, bots: list[BotProcess]):
        self.slack = slack
        self.bots = bots
        self.turn = 0
        self.acked_config: list[tuple[str, object]] = []
        self.acked_clicks: list[int] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._background, daemon=True)

    def sender(self) -> SlackSender:
        live = [b for b in self.bots if b.url]
        bot = live[self.turn % len(live)]
        self.turn += 1
        return SlackSender(bot.url + "/slack/events", SIGNING_SECRET, self.slack)

    def _background(self) -> None:
        texts = ("", "crr last-quarter", "at-risk 5", "followups all", "kpis ytd", "rep")
        i = 0
        while not self._stop.is_set():
            for bot in [b for b in self.bots if b.url]:
                try:
                    with urllib.request.urlopen(bot.url + "/healthz", timeout=30) as resp:
                        body = json.loads(resp.read())
                    if not body["ok"]:
                        self.failures.append(f"healthz: {body}")
                except Exception as e:  # a restart in progress refuses connections
                    if bot.url and not bot.restarting:
                        self.failures.append(f"healthz: {type(e).__name__}: {e}")
                try:
                    reply = SlackSender(bot.url + "/slack/events", SIGNING_SECRET, self.slack).command(
                        texts[i % len(texts)], user_id=REP
                    )
                    text = (reply.json or {}).get("text", "")
                    if reply.status != 200 or "went wrong" in text or "disk I/O" in text:
                        self.failures.append(f"{texts[i % len(texts)]!r}: {reply.status} {text[:200]}")
                except Exception as e:
                    if bot.url and not bot.restarting:
                        self.failures.append(f"command: {type(e).__name__}: {e}")
                i += 1

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(60)

    def config(self, key: str, value) -> None:
        reply = self.sender().command(f"config {key} {value}", user_id=ADMIN)
        assert reply.status == 200, reply.body
        assert "set to" in reply.json["text"], reply.json["text"]
        self.acked_config.append((key, value))

    def snooze(self, followup_id: int) -> None:
        """A Snooze click on an ephemeral list: acked at once, done in a lazy
        listener that answers through the response_url."""
        tag = f"click{followup_id}"
        sender = self.sender()
        payload = {
            "type": "block_actions",
            "team": {"id": "T0FAKE"},
            "user": {"id": ADMIN},
            "api_app_id": "A0FAKE",
            "token": "legacy-verification-token",
            "trigger_id": sender.trigger_id(),
            "container": {"type": "message", "channel_id": "C0GENERAL", "message_ts": "1.000001", "is_ephemeral": True},
            "channel": {"id": "C0GENERAL"},
            "response_url": self.slack.response_url(tag),
            "actions": [
                {
                    "type": "button",
                    "action_id": ACTION_SNOOZE,
                    "block_id": f"fua:{followup_id}",
                    "value": str(followup_id),
                    "action_ts": "1.000002",
                }
            ],
        }
        reply = sender.post(
            urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        assert reply.status == 200, reply.body
        (call,) = self.slack.wait_for("response_url", where=lambda c: c.params["tag"] == tag, timeout=30)
        assert "Snoozed" in call.params.get("text", "") or "snoozed" in call.params.get("text", ""), call.params
        self.acked_clicks.append(followup_id)


def open_followups(store: Path, n: int) -> list[int]:
    conn = sqlite3.connect(store)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT id FROM followups WHERE closed_at IS NULL AND state = 'open' ORDER BY id LIMIT ?", [n]
            )
        ]
    finally:
        conn.close()


def operator_steps(store: Path, tmp_path: Path, env: dict, traffic: Traffic, restart=None) -> None:
    """The README's operator commands, each beside the live traffic, with
    acknowledged writes in between; `restart(i)` (if given) restarts an
    instance between steps."""
    csv = new_orders_csv(tmp_path / "new.csv")
    value = iter(range(91, 200))
    steps = [
        ("import", lambda: run_cli(store, "import", "orders", str(csv), env=env)),
        ("status", lambda: run_cli(store, "status", env=env)),
        ("status --json", lambda: run_cli(store, "status", "--json", env=env)),
        ("backup", lambda: run_cli(store, "backup", str(tmp_path / "backup.db"), env=env)),
        ("ask", lambda: run_cli(store, "ask", "crr last-quarter", "--json", env=env)),
        ("score", lambda: run_cli(store, "score", env=env)),
        ("digest now", lambda: run_cli(store, "digest", "now", env=env)),
        ("remind now", lambda: run_cli(store, "remind", "now", env=env)),
        ("import again", lambda: run_cli(store, "import", "orders", str(csv), env=env)),
        ("digest now again", lambda: run_cli(store, "digest", "now", env=env)),
    ]
    if shutil.which("sqlite3"):
        steps.insert(4, ("sqlite3 .backup", lambda: _sqlite3_backup(store, tmp_path / "shell-backup.db")))
    for i, (name, step) in enumerate(steps):
        traffic.config("dismiss_days", next(value))
        result = step()
        assert result.returncode == 0, f"{name}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        if name == "status --json":
            json.loads(result.stdout)
        if name == "backup":
            assert _integrity(tmp_path / "backup.db") == "ok"
        (followup_id,) = open_followups(store, 1)
        traffic.snooze(followup_id)
        traffic.config("quiet_gap_factor", f"2.{i + 1}")
        if restart is not None:
            restart(i)


def _sqlite3_backup(store: Path, target: Path):
    import subprocess

    result = subprocess.run(["sqlite3", str(store), f".backup '{target}'"], capture_output=True, text=True, timeout=120)
    if result.returncode == 0:
        assert _integrity(target) == "ok"
    return result


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def assert_nothing_lost(store: Path, traffic: Traffic, slack) -> None:
    assert _integrity(store) == "ok"
    conn = sqlite3.connect(store)
    try:
        audits = [
            (subject, json.loads(detail)["new"])
            for subject, detail in conn.execute(
                "SELECT subject, detail FROM audit_log WHERE action = 'config.set' ORDER BY id"
            )
        ]
        settings = dict(conn.execute("SELECT key, value FROM settings"))
        snoozed = {r[0] for r in conn.execute("SELECT subject FROM audit_log WHERE action = 'followup.snoozed'")}
    finally:
        conn.close()
    wanted = [(k, float(v) if k == "quiet_gap_factor" else v) for k, v in traffic.acked_config]
    assert [a for a in audits if a in wanted] == wanted, "an acknowledged config change is missing"
    last = dict(wanted)
    for key, value in last.items():
        assert json.loads(settings[key]) == value
    assert {f"followup:{i}" for i in traffic.acked_clicks} <= snoozed, "an acknowledged click is missing"
    keys = Counter(tag_of(m) for m in slack.posted())
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    assert traffic.failures == []


@pytest.fixture
def day_store(demo_store, tmp_path) -> Path:
    store = tmp_path / "store.db"
    shutil.copy(demo_store, store)
    conn = sqlite3.connect(store)
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('digest_channels', ?)",
        [json.dumps([{"channel": c, "time": "09:00", "tz": None, "weekdays": "mon-sun"} for c in CHANNELS])],
    )
    conn.commit()
    conn.close()
    return store


def test_the_operator_day_beside_one_running_bot(day_store, tmp_path, env, held_slack):
    bot = BotProcess(day_store, env).start()
    try:
        with Traffic(held_slack, [bot]) as traffic:
            operator_steps(day_store, tmp_path, env, traffic)
        bot.stop()
    finally:
        bot.kill()
        print("".join(bot.stderr)[-5000:])
    assert_nothing_lost(day_store, traffic, held_slack)


def test_the_operator_day_beside_two_instances_with_rolling_restarts(day_store, tmp_path, env, held_slack):
    bots = [BotProcess(day_store, env).start(), BotProcess(day_store, env).start()]

    def restart(step: int) -> None:
        if step in (2, 6):
            bots[step // 6].restart()

    try:
        with Traffic(held_slack, bots) as traffic:
            operator_steps(day_store, tmp_path, env, traffic, restart=restart)
        for bot in bots:
            bot.stop()
    finally:
        for bot in bots:
            bot.kill()
    assert_nothing_lost(day_store, traffic, held_slack)
