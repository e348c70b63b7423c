"""`at-risk`, `customer` and `top` on the scored CDNOW store: Block Kit
limits, escaping of customer data, JSON numbers, filters, model line."""

import json
from datetime import UTC, date, datetime

import pytest

from commands import answer
from commands.blocks import limit_problems
from commands.core import Context
from commands.scoring import run_score
from storage.importer import import_file

AS_OF = date(1997, 9, 30)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> *Bold* & _Co_"


@pytest.fixture
def scored(cdnow_db, tmp_path):
    """CDNOW scored at the end of calibration; the two most valuable quiet
    customers get names, segments and owners (one with a hostile name)."""
    run_score(Context(cdnow_db, as_of=AS_OF, now=NOW))
    top = [
        r[0]
        for r in cdnow_db.execute(
            "SELECT customer_id FROM customer_scores WHERE quiet = 1 ORDER BY predicted_clv_12m DESC LIMIT 2"
        )
    ]
    path = tmp_path / "customers.csv"
    path.write_text(
        "id,name,email,company,segment,owner_rep_id\n"
        f'{top[0]},"{HOSTILE}",evil@example.com,<@U999> Inc,Enterprise,U0MARIA01\n'
        f"{top[1]},Jane Doe,jane@example.com,Doe Bakery,SMB,U0SAM0001\n"
    )
    import_file(cdnow_db, "customers", path, now=NOW)
    return cdnow_db, top


def ask(db, text):
    a = answer(Context(db, as_of=AS_OF, now=NOW), text)
    assert limit_problems(a.message) == [], text
    json.dumps(a.data)  # JSON-serialisable as it is
    return a


def test_at_risk_lists_quiet_customers_by_value_with_reason_and_owner(scored):
    db, top = scored
    a = ask(db, "at-risk 5")
    d = a.data
    assert d["total"] == 137 and d["shown"] == 5 and d["scored"] == 2357
    values = [c["value"] for c in d["customers"]]
    assert values == sorted(values, reverse=True) and all(isinstance(v, float) for v in values)
    first = d["customers"][0]
    assert first["customer_id"] == top[0] and first["owner_rep_id"] == "U0MARIA01"
    assert isinstance(first["p_alive"], float) and 0 < first["p_alive"] < 1
    assert isinstance(first["days_since_last"], float) and first["followup_state"] == "open"
    assert first["reason"].startswith("orders every ~") and "P(alive)" in first["reason"]
    blob = json.dumps(a.message)
    assert "Model: BG/NBD + Gamma-Gamma fitted on 2,357 customers (946 repeat buyers)" in blob
    assert "<@U0MARIA01>" in blob and "owner unassigned" in blob


def test_customer_data_is_escaped_everywhere(scored):
    db, top = scored
    for text in ("at-risk", f"customer {top[0]}", "top 3", "customer e"):
        msg = ask(db, text).message
        # Headers are plain_text, which Slack never parses; everything else is mrkdwn.
        blob = json.dumps([msg["text"], [b for b in msg["blocks"] if b["type"] != "header"]])
        assert "<!channel>" not in blob and "<@U999>" not in blob, text
    blob = json.dumps(ask(db, "at-risk").message)
    assert "&lt;!channel&gt;" in blob and "&amp;" in blob


def test_filters_narrow_the_list(scored):
    db, top = scored
    assert [c["customer_id"] for c in ask(db, "at-risk segment:smb").data["customers"]] == [top[1]]
    a = ask(db, "at-risk rep:U0MARIA01")
    assert [c["customer_id"] for c in a.data["customers"]] == [top[0]] and a.data["total"] == 1
    assert ask(db, "at-risk segment:Nobody").data["total"] == 0


def test_at_risk_count_argument(scored):
    db, _ = scored
    assert ask(db, "at-risk 200").data["shown"] == 50
    bad = answer(Context(db, as_of=AS_OF), "at-risk 0")
    assert not bad.ok and "at least one" in bad.data["error"]
    words = answer(Context(db, as_of=AS_OF), "at-risk lots")
    assert not words.ok and "takes a number" in words.data["error"]


def test_customer_shows_history_score_and_reason(scored):
    db, top = scored
    d = ask(db, "customer jane@example.com").data
    assert d["customer"]["id"] == top[1] and d["customer"]["name"] == "Jane Doe"
    s = d["stats"]
    assert isinstance(s["orders"], int) and isinstance(s["revenue"], float) and s["first_order"] <= s["last_order"]
    assert d["score"]["quiet"] and d["score"]["reason"].startswith("orders every")
    assert isinstance(d["score"]["p_alive"], float) and isinstance(d["score"]["value"], float)
    assert d["recent_orders"] and all(isinstance(o["amount"], float) for o in d["recent_orders"])
    assert d["model"]["model"] == "bgnbd+gg"


def test_customer_by_id_matches_the_orders(scored):
    db, _ = scored
    d = ask(db, "customer 11").data  # CDNOW customer 11: 6 orders to 1997-06-21
    assert d["stats"] == {
        "orders": 6,
        "revenue": 166.19,
        "first_order": "1997-01-01",
        "last_order": "1997-06-21",
        "purchase_days": 6,
        "typical_gap_days": pytest.approx(34.2),
        "own_gap": True,
        "days_since_last": 101,
    }


def test_customer_with_several_matches_or_none(scored):
    db, _ = scored
    many = ask(db, "customer example.com")
    assert {m["customer_id"] for m in many.data["matches"]} == set(scored[1])
    assert "Which one?" in json.dumps(many.message)
    none = ask(db, "customer nobody-here")
    assert not none.ok and none.data["matches"] == []


def test_top_by_predicted_value_then_by_period_revenue(scored):
    db, _ = scored
    d = ask(db, "top 3").data
    assert d["basis"] == "predicted_clv_12m" and len(d["customers"]) == 3 and d["total"] == 2357
    assert d["customers"][0]["customer_id"] == "509" and d["customers"][0]["value"] == pytest.approx(1245, abs=1)
    q2 = ask(db, "top 3 1997-Q2").data
    assert q2["basis"] == "revenue" and q2["period"]["start"] == "1997-04-01" and q2["total"] == 524
    assert [c["customer_id"] for c in q2["customers"]] == ["2332", "509", "325"]
    assert q2["customers"][0]["value"] == pytest.approx(734.78)


def test_top_without_scores_ranks_by_revenue(cdnow_db):
    a = answer(Context(cdnow_db, as_of=AS_OF), "top 2")
    assert a.data["basis"] == "revenue" and len(a.data["customers"]) == 2
    assert "No scores yet" in json.dumps(a.message)
    assert limit_problems(a.message) == []


def test_quiet_customers_are_read_off_their_index_as_a_full_read_finds_them(scored):
    """storage.scores reads the quiet customers (and counts them) off a
    partial index in value order; the same rows, in the same order, as
    reading every score row and sorting, with filters and a silenced one."""
    from storage.followup_actions import silence_start, silenced_customers_sql
    from storage.queries import Filters
    from storage.schema import QUIET_BY_VALUE
    from storage.scores import count_scores, load_scores

    db, top = scored
    db.execute(
        "INSERT INTO followups (customer_id, state, opened_at, closed_at, value_at_open) "
        "SELECT customer_id, 'dismissed', '2026-11-01T00:00:00Z', '2026-11-20T00:00:00Z', predicted_clv_12m "
        "FROM customer_scores WHERE customer_id = ?",
        [top[1]],
    )
    db.conn.commit()
    silenced = silence_start(NOW, 30)
    plan = db.execute(
        f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM customer_scores s INDEXED BY {QUIET_BY_VALUE} WHERE s.quiet = 1"
    ).fetchall()
    assert any(QUIET_BY_VALUE in row[-1] for row in plan)
    for filters in (Filters(), Filters(segment="enterprise"), Filters(rep_id="U0SAM0001")):
        where, args = filters.where()
        plain = [
            r[0]
            for r in db.execute(
                "SELECT s.customer_id FROM customer_scores s NOT INDEXED JOIN customers c ON c.id = s.customer_id "
                f"WHERE {where} AND s.quiet = 1 AND s.customer_id NOT IN ({silenced_customers_sql()}) "
                "ORDER BY COALESCE(s.predicted_clv_12m, s.revenue_12m) DESC, s.customer_id",
                {**args, "silence_start": silenced},
            )
        ]
        rows = load_scores(db, filters, quiet_only=True, limit=50, silenced_since=silenced)
        assert [r["customer_id"] for r in rows] == plain[:50]
        counts = count_scores(db, filters, silenced_since=silenced)
        scored_count = db.execute(
            f"SELECT COUNT(*) FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE {where}", args
        ).fetchone()[0]
        assert counts == {"scored": scored_count, "quiet": len(plain)}
    assert top[1] not in [r["customer_id"] for r in load_scores(db, quiet_only=True, silenced_since=silenced)]
    assert len(load_scores(db, quiet_only=True, limit=50)) == 50


def test_filtered_counts_follow_a_customers_import_a_dismissal_and_a_new_score(scored, tmp_path):
    """A filter's scored and quiet counts are kept between asks
    (commands.score_counts): a customers import that moves customers into
    the segment, a "not at risk" and a `score` run on later data each give
    the counts a fresh read finds, not the kept ones."""
    from storage.followup_actions import silence_start
    from storage.queries import Filters
    from storage.scores import count_scores

    db, _ = scored
    text, filters = "at-risk 3 segment:Mid", Filters(segment="Mid")

    def counts(as_of=AS_OF):
        d = answer(Context(db, as_of=as_of, now=NOW), text).data
        fresh = count_scores(db, filters, silenced_since=silence_start(NOW, 30))
        assert {"scored": d["scored"], "quiet": d["total"]} == fresh
        return fresh

    assert counts() == {"scored": 0, "quiet": 0}
    ids = [r[0] for r in db.execute("SELECT customer_id FROM customer_scores ORDER BY customer_id LIMIT 400")]
    path = tmp_path / "mid.csv"
    path.write_text("id,segment\n" + "".join(f"{i},Mid\n" for i in ids))
    import_file(db, "customers", path, now=NOW)
    moved = counts()
    assert moved["scored"] == 400 and moved["quiet"] > 1
    quiet = db.execute(
        "SELECT customer_id FROM customer_scores WHERE quiet = 1 AND customer_id IN "
        "(SELECT id FROM customers WHERE segment = 'Mid') ORDER BY customer_id LIMIT 1"
    ).fetchone()[0]
    dismissed = db.execute(
        "UPDATE followups SET state = 'dismissed', closed_at = '2026-11-20T00:00:00Z' "
        "WHERE customer_id = ? AND closed_at IS NULL",
        [quiet],
    ).rowcount
    db.conn.commit()
    assert dismissed == 1 and counts() == {"scored": 400, "quiet": moved["quiet"] - 1}
    run_score(Context(db, as_of=date(1998, 6, 30), now=NOW))
    rescored = counts(date(1998, 6, 30))
    assert rescored["quiet"] != moved["quiet"] - 1
