"""Reading the sources file (`--sources PATH`, `$RETENTION_SOURCES`, else
./sources.toml): TOML, checked whole before anything runs, every problem
as `FILE:LINE: what is wrong (how to fix it)`.

Secrets never stand in the file: a key ending in `_env` names the
environment variable that holds one, and a key that would hold a secret
itself (`url`, `api_key`, …) is refused with the `_env` spelling to use.
"""

import importlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.problems import N_
from storage.sources import (
    COMMON_KEYS,
    DEFAULT_BATCH_SIZE,
    KINDS,
    SourceConfig,
    SourceError,
    SourcesFile,
    SyncSettings,
)

DEFAULT_PATH = "sources.toml"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION = re.compile(r"^(\d+)\s*(m|min|h|d)$")
HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SYNC_KEYS = ("sync_time", "sync_every", "stale_after")


@dataclass
class KindKeys:
    required: tuple[str, ...]
    optional: tuple[str, ...]


def kind_keys(kind: str) -> KindKeys | None:
    """The keys a kind takes (from its module), or None if this version has
    no such kind."""
    try:
        module = importlib.import_module(f"storage.sources.{kind}")
    except ModuleNotFoundError as e:
        if e.name == f"storage.sources.{kind}":
            return None
        raise
    return KindKeys(tuple(module.REQUIRED), tuple(module.OPTIONAL))


def load_sources(path: str | Path, *, explicit: bool = True) -> SourcesFile:
    """The sources declared in `path`. A missing file is no sources when it
    is only the default path (`explicit` False), an error when it was asked
    for. Raises SourceError naming file, line and key."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        if not explicit:
            return SourcesFile(shown)
        raise SourceError(
            N_(
                "{path}: no such sources file; pass --sources (or $RETENTION_SOURCES) with the path of one, "
                "or write it (see docs/design.md, Live sources)"
            ),
            path=shown,
        )
    if path.is_dir():
        raise SourceError(
            N_("{path}: is a folder; --sources takes the TOML file, e.g. {example}"),
            path=shown,
            example=str(path / DEFAULT_PATH),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SourceError(N_("{path}: not UTF-8 text; save the sources file as UTF-8"), path=shown) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        where = f"{shown}:{m.group(1)}:{m.group(2)}" if m else shown
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e)) or "invalid TOML"
        raise SourceError(
            N_(
                '{where}: invalid TOML: {problem} (strings need quotes: url_env = "SHOP_DB_URL"; '
                "tables are written [sources.NAME])"
            ),
            where=where,
            problem=problem,
        ) from None
    lines = text.splitlines()
    out = SourcesFile(shown)
    for key in data:
        if key not in ("sources", "sync"):
            raise SourceError(
                N_(
                    "{where}: unknown top-level key {key} "
                    "(declare each source as [sources.NAME], and schedule settings under [sync])"
                ),
                where=f"{shown}:{_line_of(lines, key)}",
                key=repr(key),
            )
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise SourceError(
            N_("{where}: `sources` must be tables: [sources.NAME]"), where=f"{shown}:{_line_of(lines, 'sources')}"
        )
    for name, table in sources.items():
        out.sources.append(_source(shown, lines, name, table))
    if "sync" in data:
        out.sync = _sync(shown, lines, data["sync"])
    return out


def _source(shown: str, lines: list[str], name: str, table: Any) -> SourceConfig:
    header = _header_line(lines, name)
    where = f"{shown}:{header}"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise SourceError(
            N_("{where}: source name {name}: use letters, digits, _ and - only"), where=where, name=repr(name)
        )
    if not isinstance(table, dict):
        raise SourceError(
            N_('{where}: sources.{name} must be a table: [sources.{name}] with kind = "…" under it'),
            where=where,
            name=name,
        )

    def at(key: str) -> str:
        return f"{shown}:{_line_of(lines, key, after=header)}"

    kind = table.get("kind")
    if kind is None:
        raise SourceError(
            N_('{where}: [sources.{name}] has no kind; add kind = "…" (one of {kinds})'),
            where=where,
            name=name,
            kinds=", ".join(KINDS),
        )
    if kind not in KINDS:
        raise SourceError(
            N_("{where}: [sources.{name}] kind {value} is unknown; use one of {kinds}"),
            where=at("kind"),
            name=name,
            value=repr(kind),
            kinds=", ".join(KINDS),
        )
    keys = kind_keys(kind)
    if keys is None:
        raise SourceError(
            N_("{where}: [sources.{name}] kind {value} is not available in this version"),
            where=at("kind"),
            name=name,
            value=repr(kind),
        )
    allowed = (*COMMON_KEYS, *keys.required, *keys.optional)
    for key, value in table.items():
        if key not in allowed:
            if f"{key}_env" in allowed:
                raise SourceError(
                    N_(
                        "{where}: [sources.{name}] unknown key {key} (secrets never stand in the file: "
                        "put it in an environment variable and name that: {example})"
                    ),
                    where=at(key),
                    name=name,
                    key=repr(key),
                    example=f'{key}_env = "{name.upper()}_{key.upper()}"',
                )
            raise SourceError(
                N_("{where}: [sources.{name}] unknown key {key} (keys for kind {source_kind}: {keys})"),
                where=at(key),
                name=name,
                key=repr(key),
                source_kind=kind,
                keys=", ".join(allowed),
            )
        if key.endswith("_env") and (not isinstance(value, str) or not ENV_NAME.match(value)):
            # never quote the value: it may be the secret itself, pasted by mistake
            raise SourceError(
                N_(
                    "{where}: [sources.{name}] {key} must name an environment variable (like {example}), not hold the secret"
                ),
                where=at(key),
                name=name,
                key=key,
                example=f'{key} = "{name.upper()}_{key.removesuffix("_env").upper()}"',
            )
    missing = [k for k in keys.required if k not in table]
    if missing:
        raise SourceError(
            N_("{where}: [sources.{name}] (kind {source_kind}) is missing {keys}; add it"),
            where=where,
            name=name,
            source_kind=kind,
            keys=", ".join(missing),
        )
    skip = table.get("skip_invalid", False)
    if not isinstance(skip, bool):
        raise SourceError(
            N_("{where}: [sources.{name}] skip_invalid must be true or false (no quotes)"),
            where=at("skip_invalid"),
            name=name,
        )
    batch = table.get("batch_size", DEFAULT_BATCH_SIZE)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1_000_000:
        raise SourceError(
            N_("{where}: [sources.{name}] batch_size must be a whole number, 1 to 1000000"),
            where=at("batch_size"),
            name=name,
        )
    options = {k: v for k, v in table.items() if k not in COMMON_KEYS}
    return SourceConfig(name, kind, options, where, skip_invalid=skip, batch_size=batch)


def _sync(shown: str, lines: list[str], table: Any) -> SyncSettings:
    header = _header_line(lines, None)
    if not isinstance(table, dict):
        raise SourceError(
            N_('{where}: `sync` must be a table: [sync] with sync_time = "06:00"'), where=f"{shown}:{header}"
        )

    def at(key: str) -> str:
        return f"{shown}:{_line_of(lines, key, after=header)}"

    for key in table:
        if key not in SYNC_KEYS:
            raise SourceError(
                N_("{where}: [sync] unknown key {key} (keys: {keys})"),
                where=at(key),
                key=repr(key),
                keys=", ".join(SYNC_KEYS),
            )
    out = SyncSettings()
    if "sync_time" in table:
        value = table["sync_time"]
        if not isinstance(value, str) or not HH_MM.match(value.strip()):
            raise SourceError(
                N_('{where}: [sync] sync_time must be a time of day like "06:00" (quoted)'), where=at("sync_time")
            )
        out.sync_time = value.strip()
    if "sync_every" in table:
        hours = _hours(table["sync_every"])
        if hours is None or not 0.25 <= hours <= 24:
            raise SourceError(
                N_('{where}: [sync] sync_every must be 15m to 24h, like "1h" or "30m"'), where=at("sync_every")
            )
        out.sync_every = table["sync_every"].strip()
    if "stale_after" in table:
        hours = _hours(table["stale_after"])
        if hours is None or hours <= 0:
            raise SourceError(
                N_('{where}: [sync] stale_after must be a duration like "36h" or "2d"'), where=at("stale_after")
            )
        out.stale_after_hours = hours
    return out


def _hours(value: Any) -> float | None:
    """Hours in a duration like "1h", "30m", "2d"; None if it is not one."""
    m = DURATION.match(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    n = int(m.group(1))
    return {"m": n / 60, "min": n / 60, "h": float(n), "d": n * 24.0}[m.group(2)]


def every_seconds(value: str) -> int:
    """Seconds in a `sync_every` checked by the loader."""
    hours = _hours(value)
    assert hours is not None
    return round(hours * 3600)


def _header_line(lines: list[str], name: str | None) -> int:
    """Line (1-based) of `[sources.NAME]` (or `[sync]` for None); 1 if not found."""
    if name is None:
        pattern = re.compile(r"^\s*\[\s*sync\s*\]")
    else:
        pattern = re.compile(r"^\s*\[\s*sources\s*\.\s*[\"']?" + re.escape(name) + r"[\"']?\s*\]")
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), 1)


def _line_of(lines: list[str], key: str, after: int = 0) -> int:
    """Line of `key = …` in the table whose header is on line `after` (up to
    the next table), or of a top-level key or table (`after` 0); the
    table's own line when not found."""
    assign = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*[=.]")
    table = re.compile(r"^\s*\[+\s*[\"']?" + re.escape(key) + r"[\"']?\s*[\].]")
    for i in range(after, len(lines)):
        if assign.match(lines[i]) or (not after and table.match(lines[i])):
            return i + 1
        if after and lines[i].lstrip().startswith("["):
            break
    return after or 1
