"""User data is shown literally in every message that shows it: customer
names, companies and segments, and rep names, holding `<!channel>`,
`<@U…>`, links, `*bold*`, `&`, `<`, `>`, never become a broadcast, a
mention, a link or emphasis.

Each example gives every customer and rep hostile values, each carrying a
marker, then renders every message that shows customer data: the
`/retention` answers, the Home tab, the reminder and escalation DMs, the
digest, and the blocks a button click rewrites. The oracle, for every mrkdwn
text: no `<…>` sequence contains a marker, no broadcast appears, and every
occurrence of a marker is inside the value's literal rendering
(`commands.blocks.literal`: entities escaped, emphasis characters fenced by
zero-width spaces). The fallback `text` (used in notifications) must be
free of broadcasts and live sequences built from user data.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commands import Context, answer
from commands.blocks import limit_problems, literal
from commands.digest import quiet_block
from commands.home import build_home_view
from commands.remind import (
    build_escalation_message,
    build_reminder_message,
    compute_escalation,
    compute_reminder,
    followup_blocks,
    item_entry,
    state_outcome,
)
from storage.db import transaction
from storage.digest_queries import load_items
from storage.settings import load_settings, upsert_setting
from tests.support.fuzz import BROADCAST, DEMO_DAY, examples, live_tokens, mrkdwn_texts, tried

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
REP = "U0DEMO001"
MARKERS = {"name": "Qx1name", "company": "Qx2co", "segment": "Qx3seg", "rep": "Qx4rep"}
PIECES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "@channel",
    "<@U0DEMO002>",
    "<@U0EVIL01|boss>",
    "<#C0EVIL|general>",
    "<http://evil.example|click me>",
    "http://evil.example",
    "*",
    "_",
    "~",
    "`",
    "```",
    "&",
    "<",
    ">",
    "&amp;",
    "&lt;",
    "*bold*",
    "_italic_",
    "~strike~",
    "`code`",
    ">quote",
    ":smile:",
    "\n",
    " ",
    "'",
    '"',
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
]
piece = st.one_of(
    st.sampled_from(PIECES), st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=4)
)


@st.composite
def hostile(draw, marker: str) -> str:
    parts = draw(st.lists(piece, max_size=6))
    parts.insert(draw(st.integers(0, len(parts))), marker)
    return "".join(parts)


values = st.fixed_dictionaries({field: hostile(marker) for field, marker in MARKERS.items()})
WORST = {
    "name": "<!channel> *Qx1name* <@U0EVIL01|boss> & <http://evil.example|x>",
    "company": "_Qx2co_ ~Inc~ `1` &lt;",
    "segment": "<!here>Qx3seg*",
    "rep": '*Qx4rep* <!everyone> =HYPERLINK("http://evil.example","x")',
}


@pytest.fixture(scope="module")
def store(small_demo):
    db = small_demo
    # what a visitor sees too (who may ask: tests/slack/test_access.py)
    upsert_setting(db, "access", "everyone", now=NOW)
    quiet = [
        r[0]
        for r in db.execute(
            "SELECT customer_id FROM customer_scores WHERE quiet = 1 ORDER BY predicted_clv_12m DESC LIMIT 3"
        )
    ]
    followups = [r[0] for r in db.execute("SELECT id FROM followups WHERE closed_at IS NULL ORDER BY id LIMIT 3")]
    rep, manager = db.execute(
        "SELECT f.rep_id, r.manager_id FROM followups f JOIN reps r ON r.id = f.rep_id "
        "WHERE f.closed_at IS NULL GROUP BY f.rep_id ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()
    assert quiet and followups and manager
    return db, quiet, followups, rep, manager


def apply(db, v: dict) -> None:
    with transaction(db):
        db.execute("UPDATE customers SET name = ?, company = ?, segment = ?", [v["name"], v["company"], v["segment"]])
        db.execute("UPDATE reps SET name = ?", [v["rep"]])


def messages(db, quiet, followups, rep, manager) -> dict[str, dict]:
    """Every message that shows customer data, by a label for the failure."""

    def ask(text, user=REP):
        a = answer(Context(db, as_of=DEMO_DAY, now=NOW, user_id=user, is_admin=False, surface="slack"), text)
        assert a.ok, (text, a.message["text"])
        return a.message

    out = {
        text: ask(text)
        for text in (
            "at-risk 50",
            "at-risk share",
            "top 20",
            "top 20 last-quarter",
            "rep",
            f"rep <@{rep}>",
            "followups all",
            "churn 30d",
            "churn last-quarter",
            "digest preview",
            "customer Qx1",
            *(f"customer {c}" for c in quiet),
        )
    }
    out["rep (team, asked by a non-rep)"] = ask("rep", user="U0VISITOR")
    out["home (rep)"] = {
        "text": "home",
        "blocks": build_home_view(Context(db, as_of=DEMO_DAY, now=NOW, user_id=rep, is_admin=False, surface="slack"))[
            "blocks"
        ],
    }
    out["home (visitor)"] = {
        "text": "home",
        "blocks": build_home_view(
            Context(db, as_of=DEMO_DAY, now=NOW, user_id="U0VISITOR", is_admin=False, surface="slack")
        )["blocks"],
    }
    settings = load_settings(db)
    currency = settings["currency"]
    reminder = compute_reminder(db, rep, DEMO_DAY, NOW, settings)
    assert reminder["items"]
    out["reminder DM"] = build_reminder_message(reminder, currency)
    out["escalation DM"] = build_escalation_message(
        compute_escalation(db, rep, manager, followups, DEMO_DAY, 7, UTC, currency=currency), currency
    )
    items = [item_entry(r, UTC, currency) for r in load_items(db, followups)]
    out["button rewrites"] = {
        "text": "click",
        "blocks": [
            b
            for item in items
            for outcome in (None, state_outcome(item), ":zzz: Snoozed until 2026-11-29")
            for b in followup_blocks(item, currency, outcome)
        ]
        + [quiet_block(item, currency, claimed_by=claimer) for item in items for claimer in (None, REP)],
    }
    return out


def check_literal(label: str, msg: dict, v: dict) -> None:
    assert limit_problems(msg) == [], (label, limit_problems(msg))
    fallback = msg["text"]
    assert not any(b in fallback for b in BROADCAST), (label, fallback)
    assert not [t for t in live_tokens(fallback) if any(m in t for m in MARKERS.values())], (label, fallback)
    for text in mrkdwn_texts(msg["blocks"]):
        assert not any(b in text for b in BROADCAST), (label, text)
        assert not [t for t in live_tokens(text) if any(m in t for m in MARKERS.values())], (label, text)
        for field, marker in MARKERS.items():
            shown = literal(v[field])
            assert text.count(marker) == text.count(shown), (
                f"{label}: {field} {v[field]!r} not shown literally (expected {shown!r}) in {text!r}"
            )


def check_all(store, v: dict) -> None:
    db, quiet, followups, rep, manager = store
    apply(db, v)
    shown = messages(db, quiet, followups, rep, manager)
    for label, msg in shown.items():
        check_literal(label, msg, v)
    seen = " ".join(t for m in shown.values() for t in [m["text"], *mrkdwn_texts(m["blocks"])])
    for field in ("name", "company", "rep"):  # each appears somewhere, so the oracle had something to check
        assert MARKERS[field] in seen, field


@examples(15)
@given(v=values)
@example(v=WORST)
def test_user_data_is_shown_literally(store, v):
    tried("literal: customer and rep data in every message")
    check_all(store, v)


@pytest.mark.slow
@examples(400)
@given(v=values)
def test_user_data_is_shown_literally_many(store, v):
    tried("literal: customer and rep data in every message")
    check_all(store, v)


def test_hostile_ids_from_imported_files_never_become_mentions(tmp_path):
    """Rep and customer ids come from CSV files too. An owner id such as
    `U0EVIL> <!channel` used to be pasted into `<@…>` by churn, rep and
    followups (a broadcast to the whole channel); now every mention goes
    through commands.blocks.mention, which shows a non-id literally."""
    from commands.scoring import run_score
    from storage import open_db
    from storage.importer import ImportRejected, import_file

    rep, customer = "U0EVIL> <!channel", "C<!here>1"
    (tmp_path / "reps.csv").write_text(f'id,name,tz\n"{rep}",Evil Rep,UTC\nU0GOOD001,Good Rep,UTC\n')
    db = open_db(tmp_path / "store.db")
    with pytest.raises(ImportRejected) as refused:  # this release refuses such an id at import
        import_file(db, "reps", tmp_path / "reps.csv", now=NOW)
    assert "reps.csv:2: id: 'U0EVIL> <!channel' is not a Slack user id" in refused.value.report.lines()[0]
    (tmp_path / "reps.csv").write_text("id,name,tz\nU0GOOD001,Good Rep,UTC\n")
    (tmp_path / "customers.csv").write_text(
        f'id,name,company,owner_rep_id\n"{customer}",Ann,Co,\nC2,Bob,Co,U0GOOD001\n'
    )
    days = [f"2026-{m:02d}-{d:02d}" for m in range(1, 7) for d in (1, 11, 21)]
    rows = [f'"{customer}",{day},900' for day in days] + [f"C2,{day},10" for day in [*days, "2026-11-01"]]
    (tmp_path / "orders.csv").write_text("customer_id,ordered_at,amount\n" + "\n".join(rows) + "\n")
    for kind in ("reps", "customers", "orders"):
        import_file(db, kind, tmp_path / f"{kind}.csv", now=NOW)
    # What a store written by an earlier release (which took any id) may hold.
    db.execute("INSERT INTO reps (id, name, tz) VALUES (?, 'Evil Rep', 'UTC')", [rep])
    db.execute("UPDATE customers SET owner_rep_id = ? WHERE id = ?", [rep, customer])
    upsert_setting(db, "high_value_pct", "50", now=NOW)  # two customers: Ann must count as high value
    run_score(Context(db, as_of=DEMO_DAY, now=NOW))
    assert db.execute("SELECT rep_id FROM followups WHERE closed_at IS NULL").fetchall() == [(rep,)]
    shown = {
        text: answer(Context(db, as_of=DEMO_DAY, now=NOW, user_id="U0VISITOR", is_admin=False), text).message
        for text in ("rep", "churn last-quarter", "followups all", "at-risk", "customer Ann", "top")
    }
    settings = load_settings(db)
    shown["reminder DM"] = build_reminder_message(compute_reminder(db, rep, DEMO_DAY, NOW, settings), "USD")
    for label, msg in shown.items():
        for text in [msg["text"], *mrkdwn_texts(msg["blocks"])]:
            assert not any(b in text for b in BROADCAST), (label, text)
            assert all(t.startswith("<@U0GOOD") for t in live_tokens(text)), (label, text)
    assert "U0EVIL&gt; &lt;!channel" in str(shown["churn last-quarter"]["blocks"])
    db.conn.close()
