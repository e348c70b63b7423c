"""Follow-up records: the loop between "going quiet" and "won back"."""

from datetime import datetime

from sqlite_utils import Database

from storage.fields import format_utc
from storage.schema import COUNTED_STATUS

# `contacted` is not closed: the customer's next order still closes it as won
# back (storage.followup_actions).
CLOSED_STATES = ("dismissed", "won_back", "lost")


def mark_won_back(db: Database, customer_ids_sql: str, now: datetime) -> int:
    """Close as `won_back` every open follow-up whose customer has placed a
    counted order after it was opened; the follow-up's rep gets the credit.
    Returns how many were closed."""
    cur = db.execute(
        "UPDATE followups SET state = 'won_back', closed_at = ?, "  # noqa: S608
        "note = 'ordered again on ' || substr(("
        "  SELECT MIN(o.ordered_at) FROM orders o WHERE o.customer_id = followups.customer_id"
        "  AND o.status = ? AND o.ordered_at > followups.opened_at), 1, 10) "
        f"WHERE closed_at IS NULL AND customer_id IN ({customer_ids_sql}) "
        "AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = followups.customer_id "
        "  AND o.status = ? AND o.ordered_at > followups.opened_at)",
        [format_utc(now), COUNTED_STATUS, COUNTED_STATUS],
    )
    return cur.rowcount
