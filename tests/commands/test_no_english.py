"""A new English string that bypasses the catalog fails here: every
translated answer is rendered in Persian (on the scored CDNOW store, a
rep named, a follow-up open) and may carry no Latin word outside code
spans, mentions and emoji codes — beyond the glossary's abbreviations.

Left-to-right runs sit in isolates (LRI/FSI … PDI), but an isolate is no
free pass: an English sentence wrapped in one is still English. Inside
an isolate, a Latin word must be what is legitimately left to right — a
code or id (digits, `_`, `/`, `@`, `.` or `-` inside it, an upper-case
abbreviation), a word of the bot's own vocabulary (sub-command and setting
names, their choices), the store's data (names, companies, segments,
emails) or what the user typed."""

import re
from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from analytics.calendars import GREGORIAN_CALENDAR, PERSIAN_CALENDAR
from analytics.periods import KEYWORDS
from commands import Context, answer
from commands.buttons import PRESS
from commands.core import COMMAND_MODULES
from commands.i18n import LOCALE_DIR
from commands.problems import said, told
from commands.scoring import run_score
from commands.status import source_error
from storage.fields import LANGUAGES
from storage.followup_actions import load_open_followup, reassign, record_reminded, snooze
from storage.importer import import_file
from storage.problems import said_from_json, said_to_json
from storage.schedules import DAYS
from storage.settings import ACCESS, CALENDARS, SETTINGS
from storage.sources import SourceError
from tests.support.messages import texts

AS_OF = date(1997, 9, 30)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_EXEMPT = re.compile(r"retention-bot|/retention|`[^`]*`|<[@#!][^>]+>|:[a-z0-9_+-]+:")
ABBREVIATIONS = {"CRR", "NPS", "CSAT", "CES", "CLV", "E", "N", "S", "UTC"}
_OPENS, _PDI = "\u2066\u2067\u2068", "\u2069"  # LRI, RLI, FSI … PDI
_LATIN = re.compile(r"[A-Za-z][A-Za-z'’]+|[A-Za-z]")
_CODE = re.compile(r"[0-9_/=@#+]|\w[:,]\w|^[A-Z]{2,}$")  # an id, path, email, key=value, key:value, list, abbreviation
_DOTTED = re.compile(r"[\w-]{2,}(\.[\w-]{2,})+")  # a file name, a domain (not "e.g" or "i.e")
_HYPHENATED = re.compile(r"\w+(-\w+)+")
_SLASHED_WORDS = re.compile(r"[a-z]+(/[a-z]+)+")  # prose, not a path: "orders/customer"
_BRACKETED = re.compile(r"\[[^\]]*\]")  # a shape: `[{channel, time HH:MM, tz, weekdays}]`, `[n]`
# The bot's own words, the same in every language: sub-commands, settings and their choices.
VOCABULARY = frozenset(
    {*COMMAND_MODULES, *SETTINGS, *ACCESS, *CALENDARS, *LANGUAGES, *DAYS, "daily", "true", "false", "True", "False"}
)
# Hyphenated words that are codes, not prose: period keywords, button actions, the value model's name.
HYPHENATED_CODES = frozenset({*KEYWORDS, *PRESS, "retention-bot", "Gamma-Gamma"})
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
    assert _english_words(texts(a.message), _data_words(scored, command)) == {}


def _english_words(texts_: list[str], allowed: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """The Latin words of each text that no Persian reader should see; in
    an isolate, the words of `allowed` (the store's data, what was typed)
    may stand too."""
    english = {}
    for t in texts_:
        words = _english_in(t, VOCABULARY | allowed) - ABBREVIATIONS
        if words:
            english[t] = sorted(words)
    return english


def _english_in(text: str, allowed: frozenset[str]) -> set[str]:
    outside, isolated = _isolates(text)
    words = set(_LATIN.findall(_EXEMPT.sub("", outside)))
    return words.union(*(_not_left_to_right(run, allowed) for run in isolated))


def _not_left_to_right(run: str, allowed: frozenset[str]) -> set[str]:
    """The words of an isolated run (a value: a name, a code, a list, a
    message said in Persian) that are no code, id, vocabulary, data or
    typed word — English prose someone isolated."""
    outside, isolated = _isolates(run)
    words = set().union(*(_not_left_to_right(inner, allowed) for inner in isolated))
    for token in _BRACKETED.sub(" ", _EXEMPT.sub(" ", outside)).split():
        token = token.strip(".,;:!?()'\"*_«»{}’،؛։՝")  # punctuation (Armenian's too), *bold* and _italic_ marks
        if token and (_SLASHED_WORDS.fullmatch(token) or not _is_code(token, allowed)):
            words |= {w for w in _LATIN.findall(token) if w not in allowed}
    return words


def _is_code(token: str, allowed: frozenset[str]) -> bool:
    """An id, a path, a file name, a key=value, a list, an abbreviation, or
    a hyphenated code (`at-risk`, `last-quarter`, `mon-fri`): "well-known",
    "e.g." and "don't" are prose."""
    if _CODE.search(token) or _DOTTED.fullmatch(token):
        return True
    if _HYPHENATED.fullmatch(token):
        return token in HYPHENATED_CODES | allowed or all(p in allowed for p in token.split("-"))
    return False


def _isolates(text: str) -> tuple[str, list[str]]:
    """`text` outside its isolates, and the content of each outermost one
    (nested ones inside it). An isolate left open is not one: its text
    counts as outside."""
    outside, isolated, depth, start = [], [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPENS:
            depth += 1
            if depth == 1:
                start = i
        elif ch == _PDI and depth:
            depth -= 1
            if depth == 0:
                isolated.append(text[start + 1 : i])
                outside.append(" ")
        elif depth == 0:
            outside.append(ch)
    if depth:
        outside.append(text[start:])
    return "".join(outside), isolated


def _data_words(db, *typed: str) -> frozenset[str]:
    """Words of the store's names, companies, segments and emails, and of
    what the user typed: left to right as they are."""
    rows = db.execute(
        "SELECT name, company, segment, email FROM customers UNION ALL SELECT name, NULL, NULL, NULL FROM reps"
    ).fetchall()
    return _data_words_of([str(v) for row in rows for v in row if v], *typed)


def _data_words_of(data: list[str], *typed: str) -> frozenset[str]:
    return frozenset(_LATIN.findall(" ".join([*data, *typed])))


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
    assert _english_words(texts({"text": "", "blocks": view["blocks"]}), _data_words(scored)) == {}


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
    assert body and _english_words(body, _data_words(scored, press)) == {}


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
    assert _english_words(texts(a.message), _data_words(scored)) == {}


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
    assert _english_words(said, _data_words(scored)) == {}


@pytest.mark.parametrize(
    ("lang", "command", "typed"),
    [
        ("fa", "kpis از", "از"),
        ("hy", "kpis սկսած", "սկսած"),
        ("fa", "crr 2026-Q5", "2026-Q5"),
        ("hy", "crr 2026-Q5", "2026-Q5"),
        ("fa", "crr ۱۴۰۵-Q5", "۱۴۰۵-Q5"),
        ("fa", "crr فصل-قبل ماه-قبل", "فصل-قبل ماه-قبل"),
        ("hy", "crr նախորդ-եռամսյակ այս-ամիս", "նախորդ-եռամսյակ այս-ամիս"),
    ],
)
def test_a_period_error_quotes_the_words_typed(scored, lang, command, typed):
    """The keyword the reader typed (not its English `since`), a period as
    typed (not lower-cased), words in their language (not `last-quarter`):
    quoted as code, so the scan above lets them by."""
    a = answer(Context(scored, as_of=AS_OF, now=NOW, lang=lang, user_id="U0NOENG"), command)
    text = "\n".join(texts(a.message))
    assert f"`{typed}`" in text
    assert "since" not in text and "2026-q5" not in text and "quarter" not in text and "month" not in text


STRIPE_TOO_OLD = (
    "source {source}: the last sync read Stripe's events up to {when}, and Stripe keeps events "
    "for {days} days only, so what changed since cannot be read; run a full sync: {command}"
)


@pytest.mark.parametrize(
    ("lang", "calendar", "zone", "shown"),
    [
        ("fa", PERSIAN_CALENDAR, "Asia/Tehran", "۱۴۰۵/۰۷/۰۹ ۰۴:۳۰"),
        ("hy", GREGORIAN_CALENDAR, "Asia/Yerevan", "2026-10-01 05:00"),
        ("hy", PERSIAN_CALENDAR, "Asia/Tehran", "1405/07/09 04:30"),
    ],
)
def test_a_time_in_a_source_error_is_the_workspaces(lang, calendar, zone, shown):
    """Stripe's "events up to {when}" says that instant as the workspace
    reads it — its zone, calendar and the reader's digits — not as a UTC
    ISO stamp, also once the store kept the message (said_to_json) and
    said it again later; English in the Gregorian calendar keeps the stamp."""
    from zoneinfo import ZoneInfo

    error = SourceError(
        STRIPE_TOO_OLD,
        source="billing",
        when=datetime(2026, 10, 1, 1, 0, tzinfo=UTC),
        days=30,
        command="retention-bot sync billing --full",
    )
    assert "2026-10-01T01:00:00Z" in str(error) == told("en", error, ZoneInfo(zone))
    kept = said_from_json(said_to_json(error))
    stored = {"last_error": str(error), "error_message": said_to_json(error)}  # a source's state, as status reads it
    assert shown in (source_error(stored, lang, calendar, ZoneInfo(zone)) or "")
    for text in (
        told(lang, error, ZoneInfo(zone), calendar),
        said(lang, kept.message, kept.values, calendar, ZoneInfo(zone)),
    ):
        assert shown in text and "T01" not in text and "Stripe" in text, text
        assert "events up to" not in text


@pytest.mark.parametrize(("lang", "day"), [("fa", "۲۰۲۶-۱۱-۲۳"), ("hy", "2026-11-23")])
def test_a_won_back_note_is_said_in_the_readers_words(lang, day):
    """The store keeps a won-back follow-up's note in English ("ordered
    again on 2026-11-23"); the digest and the reminder say it again from
    its day, in the reader's language and digits."""
    from commands.digest import build_digest_message
    from commands.remind import state_outcome
    from tests.support.digests import digest_data, item

    won = item(3, state="won_back", note="ordered again on 2026-11-23")
    digest = build_digest_message(digest_data(all_quiet=False, won_back={"count": 1, "customers": [won]}), "USD", lang)
    reminder = state_outcome(won, lang=lang) or ""
    for text in ("\n".join(texts(digest)), reminder):
        assert day in text and "ordered again" not in text, text
    english = build_digest_message(digest_data(all_quiet=False, won_back={"count": 1, "customers": [won]}), "USD")
    assert "ordered again on 2026-11-23" in "\n".join(texts(english)) and "ordered again on 2026-11-23" in (
        state_outcome(won) or ""
    )


def _catalog_prose() -> list[str]:
    """Every msgid with an English word of four letters or more beyond the
    bot's vocabulary: a sentence, were it shown untranslated. Read from a
    committed catalog (test_catalog checks it holds every msgid): the
    template is a build product a clean checkout lacks."""
    with (LOCALE_DIR / "fa" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        literal = _EXEMPT.sub("", re.sub(r"\{\w+\}", "", msgid))
        if set(re.findall(r"\b[a-z]{4,}\b", literal)) - VOCABULARY:
            found.append(msgid)
    return found


def test_an_english_message_in_an_isolate_is_still_english():
    """Isolates are for left-to-right values, not a hiding place: every
    English msgid (its placeholders filled) wrapped in an FSI or LRI
    isolate, alone or nested in a Persian value, is caught; so is one left
    unterminated."""
    prose = _catalog_prose()
    assert len(prose) > 400  # the catalog was read
    missed = []
    for msgid in prose:
        english = re.sub(r"\{\w+\}", "7", msgid)
        for wrapped in (
            f"پیام \u2068{english}\u2069",
            f"پیام \u2066{english}\u2069",
            f"پیام \u2068مقدار \u2066{english}\u2069 است\u2069",
            f"پیام \u2068{english}",
        ):
            if not _english_words([wrapped], _data_words_of([])):
                missed.append(wrapped)
    assert missed == []
    refusal = "\u2068Nothing changed: this follow-up is already closed (بسته شده).\u2069"
    assert _english_words([refusal]) == {
        refusal: ["Nothing", "already", "changed", "closed", "follow", "is", "this", "up"]
    }
    # English dressed as a code: hyphenated and dotted words, contractions
    for prose, caught in [
        ("\u2068well-known\u2069", ["known", "well"]),
        ("\u2068e.g.\u2069", ["e", "g"]),
        ("\u2068i.e. re-run\u2069", ["e", "i", "re", "run"]),
        ("\u2068don't\u2069", ["don't"]),
        ("\u2068up-to-date\u2069", ["date", "to", "up"]),
    ]:
        assert _english_words([f"مقدار {prose}"]) == {f"مقدار {prose}": caught}


def test_an_isolate_lets_through_what_is_left_to_right():
    """What legitimately reads left to right passes in an isolate: a name
    from the store, an email, an id, a time zone, a formula, settings as
    key=value, sub-command names, a word the user typed. A name the store
    does not hold is not let through."""
    allowed = _data_words_of(["Ani Petrosyan", "Ararat Trading"], "config timezone Mars/Base perhaps")
    values = [
        "\u2068*Ani Petrosyan* (Ararat Trading)\u2069",
        "\u2068ani@example.com\u2069",
        "\u2068U0MARIA01\u2069 · \u2068C0SALES\u2069 · \u20681955\u2069",
        "\u2068Asia/Tehran\u2069",
        "\u2066CRR = (E − N)/S = (۴۰۹ − ۰)/۴۰۸ = ۱۰۰٫۲٪\u2069",
        "\u2066BG/NBD + Gamma-Gamma\u2069",
        "\u2068language=en, toman=False, reminder_weekdays=mon-fri\u2069",
        "\u2068at-risk, churn, cohorts, config\u2069",
        "\u2068'perhaps'\u2069",
        "\u2066JSON [{channel, time HH:MM, tz, weekdays}]\u2069",
        "\u2068orders.csv\u2069 · \u2068sources.toml\u2069 · \u2068example.com\u2069",
        "\u2068last-quarter\u2069 · \u2068not-at-risk\u2069 · \u2068mon-fri\u2069 · \u2068segment:Enterprise\u2069",
    ]
    assert _english_words([f"مقدار {v}" for v in values], allowed) == {}
    stranger = "مشتری \u2068Jane Doe\u2069"
    assert _english_words([stranger], allowed) == {stranger: ["Doe", "Jane"]}


# Names the command line's help says as they are, in every language.
PRODUCTS = {
    "SQLite",
    "TOML",
    "JSON",
    "CSV",
    "CDNOW",
    "Shopify",
    "Stripe",
    "Excel",
    "Slack",
    "YAML",
    "HTTP",
    "API",
    "Web",
}


def _cli_words() -> frozenset[str]:
    """What the command line's help and errors legitimately show as typed:
    command and option names, metavars and usage pieces, choices, defaults,
    and the values its help texts are filled with (variables, examples)."""
    import click

    from bot.cli import main

    typed: list[str] = [*PRODUCTS]

    def walk(command: click.Command, ctx: click.Context) -> None:
        typed.extend([command.name or "", *command.collect_usage_pieces(ctx), *map(str, vars_of(command))])
        for param in command.get_params(ctx):
            typed.extend([*param.opts, *param.secondary_opts, param.make_metavar(ctx), *map(str, vars_of(param))])
            if isinstance(param.type, click.Choice):
                typed.extend(map(str, param.type.choices))
            if isinstance(param, click.Option) and isinstance(param.default, str):
                typed.append(param.default)
        for sub in getattr(command, "commands", {}).values():
            walk(sub, click.Context(sub, parent=ctx, info_name=sub.name))

    def vars_of(thing: object) -> list[object]:
        return list(getattr(thing, "values", {}).values())

    walk(main, click.Context(main, info_name="retention-bot"))
    return _data_words_of(typed)


def _cli_said(lang: str) -> dict[str, str]:
    """Every help and every kind of usage error, said in `lang`."""
    from tests.support.cli import HELP, USAGE_ERRORS, said

    runs = [[*args, "--help"] for args in HELP] + USAGE_ERRORS
    return {" ".join(args): said(["--language", lang, *args]) for args in runs if args[:1] != ["--language"]}


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_no_english_word_in_the_command_lines_help_and_usage_errors(lang):
    """`retention-bot --help`, each command's, and click's usage errors: in
    Persian every Latin run is isolated and typed (a name, an option, a
    variable); in Armenian, which needs no isolates, every Latin word is."""
    english = {}
    for args, output in _cli_said(lang).items():
        allowed = VOCABULARY | _cli_words() | _data_words_of([], args)  # what was typed too
        lines = output.splitlines()[1:]  # the first is the command line run
        if lang == "fa":
            words = _english_words(lines, allowed)
        else:
            lines = [re.sub(r"'(?=-\w)", "' ", line) for line in lines]  # 'x'-ը: a case ending after a quoted value
            words = {line: sorted(found) for line in lines if (found := _not_left_to_right(line, allowed))}
        if words:
            english[args] = words
    assert english == {}
