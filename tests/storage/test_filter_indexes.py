"""`segment:` and `rep:` filters walk an index that holds the customers'
ids (migration m013): counting a filter's follow-ups, scores and customers
reads no customer's table row. Checked by the query plans of the statements
the counts run, caught on the store's own connection (no timing)."""

import pytest

from storage import open_db
from storage.followups import count_followups, load_followups
from storage.queries import Filters, load_filter_rowids
from storage.schema import OPEN_BY_VALUE
from storage.scores import count_scores


def _plans(db, run) -> list[str]:
    """The query plan lines of every statement `run` executes on `db`."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        db.conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            plans += [row[3] for row in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    return plans


@pytest.mark.parametrize(
    ("filters", "index"),
    [(Filters(segment="enterprise"), "customers_segment"), (Filters(rep_id="U1"), "customers_owner")],
)
def test_filtered_counts_find_the_customers_in_the_index_alone(db_path, filters, index):
    db = open_db(db_path)
    counts = (
        lambda: count_scores(db, filters, silenced_since="2026-01-01T00:00:00Z"),
        lambda: count_followups(db, None, filters, closed_since="2026-01-01T00:00:00Z"),
        lambda: load_filter_rowids(db, filters),
    )
    for run in counts:
        plans = _plans(db, run)
        assert any(f"COVERING INDEX {index}" in p for p in plans), plans
        assert not any(p.startswith("SCAN c") for p in plans), plans
    page = _plans(db, lambda: load_followups(db, None, filters, limit=15))
    assert any(index in p for p in page) and not any(p.startswith("SCAN c") for p in page), page
    # the page walks the open follow-ups in its own order and stops when full: no sort, no walk of the filter
    assert any(f"SCAN f USING INDEX {OPEN_BY_VALUE}" in p for p in page), page
    assert not any("TEMP B-TREE" in p for p in page), page
    db.conn.close()
