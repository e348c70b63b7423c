"""`config`: show all, show one, set one (admins only), validated, audited."""

import json
from datetime import UTC, date, datetime

from commands import Context, answer
from commands.blocks import limit_problems
from storage.settings import load_settings

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _ask(db, text, **kw):
    a = answer(Context(db, as_of=date(2026, 11, 22), now=NOW, **kw), text)
    assert limit_problems(a.message) == []
    return a


def test_show_all_and_one(fresh_db):
    a = _ask(fresh_db, "config")
    assert a.data["settings"]["activity_window"] == 90
    assert a.data["settings"]["timezone"] == "UTC"
    assert not any(k.startswith("_") for k in a.data["settings"])
    one = _ask(fresh_db, "config activity-window")
    assert one.data == {
        "key": "activity_window",
        "value": 90,
        "default": 90,
        "help": "Days without an order before a customer counts as inactive",
    }


def test_admin_sets_a_setting_with_an_audit_record(fresh_db):
    a = _ask(fresh_db, "config activity_window 60", user_id="U0ADMIN1")
    assert a.ok and a.data == {"key": "activity_window", "value": 60, "old": 90, "updated": True}
    assert "`activity_window` is now *60* (was 90)" in a.message["blocks"][0]["text"]["text"]
    assert load_settings(fresh_db)["activity_window"] == 60
    at, actor, action, subject, detail = fresh_db.execute(
        "SELECT at, actor, action, subject, detail FROM audit_log"
    ).fetchone()
    assert (at, actor, action, subject, json.loads(detail)) == (
        "2026-11-22T09:30:00Z",
        "U0ADMIN1",
        "config.set",
        "activity_window",
        {"old": None, "new": 60},
    )
    assert _ask(fresh_db, "config timezone Europe/Berlin").data["value"] == "Europe/Berlin"


def test_non_admin_is_refused_and_nothing_changes(fresh_db):
    _ask(fresh_db, "config admins U0BOSS01")
    a = _ask(fresh_db, "config currency EUR", user_id="U0REP01", is_admin=False)
    assert not a.ok
    assert "Only admins can change settings; ask <@U0BOSS01>" in a.message["text"]
    assert load_settings(fresh_db)["currency"] == "USD"


def test_invalid_values_and_unknown_keys_are_explained(fresh_db):
    a = _ask(fresh_db, "config timezone Mars/Base")
    assert not a.ok and "unknown time zone 'Mars/Base'" in a.message["text"] and "IANA" in a.message["text"]
    a = _ask(fresh_db, "config activity_window 5000")
    assert not a.ok and "out of range" in a.message["text"]
    a = _ask(fresh_db, "config timezon UTC")
    assert not a.ok and "Did you mean `timezone`?" in a.data["error"]
    assert load_settings(fresh_db)["timezone"] == "UTC"
