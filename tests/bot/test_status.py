"""`retention-bot status`: the last digest per channel (also a configured
channel that never had one), the outbox backlog and its failures with
their errors, the last import, the last score and its model, the schema
version; as text and as JSON."""

import json
import re
from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner

from bot.cli import main
from commands import Context
from commands.scoring import run_score
from storage import open_db
from storage.deliveries import (
    claim_delivery,
    enqueue_delivery,
    mark_failed,
    mark_sent,
    mark_uncertain,
)
from storage.settings import SCORE_MARK, upsert_meta, upsert_setting

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def status(path, *args):
    r = CliRunner().invoke(main, ["--db", str(path), "status", *args])
    assert r.exit_code == 0, r.output
    return r.output


def working_store(cdnow_path):
    """A scored store whose outbox holds a digest in each state."""
    db = open_db(cdnow_path)
    run_score(Context(db, as_of=date(1997, 9, 30), now=NOW))
    upsert_meta(db, SCORE_MARK, "2026-11-23T02:00:00Z")
    upsert_setting(db, "digest_channels", "C0SALES 09:00; C0NEW 08:30", now=NOW)
    for key, channel, outcome in (
        ("digest:2026-11-22:C0SALES", "C0SALES", "sent"),
        ("digest:2026-11-23:C0SALES", "C0SALES", "sent"),
        ("digest:2026-11-23:C0GONE", "C0GONE", "failed"),
        ("digest:2026-11-23:C0BUSY", "C0BUSY", "sending"),
        ("digest:2026-11-23:C0UNSURE", "C0UNSURE", "uncertain"),
        ("remind:2026-11-23:U0REP0001", "U0REP0001", "pending"),
    ):
        enqueue_delivery(db, key, key.split(":")[0], channel, {"text": "x"}, NOW)
        claim = claim_delivery(db, key, NOW, timedelta(minutes=15)) if outcome != "pending" else None
        if outcome == "sent":
            mark_sent(db, claim, "1.0001", NOW)
        elif outcome == "failed":
            mark_failed(db, claim, "channel_not_found", True, NOW)
        elif outcome == "uncertain":
            mark_uncertain(db, claim, "http_502")
    db.conn.close()


def test_status_of_a_working_store(cdnow_path):
    working_store(cdnow_path)
    s = json.loads(status(cdnow_path, "--json"))
    assert s["schema_version"].startswith("m0") and s["customers"] == 2357
    digests = {d["channel"]: d for d in s["digests"]}
    assert digests["C0SALES"]["last"]["key"] == "digest:2026-11-23:C0SALES"
    assert digests["C0SALES"]["last"]["status"] == "sent" and digests["C0SALES"]["configured"]
    assert digests["C0NEW"]["last"] is None and digests["C0NEW"]["configured"]
    assert digests["C0GONE"]["last"]["status"] == "failed" and not digests["C0GONE"]["configured"]
    outbox = s["outbox"]
    assert outbox["counts"] == {"pending": 2, "sending": 1, "sent": 2, "failed": 1} and outbox["backlog"] == 3
    assert digests["C0UNSURE"]["last"]["uncertain"] and digests["C0BUSY"]["last"]["status"] == "sending"
    assert outbox["recent_failures"][0]["error"] == "channel_not_found"
    assert s["last_import"]["kind"] == "orders" and s["last_import"]["file"] == "CDNOW_sample.txt"
    assert s["score"]["as_of"] == "1997-09-30" and s["score"]["customers"] == 2357 and s["score"]["quiet"] > 0
    assert s["score"]["model"]["model"] == "bgnbd+gg" and s["score"]["nightly_run_at"] == "2026-11-23T02:00:00Z"

    text = status(cdnow_path)
    assert "Digest C0SALES: digest:2026-11-23:C0SALES sent at" in text
    assert "Digest C0NEW: never posted" in text
    assert (
        "Digest C0GONE (no longer configured): digest:2026-11-23:C0GONE failed after 1 attempt(s) "
        "(channel_not_found)" in text
    )
    assert "Digest C0BUSY (no longer configured): digest:2026-11-23:C0BUSY being sent (claimed at " in text
    assert (
        "digest:2026-11-23:C0UNSURE unconfirmed: Slack did not answer the post (http_502); the next attempt "
        "checks the channel before posting" in text
    )
    assert "Outbox: 3 waiting (2 pending, 1 sending)" in text and "failed digest:2026-11-23:C0GONE" in text
    assert "Last import: orders from CDNOW_sample.txt (cdnow)" in text
    assert "Last score: as of 1997-09-30, 2,357 customers" in text and "Model: bgnbd+gg" in text


def test_status_of_an_empty_store_and_of_none(db_path, tmp_path):
    open_db(db_path).conn.close()
    text = status(db_path)
    assert "Digests: no channel configured" in text and "Last import: none" in text
    assert "Last score: none" in text
    r = CliRunner().invoke(main, ["--db", str(tmp_path / "missing.db"), "status"])
    assert r.exit_code == 1 and "no such store" in r.output
    assert not (tmp_path / "missing.db").exists()


def test_status_times_in_the_persian_calendar(cdnow_path):
    """A Persian workspace in Tehran: the nightly run at 2026-11-23 02:00 UTC
    was 05:30 on 2 Azar 1405 there (1 Azar = 2026-11-22); scores as of
    1997-09-30 are as of 8 Mehr 1376 (1 Mehr 1376 = 1997-09-23), in the
    model's reason too. JSON keeps the stored values."""
    db = open_db(cdnow_path)
    run_score(Context(db, as_of=date(1997, 9, 30), now=NOW))
    upsert_meta(db, SCORE_MARK, "2026-11-23T02:00:00Z")
    upsert_setting(db, "timezone", "Asia/Tehran", now=NOW)
    upsert_setting(db, "language", "fa", now=NOW)  # and with it the Persian calendar
    db.conn.close()
    text = status(cdnow_path)
    assert "آخرین امتیازدهی شبانه: ۱۴۰۵/۰۹/۰۲ ۰۵:۳۰" in text
    assert "آخرین امتیازدهی: تا تاریخ ۱۳۷۶/۰۷/۰۸" in text
    (model,) = [line for line in text.splitlines() if line.startswith("مدل:")]
    assert "۱۳۷۶/۰۷/۰۸" in model and "1997" not in model
    assert json.loads(status(cdnow_path, "--json"))["score"]["nightly_run_at"] == "2026-11-23T02:00:00Z"
    r = CliRunner().invoke(main, ["--db", str(cdnow_path), "--language", "en", "status"])
    assert "Nightly score last ran at 1405/09/02 05:30" in r.output  # Persian calendar, Latin digits


def test_status_in_persian_and_armenian(cdnow_path):
    """Every line in the CLI's language: Persian digits, ids, keys and
    Slack's error codes isolated, times local in the workspace calendar."""
    working_store(cdnow_path)
    fa = CliRunner().invoke(main, ["--language", "fa", "--db", str(cdnow_path), "status"]).output
    hy = CliRunner().invoke(main, ["--db", str(cdnow_path), "status"], env={"RETENTION_LANGUAGE": "hy"}).output
    assert fa.splitlines()[:3] == [
        "طرح پایگاه داده: \u2068m009_reason_codes\u2069؛ ۲٬۳۵۷ مشتری".replace("m009_reason_codes", schema(cdnow_path)),
        "گزارش روزانهٔ \u2068C0SALES\u2069: \u2068digest:2026-11-23:C0SALES\u2069 در ۲۰۲۶-۱۱-۲۳ ۰۹:۰۰ ارسال شد",
        "گزارش روزانهٔ \u2068C0NEW\u2069: هرگز ارسال نشده است",
    ]
    gone = "گزارش روزانهٔ \u2068\u2068C0GONE\u2069 (دیگر تعیین‌شده نیست)\u2069: \u2068digest:2026-11-23:C0GONE\u2069"
    assert f"{gone} پس از ۱ تلاش ناموفق ماند (\u2068channel_not_found\u2069)" in fa
    assert "تأیید نشده است: اسلک به ارسال پاسخ نداد (\u2068http_502\u2069)؛" in fa
    assert (
        "صف ارسال: ۳ در انتظار (۲ منتظر نوبت، ۱ در حال ارسال)، قدیمی‌ترین از ۲۰۲۶-۱۱-۲۳ ۰۹:۰۰؛ ۲ ارسال‌شده؛ ۱ ناموفق"
        in fa
    )
    assert "آخرین ورود داده: \u2068orders\u2069 از \u2068CDNOW_sample.txt\u2069 (\u2068cdnow\u2069) در " in fa
    assert "آخرین امتیازدهی: تا تاریخ ۱۹۹۷-۰۹-۳۰، ۲٬۳۵۷ مشتری، " in fa
    assert "مدل: \u2066BG/NBD + Gamma-Gamma\u2069، برازش‌شده روی ۲٬۳۵۷ مشتری (۹۴۶ خریدار تکراری)" in fa
    assert "آخرین امتیازدهی شبانه: ۲۰۲۶-۱۱-۲۳ ۰۲:۰۰" in fa
    assert not re.search(r"[0-9]", re.sub("\u2068[^\u2069]*\u2069|\u2066[^\u2069]*\u2069", "", fa))
    assert (
        "Ամփոփագիր C0GONE (այլևս նշված չէ)՝ digest:2026-11-23:C0GONE, ձախողվեց 1 փորձից հետո (channel_not_found)" in hy
    )
    assert (
        "Ելքային հերթ՝ 3 սպասող (2 հերթում, 1 ուղարկվում է), ամենահինը սպասում է սկսած 2026-11-23 09:00․ "
        "2 ուղարկված, 1 ձախողված" in hy
    )
    assert "Վերջին գնահատում՝ 1997-09-30 դրությամբ, 2\xa0357 հաճախորդ, " in hy
    assert "Գիշերային գնահատումը վերջին անգամ գործարկվել է՝ 2026-11-23 02:00" in hy
    assert not {"Digest", "Outbox", "Last", "Model", "Schema"} & set(re.findall(r"[A-Za-z]+", fa + hy))


def schema(path):
    return json.loads(status(path, "--json"))["schema_version"]
