"""Fit-or-fallback and the going-quiet rules, with their plain reasons."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.quiet import (
    NO_GAP,
    OWN_GAP,
    STORE_GAP,
    QuietReason,
    QuietRules,
    compute_quiet,
    reason_codes,
    value_percentile,
)
from analytics.value import FEW_REPEAT_BUYERS, MODEL, RULES, fit_value_model, predict_value
from commands.value_parts import reason_sentence

AS_OF = date(2026, 6, 30)


def _rfm(freq, recency, tenure, revenue_12m=None, gap=None, own=None, since=None):
    n = len(freq)
    freq = np.asarray(freq)
    recency = np.asarray(recency, dtype=float)
    tenure = np.asarray(tenure, dtype=float)
    return pd.DataFrame(
        {
            "orders": freq + 1,
            "revenue": 100.0,
            "revenue_12m": revenue_12m if revenue_12m is not None else np.full(n, 100.0),
            "purchase_days": freq + 1,
            "frequency": freq,
            "recency_days": recency,
            "tenure_days": tenure,
            "monetary": np.where(freq > 0, 50.0, np.nan),
            "days_since_last": since if since is not None else tenure - recency,
            "typical_gap_days": gap if gap is not None else np.full(n, 30.0),
            "own_gap": own if own is not None else freq >= 2,
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )


def test_fewer_than_200_repeat_buyers_fall_back_to_rules_and_say_why():
    rfm = _rfm([0] * 250 + [2] * 50, [0] * 250 + [40] * 50, [100] * 300)
    model = fit_value_model(rfm, AS_OF)
    assert model.model == RULES and not model.uses_model and model.bgnbd is None
    assert model.reason.startswith("rules: only 50 repeat buyers, the model needs at least 200")
    assert "trailing 12-month revenue" in model.reason
    predicted = predict_value(rfm, model)
    assert predicted["p_alive"].isna().all()
    assert (predicted["value"] == rfm["revenue_12m"]).all()
    d = model.to_dict("weeks")
    assert d["model"] == "rules" and d["bgnbd"] is None and d["repeat_buyers"] == 50 and d["customers"] == 300
    assert (d["basis"], d["failure"], d["spend_constant"]) == (FEW_REPEAT_BUYERS, None, False)


def simulate_bgnbd(n, r, alpha, a, b, seed=5):
    """Customers drawn from the BG/NBD story itself: Poisson purchases at rate
    λ ~ Gamma(r, α), a drop-out chance p ~ Beta(a, b) after each purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    tenure = rng.integers(90, 730, size=n).astype(float)
    t = np.zeros(n)
    last = np.zeros(n)
    freq = np.zeros(n, dtype=int)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        t = t + rng.exponential(1 / lam)
        bought = alive & (t <= tenure)
        freq += bought
        last = np.where(bought, t, last)
        alive = bought & (rng.random(n) >= p)
    return freq, np.floor(last), tenure


def test_enough_repeat_buyers_fit_the_model_and_recover_its_parameters():
    freq, recency, tenure = simulate_bgnbd(6000, r=0.8, alpha=40.0, a=0.9, b=3.0)
    rfm = _rfm(freq, recency, tenure)
    rfm["monetary"] = np.where(freq > 0, np.random.default_rng(2).gamma(5.0, 20.0, size=len(freq)), np.nan)
    model = fit_value_model(rfm, AS_OF)
    assert model.model == MODEL and model.bgnbd.converged and model.gamma_gamma.converged
    got = model.bgnbd.params
    assert abs(got.r / 0.8 - 1) < 0.15 and abs(got.alpha / 40.0 - 1) < 0.2
    assert abs(got.a / (got.a + got.b) - 0.9 / 3.9) < 0.05
    predicted = predict_value(rfm, model)
    assert predicted["p_alive"].between(0, 1).all()
    np.testing.assert_allclose(
        predicted["predicted_clv_12m"], predicted["expected_orders_12m"] * predicted["expected_order_value"]
    )
    assert model.to_dict("weeks")["bgnbd"]["alpha"] * 7 == pytest.approx(model.to_dict("days")["bgnbd"]["alpha"])


def test_reason_reads_like_the_design_example():
    text = reason_sentence(QuietReason(OWN_GAP, 18.2, 52, 0.31, 4, True, 4200.0, 4.3), "USD")
    assert text == (
        "orders every ~18 days; last order 52 days ago (2.9×); P(alive) 31%; expected 12-month value $4,200; top 5%"
    )
    rules = reason_sentence(QuietReason(STORE_GAP, 45.0, 1, None, 1, False, 950.0, 0.2), "USD")
    assert rules == (
        "too few orders for a rhythm; customers here reorder every ~45 days; "
        "last order 1 day ago (0.0×); 12-month revenue $950; top 1%"
    )
    alone = reason_sentence(QuietReason(NO_GAP, None, 0, 1.0, 0, True, 1234.4, 19.5), "AMD")
    assert alone == (
        "no repeat orders in the store yet; last order today; one purchase so far; "
        "expected 12-month value 1,234 AMD; top 20%"
    )


def test_reason_codes_say_what_the_silence_is_measured_against():
    gap = np.array([18.0, 45.0, np.nan, 0.0])
    own = np.array([True, False, False, True])
    assert reason_codes(gap, own).tolist() == [OWN_GAP, STORE_GAP, NO_GAP, NO_GAP]


def test_quiet_measures_silence_against_the_customers_own_rhythm():
    # c0 twice a year, 60 days since: fine. c1 weekly, 21 days since: quiet.
    # c2 weekly and 21 days but low value: not flagged. c3 on rhythm but P(alive) low: quiet.
    rfm = _rfm(
        [4, 20, 20, 10],
        [700, 140, 140, 300],
        [760, 161, 161, 310],
        gap=np.array([175.0, 7.0, 7.0, 30.0]),
        since=np.array([60.0, 21.0, 21.0, 10.0]),
    )
    predicted = pd.DataFrame({"p_alive": [0.9, 0.8, 0.8, 0.2], "value": [900.0, 800.0, 1.0, 700.0]}, index=rfm.index)
    rules = QuietRules(high_value_pct=75, quiet_p_alive=0.5, quiet_gap_factor=2.0)
    flags = compute_quiet(rfm, predicted, rules, uses_model=True)
    assert flags["high_value"].tolist() == [True, True, False, True]
    assert flags["quiet"].tolist() == [False, True, False, True]
    assert flags["reason_code"].where(flags["quiet"], "-").tolist() == ["-", OWN_GAP, "-", OWN_GAP]
    assert flags["reason_code"].where(~flags["quiet"]).isna().all()
    # Under rules P(alive) plays no part: c3 is on its rhythm.
    ruled = compute_quiet(rfm, predicted, rules, uses_model=False)
    assert ruled["quiet"].tolist() == [False, True, False, False]


def test_value_percentile_ranks_from_the_top():
    assert value_percentile(np.array([10.0, 40.0, 20.0, 40.0])).tolist() == [100.0, 25.0, 75.0, 25.0]
