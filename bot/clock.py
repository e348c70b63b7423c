"""The wall clock, read in one place: only bot/ reads it, and hands `now` to
commands and storage (ruff's TID251 bans clock reads everywhere else)."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
