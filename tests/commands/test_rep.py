"""`rep [@user]`: one rep's book, or the team."""

from datetime import date

import pytest

from commands import Context, answer
from commands.blocks import limit_problems
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store


@pytest.fixture
def small(tmp_path):
    db = build_store(
        tmp_path / "small.db",
        orders=ORDERS,
        customers=CUSTOMERS,
        feedback=FEEDBACK,
        reps=[("U0UMA001", "Uma Reyes"), ("U0UGO001", "Ugo")],
    )
    db.execute("UPDATE customers SET owner_rep_id = 'U0UMA001' WHERE owner_rep_id = 'U1'")
    db.execute("UPDATE customers SET owner_rep_id = 'U0UGO001' WHERE owner_rep_id = 'U2'")
    db.execute(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, value_at_open) "
        "VALUES ('e', 'U0UMA001', 'open', '2026-09-01T00:00:00Z', 570)"
    )
    db.conn.commit()
    yield db
    db.conn.close()


def _ask(db, text, user_id=None):
    a = answer(Context(db, as_of=date(2026, 9, 30), user_id=user_id), text)
    assert a.ok, a.message
    assert limit_problems(a.message) == []
    return a


@pytest.mark.parametrize(
    ("text", "user"),
    [("rep @uma", None), ("rep <@U0UMA001>", None), ("rep uma", None), ("rep rep:@uma", None), ("rep", "U0UMA001")],
)
def test_one_book(small, text, user):
    d = _ask(small, text, user).data
    assert d["rep"] == {"id": "U0UMA001", "name": "Uma Reyes"}
    # a (180 to date) and e (570): e last ordered 2026-05-01, more than 90 days before Sep 30
    assert (d["customers"], d["active"], d["revenue"]) == (2, 0, 750.0)
    assert d["revenue_12m"] == 750.0  # the 365 days 2025-10-01..2026-09-30 hold all of it
    assert d["crr_period"]["label"] == "2026-Q2"
    assert (d["crr"]["S"], d["crr"]["E"], d["crr"]["N"], d["crr"]["crr"]) == (1, 2, 0, 200.0)
    assert d["open_followups"] == 1 and d["followups"][0]["customer_id"] == "e"


def test_revenue_12m_is_the_365_days_to_as_of(small):
    d = answer(Context(small, as_of=date(2026, 10, 1)), "rep @uma").data
    assert (d["revenue"], d["revenue_12m"]) == (750.0, 250.0)  # e's 500 on 2025-10-01 drops out


def test_team_table(small):
    d = _ask(small, "rep", "U0NOTREP").data
    assert [(r["id"], r["customers"], r["crr"]["S"]) for r in d["reps"]] == [("U0UGO001", 1, 0), ("U0UMA001", 2, 1)]
    assert [r["open_followups"] for r in d["reps"]] == [0, 1]


@pytest.mark.parametrize(("segment", "uma", "ugo"), [("Enterprise", 1, 1), ("SMB", 1, 0)])
def test_a_segment_team_table_counts_the_follow_ups_each_book_does(small, segment, uma, ugo):
    """Each rep's open follow-ups in the `segment:` team table are those of
    the segment's customers, as `rep @x segment:` counts them."""
    small.execute(
        "INSERT INTO followups (customer_id, rep_id, state, opened_at, value_at_open, closed_at) VALUES "
        "('a', 'U0UMA001', 'open', '2026-09-02T00:00:00Z', 180, NULL), "
        "('c', 'U0UGO001', 'open', '2026-09-02T00:00:00Z', 90, NULL), "
        "('d', 'U0UGO001', 'dismissed', '2026-09-02T00:00:00Z', 50, '2026-09-03T00:00:00Z')"
    )
    small.conn.commit()
    team = _ask(small, f"rep segment:{segment}", "U0NOTREP").data
    assert {r["id"]: r["open_followups"] for r in team["reps"]} == {"U0UMA001": uma, "U0UGO001": ugo}
    for rep, n in (("uma", uma), ("ugo", ugo)):
        assert _ask(small, f"rep @{rep} segment:{segment}").data["open_followups"] == n
    everyone = _ask(small, "rep", "U0NOTREP").data
    assert {r["id"]: r["open_followups"] for r in everyone["reps"]} == {"U0UMA001": 2, "U0UGO001": 1}


def test_unknown_rep(small):
    a = answer(Context(small, as_of=date(2026, 9, 30)), "rep @nobody")
    assert not a.ok and "no rep called `nobody`" in a.data["error"]


def test_a_request_reads_the_reps_once_however_many_words_it_tries(small):
    """`rep:` tries runs of the following words until one names a rep; the
    reps are read once for all of them."""
    statements: list[str] = []
    small.conn.set_trace_callback(statements.append)
    try:
        d = _ask(small, "kpis rep:@uma reyes last-quarter share").data  # spans of 3, 2, then 1 word
    finally:
        small.conn.set_trace_callback(None)
    assert d == _ask(small, "kpis rep:<@U0UMA001> last-quarter share").data
    assert sum("FROM reps ORDER BY name" in s for s in statements) == 1


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("<@U0UGO001>", "U0UGO001"),
        ("<@U0UGO001|ugo>", "U0UGO001"),
        ("@Uma Reyes", "U0UMA001"),
        ("uma", "U0UMA001"),
        ("UGO", "U0UGO001"),
        ("U0SOMEONE", "U0SOMEONE"),
        ("UMA2", None),
        ("@", None),
        ("", None),
    ],
)
def test_which_rep_a_word_names(small, word, expected):
    from commands.rep_names import rep_named, rep_resolver

    assert rep_named(word, rep_resolver(small)) == expected


def test_a_claim_moves_the_customer_into_the_claimers_book_at_once(small):
    """Books and `rep:` filters are kept per store content (commands.kpi_inputs);
    a claim changes an owner without an import, and the next answer sees it."""
    from datetime import UTC, datetime

    from storage.followup_actions import claim_customer

    small.execute("UPDATE customers SET owner_rep_id = NULL WHERE id = 'e'")
    small.conn.commit()
    before = _ask(small, "rep @ugo").data["customers"]
    team = {r["id"]: r["customers"] for r in _ask(small, "rep", "U0NOTREP").data["reps"]}
    crr_before = _ask(small, "crr rep:@ugo").data
    claim_customer(small, "e", "U0UGO001", datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert _ask(small, "rep @ugo").data["customers"] == before + 1
    assert {r["id"]: r["customers"] for r in _ask(small, "rep", "U0NOTREP").data["reps"]}["U0UGO001"] == (
        team["U0UGO001"] + 1
    )
    assert _ask(small, "crr rep:@ugo").data != crr_before
