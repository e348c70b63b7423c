"""What every command shares: the request context, the answer, the registry.

A command is a pure function `(ctx, req) -> Answer`, registered with
`@command(...)` (like Bolt's listener decorators). The answer carries its JSON
result, its Block Kit message and any chart PNGs; the console renders the same
message in a terminal, Slack sends it as it is.
"""

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from analytics.calendars import GREGORIAN_CALENDAR, PERSIAN, Calendar, calendar_named
from analytics.periods import MONDAY, SATURDAY
from commands.i18n import N_, _, slack_language
from storage.fields import day_end_utc, day_start_utc, parse_utc
from storage.queries import Filters
from storage.settings import load_settings
from storage.user_languages import load_user_language

AS_OF_READ_ONLY = N_(
    "--as-of looks at another day and changes nothing; drop it to make changes "
    "(`score` is the one exception, for a day between the last score and today)."
)


class UsageError(Exception):
    """The request cannot be answered as written; the message says how to fix it.

    `message` is a catalog msgid with `{name}` placeholders filled from
    `values` (translated when the answer is built: `text(lang)`); a day
    among them is written in `calendar` (the workspace's). str() is the
    English."""

    def __init__(self, message: str, *, command: str | None = None, calendar: Calendar | None = None, **values: object):
        self.calendar = calendar or GREGORIAN_CALENDAR
        super().__init__(message.format_map({k: self._day(v) for k, v in values.items()}) if values else message)
        self.message = message
        self.values = values
        self.command = command

    def _day(self, value: object) -> object:
        return self.calendar.shown(value) if isinstance(value, date) else value

    def text(self, lang: str) -> str:
        """The message in `lang`; whole numbers and days among the values in
        its digits (days in the error's calendar), an error from below among
        them (a PeriodError) in `lang` too."""
        from commands.format import count, digits
        from commands.problems import is_told, told

        def shown(v: object) -> object:
            if type(v) is int:
                return count(v, lang)
            if isinstance(v, date):
                return digits(self.calendar.shown(v), lang)
            return told(lang, v) if is_told(v) else v

        return _(lang, self.message, **{k: shown(v) for k, v in self.values.items()})


def week_start_of(settings: dict[str, Any]) -> int:
    """The one rule for when a week starts (a date.weekday() number), for the
    whole workspace, so a week's figures are the same whoever asks: Saturday
    in the Persian calendar or a Persian-speaking workspace (Iran's week),
    else Monday — Armenia's (CLDR), ISO 8601's, and what English always
    meant here (the `mon-fri` schedules), though CLDR's en_US says Sunday."""
    if settings["calendar"] == PERSIAN or settings["language"] == "fa":
        return SATURDAY
    return MONDAY


def language_of(db: Database, person: str, locale: str | None, settings: dict[str, Any]) -> str:
    """The one rule for whose language a message is in: the person's own
    choice (`/retention lang`), else their Slack locale when we speak it,
    else the workspace's `language`."""
    return load_user_language(db, person) or slack_language(locale) or settings["language"]


def display_currency(settings: dict[str, Any]) -> str:
    """The currency amounts are shown in: the reporting currency, or toman
    (`IRT`, a tenth of the rials) when the `toman` setting is on for IRR."""
    return "IRT" if settings.get("toman") and settings["currency"] == "IRR" else settings["currency"]


def noon_of(day: date, tz: ZoneInfo) -> datetime:
    """Noon of `day` in `tz`, in UTC: the moment a look at `day` stands at
    (its digest and reminders are built then)."""
    return datetime.combine(day, time(12), tz).astimezone(UTC)


@dataclass(init=False)
class Context:
    """Who asks, about which store, as of when. `as_of` is a local date in the
    workspace time zone; nothing after it exists for the answer.

    Only bot/ reads the clock, so the caller passes `now` (then `as_of` is
    its local day) or `as_of` (then `now` is the end of that day, `cutoff`:
    nothing after it exists); the constructor is written out for that."""

    db: Database
    as_of: date
    user_id: str | None
    is_admin: bool
    now: datetime
    surface: str  # "console", "slack" or "cli"
    is_guest: bool  # a Slack guest account (restricted or ultra-restricted)
    read_only: bool  # a look at another day (`--as-of`): nothing may be changed from it
    chosen_lang: str | None  # a language asked for outright (`--language fa`), over every other choice
    locale: str | None  # the asker's Slack locale (`fa-IR`), when Slack told us

    def __init__(
        self,
        db: Database,
        as_of: date | None = None,
        user_id: str | None = None,
        is_admin: bool = True,
        now: datetime | None = None,
        surface: str = "console",
        is_guest: bool = False,
        read_only: bool = False,
        lang: str | None = None,
        locale: str | None = None,
    ) -> None:
        self.db = db
        self.user_id = user_id
        self.is_admin = is_admin
        self.surface = surface
        self.is_guest = is_guest
        self.read_only = read_only
        self.chosen_lang = lang
        self.locale = locale
        if now is None:
            if as_of is None:
                raise TypeError("Context needs now= (the bot reads the clock) or as_of=")
            now = parse_utc(day_end_utc(as_of, self.tz))
        self.now = now
        self.as_of = now.astimezone(self.tz).date() if as_of is None else as_of

    @cached_property
    def settings(self) -> dict[str, Any]:
        return load_settings(self.db)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings["timezone"])

    @property
    def calendar(self) -> Calendar:
        """The workspace calendar: months, quarters and years, and shown dates."""
        return calendar_named(self.settings["calendar"])

    @property
    def week_start(self) -> int:
        """The workspace's first day of the week (`this-week`, `last-week`)."""
        return week_start_of(self.settings)

    @cached_property
    def lang(self) -> str:
        """The language of this request's answer: one asked for outright,
        else the asker's own choice, their Slack locale, the workspace's."""
        return self.chosen_lang or language_of(self.db, self.person, self.locale, self.settings)

    @property
    def person(self) -> str:
        """Whose choices (language) apply: the Slack user, or the local surface."""
        return self.user_id or f"@{self.surface}"

    @property
    def currency(self) -> str:
        return self.settings["currency"]

    @property
    def display_currency(self) -> str:
        """The currency amounts are shown in: the reporting currency, or
        toman (`IRT`, a tenth of the rials) when the `toman` setting is on."""
        return display_currency(self.settings)

    @property
    def cutoff(self) -> str:
        """Exclusive stored-time bound: the end of the `as_of` day, local time."""
        return day_end_utc(self.as_of, self.tz)

    def day_start(self, day: date) -> str:
        return day_start_utc(day, self.tz)


@dataclass
class Request:
    name: str
    args: list[str] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    share: bool = False
    text: str = ""


@dataclass
class Chart:
    filename: str
    title: str
    png: bytes


Data = dict[str, Any]


class Answer:
    """A command's answer: its JSON result (`data`), the message, charts.

    `data` may be given as a function that makes it: an answer whose JSON
    lists far more than its message shows (every open follow-up, tens of
    thousands in a large store) then makes it only where it is read: not for
    a Slack answer, which shows a page (commands.answer's `with_data`)."""

    def __init__(
        self,
        command: str,
        data: Data | Callable[[], Data],
        message: dict[str, Any],
        charts: list[Chart] | None = None,
        shared: bool = False,
        ok: bool = True,
    ) -> None:
        self.command = command
        self._data = data
        self.message = message
        self.charts = charts if charts is not None else []
        self.shared = shared
        self.ok = ok

    @property
    def data(self) -> Data:
        if callable(self._data):
            self._data = self._data()
        return self._data

    @data.setter
    def data(self, value: Data) -> None:
        self._data = value

    def make_data(self) -> None:
        """Make data given as a function now (while the store is open)."""
        self._data = self.data

    def map_data(self, change: Callable[[Data], Data]) -> None:
        """`data = change(data)`, when the data is made (at once if it is)."""
        data = self._data
        self._data = (lambda: change(data())) if callable(data) else change(data)

    def to_json(self) -> Data:
        return self.data

    def __repr__(self) -> str:
        return f"Answer({self.command!r}, ok={self.ok}, shared={self.shared}, charts={len(self.charts)})"


Handler = Callable[[Context, Request], Answer]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str
    summary: str
    slow: bool = False  # answers after the 3-second ack (charts, heavy work)
    aliases: tuple[str, ...] = ()


# The module that registers each sub-command. A request imports only its
# command's module, so `config` or `lang` (and the CLI's start-up) never
# load the maths and its libraries; help, suggestions and aliases load them
# all (tests/commands/test_registry.py checks this table against what the
# modules register).
COMMAND_MODULES = {
    "at-risk": "commands.at_risk",
    "churn": "commands.churn",
    "cohorts": "commands.cohorts",
    "config": "commands.config",
    "crr": "commands.crr",
    "customer": "commands.customer",
    "digest": "commands.digest",
    "followups": "commands.followups",
    "help": "commands.help",
    "kpis": "commands.kpis",
    "lang": "commands.language",
    "nps": "commands.nps",
    "rep": "commands.rep",
    "summary": "commands.summary",
    "top": "commands.top",
    "trend": "commands.trend",
}


class Registry(Mapping[str, Command]):
    """The registered sub-commands, loaded on demand: looking up a name of
    COMMAND_MODULES imports that module alone; anything else (an alias, an
    unknown word, listing them) imports every command module first.
    Imports run under one lock: two threads' first imports of modules that
    import each other could otherwise see one half-initialised."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self._complete = False
        self._lock = threading.RLock()

    def register(self, spec: Command) -> None:
        if spec.name in self._commands:
            raise ValueError(f"command {spec.name!r} registered twice")
        self._commands[spec.name] = spec
        for alias in spec.aliases:
            self._aliases[alias] = spec.name

    def unregister(self, name: str) -> None:
        """Forget a command (tests register throwaway ones)."""
        spec = self._commands.pop(name)
        for alias in spec.aliases:
            self._aliases.pop(alias, None)

    def load_all(self) -> None:
        """Import every command module (help, suggestions, a serving bot)."""
        if self._complete:
            return
        with self._lock:
            for module in COMMAND_MODULES.values():
                importlib.import_module(module)
            self._complete = True

    def _load(self, name: str) -> None:
        if name in self._commands:
            return
        module = COMMAND_MODULES.get(name)
        if module is None:
            self.load_all()
            return
        with self._lock:
            importlib.import_module(module)

    def resolve(self, word: str) -> str | None:
        """The command `word` names (itself or an alias), None when none."""
        self._load(word)
        if word in self._commands:
            return word
        self.load_all()
        return self._aliases.get(word)

    def aliases(self) -> dict[str, str]:
        self.load_all()
        return dict(self._aliases)

    def __getitem__(self, name: str) -> Command:
        self._load(name)
        return self._commands[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        self._load(name)
        return name in self._commands

    def __iter__(self) -> Iterator[str]:
        self.load_all()
        return iter(dict(self._commands))

    def __len__(self) -> int:
        self.load_all()
        return len(self._commands)


COMMANDS = Registry()


def command(name: str, *, usage: str, summary: str, slow: bool = False, aliases: tuple[str, ...] = ()):
    """Register a `/retention` sub-command handler."""

    def register(fn: Handler) -> Handler:
        COMMANDS.register(Command(name, fn, usage, summary, slow, aliases))
        return fn

    return register
