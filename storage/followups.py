"""Follow-up records: the loop between "going quiet" and "won back"."""

from datetime import datetime, tzinfo

from sqlite_utils import Database

from storage.fields import format_utc, local_day
from storage.schema import COUNTED_STATUS

# `contacted` is not closed: the customer's next order still closes it as won
# back (storage.followup_actions).
CLOSED_STATES = ("dismissed", "won_back", "lost")


def mark_won_back(db: Database, customer_ids_sql: str, now: datetime, tz: tzinfo) -> int:
    """Close as `won_back` every open follow-up whose customer has placed a
    counted order after it was opened; the follow-up's rep gets the credit,
    and the note says on which local day (`tz`) they ordered again.
    Returns how many were closed."""
    won = db.execute(
        "SELECT f.id, (SELECT MIN(o.ordered_at) FROM orders o WHERE o.customer_id = f.customer_id "  # noqa: S608
        "AND o.status = ? AND o.ordered_at > f.opened_at) AS again FROM followups f "
        f"WHERE f.closed_at IS NULL AND f.customer_id IN ({customer_ids_sql})",
        [COUNTED_STATUS],
    ).fetchall()
    closed = [(format_utc(now), f"ordered again on {local_day(again, tz)}", fid) for fid, again in won if again]
    db.conn.executemany("UPDATE followups SET state = 'won_back', closed_at = ?, note = ? WHERE id = ?", closed)
    return len(closed)
