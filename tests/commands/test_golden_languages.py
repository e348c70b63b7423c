"""The answers in Armenian and Persian pinned exactly — Block Kit JSON and
the terminal rendering — with the checks every Persian message must pass:
Persian digits present, no Latin digit outside ids and code, embedded
left-to-right runs isolated. After an intended change regenerate with
`UPDATE_GOLDEN=1 pytest tests/commands/test_golden_languages.py` and review
the diff (by eye, in a terminal, for the Persian ones)."""

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console

from commands import Context, answer
from commands.blocks import limit_problems
from commands.scoring import run_score
from commands.terminal import render_message
from storage.importer import import_file
from storage.settings import upsert_setting
from tests.support.messages import texts
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store

GOLDEN = Path(__file__).parent / "golden"
FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
# What may keep Latin digits in a Persian message: code spans, Slack
# mentions and channels, and isolated runs (ids, names, formulas).
_EXEMPT = re.compile(r"`[^`]*`|<[@#][^>]+>|:[a-z0-9_+-]+:|[\u2066\u2068][^\u2069]*\u2069")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def terminal(message: dict) -> str:
    console = Console(width=100, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(render_message(message))
    return console.export_text()


def check_persian(message: dict) -> None:
    body = texts(message)
    assert any(re.search("[۰-۹]", t) for t in body), "no Persian digits"
    latin = [t for t in body if re.search("[0-9]", _EXEMPT.sub("", t))]
    assert latin == [], "Latin digits outside ids and code"
    # Every left-to-right word outside code sits in an isolate, or is a
    # glossary abbreviation written as a term (CRR, NPS, E, N, S ...).
    for t in body:
        rest = _EXEMPT.sub("", t)
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_.@-]*", rest))
        assert words <= {"CRR", "NPS", "CSAT", "CES", "CLV", "E", "N", "S"}, (words, t)


def pin(name: str, message: dict) -> None:
    assert limit_problems(message) == []
    for suffix, text in (
        ("json", json.dumps(message, indent=1, ensure_ascii=False) + "\n"),
        ("txt", terminal(message)),
    ):
        path = GOLDEN / f"{name}.{suffix}"
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(text)
        assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1"
        assert text == path.read_text(), path


@pytest.fixture
def small(tmp_path):
    db = build_store(
        tmp_path / "small.db",
        orders=ORDERS,
        customers=CUSTOMERS,
        feedback=FEEDBACK,
        reps=[("U1", "Uma"), ("U2", "Ugo")],
    )
    yield db
    db.conn.close()


@pytest.fixture
def scored(cdnow_db, tmp_path):
    """CDNOW scored at the end of calibration; the two most valuable quiet
    customers get Latin names, a company and owners."""
    run_score(Context(cdnow_db, as_of=date(1997, 9, 30), now=NOW))
    top = [
        r[0]
        for r in cdnow_db.execute(
            "SELECT customer_id FROM customer_scores WHERE quiet = 1 ORDER BY predicted_clv_12m DESC LIMIT 2"
        )
    ]
    path = tmp_path / "customers.csv"
    path.write_text(
        "id,name,email,company,segment,owner_rep_id\n"
        f"{top[0]},Ani Petrosyan,ani@example.com,Ararat Trading,Enterprise,U0MARIA01\n"
        f"{top[1]},Jane Doe,jane@example.com,Doe Bakery,SMB,U0SAM0001\n"
    )
    import_file(cdnow_db, "customers", path, now=NOW)
    return cdnow_db


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_crr(cdnow_db, lang):
    message = answer(Context(cdnow_db, as_of=date(1998, 6, 30), lang=lang), "crr 1997-Q3").message
    if lang == "fa":
        check_persian(message)
    pin(f"crr_cdnow_1997_q3.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_kpis(small, lang):
    message = answer(Context(small, as_of=date(2026, 6, 30), lang=lang), "kpis 2026-Q2").message
    if lang == "fa":
        check_persian(message)
    pin(f"kpis_small_2026_q2.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_at_risk(scored, lang):
    message = answer(Context(scored, as_of=date(1997, 9, 30), now=NOW, lang=lang), "at-risk 5").message
    if lang == "fa":
        check_persian(message)
        names = message["blocks"][1]["text"]["text"]
        assert f"{FSI}*Ani Petrosyan* (Ararat Trading){PDI}" in names
        assert f"{FSI}<@U0MARIA01>{PDI}" in names
    pin(f"at_risk_cdnow_1997_09_30.{lang}", message)


def _retention():
    period = {"start": "2026-11-01", "end": "2026-11-23", "label": "2026-11"}
    prev = {"start": "2026-10-01", "end": "2026-10-23", "label": "2026-10"}
    figures = {"S": 40, "E": 35, "N": 2, "N_active": 2, "retained": 33, "reactivated": 0}
    return {
        "period": period,
        **figures,
        "crr": 82.5,
        "churn_rate": 17.5,
        "activity_window": 90,
        "previous": {"period": prev, **figures, "E": 36, "crr": 92.1, "churn_rate": 10.5},
    }


def _item(i: int, rep: str | None = "U0REP001", **kw) -> dict:
    from commands.remind import item_entry

    base = {
        "followup_id": i,
        "customer_id": f"C{i:02d}",
        "name": f"Customer {i}",
        "company": "Ararat Trading",
        "rep_id": rep,
        "state": "open",
        "opened_at": "2026-11-22T10:00:00Z",
        "snooze_until": None,
        "reminder_count": 2,
        "escalated_at": None,
        "closed_at": None,
        "value": 1000.0 * (20 - i),
        "value_at_open": 900.0,
        "last_order_at": "2026-09-20T10:00:00Z",
        "note": None,
        # "orders every ~20 days; last order 60 days ago (3.0×); P(alive) 31%; expected 12-month value $…; top 5%"
        "reason_code": "own_gap",
        "typical_gap_days": 20.0,
        "tenure_days": 200.0,
        "recency_days": 140.0,
        "p_alive": 0.31,
        "frequency": 6,
        "predicted_clv_12m": 1000.0 * (20 - i),
        "value_pct": 5.0,
    }
    return item_entry({**base, **kw}, UTC, "USD")


def _digest():
    return {
        "channel": "C0SALES",
        "date": "2026-11-23",
        "timezone": "Asia/Tehran",
        "since": "2026-11-22T17:00:00Z",
        "until": "2026-11-23T17:00:00Z",
        "first": False,
        "retention": _retention(),
        "churned": {
            "count": 3,
            "customers": [
                {
                    "id": "C09",
                    "name": "Lusine Hakobyan",
                    "company": None,
                    "owner_rep_id": "U0REP001",
                    "revenue": 4200.0,
                    "last_order": "2026-08-24",
                }
            ],
        },
        "went_quiet": {"count": 2, "customers": [_item(1), _item(2, rep=None)]},
        "won_back": {"count": 1, "customers": [_item(3, state="won_back", note=None)]},
        "overdue": {"count": 5, "new": 2, "by_rep": [{"rep_id": "U0REP001", "count": 3}], "after_days": 7},
        "nps": {"nps": 40.0, "responses": 10, "previous_nps": 30.0, "previous_responses": 8, "new_answers": 3},
        "all_quiet": False,
    }


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_digest(lang):
    from commands.digest import build_digest_message

    message = build_digest_message(_digest(), "USD", lang)
    quiet = build_digest_message({**_digest(), "all_quiet": True}, "USD", lang)
    if lang == "fa":
        check_persian(message)
        check_persian(quiet)
        assert "گزارش روزانهٔ ریزش" in message["blocks"][0]["text"]["text"]
    pin(f"digest_2026_11_23.{lang}", message)
    pin(f"digest_all_quiet_2026_11_23.{lang}", quiet)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_reminder(lang):
    from commands.remind import build_reminder_message

    d = {
        "rep_id": "U0REP001",
        "date": "2026-11-23",
        "total": 12,
        "shown": 2,
        "items": [_item(1), _item(2)],
        "dismiss_days": 90,
    }
    message = build_reminder_message(d, "AMD" if lang == "hy" else "IRR", lang)
    if lang == "fa":
        check_persian(message)
        assert "ریال" in json.dumps(message, ensure_ascii=False)
        buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
        assert [e.get("text", e.get("placeholder"))["text"] for e in buttons] == [
            "تماس گرفتم",
            "۷ روز بعد یادآوری کن",
            "واگذاری به…",
            "در معرض ریزش نیست",
        ]
    else:
        assert "֏" in json.dumps(message, ensure_ascii=False)
    pin(f"reminder_2026_11_23.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_home_tab(scored, lang):
    """An admin's Home tab (the book at a glance, their follow-ups, at-risk)."""
    from commands.home import build_home_view

    ctx = Context(scored, as_of=date(1997, 9, 30), now=NOW, lang=lang, user_id="U0ADMIN01", surface="slack")
    view = build_home_view(ctx)
    message = {"text": "home", "blocks": view["blocks"]}
    if lang == "fa":
        check_persian({"text": "", "blocks": view["blocks"]})
        assert view["blocks"][0]["text"]["text"] == "حفظ مشتری"
        assert "*راهنمای استفاده*" in json.dumps(view, ensure_ascii=False)
    else:
        assert view["blocks"][0]["text"]["text"] == "Հաճախորդների պահպանում"
    pin(f"home_admin_cdnow.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_snooze_button_reply(small, lang):
    """A rep presses Snooze on their reminder, in a Tehran workspace (Persian
    calendar for `fa`): the line that replaces the buttons, and what they
    are told. 2026-11-23 09:00 UTC + 7 days = 2026-11-30 12:30 in Tehran,
    9 Azar 1405."""
    from commands.buttons import apply_button
    from commands.remind import ACTION_SNOOZE
    from storage.settings import upsert_setting
    from tests.support.stores import SET_AT

    upsert_setting(small, "timezone", "Asia/Tehran", now=SET_AT)
    if lang == "fa":
        upsert_setting(small, "calendar", "persian", now=SET_AT)
    small.execute(
        "INSERT INTO followups (customer_id, rep_id, opened_at, value_at_open) VALUES ('a', 'U1', ?, 180.0)",
        ["2026-11-22T10:00:00Z"],
    )
    (followup_id,) = small.execute("SELECT id FROM followups WHERE customer_id = 'a'").fetchone()
    ctx = Context(small, now=NOW, lang=lang, user_id="U1", surface="slack")
    result = apply_button(ctx, ACTION_SNOOZE, str(followup_id))
    assert result.ok
    message = {"text": result.summary, "blocks": result.blocks}
    if lang == "fa":
        check_persian(message)
        assert "۱۴۰۵/۰۹/۰۹" in result.summary and "۱۴۰۵/۰۹/۰۹" in result.blocks[-1]["elements"][0]["text"]
    else:
        assert "2026-11-30" in result.summary
    pin(f"button_snooze_2026_11_23.{lang}", message)


@pytest.fixture
def books(scored, tmp_path):
    """The scored store with its two reps, each owning a follow-up (Maria's
    reminded twice, Sam's snoozed); the Persian one counts in the Persian
    calendar, as a Persian workspace does by default."""
    from storage.followup_actions import load_open_followup, reassign, record_reminded, snooze

    (tmp_path / "reps.csv").write_text("id,name\nU0MARIA01,Maria Lopez\nU0SAM0001,Sam Okafor\n")
    import_file(scored, "reps", tmp_path / "reps.csv", now=NOW)
    for customer, rep in scored.execute("SELECT id, owner_rep_id FROM customers WHERE owner_rep_id IS NOT NULL"):
        f = load_open_followup(scored, customer)
        assert f is not None
        reassign(scored, f.id, "U0ADMIN01", rep, NOW)
        if rep == "U0MARIA01":
            record_reminded(scored, rep, [f.id], NOW)
            record_reminded(scored, rep, [f.id], NOW)
        else:
            snooze(scored, f.id, rep, NOW)
    return scored


def _ask(db, lang: str, command: str, user: str = "U0SAM0001") -> dict:
    from storage.settings import upsert_setting

    upsert_setting(db, "calendar", "persian" if lang == "fa" else "gregorian", now=NOW)
    return answer(Context(db, as_of=date(1997, 9, 30), now=NOW, lang=lang, user_id=user), command).message


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_rep_book(books, lang):
    message = _ask(books, lang, "rep <@U0MARIA01>")
    if lang == "fa":
        check_persian(message)
        assert message["blocks"][0]["text"]["text"] == f"سبد مشتریان {FSI}Maria Lopez{PDI}"
        assert "۱۳۷۶/۰۵/۲۶" in terminal(message)  # data to 1997-08-17, 26 Mordad 1376
    pin(f"rep_book_cdnow_1997_09_30.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_rep_team(books, lang):
    message = _ask(books, lang, "rep", user="U0MANAGER")
    if lang == "fa":
        check_persian(message)
    pin(f"rep_team_cdnow_1997_09_30.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_customer(books, lang):
    message = _ask(books, lang, "customer Ani Petrosyan")
    if lang == "fa":
        check_persian(message)
        warning = next(t for t in texts(message) if t.startswith(":warning:"))
        assert "هر ~۱۸ روز یک بار سفارش می‌دهد" in warning and "وضعیت پیگیری: باز" in warning
    pin(f"customer_cdnow_1997_09_30.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_followups(books, lang):
    message = _ask(books, lang, "followups all 3")
    if lang == "fa":
        check_persian(message)
        assert f"{FSI}<@U0MARIA01>{PDI}" in message["blocks"][1]["text"]["text"]
    pin(f"followups_cdnow_1997_09_30.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("command", ["at-risk 3", "top 3"])
def test_the_model_line_in_the_persian_calendar(scored, lang, command):
    """Scores as of 1997-09-30 = 8 Mehr 1376 (1 Mehr 1376 was 23 September
    1997): the model line says the day as the workspace calendar does, in
    English too (the stored reason keeps its ISO day). `top` said it in the
    Gregorian calendar."""
    from commands.scoring import MODEL_META
    from storage.settings import load_meta, upsert_setting
    from tests.support.stores import SET_AT

    upsert_setting(scored, "calendar", "persian", now=SET_AT)
    message = answer(Context(scored, as_of=date(1997, 9, 30), now=NOW, lang=lang), command).message
    (line,) = [t for t in texts(message) if t.lstrip(FSI).startswith(("Model:", "مدل:"))]
    assert ("۱۳۷۶/۰۷/۰۸" if lang == "fa" else "1376/07/08") in line and "1997" not in line
    assert "1997-09-30" in load_meta(scored, MODEL_META)["reason"]


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_churn(small, lang):
    message = answer(Context(small, as_of=date(2026, 6, 30), lang=lang), "churn 2026-Q2").message
    if lang == "fa":
        check_persian(message)
        assert "نرخ ریزش: *۶۶٫۷٪*" in message["blocks"][1]["text"]["text"]
    pin(f"churn_small_2026_q2.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_trend(cdnow_db, lang):
    """Mid-month, so the last row is the month so far (~)."""
    message = answer(Context(cdnow_db, as_of=date(1997, 9, 15), lang=lang), "trend 6").message
    if lang == "fa":
        check_persian(message)
        table = message["blocks"][1]["text"]["text"]
        # One column order on every line: each starts left to right, and
        # the Persian headings are isolated so they cannot swap.
        assert all(line.startswith("\u200e") for line in table.split("\n")[1:-1])
        assert f"{FSI}ماه{PDI}" in table
    pin(f"trend_cdnow_1997_09_15.{lang}", message)


def test_trend_in_the_persian_calendar(cdnow_db):
    upsert_setting(cdnow_db, "calendar", "persian", now=NOW)
    message = answer(Context(cdnow_db, as_of=date(1997, 9, 15), lang="fa"), "trend 6").message
    check_persian(message)
    assert message["blocks"][0]["text"]["text"] == "روند حفظ مشتری · فروردین ۱۳۷۶ تا شهریور ۱۳۷۶"
    pin("trend_cdnow_persian_1997_09_15.fa", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_cohorts(cdnow_db, lang):
    message = answer(Context(cdnow_db, as_of=date(1997, 6, 15), lang=lang), "cohorts 6").message
    if lang == "fa":
        check_persian(message)
    pin(f"cohorts_cdnow_1997_06_15.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_top(scored, lang):
    message = answer(Context(scored, as_of=date(1997, 9, 30), now=NOW, lang=lang), "top 5").message
    if lang == "fa":
        check_persian(message)
    pin(f"top_cdnow_1997_09_30.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_nps(small, lang):
    message = answer(Context(small, as_of=date(2026, 6, 30), lang=lang), "nps 2026-Q2").message
    if lang == "fa":
        check_persian(message)
    pin(f"nps_small_2026_q2.{lang}", message)


@pytest.mark.parametrize("lang", ["fa", "hy"])
def test_config(small, lang):
    """One setting shown, and a value it refuses (storage's validation error, translated)."""
    ctx = Context(small, as_of=date(2026, 6, 30), now=NOW, lang=lang)
    shown = answer(ctx, "config activity_window").message
    refused = answer(ctx, "config activity_window 5").message
    if lang == "fa":
        check_persian(refused)
        assert "خارج از بازهٔ مجاز" in refused["text"] and "۷۳۰" in refused["text"]
    pin(f"config_activity_window.{lang}", shown)
    pin(f"config_activity_window_refused.{lang}", refused)
