"""Three messages pinned exactly (Block Kit JSON). After an intended change,
regenerate with `UPDATE_GOLDEN=1 pytest tests/commands/test_golden.py` and
review the diff."""

import json
import os
from datetime import date
from pathlib import Path

import pytest

from commands import Context, answer
from commands.blocks import limit_problems
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store

GOLDEN = Path(__file__).parent / "golden"
# The same small store as the KPI tests, with customer names that must stay text.
NAMES = {"b": "Bob <!here> & Sons *VIP*", "g": "Gus_`Ltd`"}


@pytest.fixture
def small(tmp_path):
    customers = [(c, NAMES.get(c, name), *rest) for c, name, *rest in CUSTOMERS]
    db = build_store(
        tmp_path / "small.db",
        orders=ORDERS,
        customers=customers,
        feedback=FEEDBACK,
        reps=[("U1", "Uma"), ("U2", "Ugo")],
    )
    yield db
    db.conn.close()


def _pin(name: str, message: dict) -> None:
    assert limit_problems(message) == []
    path = GOLDEN / f"{name}.json"
    text = json.dumps(message, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text()


def test_crr_cdnow_1997_q3(cdnow_db):
    _pin("crr_cdnow_1997_q3", answer(Context(cdnow_db, as_of=date(1998, 6, 30)), "crr 1997-Q3").message)


def test_churn_lists_lost_customers_escaped(small):
    message = answer(Context(small, as_of=date(2026, 6, 30)), "churn 2026-Q2").message
    body = json.dumps(message, ensure_ascii=False)
    assert "Bob &lt;!here&gt; &amp; Sons" in body and "<!here>" not in body
    _pin("churn_small_2026_q2", message)


def test_kpis_with_feedback(small):
    _pin("kpis_small_2026_q2", answer(Context(small, as_of=date(2026, 6, 30)), "kpis 2026-Q2").message)
