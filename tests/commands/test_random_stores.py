"""Random small stores and random command text: never a crash, every message
within Block Kit limits, user data never turned into markup or mentions."""

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import Context, answer
from commands.blocks import limit_problems
from tests.support.stores import build_store

DAY0 = date(2025, 1, 1)
WORDS = [
    "crr",
    "churn",
    "kpis",
    "nps",
    "cohorts",
    "trend",
    "rep",
    "followups",
    "config",
    "help",
    "summary",
    "cohorts 2",
    "trend 3",
    "rep @ana",
    "rep <@U0AAAAAA1>",
    "followups mine",
    "followups all",
    "config currency",
    "config currency EUR",
    "config timezone Europe/Berlin",
    "config nope",
]
PERIODS = [
    "",
    "30d",
    "12w",
    "this-month",
    "last-month",
    "2025-10",
    "2025-Q3",
    "this-quarter",
    "last-quarter",
    "ytd",
    "2025",
    "2025-01-01..2025-03-31",
    "since 2025-06-01",
    "lsat-quarter",
    "2031-Q1",
    "0d",
]
FILTERS = ["", "segment:SMB", "segment:Nope", "rep:@ana", "rep:<@U0AAAAAA1>", "share"]
NASTY = st.text(alphabet=st.sampled_from(list("ab <>&*_~`@!#|:é👀")), min_size=1, max_size=12)

orders = st.lists(
    st.tuples(
        st.integers(0, 7),
        st.integers(0, 600),
        st.floats(0, 5000, allow_nan=False).map(lambda x: round(x, 2)),
        st.sampled_from(["paid", "paid", "paid", "refunded", "cancelled"]),
    ),
    max_size=40,
)
customers = st.lists(
    st.tuples(
        NASTY,
        st.sampled_from(["SMB", "Enterprise", "<b>&"]),
        st.sampled_from(["", "U0AAAAAA1"]),
        st.sampled_from(["", "", "2025-09-01"]),
    ),
    min_size=8,
    max_size=8,
)
feedback = st.lists(
    st.tuples(st.integers(0, 7), st.sampled_from(["nps", "csat", "ces"]), st.integers(0, 10), st.integers(0, 600)),
    max_size=10,
)
text = st.one_of(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(PERIODS), st.sampled_from(FILTERS)).map(" ".join),
    st.text(max_size=40),
)


def _store(path: Path, order_rows, customer_rows, feedback_rows):
    scores = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    return build_store(
        path,
        reps=[("U0AAAAAA1", "Ana <!channel> & *Co*")],
        customers=[
            (f"c{i}", name, name, seg, owner, churned) for i, (name, seg, owner, churned) in enumerate(customer_rows)
        ],
        orders=[
            (f"o{n}", f"c{c}", (DAY0 + timedelta(days=d)).isoformat(), amount, status)
            for n, (c, d, amount, status) in enumerate(order_rows)
        ],
        feedback=[
            (f"c{c}", kind, min(max(score, scores[kind][0]), scores[kind][1]), (DAY0 + timedelta(days=d)).isoformat())
            for c, kind, score, d in feedback_rows
        ],
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders, customers, feedback, st.lists(text, min_size=1, max_size=4), st.integers(0, 720), st.booleans())
def test_random_stores_and_text(order_rows, customer_rows, feedback_rows, texts, as_of_day, admin):
    with tempfile.TemporaryDirectory() as tmp:
        db = _store(Path(tmp) / "s.db", order_rows, customer_rows, feedback_rows)
        try:
            for t in texts:
                ctx = Context(db, as_of=DAY0 + timedelta(days=as_of_day), user_id="U0AAAAAA1", is_admin=admin)
                a = answer(ctx, t)
                assert limit_problems(a.message) == [], (t, limit_problems(a.message))
                json.dumps(a.data, allow_nan=False, default=str)
                blob = json.dumps(a.message, ensure_ascii=False)
                assert "<!channel>" not in blob and "<b>" not in blob
        finally:
            db.conn.close()
