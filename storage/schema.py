"""The store's schema, as sqlite-utils migrations applied in order on open.

A migration, once released, is never edited: later changes are new functions
appended at the end, so every database can be brought forward step by step.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.customer_search import can_search, create_search

MIGRATION_SET = "retention-bot"

migrations = Migrations(MIGRATION_SET)

# Order statuses: paid, pending, refunded, cancelled, failed. Only COUNTED ones
# are purchases; the rest are kept for the record (a refund is not a purchase,
# but it is not lost either).
COUNTED_STATUS = "paid"


@migrations()
def m001_core(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE reps (
            id TEXT PRIMARY KEY,
            name TEXT,
            email TEXT,
            tz TEXT,
            manager_id TEXT,
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT,
            email TEXT,
            company TEXT,
            segment TEXT,
            owner_rep_id TEXT,
            created_at TEXT,
            churned_at TEXT,
            first_order_at TEXT,
            last_order_at TEXT,
            order_count INTEGER NOT NULL DEFAULT 0,
            revenue REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX customers_first_order_at ON customers(first_order_at);
        CREATE INDEX customers_owner ON customers(owner_rep_id);
        CREATE INDEX customers_email ON customers(email);
        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            ordered_at TEXT NOT NULL,
            amount REAL NOT NULL,
            currency TEXT NOT NULL DEFAULT 'USD',
            status TEXT NOT NULL DEFAULT 'paid'
                CHECK (status IN ('paid','pending','refunded','cancelled','failed'))
        );
        CREATE INDEX orders_customer_time ON orders(customer_id, ordered_at);
        -- Covering index for window queries: who ordered between two instants.
        CREATE INDEX orders_time_customer ON orders(ordered_at, customer_id, status, amount);
        CREATE TABLE feedback (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            kind TEXT NOT NULL CHECK (kind IN ('nps','csat','ces')),
            score REAL NOT NULL,
            submitted_at TEXT NOT NULL,
            comment TEXT
        );
        CREATE INDEX feedback_time ON feedback(submitted_at);
        CREATE TABLE customer_scores (
            customer_id TEXT PRIMARY KEY REFERENCES customers(id),
            as_of TEXT NOT NULL,
            orders INTEGER,
            frequency INTEGER,
            recency_days REAL,
            tenure_days REAL,
            monetary REAL,
            revenue_12m REAL,
            p_alive REAL,
            expected_orders_90d REAL,
            predicted_clv_12m REAL,
            value_pct REAL,
            typical_gap_days REAL,
            quiet INTEGER NOT NULL DEFAULT 0,
            reason TEXT
        );
        CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            rep_id TEXT,
            state TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open','snoozed','contacted','dismissed','won_back','lost')),
            opened_at TEXT NOT NULL,
            snooze_until TEXT,
            reminded_at TEXT,
            reminder_count INTEGER NOT NULL DEFAULT 0,
            escalated_at TEXT,
            closed_at TEXT,
            value_at_open REAL,
            note TEXT
        );
        -- At most one follow-up per customer that is not closed.
        CREATE UNIQUE INDEX followups_one_open ON followups(customer_id)
            WHERE closed_at IS NULL;
        CREATE INDEX followups_rep_state ON followups(rep_id, state);
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending','sending','sent','failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            claimed_at TEXT,
            sent_at TEXT,
            slack_ts TEXT
        );
        CREATE INDEX deliveries_status ON deliveries(status);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_by TEXT,
            updated_at TEXT
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            subject TEXT,
            detail TEXT
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            added INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            imported_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_orders_by_customer_covering(db: Database) -> None:
    """The score run reads every counted order's time and amount customer by
    customer; with status and amount in the (customer_id, ordered_at) index
    that read never touches the table (measured: 1.03 s → 0.57 s for 0.9M
    orders). Rebuilding the index takes about a minute per 10M orders, once."""
    db.execute("DROP INDEX orders_customer_time")
    db.execute("CREATE INDEX orders_customer_time ON orders(customer_id, ordered_at, status, amount)")


@migrations()
def m003_scores_without_foreign_key(db: Database) -> None:
    """customer_scores is a snapshot derived from orders, whose own foreign
    key already guarantees each customer; checking it again on every score
    row cost a quarter of the score run's write (measured: 7.3 → 4.4 µs a
    row)."""
    db.table("customer_scores").transform(drop_foreign_keys=["customer_id"])


@migrations()
def m004_delivery_claim_tokens(db: Database) -> None:
    """A claim is a token, so only the process that holds it can settle the
    delivery (a claim taken over as stale can never be marked twice); and
    `uncertain` remembers that a post may have reached Slack without an
    answer, so the next attempt looks in the channel before posting again."""
    db.execute("ALTER TABLE deliveries ADD COLUMN claim_token TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0")


@migrations()
def m005_currencies(db: Database) -> None:
    """Orders keep what they were paid in (`source_amount` in `currency`);
    `amount` is the same money in the workspace's reporting currency, which
    every figure sums. Rates (`fx_rates`: 1 `currency` = `rate` `base` on and
    after `day`) turn one into the other. Existing orders were reported as
    they stood, so they keep that amount as both until rates are imported."""
    db.execute("ALTER TABLE orders ADD COLUMN source_amount REAL")
    db.execute("UPDATE orders SET source_amount = amount")
    db.executescript(
        """
        CREATE TABLE fx_rates (
            base TEXT NOT NULL,
            currency TEXT NOT NULL,
            day TEXT NOT NULL,
            rate REAL NOT NULL CHECK (rate > 0),
            PRIMARY KEY (base, currency, day)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m006_sources(db: Database) -> None:
    """Live sources' sync state, one row per source name: the cursor to
    resume from (written in the same transaction as each batch's rows), the
    last sync that finished and what it added and updated, and the current
    failure episode (`failing_since`; `notified_at` once admins were told)."""
    db.executescript(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            cursor TEXT,
            batch_at TEXT,
            synced_at TEXT,
            attempted_at TEXT,
            added INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            failing_since TEXT,
            notified_at TEXT
        );
        """
    )


@migrations()
def m007_user_languages(db: Database) -> None:
    """Each person's own language (`/retention lang fa`), by Slack user id
    (or `@console` for the local console): it wins over their Slack locale
    and the workspace's language."""
    db.executescript(
        """
        CREATE TABLE user_languages (
            user_id TEXT PRIMARY KEY,
            language TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m008_customers_by_segment(db: Database) -> None:
    """`segment:` filters look customers up by segment, ignoring case as the
    filter does (storage.queries.Filters): without this index every filtered
    answer read the whole customers table (~0.3 s at a million customers)."""
    db.execute("CREATE INDEX customers_segment ON customers(segment COLLATE NOCASE)")


@migrations()
def m009_reason_codes(db: Database) -> None:
    """A going-quiet reason is kept as what it measured the silence against
    (`reason_code`: own_gap, store_gap or no_gap, analytics.quiet) beside the
    figures the row already holds (usual gap, days since the last order,
    P(alive), value, rank), so each reader gets the sentence in their own
    language, digits, calendar and currency; the English sentence it
    replaces had to be parsed back to be translated. Rows scored before
    this are converted here, once, from the sentence's first words (written
    by one function, from those same figures, so nothing is lost) instead
    of being rescored when read: an answer never writes, and a score run
    would also move the snapshot's day."""
    db.execute("ALTER TABLE customer_scores ADD COLUMN reason_code TEXT")
    db.execute(
        "UPDATE customer_scores SET reason_code = CASE "
        "WHEN reason LIKE 'orders every ~%' THEN 'own_gap' "
        "WHEN reason LIKE 'too few orders for a rhythm;%' THEN 'store_gap' "
        "WHEN reason LIKE 'no repeat orders in the store yet;%' THEN 'no_gap' END "
        "WHERE reason IS NOT NULL"
    )
    db.execute("ALTER TABLE customer_scores DROP COLUMN reason")


QUIET_BY_VALUE = "customer_scores_quiet_by_value"


@migrations()
def m010_quiet_scores_by_value(db: Database) -> None:
    """The going-quiet customers, most valuable first (storage.scores: the
    value is the predicted 12-month value, else the trailing 12-month
    revenue), as `at-risk` lists and counts them: without it each answer read
    every score row (~0.4 s at a million customers) to find the few percent
    that are quiet, and sorted them. Partial: only quiet rows are indexed, so
    a score run's write barely grows."""
    db.execute(
        f"CREATE INDEX {QUIET_BY_VALUE} ON customer_scores "
        "(COALESCE(predicted_clv_12m, revenue_12m) DESC, customer_id) WHERE quiet = 1"
    )


@migrations()
def m011_source_changes(db: Database) -> None:
    """How many of a live source's batches changed rows: part of the store's
    content key (storage.order_columns), so the answers' order data is built
    again after a sync that changed something (a refund updates a row and
    adds none) and not after one that only moved its cursor. A count, not a
    time: two syncs in one second must not look alike."""
    db.execute("ALTER TABLE sources ADD COLUMN changes INTEGER NOT NULL DEFAULT 0")


@migrations()
def m012_source_error_messages(db: Database) -> None:
    """A failed sync's error kept as its message and values too
    (`error_message`, JSON of a storage.problems.Said, secrets scrubbed),
    beside the English `last_error` the logs and `status --json` read: so
    `status` and an admin's notice say it in the reader's language, digits
    and calendar. A failure stored before this has only its English, which
    they quote as such until the source's next sync."""
    db.execute("ALTER TABLE sources ADD COLUMN error_message TEXT")


@migrations()
def m013_filters_by_index_alone(db: Database) -> None:
    """The `segment:` and `rep:` indexes hold each customer's id too: counting
    a filter's follow-ups or scores joins on customers.id, which those
    indexes lacked, so each of a segment's ~120k customers at a million was
    a read of its table row (a first filtered `followups` or `at-risk`
    ~0.5 s); with the id in the index the filter is a walk of the index."""
    db.execute("DROP INDEX customers_owner")
    db.execute("CREATE INDEX customers_owner ON customers(owner_rep_id, id)")
    db.execute("DROP INDEX customers_segment")
    db.execute("CREATE INDEX customers_segment ON customers(segment COLLATE NOCASE, id)")


OPEN_BY_VALUE = "followups_open_by_value"


@migrations()
def m014_open_followups_by_value(db: Database) -> None:
    """The open follow-ups, most valuable first, as `followups` pages them:
    a `segment:` or `rep:` page walked every one of the filter's ~120k
    customers at a million for its open follow-up and sorted them (~80 ms);
    in this order it stops at the page's last. Partial: closed ones (most,
    over time) are not indexed."""
    db.execute(f"CREATE INDEX {OPEN_BY_VALUE} ON followups (value_at_open DESC, opened_at, id) WHERE closed_at IS NULL")


@migrations()
def m015_customer_search(db: Database) -> None:
    """Customers found by any part of a name, company or email off an index
    (storage.customer_search): a rep typing a name scanned every customer
    (~0.3 s at a million). Not made where this SQLite lacks FTS5's trigram
    tokenizer (before 3.34): search scans there, as it did."""
    if can_search(db):
        create_search(db)
