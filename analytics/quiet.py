"""Who is valuable and going quiet, and why, in words a rep can check.

High value: in the top `high_value_pct` % by value (expected 12-month value,
or trailing 12-month revenue under rules). Going quiet: high value and
P(alive) < `quiet_p_alive` (model only) or days since the last order >
`quiet_gap_factor` × the customer's typical gap (the store's usual gap for
customers with fewer than 3 purchase days). Recency alone would flag the
twice-a-year buyer after 60 days and miss the weekly buyer gone for three
weeks; the gap ratio and P(alive) both measure silence against the
customer's own rhythm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.value import value_label

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class QuietRules:
    high_value_pct: float = 20.0
    quiet_p_alive: float = 0.5
    quiet_gap_factor: float = 2.0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> QuietRules:
        return cls(
            float(settings["high_value_pct"]), float(settings["quiet_p_alive"]), float(settings["quiet_gap_factor"])
        )


def value_percentile(value: np.ndarray) -> np.ndarray:
    """Top-percent rank: 1.0 means the customer is in the top 1% by value.
    Ties share the better rank."""
    import pandas as pd

    n = value.size
    if n == 0:
        return np.zeros(0)
    rank = pd.Series(value).rank(ascending=False, method="min").to_numpy()
    return rank / n * 100.0


def compute_quiet(
    rfm: pd.DataFrame,
    predicted: pd.DataFrame,
    rules: QuietRules,
    *,
    uses_model: bool,
    money: Callable[[float], str],
) -> pd.DataFrame:
    """Per customer: value_pct, high_value, gap_ratio, quiet and, for the quiet
    ones, the reason. `rfm` from compute_rfm, `predicted` from predict_value
    (same index); `money` formats an amount for the reason."""
    import pandas as pd

    value = predicted["value"].to_numpy(dtype=np.float64)
    pct = value_percentile(value)
    high = (value > 0) & (pct <= rules.high_value_pct)
    gap = rfm["typical_gap_days"].to_numpy(dtype=np.float64)
    since = rfm["days_since_last"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(gap > 0, since / gap, np.nan)
    late = np.nan_to_num(ratio, nan=0.0) > rules.quiet_gap_factor
    alive = predicted["p_alive"].to_numpy(dtype=np.float64)
    fading = (alive < rules.quiet_p_alive) if uses_model else np.zeros(value.size, dtype=bool)
    quiet = high & (late | fading)
    out = pd.DataFrame({"value_pct": pct, "high_value": high, "gap_ratio": ratio, "quiet": quiet}, index=rfm.index)
    reasons = np.full(value.size, None, dtype=object)
    which = np.flatnonzero(quiet)
    # Python values, not numpy scalars: the same text, less work per reason.
    columns = (gap, rfm["own_gap"].to_numpy(), since, alive, value, pct, rfm["frequency"].to_numpy())
    for i, g, own, days, p, v, top, f in zip(which, *(c[which].tolist() for c in columns), strict=True):
        reasons[i] = explain(
            typical_gap=g,
            own_gap=bool(own),
            days_since_last=days,
            p_alive=p,
            value=v,
            value_pct=top,
            uses_model=uses_model,
            money=money,
            frequency=int(f),
        )
    out["reason"] = reasons
    return out


def alive_text(p_alive: float | None, frequency: int | None) -> str | None:
    """P(alive) in words, or None when the model gave none. A customer with
    one purchase day has P(alive) 100% by the model's construction (BG/NBD
    cannot see a dropout before a repeat), which says nothing: say so."""
    if frequency == 0:
        return "one purchase so far"
    if p_alive is None or math.isnan(p_alive):
        return None
    return f"P(alive) {p_alive * 100:.0f}%"


def explain(
    *,
    typical_gap: float,
    own_gap: bool,
    days_since_last: float,
    p_alive: float | None,
    value: float,
    value_pct: float,
    uses_model: bool,
    money: Callable[[float], str],
    frequency: int | None = None,
) -> str:
    """ "orders every ~18 days; last order 52 days ago (2.9×); P(alive) 31%;
    expected 12-month value $4,200; top 5%"."""
    parts = []
    has_gap = typical_gap is not None and not math.isnan(typical_gap) and typical_gap > 0
    if has_gap and own_gap:
        parts.append(f"orders every ~{typical_gap:.0f} days")
    elif has_gap:
        parts.append(f"too few orders for a rhythm; customers here reorder every ~{typical_gap:.0f} days")
    else:
        parts.append("no repeat orders in the store yet")
    days = int(days_since_last)
    ago = "today" if days == 0 else ("1 day ago" if days == 1 else f"{days:,} days ago")
    ratio = f" ({days_since_last / typical_gap:.1f}×)" if has_gap else ""
    parts.append(f"last order {ago}{ratio}")
    alive = alive_text(p_alive, frequency) if uses_model else None
    if alive:
        parts.append(alive)
    parts.append(f"{value_label(uses_model)} {money(value)}")
    parts.append(f"top {top_percent(value_pct)}%")
    return "; ".join(parts)


def top_percent(value_pct: float) -> int:
    """ "top 5%" reads better than "top 4.37%"; never "top 0%"."""
    return max(1, math.ceil(value_pct - 1e-9))
