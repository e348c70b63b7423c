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
from tests.support.messages import texts

AS_OF = date(1997, 9, 30)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_EXEMPT = re.compile(r"retention-bot|/retention|`[^`]*`|<[@#!][^>]+>|:[a-z0-9_+-]+:|[\u2066\u2068][^\u2069]*\u2069")
ABBREVIATIONS = {"CRR", "NPS", "CSAT", "CES", "CLV", "E", "N", "S", "UTC"}
# The answers translated so far. Not yet: churn, cohorts, config, customer,
# followups, nps, rep, top, trend (their English still shows in Persian).
TRANSLATED = [
    "",
    "crr",
    "crr 1997-Q3 segment:none",
    "kpis 1997-Q3",
    "at-risk 20",
    "at-risk 999",
    "help",
    "lang",
    "lang fa",
    "digest preview",
    "nonsense",
    "crr lastquarter",
    "crr 1997-13",
    "crr 1405-13",
    "crr since",
    "crr since 1997-02-30",
    "crr 2030",
    "crr 1997-Q7",
    "kpis 0d",
    "churn 1997-09-01..1997-08-01",
    "at-risk many",
    "segment:",
]


@pytest.fixture
def scored(cdnow_db):
    run_score(Context(cdnow_db, as_of=AS_OF, now=NOW))
    return cdnow_db


@pytest.mark.parametrize("command", TRANSLATED)
def test_no_english_word_reaches_a_persian_answer(scored, command):
    a = answer(Context(scored, as_of=AS_OF, now=NOW, lang="fa", user_id="U0NOENG"), command)
    english = {}
    for t in texts(a.message):
        words = set(re.findall(r"[A-Za-z][A-Za-z'’]+|[A-Za-z]", _EXEMPT.sub("", t))) - ABBREVIATIONS
        if words:
            english[t] = sorted(words)
    assert english == {}
