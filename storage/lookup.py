"""Finding customers by what a rep types, and their order history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlite_utils import Database

from storage.queries import NO_FILTERS, Filters
from storage.schema import COUNTED_STATUS

if TYPE_CHECKING:
    import pandas as pd

_CUSTOMER_COLS = "c.id, c.name, c.email, c.company, c.segment, c.owner_rep_id, c.created_at, c.churned_at"


def find_customer_id(db: Database, text: str) -> str | None:
    """The customer `text` names: an exact id or email, else the one
    customer whose name is exactly it (case-insensitive); None when it names
    nobody, or more than one customer."""
    q = text.strip()
    row = db.execute(
        "SELECT id FROM customers WHERE id = ? OR email = ? COLLATE NOCASE ORDER BY id = ? DESC LIMIT 1", [q, q, q]
    ).fetchone()
    if row:
        return row[0]
    named = db.execute("SELECT id FROM customers WHERE name = ? COLLATE NOCASE LIMIT 2", [q]).fetchall()
    return named[0][0] if len(named) == 1 else None


def find_customers(db: Database, query: str, filters: Filters = NO_FILTERS, limit: int = 10) -> list[dict]:
    """Customers matching `query`: an exact id or email wins outright;
    otherwise every name, company or email containing it (case-insensitive),
    the biggest spenders first. At most `limit` rows."""
    where, args = filters.where()
    q = query.strip()
    # The id first, on its own: a primary-key seek. Or'ed with the email
    # (compared without case, which the email index cannot serve) it was a
    # scan of every customer (~35 ms at 100k).
    for match in ("c.id = :q", "c.email = :q COLLATE NOCASE"):
        exact = list(
            db.query(
                f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {match} AND {where} LIMIT 1",  # noqa: S608
                {**args, "q": q},
            )
        )
        if exact:
            return exact
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.query(
            f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {where} AND ("  # noqa: S608
            "c.name LIKE :like ESCAPE '\\' OR c.company LIKE :like ESCAPE '\\' OR c.email LIKE :like ESCAPE '\\') "
            "ORDER BY c.revenue DESC, c.id LIMIT :limit",
            {**args, "like": like, "limit": int(limit)},
        )
    )


def load_customer_orders(db: Database, customer_id: str, cutoff: str) -> pd.DataFrame:
    """The customer's counted orders before `cutoff`, oldest first: `amount`
    in the reporting currency, `source_amount` in the order's `currency`."""
    import pandas as pd

    df = pd.read_sql_query(
        "SELECT id, customer_id, ordered_at, amount, currency, source_amount FROM orders "
        "WHERE customer_id = ? AND status = ? AND ordered_at < ? ORDER BY ordered_at",
        db.conn,
        params=[customer_id, COUNTED_STATUS, cutoff],
    )
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return df
