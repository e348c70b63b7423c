"""Reps, their managers and their books."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlite_utils import Database

from storage.followups import count_open_followups_by_rep
from storage.queries import Filters

if TYPE_CHECKING:
    import numpy as np


def load_books(db: Database, filters: Filters) -> dict[str, np.ndarray]:
    """customers.rowid per owning rep, for the customers the filter keeps
    (one read for the whole team instead of one per rep). The rowids come
    back as one text per rep, off the owner index: a row per customer
    through Python costs 4× as much (~0.26 s at 100k customers), and is
    parsed by numpy (storage.packed.integers), not split into strings."""
    from storage.packed import integers

    where, args = filters.where()
    rows = db.execute(
        f"SELECT c.owner_rep_id, group_concat(c.rowid) FROM customers c "  # noqa: S608
        f"WHERE c.owner_rep_id IS NOT NULL AND {where} GROUP BY c.owner_rep_id",
        args,
    ).fetchall()
    return {rep: integers(rowids) for rep, rowids in rows}


def load_rep_books(db: Database, filters: Filters) -> list[dict]:
    """Per rep: open follow-ups of the customers `filters` keeps — the count
    one rep's book gives with the same filters (storage.followups), so a
    `segment:` team table agrees with each book. What a book holds comes
    from load_books."""
    opened = count_open_followups_by_rep(db, filters)
    reps = db.query("SELECT id, name, email, active FROM reps ORDER BY name, id")
    return [{**rep, "open_followups": opened.get(rep["id"], 0)} for rep in reps]


def load_owners_mark(db: Database) -> int | None:
    """Changes whenever a customer may have changed owner other than by an
    import or a sync (which change storage.order_columns.content_key): the
    only such write, storage.followup_actions.claim_customer, audits the
    claim in its transaction, so the newest audit row marks it. Who owns
    whom, and so every book and `rep:` filter, is the same while the content
    key and this mark are (commands.kpi_inputs keeps them by both)."""
    return db.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]


def load_rep(db: Database, rep_id: str) -> dict | None:
    row = db.execute("SELECT id, name, email, tz, manager_id, active FROM reps WHERE id = ?", [rep_id]).fetchone()
    return dict(zip(("id", "name", "email", "tz", "manager_id", "active"), row, strict=True)) if row else None


def load_reps(db: Database) -> list[dict]:
    """Every rep (id, name, email), by name."""
    cur = db.execute("SELECT id, name, email FROM reps ORDER BY name")
    return [dict(zip(("id", "name", "email"), row, strict=True)) for row in cur]


def load_team(db: Database, user_id: str) -> tuple[bool, list[str]]:
    """Whether `user_id` is an active rep, and the reps reporting to them,
    directly or through other managers."""
    is_rep = db.execute("SELECT 1 FROM reps WHERE id = ? AND active = 1", [user_id]).fetchone() is not None
    reports = [
        r[0]
        for r in db.execute(
            "WITH RECURSIVE team(id) AS (SELECT id FROM reps WHERE manager_id = ? "
            "UNION SELECT r.id FROM reps r JOIN team t ON r.manager_id = t.id) SELECT id FROM team ORDER BY id",
            [user_id],
        )
    ]
    return is_rep, [r for r in reports if r != user_id]


def count_reps(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]


def load_active_reps(db: Database) -> list[tuple[str, str | None]]:
    """(id, time zone) of every active rep, by id."""
    return [(r, tz) for r, tz in db.execute("SELECT id, tz FROM reps WHERE active = 1 ORDER BY id")]


def rep_names(db: Database) -> dict[str, str]:
    """Each rep's name by Slack id (the id where no name is known)."""
    return {r: name or r for r, name in db.execute("SELECT id, name FROM reps")}
