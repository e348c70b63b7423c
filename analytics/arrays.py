"""Array helpers for the model fits and rankings.

`unique_rows` collapses identical rows into weighted ones: customers with the
same history have the same likelihood, so fits and predictions work once per
kind of row. `dot` is a weighted sum that never calls BLAS: OpenBLAS's
threads spin-wait, and on a busy machine a 100k-element dot product through
them took 10× longer than numpy's own multiply-and-sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Why a fit is not trusted when a parameter ends on its bound (fit_log_params'
# `at_bound`): the fits' words, read back by commands.value_parts to say them
# in the reader's language.
AT_BOUND = "a parameter ran to its bound"


def dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.multiply(a, b).sum())


def largest_first(values: np.ndarray, n: int, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Indices of the `n` largest `values`, largest first, ties by `tiebreak`
    ascending (else by index): the first `n` of a stable sort of every value,
    from a partition (linear) and a sort of the few at or above the n-th
    largest — a top 10 of ~600k buyers was a 0.3 s lexsort of them all."""
    m = len(values)
    if n <= 0 or m == 0:
        return np.zeros(0, dtype=np.int64)
    few = np.arange(m) if n >= m else np.flatnonzero(values >= np.partition(values, m - n)[m - n])
    return few[np.lexsort((few if tiebreak is None else tiebreak[few], -values[few]))[:n]]


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True), the same arrays, by counting
    instead of sorting when the values are whole numbers in [0, 2^20)
    (purchase counts, days): a million customers' columns were sorted seven
    times per fit."""
    v = np.asarray(values)
    if v.size and v.ndim == 1 and v.dtype.kind in "fiu":
        lo, hi = v.min(), v.max()
        if lo >= 0 and hi < _COUNTABLE and np.array_equal(v, np.floor(v)):
            whole = v.astype(np.int64)
            present = np.bincount(whole, minlength=int(hi) + 1) > 0
            rank = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(v.dtype), rank[whole]
    return np.unique(v, return_inverse=True)


def unique_rows(columns: tuple[np.ndarray, ...], weights: np.ndarray | None, *, return_inverse: bool = False):
    """Unique rows of parallel columns. Returns (unique columns, summed weights)
    or, with `return_inverse`, (unique columns, index of each input row)."""
    n = columns[0].size
    if n == 0:
        empty = tuple(c[:0] for c in columns)
        return (empty, np.zeros(0)) if not return_inverse else (empty, np.zeros(0, dtype=np.int64))
    key = _int_key(columns)
    if key is not None:  # whole numbers (days): one int64 key, one sort
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        uniq = tuple(c[first] for c in columns)
        if return_inverse:
            return uniq, inverse
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        return uniq, np.bincount(inverse, weights=w, minlength=first.size)
    order = np.lexsort(columns[::-1])
    sorted_cols = [c[order] for c in columns]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in sorted_cols:
        change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    uniq = tuple(c[starts] for c in sorted_cols)
    group = np.cumsum(change) - 1
    if return_inverse:
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = group
        return uniq, inverse
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)[order]
    return uniq, np.bincount(group, weights=w, minlength=starts.size)


@dataclass(frozen=True)
class LogFit:
    """A fit on log-parameters: where it ended and whether it can be trusted."""

    params: np.ndarray  # exp of the log-parameters
    neg_mean_ll: float
    iterations: int
    success: bool
    message: str
    at_bound: np.ndarray  # per parameter: ended on its bound


def fit_log_params(fun, theta0: np.ndarray, data, bounds: list[tuple[float, float]]) -> LogFit:
    """Minimise `fun(theta, data) -> (mean negative log-likelihood, gradient)`
    over log-parameters within `bounds`. SLSQP: bounded (no overflow while
    exploring), and the same iterations as L-BFGS-B here without its BLAS
    calls, which crawl when the machine is busy."""
    from scipy.optimize import minimize

    res = minimize(
        fun,
        theta0,
        args=(data,),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        options={"maxiter": 500, "ftol": 1e-14},
    )
    lo, hi = np.array(bounds, dtype=np.float64).T
    at_bound = (res.x <= lo + 1e-6) | (res.x >= hi - 1e-6)
    ok = bool(res.success and np.isfinite(res.fun))
    return LogFit(np.exp(res.x), float(res.fun), int(res.nit), ok, str(res.message), at_bound)


_COUNTABLE = 2**20


def _int_key(columns: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """The columns packed into one int64 when all hold small whole numbers ≥ 0."""
    key = np.zeros(columns[0].size, dtype=np.int64)
    span = 1
    for c in columns:
        lo, hi = float(c.min()), float(c.max())
        if lo < 0 or hi >= 2**20 or not np.array_equal(c, np.floor(c)):
            return None
        span *= int(hi) + 1
        if span >= 2**62:
            return None
        key = key * (int(hi) + 1) + c.astype(np.int64)
    return key
