"""Every displayed date is the workspace's local day: an order at 23:59 on
8 March in the workspace's zone shows as 8 March — in `top`, `customer`,
the summary, follow-ups and the won-back note — in every zone the suite
runs in, DST and half-hour offsets included."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from commands import Context, answer
from commands.scoring import run_score
from storage.importer import import_file
from storage.settings import upsert_setting
from tests.support.stores import IMPORTED_AT, SET_AT, ZONES

DAY = date(2026, 3, 8)  # the Sunday US daylight saving starts


def local(zone: str, day: date, hh: int, mm: int) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(zone)).isoformat()


@pytest.fixture(params=ZONES)
def store(request, fresh_db, tmp_path):
    zone = request.param
    upsert_setting(fresh_db, "timezone", zone, now=SET_AT)
    rows = [
        "id,customer_id,ordered_at,amount,customer_name",
        f"o1,late,{local(zone, date(2026, 1, 4), 0, 1)},50,Late Lou",
        f"o2,late,{local(zone, DAY, 23, 59)},70,Late Lou",
        f"o3,early,{local(zone, date(2026, 2, 1), 0, 0)},40,Early Eve",
    ]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(rows) + "\n")
    import_file(fresh_db, "orders", path, tz=ZoneInfo(zone), now=IMPORTED_AT)
    return fresh_db, zone


def test_top_customer_and_summary_show_local_days(store):
    db, zone = store
    ctx = lambda: Context(db, as_of=DAY)  # noqa: E731
    top = answer(ctx(), "top 5 2026-Q1").data["customers"]
    assert {c["customer_id"]: c["last_order"] for c in top} == {"late": "2026-03-08", "early": "2026-02-01"}
    customer = answer(ctx(), "customer late").data
    assert (customer["stats"]["first_order"], customer["stats"]["last_order"]) == ("2026-01-04", "2026-03-08")
    assert [o["day"] for o in customer["recent_orders"]] == ["2026-03-08", "2026-01-04"]
    assert customer["stats"]["days_since_last"] == 0
    summary = answer(ctx(), "").data
    assert (summary["first_order"], summary["last_order"]) == ("2026-01-04", "2026-03-08")
    assert "2026-03-09" not in str(answer(ctx(), "customer late").message), zone


def test_a_follow_up_and_its_won_back_note_are_dated_locally(store, tmp_path):
    db, zone = store
    db.execute(
        "INSERT INTO followups (customer_id, opened_at, value_at_open) VALUES ('early', ?, 100)",
        [datetime(2026, 2, 20, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
    )
    path = tmp_path / "again.csv"
    path.write_text(f"id,customer_id,ordered_at,amount\no4,early,{local(zone, DAY, 23, 59)},60\n")
    report = import_file(db, "orders", path, tz=ZoneInfo(zone), now=datetime(2026, 3, 9, 12, tzinfo=UTC))
    assert report.won_back == 1
    assert (
        db.execute("SELECT note FROM followups WHERE customer_id = 'early'").fetchone()[0]
        == "ordered again on 2026-03-08"
    )


def test_the_score_counts_purchase_days_locally(store):
    db, _zone = store
    run = run_score(Context(db, as_of=DAY, now=datetime(2026, 3, 9, 12, tzinfo=UTC)))
    assert run.customers == 2
    recency = dict(db.execute("SELECT customer_id, recency_days FROM customer_scores"))
    assert recency == {"late": (DAY - date(2026, 1, 4)).days, "early": 0}


def test_period_boundaries_are_the_workspaces_midnights(store, tmp_path):
    db, zone = store
    path = tmp_path / "edge.csv"
    path.write_text(
        "id,customer_id,ordered_at,amount\n"
        f"q1,edge,{local(zone, date(2026, 3, 31), 23, 59)},11\n"
        f"q2,edge,{local(zone, date(2026, 4, 1), 0, 1)},13\n"
    )
    import_file(db, "orders", path, tz=ZoneInfo(zone), now=IMPORTED_AT)
    ctx = lambda: Context(db, as_of=date(2026, 6, 30))  # noqa: E731
    q1, q2 = answer(ctx(), "kpis 2026-Q1").data, answer(ctx(), "kpis 2026-Q2").data
    assert (q1["orders"], q1["revenue"]) == (4, 50 + 70 + 40 + 11)
    assert (q2["orders"], q2["revenue"]) == (1, 13)
    march = answer(Context(db, as_of=date(2026, 3, 31)), "top 5 2026-03").data["customers"]
    assert {c["customer_id"]: c["last_order"] for c in march}["edge"] == "2026-03-31"
