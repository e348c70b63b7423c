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
    claims = {}
    for key in ("sent", "failed"):
        enqueue_delivery(fresh_db, key, "digest", "C1", MSG, NOW)
        claims[key] = claim_delivery(fresh_db, key, NOW, STALE)
    assert mark_sent(fresh_db, claims["sent"], "1700000000.000100", NOW)
    assert mark_failed(fresh_db, claims["failed"], "channel_not_found", permanent=True, now=NOW)
    later = NOW + timedelta(days=1)
    assert claim_delivery(fresh_db, "sent", later, STALE) is None
    assert claim_delivery(fresh_db, "failed", later, STALE) is None
    assert load_delivery(fresh_db, "sent").slack_ts == "1700000000.000100"
    assert load_delivery(fresh_db, "failed").last_error == "channel_not_found"
    audit = fresh_db.execute("SELECT action, subject, detail FROM audit_log").fetchall()
    assert audit == [("delivery.failed", "failed", '{"error": "channel_not_found"}')]
    assert load_pending(fresh_db) == []


def test_transient_failure_returns_to_pending_and_an_uncertain_one_is_checked_first(fresh_db):
    claims = {}
    for key in ("transient", "uncertain"):
        enqueue_delivery(fresh_db, key, "digest", "C1", MSG, NOW)
        claims[key] = claim_delivery(fresh_db, key, NOW, STALE)
    assert mark_failed(fresh_db, claims["transient"], "http_503", permanent=False, now=NOW)
    assert mark_uncertain(fresh_db, claims["uncertain"], "URLError: timed out")
    pending = {d.key: (d.status, d.uncertain) for d in load_pending(fresh_db)}
    assert pending == {"transient": ("pending", False), "uncertain": ("pending", True)}
    again = claim_delivery(fresh_db, "transient", NOW, STALE)
    assert (again.attempts, again.check_first, again.last_error) == (2, False, "http_503")
    unsure = claim_delivery(fresh_db, "uncertain", NOW, STALE)  # at once: no waiting for the claim to go stale
    assert (unsure.attempts, unsure.check_first, unsure.stale) == (2, True, False)
    assert mark_failed(fresh_db, unsure, "http_503", permanent=False, now=NOW)  # the check could not be made
    assert claim_delivery(fresh_db, "uncertain", NOW, STALE).check_first  # still to be checked
    assert mark_sent(fresh_db, again, "1.2", NOW)
    assert not load_delivery(fresh_db, "transient").uncertain


def test_only_the_holder_of_a_claim_can_settle_it(fresh_db):
    enqueue_delivery(fresh_db, "k", "digest", "C1", MSG, NOW)
    slow = claim_delivery(fresh_db, "k", NOW, STALE)
    taken_over = claim_delivery(fresh_db, "k", NOW + STALE, STALE)
    assert taken_over.stale and taken_over.token != slow.token
    assert not mark_sent(fresh_db, slow, "1.1", NOW + STALE)
    assert not mark_failed(fresh_db, slow, "channel_not_found", permanent=True, now=NOW + STALE)
    assert not mark_uncertain(fresh_db, slow, "URLError")
    assert load_delivery(fresh_db, "k").status == "sending"
    assert fresh_db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 0
    assert mark_sent(fresh_db, taken_over, "1.2", NOW + STALE)
    assert not mark_sent(fresh_db, taken_over, "1.3", NOW + STALE)  # settled once
    assert load_delivery(fresh_db, "k").slack_ts == "1.2"


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
    assert weekdays("sat-wed") == "sat-sun,mon-wed"  # a week from Saturday: cron ranges do not wrap
    assert weekdays("sun-thu") == "sun,mon-thu"
    assert digest_channels("C0123 9:00 America/Los_Angeles mon-fri; <#C0456|sales>") == [
        {"channel": "C0123", "time": "09:00", "tz": "America/Los_Angeles", "weekdays": "mon-fri"},
        {"channel": "C0456", "time": "09:00", "tz": None, "weekdays": "mon-fri"},
    ]
    assert digest_channels('"C0123 08:00"')[0]["time"] == "08:00"
    assert digest_channels('[{"channel": "C1X", "time": "08:30", "tz": "Asia/Tokyo", "weekdays": "mon,thu"}]') == [
        {"channel": "C1X", "time": "08:30", "tz": "Asia/Tokyo", "weekdays": "mon,thu"}
    ]
    for bad in ("25:00", "9am"):
        with pytest.raises(FieldError):
            local_time(bad)
    for bad in ("C1 09:00 Mars/Olympus", "C1 funday", "general", "C1X; C1X", '[{"channel": "C1X", "hour": 9}]'):
        with pytest.raises(FieldError):
            digest_channels(bad)
