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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

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
    Ties share the better rank (1 + how many are worth more); a value that
    is NaN has no rank. One sort, and each value's place found in the
    sorted values (in order, so the search stays in cache): pandas' rank
    took twice as long."""
    n = value.size
    if n == 0:
        return np.zeros(0)
    known = ~np.isnan(value)
    ranked = value[known]
    order = np.argsort(ranked, kind="stable")
    in_order = ranked[order]
    rank = np.full(n, np.nan)
    place = np.empty(ranked.size)
    place[order] = ranked.size - np.searchsorted(in_order, in_order, side="right") + 1
    rank[known] = place
    return rank / n * 100.0


def compute_quiet(rfm: pd.DataFrame, predicted: pd.DataFrame, rules: QuietRules, *, uses_model: bool) -> pd.DataFrame:
    """Per customer: value_pct, high_value, gap_ratio, quiet and, for the quiet
    ones, the reason's code (see reason_code; its figures are the customer's
    own scores). `rfm` from compute_rfm, `predicted` from predict_value (same
    index)."""
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
    codes = reason_codes(gap, rfm["own_gap"].to_numpy(dtype=bool))
    codes[~quiet] = None
    # object, not pandas' string dtype: the codes go to SQLite as they are, None for NULL
    return pd.DataFrame(
        {
            "value_pct": pct,
            "high_value": high,
            "gap_ratio": ratio,
            "quiet": quiet,
            "reason_code": pd.Series(codes, index=rfm.index, dtype=object, copy=False),
        },
        index=rfm.index,
    )


# What a going-quiet reason measures the silence against (stored as
# customer_scores.reason_code; commands.value_parts says the sentence):
OWN_GAP = "own_gap"  # the customer's own usual gap: "orders every ~18 days"
STORE_GAP = "store_gap"  # too few orders of their own: the store's usual gap
NO_GAP = "no_gap"  # no repeat orders in the store: no gap to measure against
REASON_CODES = (OWN_GAP, STORE_GAP, NO_GAP)


def reason_codes(typical_gap: np.ndarray, own_gap: np.ndarray) -> np.ndarray:
    """Each customer's reason code (an object array of REASON_CODES)."""
    with np.errstate(invalid="ignore"):
        has_gap = np.nan_to_num(typical_gap, nan=0.0) > 0
    codes = np.full(has_gap.size, NO_GAP, dtype=object)
    codes[has_gap & own_gap] = OWN_GAP
    codes[has_gap & ~own_gap] = STORE_GAP
    return codes


def reason_code(typical_gap: float | None, own_gap: bool) -> str:
    """One customer's reason code (reason_codes for one)."""
    gap = np.array([np.nan if typical_gap is None else typical_gap], dtype=np.float64)
    return str(reason_codes(gap, np.array([own_gap]))[0])


@dataclass(frozen=True)
class QuietReason:
    """Why a customer reads as going quiet, in figures: what the silence is
    measured against (`code`, one of REASON_CODES) and the figures the
    sentence says — the usual gap, the days since the last order, P(alive)
    (None under rules), purchase days after the first, the value and its
    top-percent rank. Kept as values, so each reader sees the sentence in
    their own language, digits and currency (commands.value_parts)."""

    code: str
    usual_gap_days: float | None
    days_quiet: int
    p_alive: float | None
    frequency: int | None
    uses_model: bool
    value: float
    value_pct: float

    @property
    def ratio(self) -> float | None:
        """Days quiet over the usual gap (None without a gap)."""
        if self.code == NO_GAP or not self.usual_gap_days:
            return None
        return self.days_quiet / self.usual_gap_days

    @property
    def shows_alive(self) -> bool:
        """The reason says P(alive) (or that one purchase tells nothing) only
        when the model is in use."""
        return self.uses_model and alive_known(self.p_alive, self.frequency)


def alive_known(p_alive: float | None, frequency: int | None) -> bool:
    """Whether P(alive) says anything. A customer with one purchase day has
    P(alive) 100% by the model's construction (BG/NBD cannot see a dropout
    before a repeat), which says nothing: their answers say so instead."""
    return frequency == 0 or (p_alive is not None and not math.isnan(p_alive))


def top_percent(value_pct: float) -> int:
    """ "top 5%" reads better than "top 4.37%"; never "top 0%"."""
    return max(1, math.ceil(value_pct - 1e-9))
