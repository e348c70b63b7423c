"""Does the model predict? Fitted on CDNOW to the end of the calibration
period (1997-09-30), compared with what the customers actually did in the
holdout period 1997-10-01..1998-06-30, beside two naive forecasts."""

from datetime import date

import numpy as np
import pandas as pd

from analytics.bgnbd import expected_purchases
from analytics.rfm import local_days
from analytics.value import MODEL, fit_value_model
from commands.core import Context
from commands.scoring import compute_store_rfm
from storage.queries import load_orders

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def test_holdout_forecast_beats_naive_forecasts(cdnow_db):
    cal = compute_store_rfm(Context(cdnow_db, as_of=CALIBRATION_END))
    model = fit_value_model(cal, CALIBRATION_END)
    assert model.model == MODEL
    holdout = load_orders(cdnow_db, "1998-07-01T00:00:00Z", start="1997-10-01T00:00:00Z")
    days = pd.DataFrame({"c": holdout["customer_id"], "d": local_days(holdout["ordered_at"])}).drop_duplicates()
    actual = days.groupby("c").size().reindex(cal.index, fill_value=0).to_numpy()
    t = (HOLDOUT_END - CALIBRATION_END).days
    x, t_x, T = cal["frequency"], cal["recency_days"], cal["tenure_days"]
    predicted = expected_purchases(model.bgnbd.params, t, x, t_x, T)
    same_rate = x.to_numpy() / T.to_numpy() * t

    assert actual.sum() == 1882
    assert abs(predicted.sum() - actual.sum()) / actual.sum() < 0.15
    mae = np.abs(predicted - actual).mean()
    mae_none = np.abs(actual).mean()
    mae_rate = np.abs(same_rate - actual).mean()
    assert mae < mae_none and mae < mae_rate
    assert round(mae, 3) == 0.785 and round(mae_none, 3) == 0.798 and round(mae_rate, 3) == 1.024
