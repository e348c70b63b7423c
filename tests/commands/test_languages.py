"""Who gets which language, and what a Persian or Armenian answer looks
like: Persian digits, no Latin digits outside ids and code, isolates around
embedded left-to-right runs."""

import re
from datetime import UTC, date, datetime

import pytest

from commands import Context, answer
from commands.blocks import limit_problems
from commands.core import language_of
from storage.fields import FieldError
from storage.schedules import digest_channels
from storage.settings import load_settings, upsert_setting
from storage.user_languages import load_user_language
from tests.support.messages import texts

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
# What may keep Latin digits in a Persian message: code spans, Slack
# mentions and channels, and whatever is isolated (ids, names, formulas).
_EXEMPT = re.compile(r"`[^`]*`|<[@#][^>]+>|[\u2066\u2068][^\u2069]*\u2069")


def latin_digits_outside_ids(message: dict) -> list[str]:
    return [t for t in texts(message) if re.search(r"[0-9]", _EXEMPT.sub("", t))]


def ask(db, text, **kw):
    a = answer(Context(db, as_of=date(2026, 11, 22), now=NOW, **kw), text)
    assert limit_problems(a.message) == []
    return a


def test_a_person_chooses_their_language_and_can_forget_it(fresh_db):
    assert ask(fresh_db, "lang").data["language"] == "en"
    chosen = ask(fresh_db, "lang fa", user_id="U0ANNA")
    assert chosen.ok and chosen.data == {"language": "fa", "chosen": "fa", "updated": True}
    assert "فارسی" in chosen.message["text"] and "پاسخ" in chosen.message["text"]
    assert load_user_language(fresh_db, "U0ANNA") == "fa"
    assert ask(fresh_db, "lang", user_id="U0ANNA").data["language"] == "fa"
    assert ask(fresh_db, "lang", user_id="U0BORIS").data["language"] == "en"  # nobody else's
    forgot = ask(fresh_db, "lang auto", user_id="U0ANNA", locale="hy-AM")
    assert forgot.data == {"language": "hy", "chosen": None, "updated": True}  # now the Slack locale decides
    assert load_user_language(fresh_db, "U0ANNA") is None
    bad = ask(fresh_db, "lang klingon", user_id="U0ANNA")
    assert not bad.ok and "`klingon`" in bad.message["text"] and "`fa`" in bad.message["text"]


def test_own_choice_then_slack_locale_then_workspace(fresh_db):
    settings = load_settings(fresh_db)
    assert language_of(fresh_db, "U1", None, settings) == "en"
    assert language_of(fresh_db, "U1", "de-DE", settings) == "en"  # a locale we do not speak
    assert language_of(fresh_db, "U1", "hy-AM", settings) == "hy"
    upsert_setting(fresh_db, "language", "Persian", now=NOW)
    settings = load_settings(fresh_db)
    assert settings["language"] == "fa"
    assert language_of(fresh_db, "U1", None, settings) == "fa"
    ask(fresh_db, "lang en", user_id="U1")
    assert language_of(fresh_db, "U1", "hy-AM", settings) == "en"
    # the console keeps its own choice, too
    ask(fresh_db, "lang hy")
    assert Context(fresh_db, as_of=date(2026, 11, 22)).lang == "hy"
    assert Context(fresh_db, as_of=date(2026, 11, 22), lang="fa").lang == "fa"  # `--language` wins


def test_workspace_language_is_validated(fresh_db):
    with pytest.raises(FieldError):
        upsert_setting(fresh_db, "language", "de", now=NOW)


def test_a_digest_channel_has_its_own_language():
    entries = digest_channels("C0123 09:00 Asia/Tehran sat-wed lang fa; C0456 08:30")
    assert entries[0]["lang"] == "fa" and entries[0]["tz"] == "Asia/Tehran"
    assert "lang" not in entries[1]
    assert digest_channels([{"channel": "C0123", "lang": "hy_AM"}])[0]["lang"] == "hy"
    with pytest.raises(FieldError):
        digest_channels("C0123 lang xx")


@pytest.mark.parametrize("command", ["crr 1997-Q3", "crr 30d", "crr 1997-Q3 segment:none"])
def test_persian_answers_use_persian_digits(cdnow_db, command):
    a = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="fa"), command)
    assert limit_problems(a.message) == []
    body = "\n".join(texts(a.message))
    assert re.search("[۰-۹]", body)
    assert latin_digits_outside_ids(a.message) == []


def test_embedded_left_to_right_runs_are_isolated_in_persian(cdnow_db):
    a = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="fa"), "crr 1997-Q3 segment:Retail")
    scope = a.message["blocks"][-1]["elements"][0]["text"]
    assert f"{FSI} · بخش {FSI}Retail{PDI}{PDI}" in scope
    whole = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="fa"), "crr 1997-Q3")
    formula = whole.message["blocks"][-2]["text"]["text"]
    assert f"{LRI}CRR = (E − N)/S = (" in formula and formula.count(PDI) >= 1


def test_armenian_answers_use_armenian_marks(cdnow_db):
    en = answer(Context(cdnow_db, as_of=date(1998, 6, 30)), "crr 1997-Q3")
    hy = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="hy"), "crr 1997-Q3")
    assert en.data == hy.data  # the JSON is the same in every language
    assert "հաճախորդների պահպանման գործակից" in hy.message["blocks"][1]["text"]["text"]
    assert "78.5%" in en.message["blocks"][1]["text"]["text"]
    assert "78,5%" in hy.message["blocks"][1]["text"]["text"]  # decimal comma


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ریزش 30d", "churn 30d"),
        ("կորուստ 30d", "churn 30d"),
        ("حفظ فصل-قبل", "crr last-quarter"),
        ("պահպանում նախորդ-եռամսյակ", "crr last-quarter"),
        ("crr ۳۰ روز", "crr 30d"),
        ("շաբաթ", None),
    ],
)
def test_commands_and_periods_in_armenian_and_persian(cdnow_db, typed, meant):
    ctx = Context(cdnow_db, as_of=date(1998, 6, 30))
    got = answer(ctx, typed)
    if meant is None:
        assert not got.ok  # not a command in any language
        return
    assert got.ok and got.data == answer(ctx, meant).data


def test_help_shows_the_words_of_the_askers_language(cdnow_db):
    fa = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="fa"), "راهنما")
    body = "\n".join(texts(fa.message))
    assert "به چه پرسش‌هایی پاسخ می‌دهم" in body and "`ریزش`" in body and "`فصل-قبل`" in body
    hy = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang="hy"), "help")
    assert "`կորուստ`" in "\n".join(texts(hy.message)) and "`ریزش`" not in "\n".join(texts(hy.message))
    en = answer(Context(cdnow_db, as_of=date(1998, 6, 30)), "help")
    assert "`ریزش`" not in "\n".join(texts(en.message)) and en.data == fa.data


def test_a_channels_digest_is_in_the_channels_language(cdnow_db):
    from bot.jobs import digest_payload

    upsert_setting(cdnow_db, "digest_channels", "C0FA 09:00 Asia/Tehran lang fa; C0EN 09:00", now=NOW)
    at = datetime(1998, 6, 30, 12, tzinfo=UTC)
    fa = digest_payload(cdnow_db, "C0FA", date(1998, 6, 30), at)
    en = digest_payload(cdnow_db, "C0EN", date(1998, 6, 30), at)
    assert fa["blocks"][0]["text"]["text"].startswith("گزارش روزانهٔ ریزش")
    assert en["blocks"][0]["text"]["text"].startswith("Churn digest")


@pytest.mark.parametrize(
    ("lang", "typed", "meant"),
    [("fa", "فصل-قبلی", "فصل-قبل"), ("fa", "ماه-گذشت", "ماه-گذشته"), ("hy", "նախորդ-եռամսյակը", "նախորդ-եռամսյակ")],
)
def test_a_misspelt_period_word_in_the_readers_language_gets_a_suggestion_in_it(fresh_db, lang, typed, meant):
    """A typo of a Persian or Armenian period keyword is answered with the
    word they meant, in their language, as an English typo is."""
    a = ask(fresh_db, f"crr {typed}", lang=lang)
    assert not a.ok
    assert a.data["error"].startswith(f"I don't understand the period `{typed}`. Did you mean `{meant}`?")


def test_period_errors_are_said_in_the_askers_language_and_calendar(fresh_db):
    """analytics raises a PeriodError with its msgid and values; the answer
    says it in the asker's language, days in the workspace calendar and the
    language's digits, while the JSON keeps the English."""
    upsert_setting(fresh_db, "language", "fa", now=NOW)  # and with it the Persian calendar
    month = ask(fresh_db, "crr 1405-13")
    assert not month.ok
    assert month.data["error"].startswith("`1405-13`: months are 01 to 12. Periods look like")
    assert f"{FSI}`1405-13`{PDI}: ماه‌ها از ۰۱ تا ۱۲ هستند" in month.message["text"]
    later = ask(fresh_db, "crr 1406")
    assert "بعد از ۱۴۰۵/۰۹/۰۱، روز گزارش، شروع می‌شود" in later.message["text"]
    assert later.data["error"].startswith("`1406` starts after 1405/09/01, the as-of date")
    since = ask(fresh_db, "crr since", lang="hy")
    assert "`since`-ից հետո պետք է մեկ ամսաթիվ" in since.message["text"] and "Գուցե" not in since.message["text"]
    assert (
        ask(fresh_db, "crr lastquarter", lang="en")
        .data["error"]
        .startswith("I don't understand the period `lastquarter`. Did you mean `last-quarter`?")
    )
