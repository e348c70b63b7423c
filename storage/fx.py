"""Currencies: every order keeps the amount and currency it was paid in
(`source_amount`, `currency`), and is summed in the workspace's reporting
currency (`amount`).

A rate says 1 unit of `currency` = `rate` units of `base` (the reporting
currency it was given for), from `day` on: the latest rate on or before an
order's local day converts it. An order in a currency with no such rate is
refused at import (never summed as if it were the reporting currency), and
the reporting currency changes only when every order can be converted into
the new one — never a relabelling of the same numbers. `Rates.convert` is
the one place the rule lives, for imports and for re-conversions alike.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from sqlite_utils import Database

from storage.aggregates import refresh_customer_aggregates, start_touched, touch
from storage.db import transaction
from storage.fields import format_utc
from storage.settings import upsert_setting

if TYPE_CHECKING:
    import pandas as pd

CHUNK = 200_000


@dataclass
class Rates:
    """Every rate into `base`, by currency, as sorted days and rates."""

    base: str
    days: dict[str, list[str]] = field(default_factory=dict)
    rates: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Database, base: str) -> Rates:
        out = cls(base)
        for currency, day, rate in db.execute(
            "SELECT currency, day, rate FROM fx_rates WHERE base = ? ORDER BY currency, day", [base]
        ):
            out.days.setdefault(currency, []).append(day)
            out.rates.setdefault(currency, []).append(rate)
        return out

    def convert(self, amount: float, currency: str, day: str) -> float | None:
        """`amount` of `currency` on local `day` in the base currency, or None
        when no rate on or before that day is known."""
        if currency == self.base:
            return amount
        days = self.days.get(currency)
        if not days:
            return None
        i = bisect.bisect_right(days, day)
        return round(amount * self.rates[currency][i - 1], 6) if i else None


def upsert_rates(db: Database, base: str, rows: list[tuple[str, str, float]]) -> int:
    """Store (day, currency, rate) rates into `base`; returns how many were
    new or changed."""
    before = db.execute("SELECT total_changes()").fetchone()[0]
    db.conn.executemany(
        "INSERT INTO fx_rates (base, currency, day, rate) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (base, currency, day) DO UPDATE SET rate = excluded.rate WHERE rate != excluded.rate",
        [(base, currency, day, rate) for day, currency, rate in rows],
    )
    return db.execute("SELECT total_changes()").fetchone()[0] - before


def _foreign_orders(db: Database, base: str, currencies: set[str] | None) -> Iterator[pd.DataFrame]:
    """Orders not in `base`, or whose amount is not their source amount
    (converted before), in chunks; only `currencies` when given."""
    import pandas as pd

    only, params = "", {"base": base}
    if currencies is not None:
        listed = {f"currency_{i}": c for i, c in enumerate(sorted(currencies))}
        only = f" AND currency IN ({', '.join(':' + name for name in listed)})"
        params.update(listed)
    yield from pd.read_sql_query(
        "SELECT rowid AS rowid, customer_id, ordered_at, currency, source_amount, amount FROM orders "  # noqa: S608
        f"WHERE (currency != :base OR amount IS NOT source_amount){only}",
        db.conn,
        params=params,
        chunksize=CHUNK,
    )


@dataclass
class Conversion:
    changed: int = 0
    missing: dict[str, tuple[int, str]] = field(default_factory=dict)  # currency -> (orders, first local day)


def convert_orders(db: Database, base: str, tz: tzinfo, *, currencies: set[str] | None = None) -> Conversion:
    """Recompute the `amount` in `base` of every order (of `currencies`, when
    given) from its source amount and the rates. With any order that no rate
    converts, nothing is written and `missing` says which currencies need
    rates from which day. Call inside the transaction that changes the base
    or the rates."""
    import pandas as pd

    rates = Rates.load(db, base)
    result = Conversion()
    updates: list[tuple[float, int]] = []
    touched: set[str] = set()
    for chunk in _foreign_orders(db, base, currencies):
        days = pd.to_datetime(chunk["ordered_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ").dt.tz_convert(tz)
        for rowid, cust, currency, source, amount, day in zip(
            chunk["rowid"],
            chunk["customer_id"],
            chunk["currency"],
            chunk["source_amount"],
            chunk["amount"],
            days.dt.strftime("%Y-%m-%d"),
            strict=True,
        ):
            value = rates.convert(float(source), currency, day)
            if value is None:
                n, first = result.missing.get(currency, (0, day))
                result.missing[currency] = (n + 1, min(first, day))
            elif value != amount:
                updates.append((value, int(rowid)))
                touched.add(cust)
    if result.missing:
        return result
    db.conn.executemany("UPDATE orders SET amount = ? WHERE rowid = ?", updates)
    result.changed = len(updates)
    if touched:
        start_touched(db)
        touch(db, touched)
        refresh_customer_aggregates(db)
    return result


def record_conversion(db: Database, what: str, base: str, changed: int, now: datetime) -> None:
    """An `imports` row for a conversion, so the order frame cached by every
    process sees that the amounts changed."""
    db.execute(
        "INSERT INTO imports (kind, file_name, sha256, format, added, updated, unchanged, rejected, imported_at) "
        "VALUES ('fx', ?, '', ?, 0, ?, 0, 0, ?)",
        [what, base, changed, format_utc(now)],
    )


def missing_text(missing: dict[str, tuple[int, str]], base: str) -> str:
    """ "1,234 JPY orders from 2026-01-02 have no JPY→EUR rate" for an error."""
    return "; ".join(
        f"{n:,} {c} order{'s' if n != 1 else ''} from {first} {'has' if n == 1 else 'have'} no {c}→{base} rate"
        for c, (n, first) in sorted(missing.items())
    )


class CurrencyError(Exception):
    """The reporting currency cannot change: orders lack rates into it.
    str() is the English; `missing` (currency -> (orders, first local day))
    and `base` let a message say it in the reader's language."""

    def __init__(self, missing: dict[str, tuple[int, str]], base: str):
        super().__init__(missing_text(missing, base))
        self.missing = missing
        self.base = base


def switch_currency(db: Database, new: str, tz: tzinfo, *, actor: str | None, now: datetime) -> Conversion:
    """Make `new` the reporting currency: every order converted into it (by
    the rates into `new`), the setting changed and audited, in one
    transaction; refused (CurrencyError, nothing changed) when any order
    cannot be converted."""
    with transaction(db):
        conversion = convert_orders(db, new, tz)
        if conversion.missing:
            raise CurrencyError(conversion.missing, new)
        upsert_setting(db, "currency", new, actor=actor, now=now)
        if conversion.changed:
            record_conversion(db, f"currency {new}", new, conversion.changed, now)
    return conversion
