"""Each person's chosen language (`/retention lang`)."""

from datetime import datetime

from sqlite_utils import Database

from storage import fields as F
from storage.db import transaction
from storage.settings import write_audit


def load_user_language(db: Database, user_id: str) -> str | None:
    row = db.execute("SELECT language FROM user_languages WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def upsert_user_language(db: Database, user_id: str, raw: str | None, *, now: datetime) -> str | None:
    """Store `user_id`'s language (validated), or forget it with None; audited."""
    language = F.language(raw) if raw is not None else None
    at = F.format_utc(now)
    with transaction(db):
        old = load_user_language(db, user_id)
        if language is None:
            db.execute("DELETE FROM user_languages WHERE user_id = ?", [user_id])
        else:
            db.execute(
                "INSERT INTO user_languages (user_id, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
                [user_id, language, at],
            )
        write_audit(db, user_id, "language.set", user_id, {"old": old, "new": language}, at)
    return language
