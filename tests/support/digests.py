"""Digest and reminder data as commands.digest and commands.remind build
their messages from (shared by the message tests and the language scan)."""

from datetime import UTC

from commands.remind import item_entry
from tests.support.followups import REP

EVIL = "<!channel> *Acme* & Sons"


def retention(crr=82.5, churn=17.5, S=40, E=35, N=2):
    period = {"start": "2026-11-01", "end": "2026-11-23", "label": "2026-11"}
    prev = {"start": "2026-10-01", "end": "2026-10-23", "label": "2026-10"}
    return {
        "period": period,
        "S": S,
        "E": E,
        "N": N,
        "N_active": N,
        "retained": 33,
        "reactivated": 0,
        "crr": crr,
        "churn_rate": churn,
        "activity_window": 90,
        "previous": {
            "period": prev,
            "S": 38,
            "E": 36,
            "N": 1,
            "N_active": 1,
            "retained": 34,
            "reactivated": 0,
            "crr": 92.1,
            "churn_rate": 10.5,
        },
    }


def item(i: int, rep: str | None = REP, **kw) -> dict:
    base = {
        "followup_id": i,
        "customer_id": f"C{i:02d}",
        "name": f"{EVIL} {i}",
        "company": "Beta <Co>",
        "rep_id": rep,
        "state": "open",
        "opened_at": "2026-11-22T10:00:00Z",
        "snooze_until": None,
        "reminder_count": 0,
        "escalated_at": None,
        "closed_at": None,
        "value": 1000.0 * (20 - i),
        "value_at_open": 900.0,
        "reason_code": "own_gap",
        "typical_gap_days": 20.0,
        "tenure_days": 200.0,
        "recency_days": 140.0,
        "p_alive": None,
        "frequency": 6,
        "predicted_clv_12m": 1000.0 * (20 - i),
        "value_pct": 5.0,
        "last_order_at": "2026-09-20T10:00:00Z",
        "note": None,
    }
    return item_entry({**base, **kw}, UTC, "USD")


def digest_data(**kw) -> dict:
    d = {
        "channel": "C0SALES",
        "date": "2026-11-23",
        "since": "2026-11-22T17:00:00Z",
        "until": "2026-11-23T17:00:00Z",
        "first": False,
        "retention": retention(),
        "churned": {"count": 0, "customers": []},
        "went_quiet": {"count": 0, "customers": []},
        "won_back": {"count": 0, "customers": []},
        "overdue": {"count": 0, "new": 0, "by_rep": [], "after_days": 7},
        "nps": {"nps": 40.0, "responses": 10, "previous_nps": 30.0, "previous_responses": 8, "new_answers": 0},
        "all_quiet": True,
    }
    d.update(kw)
    return d
