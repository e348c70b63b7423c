"""Any `/retention` text gets an answer or a clear usage message, never an
exception, a traceback or an HTTP 500: through `commands.answer` (what the
console and `ask` use), and as signed requests to the real app over HTTP.

Texts mix pure noise with the grammar's own words, periods, filters,
mentions, quotes, huge numbers, SQL and markup, so most examples get deep
into a command's argument handling rather than stopping at "unknown
command". Unsigned and forged requests of any shape get 401 (400 when the
body cannot even be read), signed junk never a 500.
"""

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bench.slack_fake import ADMIN, REP, SIGNING_SECRET, slack_signature
from bot.listeners.command import WORKING
from commands import COMMANDS, Context, answer
from commands.blocks import limit_problems
from commands.i18n import LOCALES, _
from storage.db import transaction
from storage.settings import SETTINGS
from tests.support.fuzz import DEMO_DAY, examples, tried

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
SOMETHING_WRONG = "something went wrong"
LEAK = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b|File \"/")  # internals never reach the user
WORDS = [
    *COMMANDS,
    *COMMANDS.aliases(),
    *SETTINGS,
    *(k.replace("_", "-") for k in SETTINGS),
    "share",
    "mine",
    "all",
    "preview",
    "now",
    "force",
    "since",
    "segment:SMB",
    "segment:Enterprise",
    "segment:",
    "rep:",
    "rep:@",
    "rep:@maria",
    "rep:maria",
    "rep:@nobody",
    f"rep:<@{REP}>",
    f"<@{REP}>",
    f"<@{REP}|maria>",
    "<@U0NOBODY>",
    "<#C0GENERAL|general>",
    "#general",
    "C0GENERAL",
]
PERIODS = [
    "30d",
    "12w",
    "this-month",
    "last-month",
    "2026-10",
    "2026-Q3",
    "this-quarter",
    "last-quarter",
    "ytd",
    "2026",
    "2026-01-01..2026-03-31",
    "since 2026-01-01",
    "0d",
    "-5d",
    "99999999999999999999d",
    "1w",
    "2026-13",
    "2026-00",
    "2026-Q0",
    "2026-Q5",
    "1969",
    "2101",
    "0001",
    "9999-12-31..0001-01-01",
    "2026-02-30",
    "2026-02-29",
    "2024-02-29",
    "..",
    "2026-01-01..",
    "since",
    "since 2099-01-01",
    "since 1970-01-01",
    "2026-W40",
    "Q3",
    "yesterday",
    "09:00",
    "25:61",
    "Europe/Berlin",
    "Mars/Olympus",
]
NASTY = [
    "<!channel>",
    "<!here>",
    "*",
    "_",
    "~",
    "`",
    "```",
    "&",
    "<",
    ">",
    '"',
    "'",
    '"unclosed',
    "'unclosed",
    "\\",
    "\x00",
    "\n",
    "\t",
    "\r",
    "\u200b",
    "\u202e",
    "é",
    "🙂",
    "%s",
    "{}",
    "{0}",
    "$(id)",
    "; rm -rf /",
    "' OR 1=1 --",
    "'; DROP TABLE customers; --",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "-99999999999",
    "0x10",
    "1_000",
    "١٢",
    "²",
    '=HYPERLINK("http://evil.example")',
]
token = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(PERIODS),
    st.sampled_from(NASTY),
    st.integers(-(10**25), 10**25).map(str),
    st.text(max_size=12),
)
texts = st.one_of(
    st.text(max_size=200),
    st.lists(token, max_size=8).map(" ".join),
    st.tuples(st.sampled_from(sorted(COMMANDS)), st.lists(token, max_size=6)).map(lambda t: " ".join([t[0], *t[1]])),
).flatmap(lambda t: st.sampled_from([t, "/retention " + t, "  " + t + "  "]))
EXPLICIT = [
    "",
    "help",
    "crr 2026-02-30",
    "at-risk 99999999999999999999",
    "top -1",
    "cohorts 0",
    "trend 100000",
    "customer",
    'customer "unclosed',
    "rep:",
    "segment:",
    "config timezone Mars/Olympus",
    "digest now #nowhere force",
    "kpis since 2099-01-01",
    "crr 9999-12-31..0001-01-01",
    "\x00",
    "<!channel>",
]


def check_answer(a, text: str) -> None:
    """An Answer with a valid message that shows nothing internal; a usage
    problem says how to ask instead."""
    msg = a.message
    assert msg["text"].strip(), text
    assert limit_problems(msg) == [], (text, limit_problems(msg))
    json.dumps(a.data, default=str)
    shown = msg["text"] + json.dumps(msg["blocks"])
    assert not LEAK.search(shown), (text, msg)
    if a.command == "error":  # a usage problem: says how to ask
        assert "/retention help" in shown, (text, msg)
    for chart in a.charts:
        assert chart.png.startswith(b"\x89PNG"), text


def ask(db, text: str, *, admin: bool = False):
    return answer(
        Context(db, as_of=DEMO_DAY, now=NOW, user_id=ADMIN if admin else REP, is_admin=admin, surface="slack"), text
    )


# ---- commands.answer --------------------------------------------------------


@examples(60)
@given(text=texts)
@example(text="")
def test_any_text_gets_an_answer(small_demo, text):
    tried("/retention text → commands.answer")
    check_answer(ask(small_demo, text), text)


@pytest.mark.parametrize("text", EXPLICIT)
def test_named_awkward_texts_get_an_answer(small_demo, text):
    check_answer(ask(small_demo, text), text)


@pytest.mark.slow
@examples(2000)
@given(text=texts)
def test_any_text_gets_an_answer_many(small_demo, text):
    tried("/retention text → commands.answer")
    check_answer(ask(small_demo, text), text)


config_texts = st.tuples(st.sampled_from(sorted(SETTINGS)), st.lists(token, max_size=4)).map(
    lambda t: " ".join(["config", t[0], *t[1]])
)


@pytest.fixture(scope="module")
def settings_snapshot(small_demo):
    rows = small_demo.execute("SELECT key, value, updated_by, updated_at FROM settings").fetchall()
    audit = small_demo.execute("SELECT MAX(id) FROM audit_log").fetchone()[0] or 0

    def restore():
        with transaction(small_demo):
            small_demo.execute("DELETE FROM settings")
            small_demo.conn.executemany("INSERT INTO settings VALUES (?, ?, ?, ?)", rows)
            small_demo.execute("DELETE FROM audit_log WHERE id > ?", [audit])

    yield restore
    restore()


def check_config(db, restore, text: str) -> None:
    """An admin's `config KEY VALUE`: applied and audited, or refused with
    the reason; either way every command still answers afterwards."""
    try:
        a = ask(db, text, admin=True)
        check_answer(a, text)
        check_answer(ask(db, "kpis"), text)
    finally:
        restore()


@examples(25)
@given(text=config_texts)
def test_any_admin_config_value_is_applied_or_refused(small_demo, settings_snapshot, text):
    tried("/retention config KEY VALUE as an admin")
    check_config(small_demo, settings_snapshot, text)


@pytest.mark.slow
@examples(500)
@given(text=config_texts)
def test_any_admin_config_value_is_applied_or_refused_many(small_demo, settings_snapshot, text):
    tried("/retention config KEY VALUE as an admin")
    check_config(small_demo, settings_snapshot, text)


# ---- signed HTTP requests to the real app -----------------------------------


# "Working on it…" in every language: an example may have said `lang fa`.
WORKING_ACKS = {_(lang, WORKING) for lang in LOCALES}


def check_http(sender, slack, text: str, tag: str, within: float | None = None) -> None:
    """200 (within `within` seconds, in the slow run: Slack allows 3), with
    an answer in the ack body, or "working on it" and then an answer (never
    the error reply) at the response_url."""
    reply = sender.command(text, user_id=REP, response_tag=tag)
    assert reply.status == 200, (text, reply.status, reply.body[:300])
    assert within is None or reply.seconds < within, (text, reply.seconds)
    msg = reply.json
    assert msg["text"].strip() and SOMETHING_WRONG not in msg["text"], (text, msg)
    assert limit_problems(msg) == [], (text, limit_problems(msg))
    if msg["text"] in WORKING_ACKS:
        (later,) = slack.wait_for("response_url", where=lambda c: c.params.get("tag") == tag, timeout=30)
        body = later.json
        assert SOMETHING_WRONG not in body["text"], (text, body["text"])
        assert limit_problems(body) == [], (text, limit_problems(body))


class Tags:
    """Unique response_url tags, so each example waits for its own answer."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"fuzz{self.n}"


TAGS = Tags()


@examples(20)
@given(text=texts)
@example(text="cohorts")
def test_any_text_over_signed_http_is_answered(sender, slack, text):
    tried("/retention text → signed HTTP request")
    check_http(sender, slack, text, TAGS())


@pytest.mark.slow
@examples(300)
@given(text=texts)
def test_any_text_over_signed_http_is_answered_many(sender, slack, text):
    tried("/retention text → signed HTTP request")
    check_http(sender, slack, text, TAGS(), within=3.0)


raw_bodies = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(str.encode),
    st.sampled_from(
        [
            b"",
            b"payload=",
            b"payload={",
            b"payload=%7B%7D",
            b'{"type":"url_verification"}',
            b"ssl_check=0&token=x",
            b"command=/retention&text=help",
            b"\xff\xfe\x00",
        ]
    ),
)
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data",
        "",
        "application/x-www-form-urlencoded; charset=latin-1",
    ]
)
forgeries = st.sampled_from(["unsigned", "wrong secret", "stale", "future", "garbage signature", "no timestamp"])


def post(url: str, body: bytes, headers: dict) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def forged_headers(kind: str, body: bytes, ctype: str) -> dict:
    now = int(datetime.now(UTC).timestamp())
    ts = {"stale": now - 360, "future": now + 360}.get(kind, now)  # clear of the 300 s edge
    headers = {"Content-Type": ctype, "X-Slack-Request-Timestamp": str(ts)}
    text = body.decode("utf-8", "replace")
    if kind in ("stale", "future"):
        headers["X-Slack-Signature"] = slack_signature(SIGNING_SECRET, ts, text)
    elif kind == "wrong secret":
        headers["X-Slack-Signature"] = slack_signature("not-the-secret", ts, text)
    elif kind == "garbage signature":
        headers["X-Slack-Signature"] = "v0=" + "f" * 64
    elif kind == "no timestamp":
        headers["X-Slack-Signature"] = slack_signature(SIGNING_SECRET, ts, text)
        del headers["X-Slack-Request-Timestamp"]
    return {k: v for k, v in headers.items() if v}


UPLOAD_STEPS = {"conversations.open", "files.getUploadURLExternal", "upload", "files.completeUploadExternal"}


def answers(slack) -> int:
    """Calls a request that ran would make first (charts of an earlier
    example may still be uploading: those steps are not counted)."""
    return len([c for c in slack.calls() if c.method not in UPLOAD_STEPS])


def check_forged(bot, slack, body: bytes, ctype: str, kind: str) -> None:
    before = answers(slack)
    status = post(bot.events_url, body, forged_headers(kind, body, ctype))
    assert status in (400, 401), (kind, ctype, body[:100], status)  # 400: not even readable as a request
    assert answers(slack) == before  # nothing ran


@examples(40)
@given(body=raw_bodies, ctype=content_types, kind=forgeries)
@example(body=b"\x80", ctype="application/x-www-form-urlencoded", kind="unsigned")
def test_forged_requests_of_any_shape_get_401(bot, slack, body, ctype, kind):
    tried("forged or unsigned request of any shape → 401 (400 if unreadable)")
    check_forged(bot, slack, body, ctype, kind)


@pytest.mark.slow
@examples(1000)
@given(body=raw_bodies, ctype=content_types, kind=forgeries)
def test_forged_requests_of_any_shape_get_401_many(bot, slack, body, ctype, kind):
    tried("forged or unsigned request of any shape → 401 (400 if unreadable)")
    check_forged(bot, slack, body, ctype, kind)


def check_signed_junk(sender, body: bytes, ctype: str) -> None:
    """Signed junk can only come from Slack (or whoever has the secret), yet
    it must still not be a 500."""
    status = post(
        sender.events_url,
        body,
        {
            "Content-Type": ctype,
            "X-Slack-Request-Timestamp": str(int(datetime.now(UTC).timestamp())),
            "X-Slack-Signature": slack_signature(
                SIGNING_SECRET, int(datetime.now(UTC).timestamp()), body.decode("utf-8", "replace")
            ),
        },
    )
    assert status != 500 and status < 500, (ctype, body[:100], status)


@examples(30)
@given(body=raw_bodies, ctype=content_types)
@example(body=b'{"type":"url_verification","challenge":"abc"}', ctype="application/json")
@example(body=b"\x80text=help", ctype="application/x-www-form-urlencoded")
def test_signed_junk_bodies_are_never_a_500(sender, body, ctype):
    tried("signed junk body → not a 500")
    check_signed_junk(sender, body, ctype)


@pytest.mark.slow
@examples(800)
@given(body=raw_bodies, ctype=content_types)
def test_signed_junk_bodies_are_never_a_500_many(sender, body, ctype):
    tried("signed junk body → not a 500")
    check_signed_junk(sender, body, ctype)
