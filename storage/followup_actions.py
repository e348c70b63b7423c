"""What people do with a follow-up, and what the reminder run does to it.

Every transition is one transaction that updates the row and writes an
`audit_log` record (subject `followup:<id>` or `customer:<id>`), so who did
what to which customer can always be answered.

States: `open` (due), `snoozed` (due again once `snooze_until` has passed),
`contacted` (the rep reached out; it stays unclosed so that the customer's
next order still closes it as `won_back` and credits the rep), `dismissed`
("not at risk": closed, and the customer is silenced for `dismiss_days`
unless their value changes markedly).

`snooze_until` doubles as "due since", the start of the escalation clock:
the first reminder after a follow-up became due (opened, back from a
snooze, or handed over to another rep) sets it to that moment. So a
follow-up is escalated only after its rep has had it in their reminders
for `escalate_after_days` without acting — not because it was opened long
ago, snoozed once, or just changed hands.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from storage.db import transaction
from storage.fields import format_utc
from storage.problems import N_, Problem, Said
from storage.settings import write_audit

SNOOZE_DAYS = 7
# A silenced ("not at risk") customer comes back when their value moves by
# more than this share of the value they were flagged with, up or down.
MARKED_CHANGE = 0.5

_COLUMNS = (
    "id",
    "customer_id",
    "rep_id",
    "state",
    "opened_at",
    "snooze_until",
    "reminded_at",
    "reminder_count",
    "escalated_at",
    "closed_at",
    "value_at_open",
    "note",
)


# A follow-up's states as people say them (the stored word is the key).
STATE_NAMES = {
    "open": N_("open"),
    "snoozed": N_("snoozed"),
    "contacted": N_("contacted"),
    "dismissed": N_("dismissed"),
    "won_back": N_("won back"),
    "lost": N_("lost"),
}


class FollowupError(Problem, ValueError):
    """The transition cannot be made: the message is the whole reply to the
    person who asked for it ("Nothing changed: …"), a msgid with its values
    (a state by its name, people as mentions), said in their language by
    commands.problems.told."""


def state_said(state: str) -> Said | str:
    """A state by its name, to say in any language (an unknown one as stored)."""
    return Said(STATE_NAMES[state]) if state in STATE_NAMES else state


@dataclass(frozen=True)
class Followup:
    id: int
    customer_id: str
    rep_id: str | None
    state: str
    opened_at: str
    snooze_until: str | None
    reminded_at: str | None
    reminder_count: int
    escalated_at: str | None
    closed_at: str | None
    value_at_open: float | None
    note: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def load_followup(db: Database, followup_id: int) -> Followup | None:
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM followups WHERE id = ?",  # noqa: S608
        [int(followup_id)],
    ).fetchone()
    return Followup(*row) if row else None


def load_open_followup(db: Database, customer_id: str) -> Followup | None:
    """The customer's unclosed follow-up (there is at most one)."""
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM followups "  # noqa: S608
        "WHERE customer_id = ? AND closed_at IS NULL",
        [customer_id],
    ).fetchone()
    return Followup(*row) if row else None


def load_manager(db: Database, rep_id: str | None) -> str | None:
    if not rep_id:
        return None
    row = db.execute("SELECT manager_id FROM reps WHERE id = ?", [rep_id]).fetchone()
    return row[0] if row and row[0] and row[0] != rep_id else None


def is_rep(db: Database, user_id: str | None) -> bool:
    return (
        bool(user_id) and db.execute("SELECT 1 FROM reps WHERE id = ? AND active = 1", [user_id]).fetchone() is not None
    )


def _transition(
    db: Database,
    followup_id: int,
    actor: str | None,
    now: datetime,
    action: str,
    changes: dict,
    detail: dict | None = None,
) -> Followup:
    """Apply `changes` to an unclosed follow-up and audit it, atomically."""
    at = format_utc(now)
    with transaction(db):
        before = load_followup(db, followup_id)
        if before is None:
            raise FollowupError(N_("Nothing changed: there is no follow-up #{followup}."), followup=str(followup_id))
        if before.closed_at is not None:
            raise FollowupError(
                N_("Nothing changed: this follow-up is already closed ({state})."), state=state_said(before.state)
            )
        sets = ", ".join(f"{column} = :{column}" for column in changes)
        db.execute(
            f"UPDATE followups SET {sets} WHERE id = :followup_id",  # noqa: S608
            {**changes, "followup_id": before.id},
        )
        write_audit(
            db,
            actor,
            action,
            f"followup:{before.id}",
            {"customer_id": before.customer_id, "from": before.state, **changes, **(detail or {})},
            at,
        )
    after = load_followup(db, followup_id)
    assert after is not None  # it was there in the transaction, and follow-ups are never deleted
    return after


def mark_contacted(db: Database, followup_id: int, actor: str | None, now: datetime) -> Followup:
    """The rep reached out. Reminders stop; the row stays unclosed, so the
    customer's next order still closes it as won back."""
    return _transition(db, followup_id, actor, now, "followup.contacted", {"state": "contacted"})


def snooze(db: Database, followup_id: int, actor: str | None, now: datetime, days: int = SNOOZE_DAYS) -> Followup:
    until = format_utc(now + timedelta(days=days))
    return _transition(db, followup_id, actor, now, "followup.snoozed", {"state": "snoozed", "snooze_until": until})


def reassign(db: Database, followup_id: int, actor: str | None, rep_id: str, now: datetime) -> Followup:
    """Hand the follow-up to `rep_id`: due for them from now, with a fresh
    reminder count and escalation clock."""
    if not is_rep(db, rep_id):
        raise FollowupError(
            N_("Nothing changed: {rep} is not an active rep in the store; import them as a rep first."),
            rep=f"<@{rep_id}>",
        )
    before = load_followup(db, followup_id)
    return _transition(
        db,
        followup_id,
        actor,
        now,
        "followup.reassigned",
        _handover(rep_id, now),
        {"previous_rep_id": before.rep_id if before else None},
    )


def _handover(rep_id: str, now: datetime) -> dict:
    return {
        "rep_id": rep_id,
        "state": "open",
        "snooze_until": format_utc(now),
        "reminded_at": None,
        "reminder_count": 0,
        "escalated_at": None,
    }


def dismiss(db: Database, followup_id: int, actor: str | None, now: datetime, dismiss_days: int) -> Followup:
    """ "Not at risk": close it; the customer stays silenced for `dismiss_days`
    (see silenced_customers_sql)."""
    until = format_utc(now + timedelta(days=dismiss_days))
    return _transition(
        db,
        followup_id,
        actor,
        now,
        "followup.dismissed",
        {"state": "dismissed", "closed_at": format_utc(now), "note": "not at risk"},
        {"silenced_until": until},
    )


@dataclass(frozen=True)
class Claim:
    customer_id: str
    previous_owner: str | None
    followup: Followup | None


def claim_customer(db: Database, customer_id: str, actor: str, now: datetime) -> Claim:
    """The clicking rep takes an unassigned customer, and their open
    follow-up with it. The only change of owner outside imports: its audit
    row, in the same transaction, is what tells the books kept in memory
    that they changed (storage.reps.load_owners_mark)."""
    if not is_rep(db, actor):
        raise FollowupError(
            N_("Nothing changed: only active reps can claim customers; ask an admin to import you as a rep.")
        )
    at = format_utc(now)
    with transaction(db):
        row = db.execute("SELECT owner_rep_id FROM customers WHERE id = ?", [customer_id]).fetchone()
        if row is None:
            raise FollowupError(N_("Nothing changed: there is no customer {customer}."), customer=customer_id)
        if row[0] and row[0] != actor:
            raise FollowupError(N_("Nothing changed: this customer is already owned by {owner}."), owner=f"<@{row[0]}>")
        db.execute("UPDATE customers SET owner_rep_id = ? WHERE id = ?", [actor, customer_id])
        followup = load_open_followup(db, customer_id)
        if followup is not None and followup.rep_id != actor:
            changes = _handover(actor, now)
            sets = ", ".join(f"{column} = :{column}" for column in changes)
            db.execute(
                f"UPDATE followups SET {sets} WHERE id = :followup_id",  # noqa: S608
                {**changes, "followup_id": followup.id},
            )
        write_audit(
            db,
            actor,
            "customer.claimed",
            f"customer:{customer_id}",
            {"previous_owner": row[0], "followup_id": followup.id if followup else None},
            at,
        )
    return Claim(customer_id, row[0], load_open_followup(db, customer_id))


def silenced_customers_sql() -> str:
    """SELECT of customers marked "not at risk" within the silence window
    (`:silence_start`: its start, now − dismiss_days) whose value has not changed
    markedly since they were flagged. Not correlated, so SQLite evaluates it
    once per query, however many rows it filters."""
    value = "COALESCE(s.predicted_clv_12m, s.revenue_12m)"
    return (
        "SELECT d.customer_id FROM followups d LEFT JOIN customer_scores s ON s.customer_id = d.customer_id "  # noqa: S608
        "WHERE d.state = 'dismissed' AND d.closed_at > :silence_start AND NOT (d.value_at_open > 0 "
        f"AND {value} IS NOT NULL AND ABS({value} - d.value_at_open) > {MARKED_CHANGE} * d.value_at_open)"
    )


def silence_start(now: datetime, dismiss_days: int) -> str:
    return format_utc(now - timedelta(days=dismiss_days))


def due_condition(alias: str = "f") -> str:
    """Unclosed and waiting for the rep: open, or snoozed until a time that
    has passed (`:now`)."""
    return (
        f"{alias}.closed_at IS NULL AND ({alias}.state = 'open' "
        f"OR ({alias}.state = 'snoozed' AND {alias}.snooze_until <= :now))"
    )


def record_reminded(db: Database, rep_id: str, followup_ids: list[int], now: datetime) -> int:
    """The reminder listing these follow-ups is going out: count it, start
    the escalation clock of those reminded for the first time since they
    became due, and reopen expired snoozes. (SQLite evaluates every SET
    expression on the row as it was.)"""
    if not followup_ids:
        return 0
    at = format_utc(now)
    marks = ", ".join("?" * len(followup_ids))
    with transaction(db):
        cur = db.execute(
            "UPDATE followups SET snooze_until = CASE WHEN reminded_at IS NULL "  # noqa: S608
            "OR reminded_at < COALESCE(snooze_until, opened_at) THEN ? ELSE snooze_until END, "
            "reminded_at = ?, reminder_count = reminder_count + 1, "
            f"state = CASE WHEN state = 'snoozed' THEN 'open' ELSE state END WHERE id IN ({marks})",
            [at, at, *followup_ids],
        )
        write_audit(db, None, "followup.reminded", f"rep:{rep_id}", {"followups": list(followup_ids)}, at)
    return cur.rowcount


def escalation_due_ids(db: Database, rep_id: str, now: datetime, after_days: int, dismiss_days: int) -> list[int]:
    """The rep's follow-ups ignored for `after_days`: in their reminders
    since at least then without any action, never escalated, and the rep has
    a manager to escalate to."""
    due_since = "COALESCE(f.snooze_until, f.opened_at)"
    rows = db.execute(
        "SELECT f.id FROM followups f JOIN reps r ON r.id = f.rep_id "  # noqa: S608
        f"WHERE f.rep_id = :rep_id AND {due_condition()} AND f.escalated_at IS NULL "
        "AND r.manager_id IS NOT NULL AND r.manager_id != r.id "
        f"AND f.reminded_at IS NOT NULL AND f.reminded_at >= {due_since} AND {due_since} <= :ignored_since "
        f"AND f.customer_id NOT IN ({silenced_customers_sql()}) ORDER BY f.value_at_open DESC, f.id",
        {
            "rep_id": rep_id,
            "now": format_utc(now),
            "ignored_since": format_utc(now - timedelta(days=after_days)),
            "silence_start": silence_start(now, dismiss_days),
        },
    ).fetchall()
    return [r[0] for r in rows]


def mark_escalated(db: Database, followup_ids: list[int], manager_id: str, now: datetime) -> list[int]:
    """Record the escalation of those not escalated yet (the check and the
    update are one statement, so a follow-up is escalated once); returns
    the ids this call escalated. Run it in the transaction that enqueues the
    manager's message."""
    if not followup_ids:
        return []
    at = format_utc(now)
    marks = ", ".join("?" * len(followup_ids))
    with transaction(db):
        ids = [
            r[0]
            for r in db.execute(
                f"UPDATE followups SET escalated_at = ? WHERE id IN ({marks}) AND escalated_at IS NULL "  # noqa: S608
                "RETURNING id",
                [at, *followup_ids],
            ).fetchall()
        ]
        for followup_id in ids:
            write_audit(db, None, "followup.escalated", f"followup:{followup_id}", {"manager_id": manager_id}, at)
    return sorted(ids, key=followup_ids.index)
