"""Finding customers by what a rep types, and their order history."""

import pandas as pd
from sqlite_utils import Database

from storage.queries import NO_FILTERS, Filters
from storage.schema import COUNTED_STATUS

_CUSTOMER_COLS = "c.id, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.created_at, c.churned_at"


def find_customers(db: Database, query: str, filters: Filters = NO_FILTERS, limit: int = 10) -> pd.DataFrame:
    """Customers matching `query`: an exact id or email wins outright;
    otherwise every name, company or email containing it (case-insensitive),
    the biggest spenders first. At most `limit` rows."""
    where, args = filters.where()
    q = query.strip()
    exact = pd.read_sql_query(
        f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {where} AND (c.id = ? OR c.email = ? COLLATE NOCASE) "  # noqa: S608
        "ORDER BY c.id = ? DESC LIMIT 1",
        db.conn, params=[*args, q, q, q],
    )
    if len(exact):
        return exact
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return pd.read_sql_query(
        f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {where} AND ("  # noqa: S608
        "c.name LIKE ? ESCAPE '\\' OR c.company LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\') "
        "ORDER BY c.revenue DESC, c.id LIMIT ?",
        db.conn, params=[*args, like, like, like, int(limit)],
    )


def load_customer_orders(db: Database, customer_id: str, cutoff: str) -> pd.DataFrame:
    """The customer's counted orders before `cutoff`, oldest first."""
    df = pd.read_sql_query(
        "SELECT id, customer_id, ordered_at, amount FROM orders "
        "WHERE customer_id = ? AND status = ? AND ordered_at < ? ORDER BY ordered_at",
        db.conn, params=[customer_id, COUNTED_STATUS, cutoff],
    )
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return df


def load_top_revenue(
    db: Database, start: str | None, cutoff: str, filters: Filters = NO_FILTERS, limit: int = 10,
) -> tuple[pd.DataFrame, int]:
    """Customers by counted revenue in [start, cutoff) (all time without
    `start`), highest first, and how many customers bought in that span."""
    where, args = filters.where()
    cond = "o.status = ? AND o.ordered_at < ?"
    params: list = [COUNTED_STATUS, cutoff]
    if start:
        cond += " AND o.ordered_at >= ?"
        params.append(start)
    base = (
        "FROM orders o JOIN customers c ON c.id = o.customer_id "  # noqa: S608
        f"WHERE {cond} AND {where}"
    )
    top = pd.read_sql_query(
        f"SELECT c.id AS customer_id, c.name, c.company, c.segment, c.owner_rep_id, "  # noqa: S608
        f"SUM(o.amount) AS revenue, COUNT(*) AS orders, MAX(o.ordered_at) AS last_order_at {base} "
        "GROUP BY c.id ORDER BY revenue DESC, c.id LIMIT ?",
        db.conn, params=[*params, *args, int(limit)],
    )
    buyers = db.execute(f"SELECT COUNT(DISTINCT o.customer_id) {base}", [*params, *args]).fetchone()[0]  # noqa: S608
    return top, int(buyers)
