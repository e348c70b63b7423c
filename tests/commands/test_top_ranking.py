"""`top` ranks from the in-process order frame; an independent SQL GROUP BY
over the same orders must give the same customers, revenue and dates."""

from datetime import date

import pytest

from bot.demo import ensure_demo_store
from commands import Context, answer
from commands.core import Request
from commands.top import _top_revenue
from storage.queries import Filters


def _sql_top(db, start, end, filters, n):
    where, args = filters.where()
    cond, params = "o.status = 'paid' AND o.ordered_at < :end", {**args, "end": end}
    if start:
        cond += " AND o.ordered_at >= :start"
        params["start"] = start
    rows = db.execute(
        "SELECT c.id, SUM(o.amount) AS revenue, COUNT(*), MAX(o.ordered_at) FROM orders o "
        f"JOIN customers c ON c.id = o.customer_id WHERE {cond} AND {where} "
        "GROUP BY c.id ORDER BY revenue DESC, c.rowid LIMIT :n",
        {**params, "n": n},
    ).fetchall()
    buyers = db.execute(
        f"SELECT COUNT(DISTINCT o.customer_id) FROM orders o JOIN customers c ON c.id = o.customer_id "
        f"WHERE {cond} AND {where}",
        params,
    ).fetchone()[0]
    return rows, buyers


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db, _ = ensure_demo_store(str(tmp_path_factory.mktemp("top") / "demo.db"), today=date(2026, 11, 22))
    yield db
    db.conn.close()


@pytest.mark.parametrize(
    "filters", [Filters(), Filters(segment="Enterprise"), Filters(rep_id="U0DEMO003")], ids=["all", "segment", "rep"]
)
@pytest.mark.parametrize("start", [None, "2026-07-01T00:00:00Z"], ids=["all-time", "2026-Q3"])
def test_frame_ranking_matches_sql(demo, filters, start):
    ctx = Context(demo, as_of=date(2026, 11, 22))
    end = "2026-10-01T00:00:00Z" if start else ctx.cutoff
    ours, buyers = _top_revenue(ctx, Request("top", filters=filters), start, end, 15)
    expected, expected_buyers = _sql_top(demo, start, end, filters, 15)
    assert buyers == expected_buyers > 15
    assert [r["customer_id"] for r in ours] == [r[0] for r in expected]
    assert [r["revenue"] for r in ours] == pytest.approx([r[1] for r in expected])
    assert [r["orders"] for r in ours] == [r[2] for r in expected]
    assert [r["last_order"] for r in ours] == [r[3][:10] for r in expected]  # a UTC workspace: the UTC day


def test_top_command_by_period_reports_numbers(demo):
    a = answer(Context(demo, as_of=date(2026, 11, 22)), "top 5 2026-Q3 segment:SMB")
    assert a.data["basis"] == "revenue" and len(a.data["customers"]) == 5
    values = [c["value"] for c in a.data["customers"]]
    assert values == sorted(values, reverse=True) and all(isinstance(v, float) for v in values)
