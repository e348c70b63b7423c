"""Live sources: where orders and customers come from when nobody exports a CSV.

A source is declared in the sources file (`storage.sources.config`) under
`[sources.NAME]` with a `kind`; each kind is a module of this package,
`storage.sources.<kind>`, imported only when a source of that kind is used
(so a driver or API library costs nothing to whoever does not use it). A
kind module holds:

    REQUIRED: tuple[str, ...]    # its keys that must be in the file
    OPTIONAL: tuple[str, ...]    # its keys that may be
    def open_source(config: SourceConfig, env: Mapping[str, str]) -> Source

and its Source yields `Batch`es: rows under our import field names (the
CSV importer's, `storage.formats.FIELDS`) as raw text, plus the cursor to
resume from once that batch is stored. The sync engine
(`storage.sources.sync`) validates and merges each batch through the same
code as a file import (`storage.importer.stage_rows` / `merge_staged`) and
commits the batch's rows and its cursor in one transaction. Secrets come
only from the environment variables the file names (`*_env` keys).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from storage.problems import N_, Problem, Said

# Every kind there is: `storage.sources.<kind>` implements it.
KINDS = ("sql", "stripe", "shopify")
# Keys any source may carry, whatever its kind.
COMMON_KEYS = ("kind", "skip_invalid", "batch_size")
DEFAULT_BATCH_SIZE = 20_000  # as the importer stages: each batch refreshes the aggregates of the customers it touches, so fewer, larger batches backfill faster
ROW_KINDS = ("customers", "orders")  # what a source feeds, in the order a sync stores them
# What each kind's `*_env` key holds, as messages name it ("set it to the url")
SECRET_NAMES = {
    "url_env": Said(N_("url")),
    "api_key_env": Said(N_("api key")),
    "access_token_env": Said(N_("access token")),
}
ROW_KIND_NAMES = {"customers": Said(N_("customers")), "orders": Said(N_("orders"))}  # as messages name them


class SourceError(Problem):
    """A source cannot be used: its configuration, its credentials, or the
    system it reads (unreachable, refused, wrong columns). The message says
    what and how to fix it, and never holds a secret. Written as a catalog
    msgid with its values (storage.problems.Problem), it is said in the
    admin's language (commands.syncs)."""


@dataclass
class SourceConfig:
    """One `[sources.NAME]` table of the sources file, checked against its
    kind's keys. `where` is "FILE:LINE" of its table header, for messages."""

    name: str
    kind: str
    options: dict[str, Any]
    where: str
    skip_invalid: bool = False
    batch_size: int = DEFAULT_BATCH_SIZE

    def secret(self, key: str, env: Mapping[str, str]) -> str:
        """The value of the environment variable that `key` (an `*_env`
        key) names; SourceError when it is not set. Never logged or stored."""
        var = self.options[key]
        value = env.get(var, "").strip()
        if not value:
            raise SourceError(
                N_(
                    "source {source}: environment variable {var} ({key} in {where}) is not set; "
                    "set it to the {what} before running"
                ),
                source=self.name,
                var=var,
                key=key,
                where=self.where,
                what=SECRET_NAMES.get(key) or key.removesuffix("_env").replace("_", " "),
            )
        return value

    def secret_values(self, env: Mapping[str, str]) -> list[str]:
        """Every secret this source reads (to scrub from error messages)."""
        return [env[v] for k, v in self.options.items() if k.endswith("_env") and env.get(v)]


@dataclass
class Batch:
    """Rows of one kind (`orders` or `customers`) from a source, and where
    to resume once they are stored. `rows` are dicts from our field names
    (plus `reporting_amount`/`reporting_currency` when the source gives an
    amount already converted) to raw text as a CSV cell would hold it
    (`as_text`); every row has an `id`. `cursor` is opaque to the engine:
    it is stored with the rows, in the same transaction, and handed back to
    `Source.batches` on the next sync. `total`: rows this pass will yield,
    when the source knows (for a progress bar)."""

    kind: str
    rows: list[dict[str, str | None]]
    cursor: str | None
    total: int | None = None


class Source(Protocol):
    """A configured source of one kind, ready to read."""

    config: SourceConfig

    def batches(self, cursor: str | None) -> Iterator[Batch]:
        """Rows changed since `cursor` (everything when None), in batches of
        about `config.batch_size` rows, oldest change first, customers
        before orders. A batch must not split rows that share one cursor
        position: the next sync resumes strictly after the stored cursor."""
        ...

    def check(self) -> Said:
        """For `doctor`: connect and probe (the queries run and return the
        required columns); returns what was found, raises SourceError."""
        ...

    def close(self) -> None: ...


def as_text(value: object) -> str | None:
    """A value read from a database or an API as the text a CSV cell would
    hold, for the importer's field parsers: ISO dates and times (naive ones
    are then read in the workspace zone), plain decimals, None for NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by ***: driver and HTTP errors may
    quote a URL or a header."""
    for s in sorted(secrets, key=len, reverse=True):
        if s:
            text = text.replace(s, "***")
    return text


def scrubbed(message: str, values: dict[str, object], secrets: list[str]) -> Said:
    """A source's message with every secret replaced by *** in it and in
    its text values, nested messages' too (a driver's error may quote the
    URL; the store keeps the message)."""
    return Said(redact(message, secrets), {k: _scrubbed_value(v, secrets) for k, v in values.items()})


def _scrubbed_value(value: object, secrets: list[str]) -> object:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Said):
        return scrubbed(value.message, value.values, secrets)
    return value


@dataclass
class SyncSettings:
    """The `[sync]` table: when `retention-bot run` syncs, and when data is
    stale."""

    sync_time: str = "06:00"
    sync_every: str | None = None
    stale_after_hours: float = 36.0


@dataclass
class SourcesFile:
    path: str
    sources: list[SourceConfig] = field(default_factory=list)
    sync: SyncSettings = field(default_factory=SyncSettings)

    def named(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        if not self.sources:
            raise SourceError(N_("{path}: no source named {name} (sources: none)"), path=self.path, name=repr(name))
        raise SourceError(
            N_("{path}: no source named {name} (sources: {known})"),
            path=self.path,
            name=repr(name),
            known=", ".join(s.name for s in self.sources),
        )


def open_source(config: SourceConfig, env: Mapping[str, str]) -> Source:
    """The kind module's source for `config` (its driver imported now)."""
    import importlib

    try:
        module = importlib.import_module(f"storage.sources.{config.kind}")
    except ModuleNotFoundError as e:
        if e.name == f"storage.sources.{config.kind}":
            raise SourceError(
                N_("{where}: source {source}: kind {value} is not available in this version"),
                where=config.where,
                source=config.name,
                value=repr(config.kind),
            ) from None
        raise SourceError(
            N_("source {source}: kind {value} needs the Python package {package}; install it (e.g. {command})"),
            source=config.name,
            value=repr(config.kind),
            package=repr(e.name),
            command=f"pip install 'retention-bot[{_EXTRAS.get(config.kind, config.kind)}]'",
        ) from None
    return module.open_source(config, env)


_EXTRAS = {"sql": "postgres"}
