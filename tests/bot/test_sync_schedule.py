"""The live sources' sync on the bot's schedule: at `sync_time` once per
scheduled time whatever the restarts and instances, caught up on start, and
always before the nightly score and the day's first digest; a failing
source tells each admin once per failure episode."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.jobs import build_jobs, notify_source_failure
from bot.outbox import build_outbox_client
from bot.scheduler import JOB_SCORE, JOB_SOURCES, JOB_SOURCES_EVERY, Jobs, build_scheduler, catch_up, run_sync_job
from commands.blocks import message, section
from storage import open_db
from storage.problems import Said
from storage.settings import upsert_setting
from storage.sources import ROW_KIND_NAMES
from storage.sources.config import load_sources
from storage.sources.sql import QUERY_FAILED
from storage.sources.state import load_source_state, record_sync
from storage.user_languages import upsert_user_language
from tests.support.sources import sources_file, sqlite_shop
from tests.support.stores import SET_AT

CHANNEL = "C0SALES"
ADMIN = "U0ADMIN1"


def build_digest(db, channel, day):
    return message(f"Digest {day}", [section(f"Digest for {day}")])


@pytest.fixture
def client(slack):
    return build_outbox_client(
        slack.token, slack.api_url, sleep=lambda s: None, interval=FixedValueRetryIntervalCalculator(0)
    )


@pytest.fixture
def runs():
    return []


@pytest.fixture
def jobs(client, runs):
    """Jobs whose score and sync record the order they ran in."""
    return Jobs(
        client=client,
        build_digest=build_digest,
        build_reminder=lambda db, rep, day: None,
        score=lambda db, now: runs.append(("score", now)),
        sync=lambda db, now: runs.append(("sync", now)),
        sync_time="06:00",
        clock=lambda: pytest.fail("the tests pass `now`"),
    )


def store(db_path, digest="[]", tz="UTC"):
    db = open_db(db_path)
    upsert_setting(db, "timezone", tz, now=SET_AT)
    upsert_setting(db, "digest_channels", digest, now=SET_AT)
    upsert_setting(db, "admins", ADMIN, now=SET_AT)
    db.conn.close()


def test_sync_at_its_time_caught_up_once(db_path, jobs, runs):
    store(db_path, tz="Asia/Tehran")
    tehran = ZoneInfo("Asia/Tehran")
    morning = datetime(2026, 3, 9, 6, 20, tzinfo=tehran)
    assert catch_up(str(db_path), jobs, morning) == [JOB_SOURCES]
    assert catch_up(str(db_path), jobs, morning + timedelta(minutes=5)) == []  # a restart: already done
    assert runs == [("sync", morning)]
    fire = datetime(2026, 3, 10, 6, 0, tzinfo=tehran)
    assert run_sync_job(str(db_path), fire, sync=jobs.sync)
    assert not run_sync_job(
        str(db_path), fire + timedelta(seconds=3), sync=jobs.sync, scheduled_for=fire
    )  # another instance
    assert len(runs) == 2
    trigger = build_scheduler(str(db_path), jobs).get_job(JOB_SOURCES).trigger
    assert trigger.get_next_fire_time(None, fire) == fire
    assert trigger.get_next_fire_time(None, fire + timedelta(minutes=1)) == fire + timedelta(days=1)


def test_the_score_and_the_first_digest_sync_first(db_path, jobs, runs, slack):
    store(db_path, f"{CHANNEL} 05:00 UTC daily")  # both before the 06:00 sync
    night = datetime(2026, 3, 9, 2, 5, tzinfo=UTC)  # score_time 02:00
    assert catch_up(str(db_path), jobs, night) == [JOB_SCORE]
    assert [what for what, _ in runs] == ["sync", "score"]
    five = datetime(2026, 3, 9, 5, 1, tzinfo=UTC)
    catch_up(str(db_path), jobs, five)
    assert [what for what, _ in runs] == ["sync", "score"]  # the day's sync already ran: the digest goes out
    assert len(slack.calls("chat.postMessage")) == 1
    six = datetime(2026, 3, 9, 6, 1, tzinfo=UTC)
    assert catch_up(str(db_path), jobs, six) == [JOB_SOURCES]  # and its own time still syncs
    next_night = night + timedelta(days=1)
    catch_up(str(db_path), jobs, next_night)
    assert [what for what, _ in runs] == ["sync", "score", "sync", "sync", "score"]


def test_sync_every_adds_an_interval_job(db_path, client, tmp_path):
    store(db_path)
    path = sources_file(tmp_path / "sources.toml")
    path.write_text(path.read_text() + '\n[sync]\nsync_time = "04:30"\nsync_every = "2h"\n')
    jobs = build_jobs(client, sources=load_sources(path), clock=lambda: datetime(2026, 3, 9, tzinfo=UTC))
    assert (jobs.sync_time, jobs.sync_every) == ("04:30", 7200)
    scheduler = build_scheduler(str(db_path), jobs)
    assert scheduler.get_job(JOB_SOURCES_EVERY).trigger.interval == timedelta(hours=2)
    assert build_jobs(client, sources=None).sync is None


def test_a_failing_source_tells_each_admin_once_per_episode(db_path, client, slack, tmp_path, monkeypatch):
    store(db_path)
    sqlite_shop(tmp_path / "shop.db", [(1, "c1", "2026-03-01", 5.0, "USD", "paid", "2026-03-01")]).close()
    path = sources_file(tmp_path / "sources.toml")
    jobs = build_jobs(client, sources=load_sources(path))
    db = open_db(db_path)
    t = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    jobs.sync(db, t)
    assert load_source_state(db, "shop_db")["synced_at"] == "2026-03-09T06:00:00Z"
    monkeypatch.delenv("SHOP_DB_URL")
    for hours in (1, 2, 3):
        jobs.sync(db, t + timedelta(hours=hours))
    notices = slack.calls("chat.postMessage")
    assert len(notices) == 1
    assert "Source `shop_db` could not be synced" in notices[0].params["text"]
    assert "data from it is as of 2026-03-09 06:00. Fix it" in notices[0].params["text"]  # the workspace's UTC
    state = load_source_state(db, "shop_db")
    assert (state["failing_since"], state["notified_at"]) == ("2026-03-09T07:00:00Z", "2026-03-09T07:00:00Z")
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    jobs.sync(db, t + timedelta(hours=4))  # recovered: the episode ends
    assert load_source_state(db, "shop_db")["failing_since"] is None
    record_sync(db, "shop_db", "sql", t + timedelta(hours=5), added=0, updated=0, error="refused")
    assert len(notify_source_failure(db, client, "shop_db", t + timedelta(hours=5))) == 1  # a new episode
    assert notify_source_failure(db, client, "shop_db", t + timedelta(hours=6)) == []


def test_the_failure_notice_is_in_each_admins_language_and_the_workspace_calendar(db_path, client, slack):
    """A Persian workspace in Tehran (the Persian calendar by default): data
    synced at 2026-03-09 06:00 UTC is as of 09:30 (UTC+03:30) on 18 Esfand
    1404 — Esfand 1404 has 29 days and 1 Farvardin 1405 is 2026-03-21. The
    admin whose Slack reads Persian gets Persian; one who chose Armenian
    reads Armenian, with the same Persian date."""
    slack.users[ADMIN] = {"locale": "fa-IR"}
    store(db_path, tz="Asia/Tehran")
    db = open_db(db_path)
    upsert_setting(db, "language", "fa", now=SET_AT)
    upsert_setting(db, "admins", f"{ADMIN},U0ADMIN2", now=SET_AT)
    upsert_user_language(db, "U0ADMIN2", "hy", now=SET_AT)
    t = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    record_sync(db, "shop_db", "sql", t, added=1, updated=0, error=None)
    failed = Said(QUERY_FAILED, {"source": "shop_db", "kind": ROW_KIND_NAMES["orders"], "reason": "connection refused"})
    record_sync(db, "shop_db", "sql", t + timedelta(hours=1), added=0, updated=0, error=str(failed), said=failed)
    assert len(notify_source_failure(db, client, "shop_db", t + timedelta(hours=1))) == 2
    texts = {c.params["channel"]: c.params["text"] for c in slack.calls("chat.postMessage")}
    persian, armenian = texts["D0ADMIN1"], texts["D0ADMIN2"]  # their DMs
    assert "۱۴۰۴/۱۲/۱۸ ۰۹:۳۰" in persian and "همگام‌سازی" in persian
    assert not re.search(r"[0-9]", re.sub(r"`[^`]*`|\u2068[^\u2069]*\u2069", "", persian))  # Latin digits only in code
    assert "1404/12/18 09:30" in armenian and "Աղբյուր" in armenian
    assert "could not be synced" not in persian + armenian
    # the stored failure said in each one's language (schema m012), the driver's own words as they are
    assert "\u2068connection refused\u2069" in persian and "the orders query" not in persian
    assert (
        "աղբյուր shop_db. պատվերների հարցումը ձախողվեց՝ connection refused" in armenian
        and "the orders query" not in armenian
    )
    db.conn.close()


def test_a_scheduled_sync_tells_the_admin_why_in_their_language(db_path, client, slack, tmp_path, monkeypatch):
    """An admin whose Slack reads Persian reads why the scheduled sync failed
    in Persian (the store keeps the English, for logs and status), the
    variable's name isolated left to right."""
    slack.users[ADMIN] = {"locale": "fa-IR"}
    store(db_path)
    db = open_db(db_path)
    jobs = build_jobs(client, sources=load_sources(sources_file(tmp_path / "sources.toml")))
    monkeypatch.delenv("SHOP_DB_URL", raising=False)
    jobs.sync(db, datetime(2026, 3, 9, 6, 0, tzinfo=UTC))
    (notice,) = [c.params["text"] for c in slack.calls("chat.postMessage")]
    assert "منبع \u2068shop_db\u2069: متغیر محیطی \u2068SHOP_DB_URL\u2069 (\u2068url_env\u2069 در " in notice
    assert "environment variable" not in notice and "این منبع هنوز هرگز همگام‌سازی نشده است" in notice
    assert "environment variable SHOP_DB_URL" in load_source_state(db, "shop_db")["last_error"]
    db.conn.close()


def test_a_broken_sources_file_tells_each_admin_once_per_problem(db_path, client, slack, tmp_path, monkeypatch):
    """The scheduled sync finds the sources file broken: the admin (Slack in
    Persian) is told why in Persian, FILE:LINE isolated, once — the next
    runs with the same mistake say nothing; another mistake is told, and so
    is the first one made again after the file was fixed."""
    slack.users[ADMIN] = {"locale": "fa-IR"}
    store(db_path)
    sqlite_shop(tmp_path / "shop.db", [(1, "c1", "2026-03-01", 5.0, "USD", "paid", "2026-03-01")]).close()
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    path = sources_file(tmp_path / "sources.toml")
    good = path.read_text()
    jobs = build_jobs(client, sources=load_sources(path))
    t = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)

    def run(hours, text):
        path.write_text(text)
        assert run_sync_job(str(db_path), t + timedelta(hours=hours), sync=jobs.sync)
        return [c.params["text"] for c in slack.calls("chat.postMessage")]

    bad_key = good.replace("url_env", "url_envv", 1)
    (notice,) = run(0, bad_key)
    assert notice.startswith(
        ":warning: همگام‌سازی زمان‌بندی‌شده نتوانست فایل منابع را بخواند، پس هیچ منبعی همگام‌سازی نشد: "
    )
    assert (
        f"نشد: \u2068\u2068{path}:3\u2069: کلید ناشناخته \u2068'url_envv'\u2069 در \u2066[sources.\u2068shop_db"
        in notice
    )
    assert notice.endswith("(فرمان \u2068`retention-bot doctor`\u2069 همین حالا آن را بررسی می‌کند).")
    assert "could not" not in notice and "sources file" not in notice
    assert len(run(1, bad_key)) == 1  # the same mistake: told already
    assert len(run(2, "[sources.shop_db\n")) == 2  # another mistake (bad TOML): told
    assert len(run(3, good)) == 2  # fixed: synced, nothing to tell
    db = open_db(db_path)
    assert load_source_state(db, "shop_db")["synced_at"] == "2026-03-09T09:00:00Z"
    again = run(4, bad_key)
    assert len(again) == 3 and again[2] == notice  # broken again as before: a new episode, told again


def test_a_broken_sources_file_is_told_in_armenian_too(db_path, client, slack, tmp_path, monkeypatch):
    """An admin whose Slack reads Armenian is told in Armenian, FILE:LINE
    and the key as they are, Latin digits."""
    slack.users[ADMIN] = {"locale": "hy-AM"}
    store(db_path)
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    path = sources_file(tmp_path / "sources.toml")
    jobs = build_jobs(client, sources=load_sources(path))
    path.write_text(path.read_text().replace("url_env", "url_envv", 1))
    assert run_sync_job(str(db_path), datetime(2026, 3, 9, 6, 0, tzinfo=UTC), sync=jobs.sync)
    (notice,) = [c.params["text"] for c in slack.calls("chat.postMessage")]
    assert notice == (
        ":warning: Պլանավորված համաժամեցումը չկարողացավ կարդալ աղբյուրների ֆայլը, ուստի ոչ մի աղբյուր "
        f"չհամաժամեցվեց՝ {path}:3. [sources.shop_db]. անհայտ բանալի 'url_envv' (sql տեսակի բանալիները՝ kind, "
        "skip_invalid, batch_size, url_env, orders, cursor, customers, map)։ Ուղղեք ֆայլը․ հաջորդ պլանավորված "
        "համաժամեցումը կկարդա այն նորից (`retention-bot doctor` հրամանը այն կստուգի հիմա)։"
    )
