"""The scheduled digest in the Persian calendar, through the real jobs and
outbox against the fake Slack: on 1 Farvardin (Nowruz) the new month has one
day, so the headline is Esfand, the last full Persian month; from the 7th
it is Farvardin so far. Tehran time (+03:30), injected."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from persiantools.jdatetime import JalaliDate

from bot.jobs import build_jobs
from bot.scheduler import run_digest_job
from commands import Context, answer
from storage import open_db
from storage.settings import upsert_setting
from tests.support.followups import CHANNEL, make_store, outbox_client
from tests.support.stores import SET_AT, import_rows

TEHRAN = "Asia/Tehran"
NOWRUZ = JalaliDate(1405, 1, 1).to_gregorian()


def morning(day) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo(TEHRAN))


def test_the_digest_on_1_farvardin_reports_esfand_then_farvardin(db_path, slack, tmp_path):
    db = make_store(db_path)
    upsert_setting(db, "timezone", TEHRAN, now=SET_AT)
    upsert_setting(db, "calendar", "persian", now=SET_AT)
    upsert_setting(db, "digest_channels", f"{CHANNEL} 09:00 {TEHRAN} sat-fri", now=SET_AT)
    # Orders in Dey, Bahman and Esfand 1404 (Tehran time), so Esfand has S, E and N.
    rows = [
        ("P1", "C01", "2026-01-05T10:00:00+03:30", 100, "paid"),  # 15 Dey
        ("P2", "C01", "2026-03-10T10:00:00+03:30", 100, "paid"),  # 19 Esfand
        ("P3", "C02", "2026-02-01T10:00:00+03:30", 100, "paid"),  # 12 Bahman
        ("P4", "C09", "2026-03-20T23:30:00+03:30", 100, "paid"),  # 29 Esfand, late: new in Esfand
        ("P5", "C10", "2026-03-21T00:30:00+03:30", 100, "paid"),  # 1 Farvardin: not in Esfand
    ]
    import_rows(db, tmp_path, "orders", ["id", "customer_id", "ordered_at", "amount", "status"], rows)
    esfand_crr = answer(Context(db, as_of=NOWRUZ), "crr 1404-12").data
    assert (esfand_crr["S"], esfand_crr["E"], esfand_crr["N"]) == (2, 3, 1)
    db.conn.close()

    def digest(day):
        now = morning(day)
        jobs = build_jobs(outbox_client(slack), clock=lambda: now)
        result = run_digest_job(
            str(db_path), CHANNEL, now, tz=TEHRAN, client=jobs.client, build_payload=jobs.build_digest
        )
        assert result.status == "sent"
        (call,) = slack.attempts(result.key)
        blocks = call.params["blocks"]
        return call.params["text"] + json.dumps(
            json.loads(blocks) if isinstance(blocks, str) else blocks, ensure_ascii=False
        )

    assert NOWRUZ.isoformat() == "2026-03-21"
    nowruz = digest(NOWRUZ)
    assert nowruz.startswith("Churn digest · Sat 1405/01/01")
    assert f"(E {esfand_crr['E']}, N {esfand_crr['N']}, S {esfand_crr['S']})" in nowruz
    assert "in 1404-12 (the last full month; this one has 1 day so far)" in nowruz
    assert "from 1404/12/29 09:00" in nowruz and "2026-" not in nowruz
    seventh = digest(NOWRUZ + timedelta(days=6))  # 7 Farvardin: the month so far is long enough
    again = open_db(db_path)
    farvardin = answer(Context(again, as_of=NOWRUZ + timedelta(days=6)), "crr this-month").data
    again.conn.close()
    assert farvardin["period"]["label"] == "1405-01 to date (1405/01/07)"
    assert seventh.startswith("Churn digest · Fri 1405/01/07")
    assert f"(E {farvardin['E']}, N {farvardin['N']}, S {farvardin['S']})" in seventh and "this month so far" in seventh
