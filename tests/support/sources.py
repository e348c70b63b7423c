"""Live-source helpers: a shop database to sync from, the sources file that
points at it, and store comparisons that leave out when things happened."""

import sqlite3
from pathlib import Path

from storage.sources import SourceConfig
from storage.sources.config import load_sources
from tests.support.stores import dump

ORDERS_SQL = "SELECT id, customer_id, ordered_at, amount, currency, status, updated_at FROM orders"
CUSTOMERS_SQL = "SELECT id, name, email, segment, updated_at FROM customers"


def sources_file(path: Path, name: str = "shop_db", *, url_env: str = "SHOP_DB_URL", **extra) -> Path:
    """A sources file with one `sql` source reading the shop's orders (and
    `customers = True`: its customers), `extra` keys written as TOML."""
    lines = [f"[sources.{name}]", 'kind = "sql"', f'url_env = "{url_env}"', f'orders = "{ORDERS_SQL}"']
    if extra.pop("customers", False):
        lines.append(f'customers = "{CUSTOMERS_SQL}"')
    lines.append('cursor = "updated_at"')
    for key, value in extra.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def sql_config(path: Path, **extra) -> SourceConfig:
    return load_sources(sources_file(path, **extra)).sources[0]


def sqlite_shop(path: Path, orders: list[tuple] = ()) -> sqlite3.Connection:
    """A shop database (SQLite) with orders (id, customer_id, ordered_at,
    amount, currency, status, updated_at) and customers tables."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id TEXT, ordered_at TEXT, amount REAL, "
        "currency TEXT, status TEXT, updated_at TEXT)"
    )
    conn.execute("CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, email TEXT, segment TEXT, updated_at TEXT)")
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)", orders)
    return conn


def data_of(db) -> dict[str, list[tuple]]:
    """The store's customers, orders and follow-ups (what a sync must leave
    the same however it ran), without the sync's own bookkeeping."""
    full = dump(db)
    return {t: full[t] for t in ("customers", "orders", "followups")}
