"""The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005,
"RFM and CLV: Using Iso-Value Curves"): a customer's mean purchase value,
shrunk from what they spent so far toward the population's, by how many
purchases it rests on.

Fitted on repeat buyers only (x > 0, value = mean of the repeat purchase
days); the terms in x alone are summed once per distinct x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.arrays import AT_BOUND, dot, fit_log_params, unique_inverse

# log p, log q within ±14 (p past e^14 ≈ 1.2M: spend is constant per customer);
# γ is in money units, so its range is wider.
BOUNDS = [(-14.0, 14.0), (-14.0, 14.0), (-30.0, 30.0)]


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    iterations: int
    message: str
    customers: int
    spend_constant: bool = False  # p on its bound: see fit_gamma_gamma


class _Data:
    def __init__(self, x, m):
        x = np.asarray(x, dtype=np.float64)
        m = np.asarray(m, dtype=np.float64)
        self.n = float(x.size)
        self.x, self.m = x, m
        self.mx = m * x
        self.xs, inv = unique_inverse(x)
        self.wx = np.bincount(inv, minlength=self.xs.size).astype(np.float64)
        log_m = np.log(m)
        self.sum_x_log_m = dot(x, log_m)
        self.sum_log_m = float(log_m.sum())
        self.x_log_x = dot(self.wx, self.xs * np.log(self.xs))


def _neg_ll_and_grad(theta: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
    from scipy.special import betaln, digamma

    p, q, g = np.exp(theta)
    k = d.xs
    log_gmx = np.log(g + d.mx)
    # lnΓ(pk+q) − lnΓ(pk) − lnΓ(q) = −ln B(pk, q): betaln stays exact when p is huge.
    ll = float(
        -dot(d.wx, betaln(p * k, q))
        + d.n * q * np.log(g)
        + p * d.sum_x_log_m
        - d.sum_log_m
        + p * d.x_log_x
        - dot(p * d.x + q, log_gmx)
    )
    psi_pkq = digamma(p * k + q)
    g_p = dot(d.wx, k * (psi_pkq - digamma(p * k))) + d.sum_x_log_m + d.x_log_x - dot(d.x, log_gmx)
    g_q = float(dot(d.wx, psi_pkq) - d.n * digamma(q) + d.n * np.log(g) - log_gmx.sum())
    g_g = float(d.n * q / g - dot(p * d.x + q, 1.0 / (g + d.mx)))
    grad = np.array([g_p * p, g_q * q, g_g * g])
    return -ll / d.n, -grad / d.n


def fit_gamma_gamma(x, monetary) -> GammaGammaFit:
    """Maximum-likelihood fit on repeat buyers: `x` repeat purchases (> 0) and
    `monetary` their mean value (> 0).

    When each customer's spend barely varies between purchases, the
    likelihood keeps rising as p grows: the fit ends with p on its bound and
    q, γ fitted for it. That limit is a sound model (a repeat buyer's expected
    spend is their own average; a new one's, the population's), so it counts
    as converged and `spend_constant` says so."""
    d = _Data(x, monetary)
    if d.n == 0:
        raise ValueError("no repeat buyers to fit")
    theta0 = np.log([1.0, 2.0, max(float(np.mean(d.m)), 1e-3)])
    fit = fit_log_params(_neg_ll_and_grad, theta0, d, BOUNDS)
    p, q, g = (float(v) for v in fit.params)
    p_limit = bool(fit.at_bound[0] and fit.params[0] > 1)
    other_bound = bool(fit.at_bound[1:].any())
    converged = fit.success and not other_bound
    message = fit.message if not other_bound else AT_BOUND
    return GammaGammaFit(
        GammaGammaParams(p, q, g), -fit.neg_mean_ll * d.n, converged, fit.iterations, message, int(d.n), p_limit
    )


def expected_value(params: GammaGammaParams, x, monetary) -> np.ndarray:
    """Expected mean purchase value E(M | x, m̄) = p(γ + x·m̄)/(p·x + q − 1):
    the population mean pγ/(q − 1) for x = 0. Needs q > 1."""
    p, q, g = params.p, params.q, params.gamma
    x = np.asarray(x, dtype=np.float64)
    m = np.nan_to_num(np.asarray(monetary, dtype=np.float64), nan=0.0)
    return p * (g + x * m) / (p * x + q - 1.0)
