"""Number formatting shared by every message: one place decides how money,
counts, rates and deltas look."""

import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: float | None, currency: str = "USD", *, decimals: int | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sym = _SYMBOLS.get(currency)
    if decimals is None:
        decimals = 0 if abs(value) >= 1000 else 2
    body = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency}"


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def pct(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{decimals}f}%"


def delta(now: float | None, before: float | None, *, unit: str = " pts", decimals: int = 1) -> str:
    """▲/▼ change from the previous period ("▲ 2.3 pts"), or "" if unknown."""
    if now is None or before is None or any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return ""
    d = now - before
    if round(d, decimals) == 0:
        return "▬ no change"
    arrow = "▲" if d > 0 else "▼"
    return f"{arrow} {abs(d):,.{decimals}f}{unit}"


def day(value) -> str:
    """A stored UTC timestamp or date shown as YYYY-MM-DD."""
    return "—" if not value else str(value)[:10]
