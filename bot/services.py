"""What every listener needs besides Bolt's own arguments: the store (one
kept connection per worker thread), who is asking, and the clock."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from bot.clock import utc_now
from commands import Context
from storage.db import thread_db
from storage.settings import load_settings

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300


class People:
    """What Slack says about the person asking (users.info, cached briefly:
    the check runs on every request): whether they administer the workspace,
    whether they are a guest, and their locale (the language they read Slack in). Admins are the `admins` setting when it
    names anyone, otherwise the workspace's own admins and owners, so a
    fresh install is administrable by whoever administers the workspace."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def profile(self, client: WebClient, user_id: str) -> dict:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as e:
            log.warning(
                "users.info for %s failed (%s); treating as a member, not an admin", user_id, e.response.get("error")
            )
            return {}
        with self._lock:
            self._cache[user_id] = (now, user)
        return user

    def is_admin(self, db: Database, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        admins = load_settings(db)["admins"]
        if admins:
            return user_id in admins
        user = self.profile(client, user_id)
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    def locale(self, client: WebClient, user_id: str | None) -> str | None:
        return (self.profile(client, user_id) if user_id else {}).get("locale")

    def is_guest(self, client: WebClient, user_id: str | None) -> bool:
        user = self.profile(client, user_id) if user_id else {}
        return bool(user.get("is_restricted") or user.get("is_ultra_restricted"))


@dataclass
class Services:
    """What the listeners need besides Bolt's own arguments."""

    db_path: str
    as_of: date | None = None
    clock: Callable[[], datetime] = utc_now
    people: People = field(default_factory=People)

    @contextmanager
    def db(self) -> Iterator[Database]:
        yield thread_db(self.db_path)

    def context(self, db: Database, client: WebClient, user_id: str | None) -> Context:
        return Context(
            db,
            as_of=self.as_of,
            user_id=user_id,
            surface="slack",
            now=self.clock(),
            read_only=self.as_of is not None,
            is_admin=self.people.is_admin(db, client, user_id),
            is_guest=self.people.is_guest(client, user_id),
            locale=self.people.locale(client, user_id),
        )
