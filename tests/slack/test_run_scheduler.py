"""`retention-bot run` starts the scheduler beside the server: what the
outbox holds is posted at start, and SIGTERM stops both cleanly."""

import signal
import subprocess
import sys
from datetime import UTC, datetime

from bench.slack_fake import LISTENING, StderrLines, copy_store, slack_env
from bot.outbox import delivery_tag
from storage import open_db
from storage.deliveries import enqueue_delivery


def test_run_flushes_the_outbox_at_start_and_stops_on_sigterm(fake_slack, demo_template, tmp_path):
    fake_slack.reset()
    store = copy_store(demo_template, tmp_path)
    db = open_db(store)
    key = "digest:2026-11-23:C0SALES"
    enqueue_delivery(db, key, "digest", "C0SALES", {"text": "Churn digest: all quiet"}, datetime.now(UTC))
    db.conn.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--db", str(store), "run", "--host", "127.0.0.1", "--port", "0"],
        env=slack_env(fake_slack),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        err = StderrLines(proc)
        err.wait_for(LISTENING, timeout=60)

        def ours(call):
            return call.params.get("metadata", {}).get("event_payload", {}).get("key") == delivery_tag(key)

        fake_slack.wait_for("chat.postMessage", timeout=10, where=ours)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, err.rest()
        err.wait_for("retention-bot: stopped", timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len([c for c in fake_slack.calls("chat.postMessage") if ours(c)]) == 1
    db = open_db(store)
    try:
        assert db.execute("SELECT status FROM deliveries WHERE key = ?", [key]).fetchone()[0] == "sent"
    finally:
        db.conn.close()
