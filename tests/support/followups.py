"""Small stores with reps, scored customers and open follow-ups, written
directly (the value model is tested elsewhere; these tests are about what
happens to follow-ups after a score run opened them)."""

from datetime import UTC, datetime

from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.outbox import build_outbox_client
from storage import open_db

REP = "U0REP001"
REP2 = "U0REP002"
MGR = "U0MGR001"
CHANNEL = "C0SALES"
CHANNELS = (CHANNEL, "C0EMEA", "C0APAC", "C0NA", "C0LATAM", "C0ANZ")  # a digest in each
OPENED = "2026-11-02T08:00:00Z"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_store(path, *, customers: int = 13, owner: str | None = REP, opened_at: str = OPENED):
    """`customers` quiet customers C01, C02, … worth 13,000, 12,000, … with
    an open follow-up each, owned by `owner` (whose manager is MGR); two
    paid orders each, the last in early August 2026."""
    db = open_db(path)
    db.conn.executemany(
        "INSERT INTO reps (id, name, tz, manager_id) VALUES (?, ?, ?, ?)",
        [
            (REP, "Maria Lopez", "America/New_York", MGR),
            (REP2, "Sam Okafor", "America/New_York", MGR),
            (MGR, "Dana Whitfield", "America/New_York", None),
        ],
    )
    rows = []
    for i in range(1, customers + 1):
        cid = f"C{i:02d}"
        value = 1000.0 * (customers + 1 - i)
        rows.append((cid, f"Customer {i}", owner, value))
    db.conn.executemany(
        "INSERT INTO customers (id, name, company, owner_rep_id, created_at, first_order_at, last_order_at, "
        "order_count, revenue) VALUES (?, ?, 'Acme', ?, '2026-01-01', '2026-05-01T10:00:00Z', "
        "'2026-08-01T10:00:00Z', 2, ?)",
        rows,
    )
    db.conn.executemany(
        "INSERT INTO orders (id, customer_id, ordered_at, amount) VALUES (?, ?, ?, ?)",
        [
            (f"O{cid}{k}", cid, at, value / 2)
            for cid, _, _, value in rows
            for k, at in enumerate(("2026-05-01T10:00:00Z", "2026-08-01T10:00:00Z"))
        ],
    )
    db.conn.executemany(
        # Orders on 1 May and 1 August, scored on 2 November: 93 days quiet, every ~20 days as they say.
        "INSERT INTO customer_scores (customer_id, as_of, frequency, recency_days, tenure_days, predicted_clv_12m, "
        "revenue_12m, value_pct, typical_gap_days, quiet, reason_code) "
        "VALUES (?, '2026-11-02', 1, 92, 185, ?, ?, 5, 20, 1, 'own_gap')",
        [(cid, value, value) for cid, _, _, value in rows],
    )
    db.conn.executemany(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, value_at_open) VALUES (?, ?, 'open', ?, ?)",
        [(cid, rep, opened_at, value) for cid, _, rep, value in rows],
    )
    db.conn.commit()
    return db


def followup(db, customer_id: str) -> dict:
    cur = db.execute("SELECT * FROM followups WHERE customer_id = ? ORDER BY id DESC LIMIT 1", [customer_id])
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def audit(db, action: str) -> list[dict]:
    cur = db.execute("SELECT at, actor, action, subject, detail FROM audit_log WHERE action = ? ORDER BY id", [action])
    return [dict(zip([d[0] for d in cur.description], row, strict=True)) for row in cur.fetchall()]


def outbox_client(slack):
    return build_outbox_client(
        slack.token, slack.api_url, sleep=lambda s: None, interval=FixedValueRetryIntervalCalculator(0)
    )
