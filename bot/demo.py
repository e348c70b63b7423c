"""Build (or reuse) the demo store: synthetic CSVs imported through the real
importer, so the demo exercises the same path as a user's own data.

`demo` must never destroy a store. An existing file is only read (read-only,
not a byte changed) until it is known to be a demo store this command built,
with nothing imported into it since; anything else that holds reps,
settings, audit entries, deliveries or data is refused. A demo store that
needs rebuilding is built beside it and copied in with SQLite's backup API,
never deleted and recreated: a bot may be serving it, and removing a live
store's files under its connections is how a store gets corrupted.
"""

import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.clock import utc_now
from commands import Context
from commands.format import count
from commands.i18n import DEFAULT_LANGUAGE, LOCALES, _, _n
from commands.scoring import run_score
from storage import open_db
from storage.db import folder_error, open_error
from storage.importer import import_file
from storage.settings import upsert_meta, upsert_setting
from storage.status import count_imports, load_store_contents
from storage.synthetic import generate, write_csvs

DEMO_VERSION = 2
MARKER = ("version", "customers", "end")


class DemoRefused(Exception):
    pass


def refusal(path: Path, contents: dict, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """Why `demo` may not build into this existing store, or None, in `lang`."""
    marker = contents["demo"]
    command = "retention-bot --db demo.db demo"
    if marker is None:
        held = [_held(lang, k, contents[k]) for k in HELD if contents[k]]
        if not held:
            return None
        if lang == DEFAULT_LANGUAGE:
            listed = ", ".join(held)
        else:
            from babel.lists import format_list

            listed = format_list(held, locale=LOCALES[lang])
        return _(
            lang,
            "{path} is not a demo store: it holds {held}. Refusing to touch it. Run the demo on its own file: {command}",
            path=str(path),
            held=listed,
            command=command,
        )
    if contents["imports"] > marker.get("imports", 4):
        return _(
            lang,
            "{path} is a demo store with data imported into it since it was built. Refusing to "
            "rebuild it; run the demo on a new file: {command}",
            path=str(path),
            command=command,
        )
    return None


HELD = ("customers", "orders", "reps", "settings", "audit_log", "deliveries", "imports", "feedback")


def _held(lang: str, kind: str, n: int) -> str:
    """What a store holds of one kind: `2,357 customers`. English keeps its
    old words (`1 imports` too: operators' scripts may match them)."""
    if lang == DEFAULT_LANGUAGE:
        return f"{n:,} {_ENGLISH_HELD[kind]}"
    shown = count(n, lang)
    if kind == "customers":
        return _n(lang, "{count} customer", "{count} customers", n, count=shown)
    if kind == "orders":
        return _n(lang, "{count} order", "{count} orders", n, count=shown)
    if kind == "reps":
        return _n(lang, "{count} rep", "{count} reps", n, count=shown)
    if kind == "settings":
        return _n(lang, "{count} setting", "{count} settings", n, count=shown)
    if kind == "audit_log":
        return _n(lang, "{count} audit entry", "{count} audit entries", n, count=shown)
    if kind == "deliveries":
        return _n(lang, "{count} delivery", "{count} deliveries", n, count=shown)
    if kind == "imports":
        return _n(lang, "{count} import", "{count} imports", n, count=shown)
    return _n(lang, "{count} survey answer", "{count} survey answers", n, count=shown)


_ENGLISH_HELD = {
    "customers": "customers",
    "orders": "orders",
    "reps": "reps",
    "settings": "settings",
    "audit_log": "audit entries",
    "deliveries": "deliveries",
    "imports": "imports",
    "feedback": "survey answers",
}


def ensure_demo_store(
    path: str,
    *,
    customers: int = 2000,
    rebuild: bool = False,
    today: date | None = None,
    status: Callable[[str], None] = lambda m: None,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[Database, bool]:
    """Return (db, built). Never touches a store that is not a demo store.
    `status` is told, in `lang`, when a store is being built."""
    today = today or utc_now().date()
    p = Path(path)
    wanted = {"version": DEMO_VERSION, "customers": customers, "end": today.isoformat()}
    building = _(
        lang, "Building the demo store ({customers} customers, two years of orders)…", customers=count(customers, lang)
    )
    if p.is_dir():
        raise folder_error(p, p / "demo.db")
    if p.exists() and p.stat().st_size > 0:
        try:
            contents = load_store_contents(str(p))
        except sqlite3.DatabaseError as e:
            raise open_error(e, p) from e
        why = refusal(p, contents, lang)
        if why:
            raise DemoRefused(why)
        marker = contents["demo"]
        if marker is not None and not rebuild and {k: marker.get(k) for k in MARKER} == wanted:
            return open_db(p), False
        status(building)
        with tempfile.TemporaryDirectory(dir=p.parent, prefix=".demo-build-") as tmp:
            built = build_demo(Path(tmp) / "demo.db", customers, today, wanted)
            target = open_db(p)
            built.conn.backup(target.conn)
            built.conn.close()
        return target, True
    status(building)
    return build_demo(p, customers, today, wanted), True


def build_demo(path: Path, customers: int, today: date, wanted: dict) -> Database:
    db = open_db(path)
    frames = generate(customers, today)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_csvs(frames, tmp)
        for kind in ("reps", "customers", "orders", "feedback"):
            import_file(db, kind, paths[kind], now=now)
    # Score it too, so at-risk, follow-ups, reminders and the digest have
    # something to show from the first command.
    run_score(Context(db, as_of=today, now=now))
    upsert_setting(db, "admins", "U0DEMOMGR", actor="demo", now=now)
    upsert_meta(db, "demo", {**wanted, "imports": count_imports(db)})
    return db


def set_demo_language(db: Database, language: str, *, now: datetime) -> None:
    """The demo workspace speaks `language` (`demo --language fa`); with
    Persian its calendar follows, as for any workspace."""
    upsert_setting(db, "language", language, actor="demo", now=now)
