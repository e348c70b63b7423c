"""Words for people, carried up from below commands: a message with named
placeholders and the values to fill them, never a finished English
sentence.

storage cannot import the catalog (commands/i18n.py sits above it), so a
message carries what the catalog needs: its `message` is the English text
with `{name}` placeholders — the stable key gettext looks it up by (marked
with `N_` so `pybabel extract` finds it) — and `values` fill them; a value
may be a message too (a state's name, a fix inside a sentence), said in
the same language. str() is the English, for logs and JSON.
commands.problems.told says one in the reader's language, writing whole
numbers and days in its digits.

`Said` is such a message; `Problem` is an error that says one.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


def N_(message: str) -> str:
    """Marks a message for the catalog (keyword `N_` of `pybabel extract`)."""
    return message


class Count(int):
    """A quantity (customers, rows) among a message's values: grouped as the
    language groups it (`1,234`), where a plain int — a line number, an
    id — is written as it is."""


@dataclass(frozen=True)
class Said:
    """A message for people kept as its msgid and values (a value may be a
    Said too), to say in the reader's language (commands.problems.told)."""

    message: str
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return english(self.message, self.values)


def english(message: str, values: dict[str, object]) -> str:
    """`message` filled with `values` as English writes them."""
    return message.format_map({k: _english(v) for k, v in values.items()}) if values else message


def _english(value: object) -> object:
    if isinstance(value, Said):
        return str(value)
    if isinstance(value, Count):
        return f"{value:,}"
    if isinstance(value, datetime) and value.tzinfo is not None:
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return value


class Problem(Exception):
    """An error whose text is `message` (a catalog msgid) filled with `values`."""

    def __init__(self, message: str, /, **values: object):
        super().__init__(english(message, values))
        self.message = message
        self.values = values


def written_from(template: str, **fields: str) -> re.Pattern[str]:
    """What matches the text `template` (a message with `{name}`
    placeholders) was written into, each placeholder read by its regex in
    `fields` as a named group: to say again in another language a message
    kept as its English text, from the one sentence that wrote it."""
    pattern = re.escape(template)
    for name, regex in fields.items():
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>{regex})")
    return re.compile(pattern)


def utc_text(instant: datetime) -> str:
    """An instant (a timezone-aware datetime among a message's values) as
    English and the store write it: UTC, to the second (`2026-10-01T01:00:00Z`).
    commands.problems says it in the reader's zone, calendar and digits."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def said_to_json(said: Said) -> str:
    """`said` as JSON, to keep in the store and say later in whoever reads
    it's language (storage.sources.state keeps a failed sync's this way):
    each value keeps its type — a nested message (or an error that says
    one), a Count, a day — so the reader writes it in its own digits,
    grouping and calendar (an instant in its zone too). Anything else is
    kept as its text."""
    return json.dumps(_tree(said), ensure_ascii=False, sort_keys=True)


def said_from_json(text: str) -> Said:
    """The message `said_to_json` wrote."""
    return _said(json.loads(text))


def _tree(said: Said) -> dict[str, Any]:
    return {"message": said.message, "values": {k: _encoded(v) for k, v in said.values.items()}}


def _encoded(value: object) -> object:
    if isinstance(value, Said):
        return {"said": _tree(value)}
    message = getattr(value, "message", None)
    if isinstance(value, Exception) and isinstance(message, str):  # an error that says a message (Problem and kin)
        return {"said": _tree(Said(message, dict(getattr(value, "values", None) or {})))}
    if isinstance(value, Count):
        return {"count": int(value)}
    if isinstance(value, datetime) and value.tzinfo is not None:
        return {"instant": utc_text(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()} if type(value) is date else value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _said(tree: dict[str, Any]) -> Said:
    return Said(tree["message"], {k: _decoded(v) for k, v in tree.get("values", {}).items()})


def _decoded(value: object) -> object:
    if isinstance(value, dict):
        if "said" in value:
            return _said(value["said"])
        if "count" in value:
            return Count(value["count"])
        if "date" in value:
            return date.fromisoformat(value["date"])
        if "instant" in value:
            return datetime.strptime(value["instant"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return value
