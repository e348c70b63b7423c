"""Finding customers by what a rep types, and their order history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlite_utils import Database

from storage.customer_search import has_search, search_sql
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
    if row := db.execute("SELECT id FROM customers WHERE id = ?", [q]).fetchone():
        return row[0]
    match, args = _holding(db, q)
    for column in ("email", "name") if "@" in q else ("name",):
        named = db.execute(
            f"SELECT c.id FROM customers c WHERE {match} AND c.{column} = :q COLLATE NOCASE LIMIT 2",  # noqa: S608
            {**args, "q": q},
        ).fetchall()
        if named:
            return named[0][0] if len(named) == 1 or column == "email" else None
    return None


def find_customers(db: Database, query: str, filters: Filters = NO_FILTERS, limit: int = 10) -> list[dict]:
    """Customers matching `query`: an exact id or email wins outright;
    otherwise every name, company or email containing it (case-insensitive),
    the biggest spenders first. At most `limit` rows."""
    where, args = filters.where()
    q = query.strip()
    # The id first, on its own: a primary-key seek. Then an email (text with
    # an @), compared without case, which its index cannot serve, among the
    # customers the search index says hold the text (without it, a scan).
    holding, holding_args = _holding(db, q)
    exact_matches = ["c.id = :q"] + ([f"{holding} AND c.email = :q COLLATE NOCASE"] if "@" in q else [])
    for match in exact_matches:
        exact = list(
            db.query(
                f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {match} AND {where} LIMIT 1",  # noqa: S608
                {**args, **holding_args, "q": q},
            )
        )
        if exact:
            return exact
    return list(
        db.query(
            f"SELECT {_CUSTOMER_COLS} FROM customers c WHERE {where} AND {holding} "  # noqa: S608
            "ORDER BY c.revenue DESC, c.id LIMIT :limit",
            {**args, **holding_args, "limit": int(limit)},
        )
    )


def _holding(db: Database, text: str) -> tuple[str, dict]:
    """SQL true for a customer `c` whose name, company or email holds
    `text`, without case: off the search index (storage.customer_search)
    when the store has one and `text` is long enough for it, else a scan."""
    if has_search(db) and (found := search_sql(text)) is not None:
        return found
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return (
        "(c.name LIKE :like ESCAPE '\\' OR c.company LIKE :like ESCAPE '\\' OR c.email LIKE :like ESCAPE '\\')",
        {"like": like},
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
