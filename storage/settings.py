"""Workspace settings: typed, validated, defaulted, and audited when changed."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from storage import fields as F
from storage import schedules as S
from storage.db import transaction
from storage.problems import N_


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    # The default while unset, from the other settings (None: `default`).
    follows: Callable[[dict[str, Any]], Any] | None = None


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise F.FieldError(
                N_("{raw} is not a whole number"), N_("use {lo}..{hi}"), raw=repr(raw), lo=lo, hi=hi
            ) from None
        if not lo <= value <= hi:
            raise F.FieldError(N_("{raw} is out of range"), N_("use {lo}..{hi}"), raw=value, lo=lo, hi=hi)
        return value

    return parse


def _float_range(lo: float, hi: float) -> Callable[[str], float]:
    return lambda raw: F.number(str(raw), lo, hi)


ACCESS = ("auto", "everyone", "reps")


def _access(raw: str) -> str:
    return F.choice(str(raw), ACCESS)


CALENDARS = ("gregorian", "persian")  # the names analytics.calendars knows


def _calendar(raw: str) -> str:
    return F.choice(str(raw), CALENDARS)


def _calendar_of_language(values: dict[str, Any]) -> str:
    """Persian-speaking teams count in the Solar Hijri calendar."""
    return "persian" if values.get("language") == "fa" else "gregorian"


def _yes_no(raw: str | bool) -> bool:
    return raw if isinstance(raw, bool) else bool(F.boolean(str(raw)))


def _user_ids(raw: str | list) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw).replace(",", " ").split()
    out = []
    for item in items:
        user_id = F.user_id_of(item)
        if user_id is None:
            raise F.FieldError(
                N_("{raw} is not a Slack user id"),
                N_("use ids like {example} or {mentions}"),
                raw=repr(item.strip()),
                example="U0123ABCD",
                mentions="@mentions",
            )
        out.append(user_id)
    return out


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting(
            "language",
            "en",
            F.language,
            N_(
                "Workspace language (en, hy, fa): answers, digests and reminders for anyone who has not chosen "
                "their own (`/retention lang`) and whose Slack locale is none of these"
            ),
        ),
        Setting("timezone", "UTC", F.timezone_name, N_("Workspace time zone for period boundaries (IANA name)")),
        Setting(
            "calendar",
            "gregorian",
            _calendar,
            N_(
                "Calendar of months, quarters and years (periods, cohorts, trends) and of shown dates: gregorian, "
                "or persian (Solar Hijri, the year from 1 Farvardin); unset, persian when the language is fa"
            ),
            follows=_calendar_of_language,
        ),
        Setting(
            "currency",
            "USD",
            F.currency,
            N_(
                "Reporting currency: every amount is summed in it (other currencies converted by "
                "`retention-bot import fx` rates)"
            ),
        ),
        Setting(
            "toman",
            False,
            _yes_no,
            N_(
                "Show Iranian rial amounts in toman (a tenth of the rials, labelled تومان) when the currency is IRR",
            ),
        ),
        Setting(
            "activity_window", 90, _int_range(7, 730), N_("Days without an order before a customer counts as inactive")
        ),
        Setting("high_value_pct", 20, _int_range(1, 100), N_("Top % of customers by value that count as high value")),
        Setting(
            "quiet_p_alive", 0.5, _float_range(0, 1), N_("P(alive) under which a high-value customer is going quiet")
        ),
        Setting(
            "quiet_gap_factor",
            2.0,
            _float_range(1, 20),
            N_("Days since last order, as a multiple of the usual gap, that count as quiet"),
        ),
        Setting("dismiss_days", 90, _int_range(1, 3650), N_("Days a 'not at risk' customer stays silenced")),
        Setting(
            "escalate_after_days",
            7,
            _int_range(1, 365),
            N_("Days an ignored follow-up waits before it goes to the manager"),
        ),
        Setting("admins", [], _user_ids, N_("Slack user ids allowed to change settings")),
        Setting(
            "access",
            "auto",
            _access,
            N_(
                "Who may ask: everyone in the workspace, or reps (reps see their book, managers their team's, "
                "admins all); auto = reps once reps are imported, else everyone"
            ),
        ),
        Setting(
            "allow_guests", False, _yes_no, N_("Whether guest accounts (single- and multi-channel guests) may ask")
        ),
        Setting(
            "digest_channels",
            [],
            S.digest_channels,
            N_(
                "Daily digest channels: JSON [{channel, time HH:MM, tz, weekdays}] or `C0123 09:00 Europe/Berlin mon-fri; ...`"
            ),
        ),
        Setting(
            "reminder_time",
            S.DEFAULT_TIME,
            S.local_time,
            N_("Local time (HH:MM) of each rep's follow-up reminder, in the rep's own time zone"),
        ),
        Setting("reminder_weekdays", S.DEFAULT_WEEKDAYS, S.weekdays, N_("Days reminders are sent, e.g. mon-fri")),
        Setting(
            "score_time",
            "02:00",
            S.local_time,
            N_("Local time (HH:MM, workspace time zone) of the nightly score refresh"),
        ),
    ]
}


def load_settings(db: Database) -> dict[str, Any]:
    values = {key: s.default for key, s in SETTINGS.items()}
    stored = set()
    for row in db.query("SELECT key, value FROM settings"):
        values[row["key"]] = json.loads(row["value"])
        stored.add(row["key"])
    for key, s in SETTINGS.items():
        if s.follows is not None and key not in stored:
            values[key] = s.follows(values)
    return values


def default_of(key: str, values: dict[str, Any]) -> Any:
    """What `key` is while unset, given the other settings."""
    s = SETTINGS[key]
    return s.follows(values) if s.follows is not None else s.default


def upsert_setting(db: Database, key: str, raw: Any, *, actor: str | None = None, now: datetime) -> Any:
    """Validate and store one setting, with an audit record. Returns the value."""
    if key not in SETTINGS:
        raise KeyError(key)
    value = SETTINGS[key].parse(raw)
    at = F.format_utc(now)
    with transaction(db):
        old = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        db.execute(
            "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            [key, json.dumps(value), actor, at],
        )
        write_audit(db, actor, "config.set", key, {"old": json.loads(old[0]) if old else None, "new": value}, at)
    return value


def write_audit(db: Database, actor: str | None, action: str, subject: str | None, detail: Any, at: str) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        [at, actor, action, subject, json.dumps(detail, default=str)],
    )


# Markers the score run keeps (here, not in commands.scoring, so `status`
# reads them without importing the model's maths).
MODEL_META = "value_model"  # the fitted value model's summary
SCORE_MARK = "score_ran_at"  # when the nightly score last ran (bot.scheduler writes it)


def load_meta(db: Database, key: str) -> Any:
    """Internal markers (not user settings), e.g. whether this is a demo store."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", ["_" + key]).fetchone()
    return json.loads(row[0]) if row else None


def upsert_meta(db: Database, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        ["_" + key, json.dumps(value)],
    )
