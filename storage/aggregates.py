"""Per-customer order aggregates, kept current inside each import.

Requests never aggregate all orders (a full GROUP BY over 1M orders costs
seconds); they read these columns instead. Only the customers an import
touched are recomputed, from the (customer_id, ordered_at) index.
"""

from sqlite_utils import Database

from storage.schema import COUNTED_STATUS


def refresh_customer_aggregates(db: Database, customer_ids_sql: str) -> None:
    """Recompute first/last order, order count and revenue for the customers
    selected by `customer_ids_sql` (a SELECT of ids; a constant, never user text)."""
    db.execute(
        "UPDATE customers SET first_order_at = a.first_at, last_order_at = a.last_at, "  # noqa: S608
        "order_count = a.n, revenue = a.total FROM ("
        "  SELECT c.id AS cid, MIN(o.ordered_at) AS first_at, MAX(o.ordered_at) AS last_at, "
        "  COUNT(o.id) AS n, COALESCE(SUM(o.amount), 0) AS total "
        f"  FROM ({customer_ids_sql}) AS c LEFT JOIN orders o "
        "  ON o.customer_id = c.id AND o.status = ? GROUP BY c.id"
        ") AS a WHERE customers.id = a.cid",
        [COUNTED_STATUS],
    )
