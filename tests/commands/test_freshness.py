"""How fresh the data is, said in every answer's footer and in the digest
when it comes from live sources; a stale or failing source leads the digest
with a warning."""

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from commands import Context, answer
from commands.digest import build_digest_message, compute_digest
from storage.settings import upsert_setting
from storage.sources.sql import open_source
from storage.sources.state import record_sync
from storage.sources.sync import sync_source
from tests.support.sources import sql_config, sqlite_shop
from tests.support.stores import SET_AT

SYNCED = datetime(2026, 11, 24, 7, 12, tzinfo=UTC)


@pytest.fixture
def synced(fresh_db, tmp_path, monkeypatch):
    rows = [(i, f"c{i % 4}", f"2026-11-{10 + i}", 20.0 + i, "USD", "paid", f"2026-11-2{i % 3}") for i in range(1, 9)]
    sqlite_shop(tmp_path / "shop.db", rows).close()
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{tmp_path / 'shop.db'}")
    upsert_setting(fresh_db, "timezone", "Asia/Tehran", now=SET_AT)
    source = open_source(sql_config(tmp_path / "sources.toml"), os.environ)
    assert sync_source(fresh_db, source, now=SYNCED, tz=UTC).added == 8
    source.close()
    return fresh_db


def texts(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_answers_say_up_to_when_and_from_which_sources(synced):
    later = SYNCED + timedelta(hours=2)
    a = answer(Context(synced, now=later), "kpis")
    assert "data to 10:42 today from shop_db" in texts(a.message)  # 07:12 UTC in Tehran (+03:30)
    next_day = answer(Context(synced, now=SYNCED + timedelta(days=1)), "kpis")
    assert "data to 10:42 on 2026-11-24 from shop_db" in texts(next_day.message)
    fa = answer(Context(synced, now=later, lang="fa"), "kpis")
    assert "داده‌ها تا ۱۰:۴۲ امروز از \u2068shop_db\u2069" in texts(fa.message)  # the Latin name isolated


def test_the_digest_ends_with_freshness_and_leads_with_staleness(synced):
    fresh = compute_digest(Context(synced, now=SYNCED + timedelta(hours=3)), None)
    assert fresh["freshness"]["stale"] is False and fresh["freshness"]["data_to"] == "2026-11-24T07:12:00Z"
    msg = build_digest_message(fresh, "USD")
    assert "data to 10:42 today from shop_db" in texts(msg)
    assert ":warning:" not in msg["text"] and ":warning:" not in json.dumps(msg["blocks"][:2])

    old = compute_digest(Context(synced, now=SYNCED + timedelta(hours=40)), None)  # stale_after 36 h
    msg = build_digest_message(old, "USD")
    warning = "The data is stale: last synced 2026-11-24 10:42 from shop_db; newer orders are missing."
    assert warning in msg["blocks"][1]["text"]["text"] and msg["text"].startswith(":warning: The data is stale")

    record_sync(synced, "shop_db", "sql", SYNCED + timedelta(hours=20), added=0, updated=0, error="refused")
    failing = build_digest_message(compute_digest(Context(synced, now=SYNCED + timedelta(hours=21)), None), "USD")
    assert "Syncing shop_db fails since 2026-11-25 06:42; the data is as of 2026-11-24 10:42." in texts(failing)


def test_without_live_sources_nothing_changes(cdnow_db):
    d = compute_digest(Context(cdnow_db, now=datetime(1998, 6, 30, 12, tzinfo=UTC)), None)
    assert d["freshness"] is None
    a = answer(Context(cdnow_db, now=datetime(1998, 6, 30, 12, tzinfo=UTC)), "kpis")
    assert "data to 1998-06-30" in texts(a.message) and " from " not in texts(a.message)
