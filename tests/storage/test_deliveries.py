"""The outbox rows: enqueue once, claim atomically, settle."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from storage import open_db
from storage.deliveries import (
    claim_delivery,
    enqueue_delivery,
    load_delivery,
    load_pending,
    mark_failed,
    mark_sent,
    mark_uncertain,
)
from storage.fields import FieldError
from storage.schedules import digest_channels, local_time, weekdays

NOW = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
STALE = timedelta(minutes=15)
MSG = {"text": "hello"}


def test_enqueue_is_once_per_key_and_keeps_the_first_payload(fresh_db):
    assert enqueue_delivery(fresh_db, "digest:2026-03-09:C1", "digest", "C1", MSG, NOW)
    assert not enqueue_delivery(fresh_db, "digest:2026-03-09:C1", "digest", "C1", {"text": "other"}, NOW)
    row = load_delivery(fresh_db, "digest:2026-03-09:C1")
    assert (row.status, row.attempts, row.payload, row.created_at) == ("pending", 0, MSG, "2026-03-09T16:00:00Z")
    assert load_delivery(fresh_db, "nope") is None


def test_claim_is_exclusive_until_the_claim_goes_stale(fresh_db):
    enqueue_delivery(fresh_db, "k", "digest", "C1", MSG, NOW)
    first = claim_delivery(fresh_db, "k", NOW, STALE)
    assert (first.status, first.attempts, first.stale) == ("sending", 1, False)
    assert claim_delivery(fresh_db, "k", NOW + STALE - timedelta(seconds=1), STALE) is None
    taken_over = claim_delivery(fresh_db, "k", NOW + STALE, STALE)
    assert (taken_over.status, taken_over.attempts, taken_over.stale) == ("sending", 2, True)
    assert claim_delivery(fresh_db, "missing", NOW, STALE) is None


def test_sent_and_permanently_failed_are_never_claimed_again(fresh_db):
    for key in ("sent", "failed"):
        enqueue_delivery(fresh_db, key, "digest", "C1", MSG, NOW)
        claim_delivery(fresh_db, key, NOW, STALE)
    mark_sent(fresh_db, "sent", "1700000000.000100", NOW)
    mark_failed(fresh_db, "failed", "channel_not_found", permanent=True, now=NOW)
    later = NOW + timedelta(days=1)
    assert claim_delivery(fresh_db, "sent", later, STALE) is None
    assert claim_delivery(fresh_db, "failed", later, STALE) is None
    assert load_delivery(fresh_db, "sent").slack_ts == "1700000000.000100"
    assert load_delivery(fresh_db, "failed").last_error == "channel_not_found"
    audit = fresh_db.execute("SELECT action, subject, detail FROM audit_log").fetchall()
    assert audit == [("delivery.failed", "failed", '{"error": "channel_not_found"}')]
    assert load_pending(fresh_db) == []


def test_transient_failure_returns_to_pending_and_uncertain_keeps_the_claim(fresh_db):
    for key in ("transient", "uncertain"):
        enqueue_delivery(fresh_db, key, "digest", "C1", MSG, NOW)
        claim_delivery(fresh_db, key, NOW, STALE)
    mark_failed(fresh_db, "transient", "http_503", permanent=False, now=NOW)
    mark_uncertain(fresh_db, "uncertain", "URLError: timed out")
    assert [(d.key, d.status) for d in load_pending(fresh_db)] == [("transient", "pending"), ("uncertain", "sending")]
    again = claim_delivery(fresh_db, "transient", NOW, STALE)
    assert (again.attempts, again.stale, again.last_error) == (2, False, "http_503")
    assert claim_delivery(fresh_db, "uncertain", NOW, STALE) is None
    assert claim_delivery(fresh_db, "uncertain", NOW + STALE, STALE).stale


def test_two_processes_never_claim_the_same_key(db_path):
    keys = [f"digest:2026-03-{d:02d}:C1" for d in range(1, 31)]
    setup = open_db(db_path)
    for key in keys:
        enqueue_delivery(setup, key, "digest", "C1", MSG, NOW)
    setup.conn.close()
    won: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def process(name: str) -> None:
        db = open_db(db_path)
        order = keys[:]
        random.Random(name).shuffle(order)
        start.wait(5)
        for key in order:
            if claim_delivery(db, key, NOW, STALE):
                won[name].append(key)
        db.conn.close()

    threads = [threading.Thread(target=process, args=(n,)) for n in won]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(won["a"] + won["b"]) == sorted(keys)
    assert not set(won["a"]) & set(won["b"])


def test_schedule_settings_are_validated_and_normalised():
    assert local_time("9:05") == "09:05"
    assert weekdays("Mon-Fri") == "mon-fri"
    assert weekdays(["monday", "wed"]) == "mon,wed"
    assert weekdays("daily") == "mon-sun"
    assert digest_channels("C0123 9:00 America/Los_Angeles mon-fri; <#C0456|sales>") == [
        {"channel": "C0123", "time": "09:00", "tz": "America/Los_Angeles", "weekdays": "mon-fri"},
        {"channel": "C0456", "time": "09:00", "tz": None, "weekdays": "mon-fri"},
    ]
    assert digest_channels('"C0123 08:00"')[0]["time"] == "08:00"
    assert digest_channels('[{"channel": "C1X", "time": "08:30", "tz": "Asia/Tokyo", "weekdays": "mon,thu"}]') == [
        {"channel": "C1X", "time": "08:30", "tz": "Asia/Tokyo", "weekdays": "mon,thu"}]
    for bad in ("25:00", "9am"):
        with pytest.raises(FieldError):
            local_time(bad)
    for bad in ("C1 09:00 Mars/Olympus", "C1 funday", "general", "C1X; C1X", '[{"channel": "C1X", "hour": 9}]'):
        with pytest.raises(FieldError):
            digest_channels(bad)
