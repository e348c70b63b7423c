"""Reads behind the daily digest and the reps' reminders.

"Since the last digest" is measured from the previous digest the channel
actually received: the `created_at` of its latest *sent* delivery from an
earlier local day (the content is built right before the row is written, so
nothing that happened between two builds is missed, and a digest that never
went out does not hide what it would have said). Lists come back as plain
dicts (NULL as None), most valuable first, with the total beside them.
"""

from sqlite_utils import Database

from storage.followup_actions import due_condition, silenced_customers_sql

_ITEM_SELECT = (
    "SELECT f.id AS followup_id, f.customer_id, c.name, c.company, f.rep_id, c.owner_rep_id, f.state, "
    "f.opened_at, f.snooze_until, f.reminded_at, f.reminder_count, f.escalated_at, f.closed_at, "
    "f.value_at_open, f.note, COALESCE(s.predicted_clv_12m, s.revenue_12m, f.value_at_open) AS value, "
    "c.last_order_at, "
    # The going-quiet reason: its code and the figures it says (commands.value_parts.quiet_reason).
    "s.reason_code, s.typical_gap_days, s.tenure_days, s.recency_days, s.p_alive, s.frequency, "
    "s.predicted_clv_12m, s.value_pct "
    "FROM followups f JOIN customers c ON c.id = f.customer_id "
    "LEFT JOIN customer_scores s ON s.customer_id = f.customer_id "
)


def previous_digest_at(db: Database, channel: str, local_date: str) -> str | None:
    """When the channel's last received digest (from a day before
    `local_date`, YYYY-MM-DD) was built, or None before the first one.
    Keys are `digest:<date>:<channel>[:<resend>]`, so the date sits at a
    fixed place in the key."""
    row = db.execute(
        "SELECT MAX(created_at) FROM deliveries WHERE kind = 'digest' AND channel = ? AND status = 'sent' "
        "AND key LIKE 'digest:%' AND substr(key, 8, 10) < ?",
        [channel, local_date],
    ).fetchone()
    return row[0]


def load_due_items(db: Database, rep_id: str, now: str, silence_start: str, limit: int) -> tuple[list[dict], int]:
    """A rep's follow-ups waiting for them (open, or back from a snooze),
    not silenced, highest value at risk first; and how many there are."""
    where = f"WHERE f.rep_id = :rep_id AND {due_condition()} AND f.customer_id NOT IN ({silenced_customers_sql()})"
    args = {"rep_id": rep_id, "now": now, "silence_start": silence_start}
    total = db.execute(f"SELECT COUNT(*) FROM followups f {where}", args).fetchone()[0]  # noqa: S608
    rows = list(
        db.query(_ITEM_SELECT + where + " ORDER BY value DESC, f.id LIMIT :limit", {**args, "limit": int(limit)})
    )
    return rows, total


def load_items(db: Database, followup_ids: list[int]) -> list[dict]:
    """These follow-ups as message items, in the order given."""
    if not followup_ids:
        return []
    marks = ", ".join("?" * len(followup_ids))
    rows = {
        r["followup_id"]: r for r in db.query(_ITEM_SELECT + f"WHERE f.id IN ({marks})", [int(i) for i in followup_ids])
    }
    return [rows[i] for i in followup_ids if i in rows]


def load_customer_item(db: Database, customer_id: str) -> dict | None:
    """The customer's current (else latest) follow-up as a message item."""
    rows = list(
        db.query(
            _ITEM_SELECT + "WHERE f.customer_id = ? ORDER BY f.closed_at IS NOT NULL, f.opened_at DESC LIMIT 1",
            [customer_id],
        )
    )
    return rows[0] if rows else None


def load_went_quiet(db: Database, since: str, until: str, silence_start: str, limit: int) -> tuple[list[dict], int]:
    """Customers flagged as going quiet in [since, until) — the score run
    opens a follow-up the day a customer becomes quiet — still unresolved
    and not silenced."""
    where = (
        "WHERE f.opened_at >= :since AND f.opened_at < :until AND f.closed_at IS NULL "
        f"AND f.customer_id NOT IN ({silenced_customers_sql()})"
    )
    args = {"since": since, "until": until, "silence_start": silence_start}
    total = db.execute(f"SELECT COUNT(*) FROM followups f {where}", args).fetchone()[0]  # noqa: S608
    rows = list(
        db.query(_ITEM_SELECT + where + " ORDER BY value DESC, f.id LIMIT :limit", {**args, "limit": int(limit)})
    )
    return rows, total


def load_won_back(db: Database, since: str, until: str, limit: int) -> tuple[list[dict], int]:
    """Follow-ups closed as won back in [since, until), with the credited rep."""
    where = "WHERE f.state = 'won_back' AND f.closed_at >= :since AND f.closed_at < :until"
    args = {"since": since, "until": until}
    total = db.execute(f"SELECT COUNT(*) FROM followups f {where}", args).fetchone()[0]  # noqa: S608
    rows = list(
        db.query(
            _ITEM_SELECT + where + " ORDER BY f.value_at_open DESC, f.id LIMIT :limit", {**args, "limit": int(limit)}
        )
    )
    return rows, total


def load_overdue(db: Database, now: str, overdue_before: str, newly_after: str, silence_start: str) -> dict:
    """Follow-ups due since before `overdue_before` (now − escalate_after_days):
    how many, how many became overdue after `newly_after`, and per rep."""
    due_since = "COALESCE(f.snooze_until, f.opened_at)"
    where = (
        f"WHERE {due_condition()} AND {due_since} <= :overdue_before "
        f"AND f.customer_id NOT IN ({silenced_customers_sql()})"
    )
    rows = db.execute(
        f"SELECT f.rep_id, COUNT(*), SUM({due_since} > :newly_after) FROM followups f {where} "  # noqa: S608
        "GROUP BY f.rep_id ORDER BY COUNT(*) DESC, f.rep_id",
        {"now": now, "overdue_before": overdue_before, "newly_after": newly_after, "silence_start": silence_start},
    ).fetchall()
    return {
        "count": sum(r[1] for r in rows),
        "new": sum(r[2] or 0 for r in rows),
        "by_rep": [{"rep_id": r[0], "count": r[1]} for r in rows],
    }


def count_feedback_between(db: Database, kind: str, since: str, until: str) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM feedback WHERE kind = ? AND submitted_at >= ? AND submitted_at < ?",
        [kind, since, until],
    ).fetchone()[0]
