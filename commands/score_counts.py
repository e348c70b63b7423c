"""How many scored and quiet customers a filter keeps, for at-risk and top:
the count of a `segment:` or `rep:` filter looks up each of its customers'
scores (~120k at a million customers, ~0.4 s), so it is kept per what it
depends on — the store's content (an import or sync may move a customer
between segments or books), the owners mark (a claim moves one without an
import) and the score snapshot (a `score` run) — and only the silenced ones,
which change with dismissals and with time, are counted on every ask."""

from sqlite_utils import Database

from commands.kept import Kept
from storage.order_columns import content_key
from storage.queries import Filters
from storage.reps import load_owners_mark
from storage.scores import count_scores, count_silenced_quiet, load_scores_mark

_kept: Kept[dict[str, int]] = Kept(64)


def scope_score_counts(db: Database, filters: Filters, silenced_since: str | None = None) -> dict[str, int]:
    """storage.scores.count_scores, the filter's pass over its customers kept."""
    if not filters.active:
        return count_scores(db, filters, silenced_since=silenced_since)
    key = (content_key(db), load_owners_mark(db), load_scores_mark(db), filters)
    counts = _kept.get(key, lambda: count_scores(db, filters))
    silenced = count_silenced_quiet(db, filters, silenced_since) if silenced_since else 0
    return {"scored": counts["scored"], "quiet": counts["quiet"] - silenced}
