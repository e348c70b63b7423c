"""A new English string that bypasses the catalog fails here: every
translated answer is rendered in Persian (on the scored CDNOW store, a
rep named, a follow-up open) and may carry no Latin word outside code
spans, mentions, emoji codes and isolated runs (ids, names, formulas) —
beyond the glossary's abbreviations."""

import re
from datetime import UTC, date, datetime

import pytest

from commands import Context, answer
from commands.scoring import run_score
from storage.followup_actions import load_open_followup, reassign, record_reminded, snooze
from storage.importer import import_file
from tests.support.messages import texts

AS_OF = date(1997, 9, 30)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_EXEMPT = re.compile(r"retention-bot|/retention|`[^`]*`|<[@#!][^>]+>|:[a-z0-9_+-]+:|[\u2066\u2068][^\u2069]*\u2069")
ABBREVIATIONS = {"CRR", "NPS", "CSAT", "CES", "CLV", "E", "N", "S", "UTC"}
# A value each setting refuses (its validation error is translated too).
CONFIG_ERRORS = [
    "config language xx",
    "config timezone Mars/Olympus",
    "config calendar julian",
    "config currency dollars",
    "config toman perhaps",
    "config activity_window 5",
    "config high_value_pct many",
    "config quiet_p_alive 2",
    "config quiet_gap_factor 0",
    "config dismiss_days 0",
    "config escalate_after_days 999",
    "config admins maria",
    "config access some",
    "config allow_guests perhaps",
    "config digest_channels nowhere",
    "config reminder_time 25:00",
    "config reminder_weekdays someday",
    "config score_time noon",
]
# Every /retention answer, with realistic arguments.
TRANSLATED = [
    "",
    "crr",
    "crr 1997-Q3 segment:none",
    "crr this-week",
    "kpis last-week",
    "kpis 1997-Q3",
    "at-risk 20",
    "at-risk 999",
    "help",
    "lang",
    "lang fa",
    "digest preview",
    "digest now",
    "nonsense",
    "crr lastquarter",
    "crr 1997-13",
    "crr 1405-13",
    "config timezone Mars/Base",
    "config digest_channels C0123 25:00",
    "crr since",
    "crr since 1997-02-30",
    "crr 2030",
    "crr 1997-Q7",
    "kpis 0d",
    "churn 1997-09-01..1997-08-01",
    "at-risk many",
    "segment:",
    "rep",
    "rep @Maria Lopez",
    "rep <@U0SAM0001>",
    "rep segment:Enterprise",
    "rep @nobody",
    "customer Ani Petrosyan",
    "customer Jane Doe",
    "customer 1",
    "customer example.com",
    "customer nobody-at-all",
    "customer",
    "followups all",
    "followups all 1",
    "followups mine",
    "followups rep:@Maria Lopez",
    "followups maybe",
    "followups mien",
    "followups 0",
    "churn",
    "churn 1997-Q3",
    "churn last-month segment:none",
    "cohorts",
    "cohorts 6",
    "cohorts 99",
    "trend",
    "trend 6",
    "trend 1",
    "top",
    "top 5",
    "top 20 1997-Q3",
    "top 999",
    "top 0",
    "nps",
    "nps 1997-Q3",
    "config",
    "config calendar",
    "config admins",
    "config digest-channels",
    "config nonsense",
    "config timezone Asia/Tehran",
    "config high_value_pct 10",
    "config admins <@U0MARIA01> <@U0SAM0001>",
    "config currency EUR",
    *CONFIG_ERRORS,
]


@pytest.fixture
def scored(cdnow_db, tmp_path):
    """Scored at the end of CDNOW's calibration, with two reps: the two most
    valuable quiet customers get Latin names and owners, one follow-up is
    Maria's (reminded twice), another snoozed."""
    run_score(Context(cdnow_db, as_of=AS_OF, now=NOW))
    top = [
        r[0]
        for r in cdnow_db.execute(
            "SELECT customer_id FROM customer_scores WHERE quiet = 1 ORDER BY predicted_clv_12m DESC LIMIT 2"
        )
    ]
    (tmp_path / "reps.csv").write_text("id,name\nU0MARIA01,Maria Lopez\nU0SAM0001,Sam Okafor\n")
    import_file(cdnow_db, "reps", tmp_path / "reps.csv", now=NOW)
    (tmp_path / "customers.csv").write_text(
        "id,name,email,company,segment,owner_rep_id\n"
        f"{top[0]},Ani Petrosyan,ani@example.com,Ararat Trading,Enterprise,U0MARIA01\n"
        f"{top[1]},Jane Doe,jane@example.com,Doe Bakery,SMB,U0SAM0001\n"
    )
    import_file(cdnow_db, "customers", tmp_path / "customers.csv", now=NOW)
    maria, sam = (load_open_followup(cdnow_db, c) for c in top)
    assert maria is not None and sam is not None
    reassign(cdnow_db, maria.id, "U0ADMIN01", "U0MARIA01", NOW)
    record_reminded(cdnow_db, "U0MARIA01", [maria.id], NOW)
    record_reminded(cdnow_db, "U0MARIA01", [maria.id], NOW)
    reassign(cdnow_db, sam.id, "U0ADMIN01", "U0SAM0001", NOW)
    snooze(cdnow_db, sam.id, "U0SAM0001", NOW)
    return cdnow_db


@pytest.mark.parametrize("command", TRANSLATED)
def test_no_english_word_reaches_a_persian_answer(scored, command):
    a = answer(Context(scored, as_of=AS_OF, now=NOW, lang="fa", user_id="U0NOENG"), command)
    assert _english_words(texts(a.message)) == {}


def _english_words(texts_: list[str]) -> dict[str, list[str]]:
    english = {}
    for t in texts_:
        words = set(re.findall(r"[A-Za-z][A-Za-z'’]+|[A-Za-z]", _EXEMPT.sub("", t))) - ABBREVIATIONS
        if words:
            english[t] = sorted(words)
    return english


@pytest.mark.parametrize("rep", [None, "U0NOENG"])
def test_no_english_word_reaches_a_persian_home_tab(scored, rep):
    from commands.home import build_home_view
    from commands.i18n import _
    from storage.reps import load_rep

    if rep and load_rep(scored, rep) is None:
        scored.execute("INSERT INTO reps (id, name, active) VALUES (?, 'No English', 1)", [rep])
    ctx = Context(scored, as_of=AS_OF, now=NOW, lang="fa", user_id=rep or "U0NOENG2", surface="slack")
    view = build_home_view(ctx)
    assert _("fa", "Retention") == view["blocks"][0]["text"]["text"]
    assert _english_words(texts({"text": "", "blocks": view["blocks"]})) == {}


@pytest.mark.parametrize("press", ["contacted", "snooze", "not-at-risk", "reassign U0NOENG", "claim U0NOENG"])
def test_no_english_word_reaches_a_persian_button_reply(scored, press):
    from commands.buttons import press as press_button
    from storage.reps import load_rep

    if load_rep(scored, "U0NOENG") is None:
        scored.execute("INSERT INTO reps (id, name, active) VALUES ('U0NOENG', 'No English', 1)")
    (customer,) = scored.execute(
        "SELECT customer_id FROM followups WHERE closed_at IS NULL ORDER BY id LIMIT 1"
    ).fetchone()
    words = press.split()
    ctx = Context(scored, as_of=None, now=NOW, lang="fa", user_id="U0NOENG", surface="slack")
    a = press_button(ctx, [words[0], customer, *words[1:]])
    body = [t for t in texts(a.message) if not t.startswith("press ")]  # the title echoes the typed command
    assert body and _english_words(body) == {}


@pytest.mark.parametrize(
    "refused",
    [{"is_admin": False}, {"read_only": True}],
    ids=["not an admin", "a look at another day"],
)
def test_no_english_word_in_a_refused_change(scored, refused):
    upsert = "config admins <@U0MARIA01>"
    answer(Context(scored, as_of=AS_OF, now=NOW), upsert)
    a = answer(Context(scored, as_of=AS_OF, now=NOW, lang="fa", user_id="U0NOENG", **refused), "config timezone UTC")
    assert not a.ok
    assert _english_words(texts(a.message)) == {}


@pytest.mark.parametrize("status", ["sent", "already sent", "sending elsewhere", "unconfirmed", "pending", "failed"])
def test_no_english_word_reaches_a_persian_digest_now(scored, status):
    """`/retention digest now` on Slack: the refusal to a non-admin, the
    "posting" note, and what the post did."""
    from commands.digest import build_digest_sent_message

    outcome = {"status": status, "channel": "C0SALES", "key": "digest:2026-11-23:C0SALES", "error": "not_in_channel"}
    said = texts(build_digest_sent_message(outcome, "fa"))
    slack = Context(scored, as_of=AS_OF, now=NOW, lang="fa", user_id="U0NOENG", surface="slack", is_admin=False)
    said += texts(answer(slack, "digest now #C0SALES").message)
    slack.is_admin = True
    said += texts(answer(slack, "digest now #C0SALES").message)
    assert _english_words(said) == {}
