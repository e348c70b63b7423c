"""Signed `/retention` round trips over loopback, as Slack would send them.

    python bench/bench_slack.py                         # bench/data/100000/store.db, /retention crr
    python bench/bench_slack.py --store my.db --n 500 --text "kpis last-quarter"

The production stack (create_app + Bolt's WSGI adapter under waitress) on
127.0.0.1 with the Web API pointed at the tests' fake Slack, so nothing
leaves the machine. A round trip is: sign, POST, and the answer is back (the
ack body for a fast command; the response_url call for a slow one).
Requests are sequential. "first" is the very first request (cold process
caches, as `retention-bot run` would see it without its start-up warm-up);
p50/p95/max are over the `n` requests after a few warm-up ones.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from bench.slack_fake import REP, SIGNING_SECRET, FakeSlack, SlackSender, serve_in_thread  # noqa: E402  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.settings import SlackSettings  # noqa: E402
from commands import COMMANDS  # noqa: E402
from storage import open_db  # noqa: E402

WARMUP = 5


def default_text() -> str:
    """`/retention crr` once `crr` is registered, else the summary."""
    return "crr" if "crr" in COMMANDS else ""


def run(store_path: str, n: int = 200, text: str | None = None) -> list[dict]:
    text = default_text() if text is None else text
    db = open_db(store_path, create=False)
    customers = db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    with FakeSlack() as slack:
        app = create_app(SlackSettings(bot_token=slack.token, signing_secret=SIGNING_SECRET, api_url=slack.api_url), db)
        url, stop = serve_in_thread(app, store_path)
        try:
            sender = SlackSender(url + "/slack/events", SIGNING_SECRET, slack)
            name = text.split()[0] if text.split() else "summary"
            slow = COMMANDS[name].slow if name in COMMANDS else False
            times = [_round_trip(sender, slack, text, slow, i) for i in range(WARMUP + n)]
        finally:
            stop()
            db.conn.close()
    ms = sorted(t * 1000 for t in times[WARMUP:])
    return [
        {
            "command": f"/retention {text}".strip(),
            "customers": f"{customers:,}",
            "requests": n,
            "answer in": "response_url" if slow else "ack body",
            "first ms": round(times[0] * 1000, 1),
            "p50 ms": round(statistics.median(ms), 1),
            "p95 ms": round(statistics.quantiles(ms, n=20)[18], 1),
            "max ms": round(ms[-1], 1),
        }
    ]


def _round_trip(sender: SlackSender, slack: FakeSlack, text: str, slow: bool, i: int) -> float:
    start = time.perf_counter()
    reply = sender.command(text, user_id=REP, response_tag=f"bench{i}")
    if reply.status != 200:
        raise RuntimeError(f"request {i}: HTTP {reply.status}: {reply.body[:200]!r}")
    if slow:
        slack.wait_for("response_url", count=i + 1, timeout=60)
    elif "something went wrong" in reply.json.get("text", ""):
        raise RuntimeError(f"request {i}: {reply.json['text']}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", help="store path (default: bench/data/100000/store.db, built if missing)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--text", help="the /retention text (default: crr, or the summary)")
    args = ap.parse_args()
    store = args.store
    if store is None:
        sys.path.insert(0, str(ROOT))
        from generate import build_store, write

        write(100_000)
        store = str(build_store(100_000))
    for row in run(store, args.n, args.text):
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
