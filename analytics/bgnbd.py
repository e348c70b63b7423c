"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way"): how many purchases a customer will make, and whether they are
still a customer at all, from (frequency x, recency t_x, age T).

Fitted by maximum likelihood on bounded log-parameters with an analytic
gradient (analytics.arrays.fit_log_params). The likelihood is arranged for speed rather than read off the
paper: the terms that depend on x only are summed once per distinct x, the
customers without repeat purchases are collapsed by T, and identical
(x, t_x, T) rows are fitted once with a weight, so a million customers cost a
few vector operations per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.arrays import AT_BOUND, dot, fit_log_params, unique_inverse, unique_rows

LOG_BOUND = 12.0  # parameters stay within e^±12: a fit that wants more has failed


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float

    def rescaled(self, factor: float) -> BGNBDParams:
        """The same model with time measured in units `factor` times longer
        (days → weeks: 7): α is a time scale, r, a, b are unitless."""
        return BGNBDParams(self.r, self.alpha / factor, self.a, self.b)


@dataclass(frozen=True)
class BGNBDFit:
    params: BGNBDParams
    log_likelihood: float
    converged: bool
    iterations: int
    message: str
    customers: int
    repeat_purchases: float  # sum of x: turns the log-likelihood into another time unit

    def rescaled(self, factor: float) -> BGNBDFit:
        """In a time unit `factor` times longer; each purchase time's density
        gains a factor, so the log-likelihood moves by Σx·ln(factor)."""
        return BGNBDFit(
            self.params.rescaled(factor),
            self.log_likelihood + self.repeat_purchases * float(np.log(factor)),
            self.converged,
            self.iterations,
            self.message,
            self.customers,
            self.repeat_purchases,
        )


class _Data:
    """The fitting data, arranged once: x-only sums, the no-repeat customers
    by T, the repeat customers as weighted unique rows whose x, t_x and T
    point into small tables of distinct values (logs of those cost little)."""

    def __init__(self, x, t_x, T, weights):
        x = np.asarray(x, dtype=np.float64)
        t_x = np.asarray(t_x, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
        self.n = float(w.sum())
        self.sum_x = float((w * x).sum())
        self.xs, inv = unique_inverse(x)
        self.wx = np.bincount(inv, weights=w)
        zero = x == 0
        self.T0, self.w0 = _collapse(T[zero], w[zero])
        (rx, rtx, rT), self.w = unique_rows((x[~zero], t_x[~zero], T[~zero]), w[~zero])
        self.x = rx
        self.ux, self.ix = unique_inverse(rx)
        self.utx, self.itx = unique_inverse(rtx)
        self.uT, self.iT = unique_inverse(rT)


def _collapse(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inv = unique_inverse(values)
    return uniq, np.bincount(inv, weights=weights, minlength=uniq.size)


def _neg_ll_and_grad(theta: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    from scipy.special import digamma, gammaln

    r, alpha, a, b = np.exp(theta)
    n = d.n
    # Terms in x alone: Σ_k W_k [lnΓ(r+k) + lnΓ(b+k) − lnΓ(a+b+k)] + N[...]
    ll = float(
        dot(d.wx, gammaln(r + d.xs) + gammaln(b + d.xs) - gammaln(a + b + d.xs))
        + n * (-gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b))
    )
    psi_abx = digamma(a + b + d.xs)
    g_r = float(dot(d.wx, digamma(r + d.xs)) + n * (np.log(alpha) - digamma(r)))
    g_alpha = n * r / alpha
    g_a = float(n * digamma(a + b) - dot(d.wx, psi_abx))
    g_b = float(dot(d.wx, digamma(b + d.xs) - psi_abx) + n * (digamma(a + b) - digamma(b)))
    # No repeat purchases: ln L ∋ −r ln(α+T).
    log_aT0 = np.log(alpha + d.T0)
    ll -= r * dot(d.w0, log_aT0)
    g_r -= dot(d.w0, log_aT0)
    g_alpha -= r * dot(d.w0, 1.0 / (alpha + d.T0))
    if d.x.size:
        # ln L ∋ ln(e^u + e^v): u alive at T, v dropped out after the last purchase.
        s = r + d.x
        log_aT = np.log(alpha + d.uT)[d.iT]
        log_atx = np.log(alpha + d.utx)[d.itx]
        u = -s * log_aT
        v = (np.log(a) - np.log(b + d.ux - 1.0))[d.ix] - s * log_atx
        diff = v - u
        e = np.exp(-np.abs(diff))
        lse = np.maximum(u, v) + np.log1p(e)
        wv = np.where(diff >= 0, 1.0, e) / (1.0 + e)  # share of the likelihood from v
        cw = d.w * wv
        ll += dot(d.w, lse)
        g_r -= dot(d.w, log_aT) + dot(cw, log_atx - log_aT)
        inv_aT = (1.0 / (alpha + d.uT))[d.iT]
        inv_atx = (1.0 / (alpha + d.utx))[d.itx]
        g_alpha -= dot(d.w * s, inv_aT) + dot(cw * s, inv_atx - inv_aT)
        g_a += float(cw.sum()) / a
        g_b -= dot(cw, (1.0 / (b + d.ux - 1.0))[d.ix])
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
    return -ll / n, -grad / n


def log_likelihood(params: BGNBDParams, x, t_x, T, weights=None) -> float:
    """Total log-likelihood of the data under `params`."""
    d = _Data(x, t_x, T, weights)
    theta = np.log([params.r, params.alpha, params.a, params.b])
    return -_neg_ll_and_grad(theta, d)[0] * d.n


def fit_bgnbd(x, t_x, T, weights=None) -> BGNBDFit:
    """Maximum-likelihood fit. `x` repeat purchases, `t_x` time of the last
    one and `T` age, since the first purchase, in any one time unit. A fit
    that ends on a parameter bound is not converged: the data wants a model
    BG/NBD cannot express (e.g. nobody ever drops out)."""
    d = _Data(x, t_x, T, weights)
    if d.n == 0:
        raise ValueError("no customers to fit")
    rate = max(d.sum_x, 1.0) / float(np.sum(np.asarray(T, dtype=np.float64)) or 1.0)
    theta0 = np.log([1.0, max(1.0 / rate, 1e-3), 1.0, 1.0])
    fit = fit_log_params(_neg_ll_and_grad, theta0, d, [(-LOG_BOUND, LOG_BOUND)] * 4)
    r, alpha, a, b = (float(v) for v in fit.params)
    converged = fit.success and not fit.at_bound.any()
    message = fit.message if not fit.at_bound.any() else AT_BOUND
    return BGNBDFit(
        BGNBDParams(r, alpha, a, b),
        -fit.neg_mean_ll * d.n,
        converged,
        fit.iterations,
        message,
        round(d.n),
        d.sum_x,
    )


def p_alive(params: BGNBDParams, x, t_x, T) -> np.ndarray:
    """P(still a customer | x, t_x, T); 1 for customers without repeat
    purchases, whom the model never lets drop out before buying again."""
    from scipy.special import expit

    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    return expit(-_log_odds_dead(params, x, t_x, T))


def _log_odds_dead(p: BGNBDParams, x, t_x, T) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log(p.a) - np.log(p.b + x - 1.0) + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x))
    return np.where(x > 0, z, -np.inf)


def expected_purchases(params: BGNBDParams, t, x, t_x, T) -> np.ndarray:
    """Expected purchases in (T, T + t] given the history (FHL 2005, eq. 10).
    `t` may be a list of horizons: one row of results per horizon."""
    from scipy.special import expit, hyp2f1

    p = params
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    # The hypergeometric factor depends on (x, T) only: compute it once per pair.
    (ux, uT), inverse = unique_rows((x, T), None, return_inverse=True)
    alive = expit(-_log_odds_dead(p, x, t_x, T))
    scale = (p.a + p.b + x - 1.0) / (p.a - 1.0) * alive
    out = []
    for horizon in np.atleast_1d(t):
        z = horizon / (p.alpha + uT + horizon)
        tail = np.exp((p.r + ux) * np.log1p(-z)) * hyp2f1(p.r + ux, p.b + ux, p.a + p.b + ux - 1.0, z)
        out.append(scale * (1.0 - tail[inverse]))
    return out[0] if np.ndim(t) == 0 else np.vstack(out)
