"""BG/NBD and Gamma-Gamma against the published CDNOW fit (Fader, Hardie & Lee
2005) and the `lifetimes` package's predictions for the same parameters."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.bgnbd import (
    BGNBDParams,
    _Data,
    _neg_ll_and_grad,
    expected_purchases,
    fit_bgnbd,
    log_likelihood,
    p_alive,
)
from analytics.gamma_gamma import GammaGammaParams, expected_value, fit_gamma_gamma
from analytics.gamma_gamma import _Data as GGData
from analytics.gamma_gamma import _neg_ll_and_grad as gg_neg_ll_and_grad
from analytics.rfm import compute_rfm
from storage.synthetic import generate
from tests.support.stores import DATA


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def fit(summary):
    return fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])


def test_fit_on_published_summary_gives_the_published_parameters(fit):
    p = fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(fit.log_likelihood, 2) == -9582.43
    assert fit.converged and fit.customers == 2357


def test_log_likelihood_matches_the_fit_and_is_maximal(summary, fit):
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    assert log_likelihood(fit.params, x, t_x, T) == pytest.approx(fit.log_likelihood, abs=1e-6)
    for nudge in (0.99, 1.01):
        p = fit.params
        assert log_likelihood(BGNBDParams(p.r * nudge, p.alpha, p.a, p.b), x, t_x, T) < fit.log_likelihood
        assert log_likelihood(BGNBDParams(p.r, p.alpha, p.a, p.b * nudge), x, t_x, T) < fit.log_likelihood


def test_weighted_rows_give_the_same_likelihood_as_repeated_rows(summary, fit):
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    twice = log_likelihood(fit.params, np.r_[x, x], np.r_[t_x, t_x], np.r_[T, T])
    weighted = log_likelihood(fit.params, x, t_x, T, weights=np.full(x.size, 2.0))
    assert weighted == pytest.approx(twice, rel=1e-12)


@pytest.mark.parametrize("theta", [np.log([0.24, 4.4, 0.79, 2.4]), np.log([1.5, 30.0, 2.0, 9.0])])
def test_bgnbd_gradient_matches_finite_differences(summary, theta):
    d = _Data(summary["frequency"], summary["recency"], summary["T"], None)
    _, grad = _neg_ll_and_grad(theta, d)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-6
        numeric = (_neg_ll_and_grad(theta + h, d)[0] - _neg_ll_and_grad(theta - h, d)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_gamma_gamma_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 12, size=500).astype(float)
    m = rng.gamma(4.0, 10.0, size=500)
    d = GGData(x, m)
    theta = np.log([5.0, 3.0, 12.0])
    _, grad = gg_neg_ll_and_grad(theta, d)
    for i in range(3):
        h = np.zeros(3)
        h[i] = 1e-6
        numeric = (gg_neg_ll_and_grad(theta + h, d)[0] - gg_neg_ll_and_grad(theta - h, d)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_predictions_match_lifetimes_for_the_same_data(summary, fit):
    # lifetimes 0.11.3, BetaGeoFitter on the same file: rows ID 1, 2, 3, 11.
    rows = summary.set_index("ID").loc[[1, 2, 3, 11]]
    x, t_x, T = rows["frequency"], rows["recency"], rows["T"]
    np.testing.assert_allclose(p_alive(fit.params, x, t_x, T), [0.72660914, 0.21222739, 1.0, 0.4914267], atol=1e-6)
    np.testing.assert_allclose(
        expected_purchases(fit.params, 39, x, t_x, T), [1.225910, 0.203251, 0.194781, 1.870992], atol=1e-5
    )
    total = expected_purchases(fit.params, 39, summary["frequency"], summary["recency"], summary["T"]).sum()
    assert total == pytest.approx(1653.4233, abs=1e-3)


def test_time_unit_only_rescales_alpha_and_shifts_the_log_likelihood(summary):
    weeks = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    days = fit_bgnbd(summary["frequency"], summary["recency"] * 7, summary["T"] * 7)
    assert days.params.alpha == pytest.approx(7 * weeks.params.alpha, rel=1e-5)
    for name in ("r", "a", "b"):
        assert getattr(days.params, name) == pytest.approx(getattr(weeks.params, name), rel=1e-5)
    assert days.rescaled(7).log_likelihood == pytest.approx(weeks.log_likelihood, abs=1e-4)


def test_gamma_gamma_expected_value_matches_lifetimes():
    # lifetimes GammaGammaFitter.conditional_expected_average_profit, p=6.25 q=3.74 v=15.44.
    params = GammaGammaParams(6.25, 3.74, 15.44)
    np.testing.assert_allclose(
        expected_value(params, [0, 1, 5], [0.0, 30.0, 20.0]), [35.218978, 31.590656, 21.226831], atol=1e-5
    )


def test_gamma_gamma_at_its_limit_counts_as_converged_and_predicts_own_average():
    # The demo generator's spend (segment × lognormal) drives p to its bound.
    orders = generate(2000, date(2026, 11, 22))["orders"]
    orders = orders[orders["status"] == "paid"].assign(ordered_at=lambda o: pd.to_datetime(o["ordered_at"], utc=True))
    rfm = compute_rfm(orders, date(2026, 11, 22))
    repeat = rfm[rfm["frequency"] > 0]
    fit = fit_gamma_gamma(repeat["frequency"], repeat["monetary"])
    assert fit.converged and fit.spend_constant and fit.params.p > 1e6 and fit.params.q > 1
    np.testing.assert_allclose(
        expected_value(fit.params, repeat["frequency"], repeat["monetary"]), repeat["monetary"], rtol=1e-4
    )
