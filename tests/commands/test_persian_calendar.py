"""The Persian calendar through the commands: the `calendar` setting, `crr`
and `kpis` over Solar Hijri quarters and years, `trend` and `cohorts`
bucketed by Persian month on the demo store, and the digest on 1 Farvardin.
Expected dates come from the library's conversions (persiantools); expected
figures from the same days asked as Gregorian spans, or from the orders
table read here."""

import json
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from persiantools.jdatetime import JalaliDate

from commands import Context, answer
from commands.scoring import run_score
from storage.fields import parse_utc
from storage.settings import upsert_setting
from tests.support.messages import texts
from tests.support.stores import SET_AT, ZONES, build_store


def j(year: int, month: int, day: int) -> date:
    return JalaliDate(year, month, day).to_gregorian()


def persian_month(day: date) -> str:
    p = JalaliDate(day)
    return f"{p.year}-{p.month:02d}"


def ask(db, text: str, as_of: date, **kw):
    a = answer(Context(db, as_of=as_of, **kw), text)
    assert a.ok, a.data
    return a


def at(zone: str, day: date, hh: int, mm: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(zone)).isoformat()


@pytest.fixture(params=ZONES)
def nowruz_store(request, tmp_path):
    """Orders on either side of Nowruz 1405 and of the quarter's end, in
    local time of the workspace zone."""
    zone = request.param
    orders = [
        ("1", "a", at(zone, date(2025, 11, 1), 10), 50, "paid"),
        ("2", "a", at(zone, date(2026, 1, 15), 10), 50, "paid"),
        ("3", "b", at(zone, date(2025, 12, 21), 23, 59), 40, "paid"),  # 30 Azar 1404: Q3
        ("4", "b", at(zone, date(2026, 3, 20), 23, 59), 40, "paid"),  # 29 Esfand 1404: Q4
        ("5", "c", at(zone, date(2026, 3, 21), 0, 1), 70, "paid"),  # 1 Farvardin 1405: new in Q1
        ("6", "c", at(zone, date(2026, 6, 21), 23, 59), 70, "paid"),  # 31 Khordad
        ("7", "d", at(zone, date(2026, 6, 22), 0, 1), 30, "paid"),  # 1 Tir: Q2
        ("8", "e", at(zone, date(2026, 2, 1), 12), 25, "paid"),
    ]
    db = build_store(tmp_path / "nowruz.db", orders=orders)
    upsert_setting(db, "timezone", zone, now=SET_AT)
    yield db, zone
    db.conn.close()


def test_the_calendar_setting(nowruz_store):
    db, _zone = nowruz_store
    shown = ask(db, "config calendar", date(2026, 11, 22)).data
    assert (shown["value"], shown["default"]) == ("gregorian", "gregorian")
    assert ask(db, "config calendar Persian", date(2026, 11, 22)).data["value"] == "persian"
    assert Context(db, as_of=date(2026, 11, 22)).calendar.name == "persian"
    bad = answer(Context(db, as_of=date(2026, 11, 22)), "config calendar julian")
    assert not bad.ok and "gregorian" in bad.data["error"] and "persian" in bad.data["error"]


def test_crr_1405_q1_and_its_previous_quarter(nowruz_store):
    db, zone = nowruz_store
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    as_of = date(2026, 11, 22)
    d = ask(db, "crr 1405-Q1", as_of).data
    assert d["period"] == {
        "start": "2026-03-21",
        "end": "2026-06-21",
        "label": "1405-Q1",
        "to_date": False,
        "calendar": "persian",
    }
    prev = d["previous"]["period"]
    assert (prev["start"], prev["end"], prev["label"]) == ("2025-12-22", "2026-03-20", "1404-Q4")
    assert (date.fromisoformat(prev["start"]), date.fromisoformat(prev["end"])) == (j(1404, 10, 1), j(1404, 12, 29))
    # The same days asked as Gregorian spans give the same figures.
    upsert_setting(db, "calendar", "gregorian", now=SET_AT)
    same = ask(db, "crr 2026-03-21..2026-06-21", as_of).data
    before = ask(db, "crr 2025-12-22..2026-03-20", as_of).data
    keys = ("S", "E", "N", "N_active", "retained", "crr")
    assert [d[k] for k in keys] == [same[k] for k in keys]
    assert [d["previous"][k] for k in keys] == [before[k] for k in keys]
    assert d["N"] == 1, zone  # c's first order, a minute after Nowruz; d's is in Tir
    assert d["previous"]["N"] == 1  # e, in Bahman; b's first order was in Azar (Q3)


def test_messages_show_persian_dates_and_json_keeps_iso_days(nowruz_store):
    db, _zone = nowruz_store
    as_of = j(1405, 8, 1)  # 2026-10-23
    gregorian = {text: ask(db, text, as_of) for text in ("crr 2026-03-21..2026-06-21", "customer c", "")}
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    crr = ask(db, "crr 1405-Q1", as_of)
    text = str(crr.message)
    assert (
        "1405/01/01 → 1405/03/31" in text and "as of 1405/08/01" in text and "data to 1405/04/01" in text
    )  # d, on 1 Tir
    assert "2026-" not in text  # no Gregorian day left in the message
    customer = ask(db, "customer c", as_of)
    assert customer.data["stats"]["first_order"] == "2026-03-21"  # JSON: ISO days
    assert customer.data == gregorian["customer c"].data
    run_score(Context(db, as_of=as_of))
    for text in ("at-risk", "top 3", "customer c"):
        assert "scores as of 1405/08/01" in str(ask(db, text, as_of).message), text
    assert "1405/01/01" in str(customer.message) and "2026-03-21" not in str(customer.message)
    summary = ask(db, "", as_of)
    assert summary.data == gregorian[""].data
    assert "1404/08/10 to 1405/04/01" in str(summary.message)  # a's first order, d's on 1 Tir
    assert {k: v for k, v in crr.data.items() if k not in ("period", "previous")} == {
        k: v for k, v in gregorian["crr 2026-03-21..2026-06-21"].data.items() if k not in ("period", "previous")
    }


def test_kpis_ytd_on_10_ordibehesht_1405(nowruz_store):
    db, _zone = nowruz_store
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    as_of = j(1405, 2, 10)
    d = ask(db, "kpis ytd", as_of).data
    assert (d["period"]["start"], d["period"]["end"], d["period"]["label"]) == (
        "2026-03-21",
        "2026-04-30",
        "1405 to date (1405/02/10)",
    )
    assert d["orders"] == 1 and d["revenue"] == 70  # c's order at 00:01 on 1 Farvardin, and nothing before it
    bad = answer(Context(db, as_of=as_of), "kpis 1405-Q5")
    assert not bad.ok and "quarters are Q1 to Q4" in bad.data["error"] and "`1405-Q1`" in bad.data["error"]
    text = str(ask(db, "kpis ytd", as_of).message)
    assert "1405 to date (1405/02/10)" in text and "1404 to 1404/02/10" in text


DEMO_DAY = j(1405, 2, 10)
TEHRAN = "Asia/Tehran"


@pytest.fixture(scope="module")
def persian_demo(tmp_path_factory):
    from bot.demo import ensure_demo_store

    db, _ = ensure_demo_store(str(tmp_path_factory.mktemp("demo") / "demo.db"), today=DEMO_DAY)
    upsert_setting(db, "timezone", TEHRAN, now=SET_AT)
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    yield db
    db.conn.close()


def paid_orders(db) -> list[tuple[str, date, float]]:
    tz = ZoneInfo(TEHRAN)
    return [
        (row[0], parse_utc(row[1]).astimezone(tz).date(), row[2])
        for row in db.execute("SELECT customer_id, ordered_at, amount FROM orders WHERE status = 'paid'")
    ]


MONTHS_6 = ["1404-09", "1404-10", "1404-11", "1404-12", "1405-01", "1405-02"]


def test_trend_6_is_by_persian_month_on_the_demo_store(persian_demo):
    d = ask(persian_demo, "trend 6", DEMO_DAY).data
    points = d["months"]
    assert [p["month"] for p in points] == MONTHS_6
    assert [p["to_date"] for p in points] == [False] * 5 + [True]
    for p in points:
        year, month = (int(x) for x in p["month"].split("-"))
        assert p["start"] == j(year, month, 1).isoformat()
        last = min(j(year, month, JalaliDate.days_in_month(month, year)), DEMO_DAY)
        assert p["end"] == last.isoformat()
        crr = ask(persian_demo, f"crr {p['month']}", DEMO_DAY).data
        assert (p["S"], p["E"], p["N"], p["crr"]) == (crr["S"], crr["E"], crr["N"], crr["crr"])
    revenue: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    for _customer, day, amount in paid_orders(persian_demo):
        if day <= DEMO_DAY:
            revenue[persian_month(day)] += amount
            orders[persian_month(day)] += 1
    assert [p["orders"] for p in points] == [orders[m] for m in MONTHS_6]
    assert [p["revenue"] for p in points] == pytest.approx([revenue[m] for m in MONTHS_6])
    assert all(orders[m] for m in MONTHS_6)  # the demo store has orders in each: the check can fail
    text = str(ask(persian_demo, "trend 6", DEMO_DAY).message)
    assert "1405-02 to date (1405/02/10)" in text and "as of 1405/02/10" in text


def test_cohorts_6_are_by_persian_month_on_the_demo_store(persian_demo):
    d = ask(persian_demo, "cohorts 6", DEMO_DAY).data
    assert [c["cohort"] for c in d["cohorts"]] == MONTHS_6
    assert d["partial_month"] == "1405-02"
    first: dict[str, date] = {}
    months: dict[str, set[str]] = {}
    for customer, day, _amount in sorted(paid_orders(persian_demo), key=lambda r: r[1]):
        if day <= DEMO_DAY:
            first.setdefault(customer, day)
            months.setdefault(customer, set()).add(persian_month(day))
    sizes = Counter(persian_month(day) for day in first.values())
    assert [c["size"] for c in d["cohorts"]] == [sizes[m] for m in MONTHS_6]
    assert sum(sizes[m] for m in MONTHS_6) > 0
    for i, row in enumerate(d["cohorts"]):
        members = [c for c, day in first.items() if persian_month(day) == row["cohort"]]
        for k, pct in enumerate(row["active_pct"]):
            if members:
                back = sum(MONTHS_6[i + k] in months[c] for c in members)
                assert pct == pytest.approx(back / len(members) * 100)
    assert "Monthly cohorts · 1404-09 to 1405-02" in str(ask(persian_demo, "cohorts 6", DEMO_DAY).message)


def test_the_digest_on_1_farvardin_reports_esfand(persian_demo):
    nowruz = j(1405, 1, 1)
    assert nowruz == date(2026, 3, 21)
    morning = datetime(2026, 3, 21, 9, tzinfo=ZoneInfo(TEHRAN))  # the digest's time on Nowruz
    d = ask(persian_demo, "digest preview", nowruz, now=morning).data
    assert d["date"] == "2026-03-21"
    r = d["retention"]
    assert r["basis"] == "last_full_month" and r["month_days_so_far"] == 1
    assert (r["period"]["start"], r["period"]["end"], r["period"]["label"]) == ("2026-02-20", "2026-03-20", "1404-12")
    prev = r["previous"]["period"]
    assert (prev["start"], prev["end"], prev["label"]) == (j(1404, 11, 1).isoformat(), "2026-02-19", "1404-11")
    assert r["period"]["start"] == j(1404, 12, 1).isoformat() and prev["end"] == j(1404, 11, 30).isoformat()
    crr = ask(persian_demo, "crr 1404-12", nowruz).data
    assert (r["S"], r["E"], r["N"], r["crr"]) == (crr["S"], crr["E"], crr["N"], crr["crr"])
    text = str(ask(persian_demo, "digest preview", nowruz, now=morning).message)
    assert "in 1404-12 (the last full month; this one has 1 day so far)" in text
    assert "Churn digest · Sat 1405/01/01" in text and "1404/12/01 → 1404/12/29" in text


def test_reminders_follow_ups_and_buttons_show_persian_days(db_path):
    from commands.buttons import press
    from commands.remind import build_reminder_message, compute_reminder
    from storage.settings import load_settings
    from tests.support.followups import OPENED, REP, make_store

    db = make_store(db_path, customers=3)  # follow-ups opened 2026-11-02 08:00 UTC = 11 Aban 1405 in Tehran
    upsert_setting(db, "timezone", TEHRAN, now=SET_AT)
    now = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo(TEHRAN))  # 2 Azar 1405
    gregorian = compute_reminder(db, REP, now.date(), now, load_settings(db))
    assert "calendar" not in gregorian  # Gregorian JSON as it was
    assert "Follow-ups for 2026-11-23" in str(build_reminder_message(gregorian, "USD"))
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    d = compute_reminder(db, REP, now.date(), now, load_settings(db))
    assert {k: v for k, v in d.items() if k != "calendar"} == gregorian and d["calendar"] == "persian"
    assert d["items"][0]["opened_on"] == "2026-11-02"  # JSON: ISO days
    opened = JalaliDate(parse_utc(OPENED).astimezone(ZoneInfo(TEHRAN)).date())
    assert (opened.year, opened.month, opened.day) == (1405, 8, 11)
    text = str(build_reminder_message(d, "USD"))
    assert "Follow-ups for 1405/09/02" in text and "quiet since 1405/08/11" in text and "2026-" not in text
    snoozed = press(Context(db, now=now.astimezone(ZoneInfo("UTC"))), ["snooze", "C01"])
    assert snoozed.ok
    assert "until 1405/09/09" in str(snoozed.message)  # 7 days on: 9 Azar
    listed = str(ask(db, "followups all", date(2026, 11, 23)).message)
    assert "since 1405/08/11" in listed and "until 1405/09/09" in listed and "as of 1405/09/02" in listed


def test_the_calendar_follows_the_workspace_language_until_set(nowruz_store):
    db, _zone = nowruz_store
    as_of = date(2026, 11, 22)
    upsert_setting(db, "language", "fa", now=SET_AT)
    assert Context(db, as_of=as_of).calendar.name == "persian"
    shown = ask(db, "config calendar", as_of).data
    assert (shown["value"], shown["default"]) == ("persian", "persian")
    assert ask(db, "crr last-quarter", as_of).data["period"]["label"] == "1405-Q2"
    upsert_setting(db, "calendar", "gregorian", now=SET_AT)  # a Persian-speaking team that counts in Gregorian
    assert ask(db, "crr last-quarter", as_of).data["period"]["label"] == "2026-Q3"
    upsert_setting(db, "language", "hy", now=SET_AT)
    db.execute("DELETE FROM settings WHERE key = 'calendar'")
    assert Context(db, as_of=as_of).calendar.name == "gregorian"


def test_the_cli_takes_a_persian_as_of_day(nowruz_store):
    from click.testing import CliRunner

    from bot.cli import main

    db, _zone = nowruz_store
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    runner = CliRunner()
    for day in ("1405/01/01", "۱۴۰۵/۰۱/۰۱", "1405-01-01", "2026-03-21"):
        r = runner.invoke(main, ["--db", path, "--as-of", day, "ask", "crr this-month", "--json"])
        assert r.exit_code == 0, r.output
        period = json.loads(r.output)["period"]
        assert (period["start"], period["end"], period["label"]) == (
            "2026-03-21",
            "2026-03-21",
            "1405-01 to date (1405/01/01)",
        )
    r = runner.invoke(main, ["--db", path, "--as-of", "1404/12/30", "ask", "crr"])  # 1404 has no 30 Esfand
    assert r.exit_code == 2 and "is not a date" in r.output


def test_help_and_period_errors_give_examples_in_the_workspace_calendar(nowruz_store):
    """On the Persian calendar `2026-Q3` names a Gregorian quarter: the
    examples a reader copies are Persian periods, in every language."""
    db, _zone = nowruz_store
    as_of = j(1405, 9, 1)
    gregorian = "\n".join(texts(ask(db, "help", as_of, lang="fa").message))
    assert "`2026-Q3`" in gregorian and "`از 2026-01-01`" in gregorian and "1405" not in gregorian
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    for lang in ("fa", "hy", "en"):
        shown = "\n".join(texts(ask(db, "help", as_of, lang=lang).message))
        assert "`1405-Q1`" in shown and "`1405/01/01..1405/03/31`" in shown and "2026" not in shown, shown
    assert "`از 1405/01/01`" in "\n".join(texts(ask(db, "help", as_of, lang="fa").message))
    since = answer(Context(db, as_of=as_of, lang="fa"), "kpis از")
    assert not since.ok and "`از 1405/01/01`" in since.data["error"] and "2026" not in since.data["error"]
    assert "`از 1405/01/01`" in "\n".join(texts(since.message))  # the keyword the reader typed
    later = answer(Context(db, as_of=as_of, lang="fa"), "crr 2030")  # a Gregorian year: the as-of day is still ours
    assert not later.ok and "`2030` starts after 1405/09/01, the as-of date" in later.data["error"]
    assert "۱۴۰۵/۰۹/۰۱" in "\n".join(texts(later.message))
