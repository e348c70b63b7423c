"""Digest, reminder and escalation messages stay within Block Kit's limits
with 10,000 quiet customers in the store, all of them news since the last
digest (churned, gone quiet and won back at once), with hostile names."""

import json
from datetime import UTC, timedelta

import pytest

from bot.jobs import digest_payload, reminder_payload
from commands.blocks import MAX_BLOCKS, limit_problems
from commands.remind import build_escalation_message, compute_escalation
from storage import open_db
from storage.fields import format_utc
from tests.support.followups import CHANNEL, MGR, REP, utc

N = 10_000
NOW = utc(2026, 11, 23, 17)
EVIL = "<!channel> *Big* & <@U0EVIL> `x` ~y~ "


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("big") / "big.db")
    ids = [f"C{i:05d}" for i in range(N)]
    owner = [REP if i % 2 else None for i in range(N)]
    at = format_utc
    db.conn.executemany(
        "INSERT INTO reps (id, name, tz, manager_id) VALUES (?, ?, 'UTC', ?)",
        [(REP, "Maria", MGR), (MGR, "Dana", None)],
    )
    db.conn.executemany(
        "INSERT INTO customers (id, name, company, owner_rep_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [
            (c, EVIL + c + " " + "é" * 200, "Acme & <Sons> " * 20, o, "2025-01-01")
            for c, o in zip(ids, owner, strict=True)
        ],
    )
    # Last orders just over 90 days ago: active at the previous digest, churned since.
    last = at(NOW - timedelta(days=90, hours=1))
    db.conn.executemany(
        "INSERT INTO orders (id, customer_id, ordered_at, amount) VALUES (?, ?, ?, ?)",
        [(f"O{c}{k}", c, t, 500.0) for c in ids for k, t in enumerate(("2026-03-01T10:00:00Z", last))],
    )
    db.conn.executemany(
        # The longest reason there is: the store's gap, P(alive), the value.
        "INSERT INTO customer_scores (customer_id, as_of, frequency, recency_days, tenure_days, p_alive, "
        "predicted_clv_12m, revenue_12m, value_pct, typical_gap_days, quiet, reason_code) "
        "VALUES (?, '2026-11-23', 1, 600, 1234, 0.31, ?, 1000, 0.5, 20, 1, 'store_gap')",
        [(c, 100000000.0 - i) for i, c in enumerate(ids)],
    )
    db.conn.executemany(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, closed_at, value_at_open, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (c, o, "won_back", "2026-10-01T00:00:00Z", at(NOW - timedelta(hours=3)), 1000.0, "ordered again <!here>")
            for c, o in zip(ids, owner, strict=True)
        ]
        + [
            (c, o, "open", at(NOW - timedelta(hours=2)), None, 100000.0 - i, None)
            for i, (c, o) in enumerate(zip(ids, owner, strict=True))
        ],
    )
    db.conn.executemany(
        "INSERT INTO feedback (id, customer_id, kind, score, submitted_at) VALUES (?, ?, 'nps', ?, ?)",
        [(f"F{i}", c, i % 11, at(NOW - timedelta(hours=1))) for i, c in enumerate(ids[:500])],
    )
    db.execute(
        "INSERT INTO settings (key, value) VALUES ('digest_channels', ?)",
        [json.dumps([{"channel": CHANNEL, "time": "09:00", "tz": "UTC", "weekdays": "mon-sun"}])],
    )
    db.conn.commit()
    yield db
    db.conn.close()


def check(message: dict) -> None:
    assert limit_problems(message) == [], limit_problems(message)
    assert len(message["blocks"]) <= MAX_BLOCKS and message["text"].strip()
    body = json.dumps(message)
    assert "<!channel>" not in body and "<!here>" not in body and "<@U0EVIL>" not in body


def test_the_digest_with_ten_thousand_customers_of_news(big_store):
    message = digest_payload(big_store, CHANNEL, NOW.date(), NOW)
    check(message)
    for part in ("S 10,000", "10,000 churned", "10,000 went quiet", "10,000 won back", "NPS"):
        assert part in message["text"], (part, message["text"])
    claims = [b for b in message["blocks"] if (b.get("accessory") or {}).get("action_id") == "retention_claim"]
    assert len(claims) == 5  # the unowned half of the ten shown


def test_the_reminder_and_the_escalation_with_five_thousand_due(big_store):
    message = reminder_payload(big_store, None, REP, NOW.date(), NOW)
    check(message)
    assert "and 4,990 more" in json.dumps(message)
    ids = [r[0] for r in big_store.execute("SELECT id FROM followups WHERE rep_id = ? AND closed_at IS NULL", [REP])]
    check(
        build_escalation_message(
            compute_escalation(big_store, REP, MGR, ids, NOW.date(), 7, UTC, currency="USD"), "USD"
        )
    )
