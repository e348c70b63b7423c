"""`followups [mine|all]` lists the follow-ups table."""

import json
from datetime import UTC, date, datetime

import pytest

from commands import Context, answer
from commands.blocks import limit_problems
from tests.support.stores import build_store

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    db = build_store(
        tmp_path / "f.db",
        reps=[("U0MARIA1", "Maria"), ("U0SAM001", "Sam")],
        customers=[
            ("c1", "Acme <!channel>", "Acme", "SMB", "U0MARIA1", ""),
            ("c2", "Beta", "", "SMB", "U0SAM001", ""),
            ("c3", "Gamma", "", "Enterprise", "U0MARIA1", ""),
        ],
        orders=[("o1", "c1", "2026-01-01", 10, "paid")],
    )
    rows = [
        ("c1", "U0MARIA1", "open", "2026-11-01T08:00:00Z", None, 2, None, 4200.0),
        ("c2", "U0SAM001", "snoozed", "2026-11-05T08:00:00Z", "2026-11-30T00:00:00Z", 1, None, None),
        ("c3", "U0MARIA1", "won_back", "2026-10-01T08:00:00Z", None, 3, "2026-11-10T08:00:00Z", 900.0),
        ("c2", "U0SAM001", "dismissed", "2026-06-01T08:00:00Z", None, 0, "2026-06-10T08:00:00Z", 100.0),
    ]
    db.conn.executemany(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, snooze_until, reminder_count, closed_at, "
        "value_at_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.commit()
    yield db
    db.conn.close()


def _ask(db, text, user_id=None):
    a = answer(Context(db, as_of=date(2026, 11, 22), now=NOW, user_id=user_id), text)
    assert limit_problems(a.message) == []
    json.dumps(a.data, allow_nan=False)  # plain numbers and strings
    return a


def test_mine_is_the_default_for_a_rep(store):
    a = _ask(store, "followups", user_id="U0MARIA1")
    assert a.data["scope"] == "mine" and a.data["open"] == 1
    f = a.data["followups"][0]
    assert (f["customer_id"], f["state"], f["value_at_open"], f["reminder_count"]) == ("c1", "open", 4200.0, 2)
    assert a.data["closed_last_30_days"] == {"won_back": 1}
    body = a.message["blocks"][1]["text"]["text"]
    assert "Acme &lt;!channel&gt;" in body and "$4,200 at stake" in body and "reminded 2×" in body


def test_all_lists_everyones_open_followups(store):
    a = _ask(store, "followups all", user_id="U0MARIA1")
    assert a.data["open"] == 2
    assert [f["customer_id"] for f in a.data["followups"]] == ["c1", "c2"]
    assert "snoozed since 2026-11-05 until 2026-11-30" in a.message["blocks"][1]["text"]["text"]
    assert "<@U0SAM001>" in a.message["blocks"][1]["text"]["text"]
    assert _ask(store, "followups", user_id="U0NOTREP").data["scope"] == "all"
    assert _ask(store, "followups all segment:Enterprise").data["open"] == 0


def test_mistakes(store):
    a = _ask(store, "followups mien", user_id="U0MARIA1")
    assert not a.ok and "Did you mean `mine`?" in a.data["error"]
    a = _ask(store, "followups mine")
    assert not a.ok and "don't know who you are" in a.data["error"]


def test_a_slack_answer_lists_a_page_and_the_json_every_followup(tmp_path):
    """Slack shows a page, so its answer reads that page and the counts
    (commands.answer with_data=False); the JSON, made when read, still lists
    every open follow-up, and its first page is the page the message shows,
    ties in value and opening time included."""
    customers = [(f"c{i:03d}", f"Customer {i:03d}", "", "SMB", "U0MARIA1", "") for i in range(40)]
    db = build_store(tmp_path / "many.db", reps=[("U0MARIA1", "Maria")], customers=customers, orders=[])
    rows = [
        (f"c{i:03d}", "U0MARIA1", "open", "2026-11-01T08:00:00Z", None if i % 3 else 500.0 * (i % 4))
        for i in range(37, 3, -1)
    ]
    rows += [(f"c{i:03d}", "U0MARIA1", "won_back", "2026-10-01T08:00:00Z", 10.0) for i in range(4)]
    db.conn.executemany(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, value_at_open) VALUES (?, ?, ?, ?, ?)", rows
    )
    db.conn.execute("UPDATE followups SET closed_at = '2026-11-10T08:00:00Z' WHERE state = 'won_back'")
    db.conn.commit()
    ctx = Context(db, as_of=date(2026, 11, 22), now=NOW)
    whole = answer(ctx, "followups all 20")
    page = answer(ctx, "followups all 20", with_data=False)
    assert page.message == whole.message
    data = whole.data
    assert (data["open"], data["shown"], data["closed_last_30_days"]) == (34, 20, {"won_back": 4})
    values = [(f["value_at_open"] is None, -(f["value_at_open"] or 0), f["id"]) for f in data["followups"]]
    assert values == sorted(values)  # most valuable first; ties by id
    names = [f["customer_name"] for f in data["followups"][:20]]
    body = json.dumps(page.message)
    assert all(name in body for name in names)
    assert data["followups"][20]["customer_name"] not in body
    assert page.data == data  # made on first read
    db.conn.close()
