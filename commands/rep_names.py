"""Which rep a word names, in `rep:maria`, `rep @Sam Okafor` or
`rep <@U123>`: the one home of that rule for the parser and `rep`."""

import re
from collections.abc import Callable

from sqlite_utils import Database

from storage.fields import SLACK_MENTION
from storage.reps import load_reps

Resolver = Callable[[str], str | None]
# A bare id long enough not to be someone's name (`UMA` is a name; Slack's
# ids run to nine characters and more).
_BARE_ID = re.compile(r"[UW][A-Z0-9]{6,}")


def rep_resolver(db: Database) -> Resolver:
    """`name → rep id or None`, matching a rep's id, full name, first name
    or email handle, case-insensitive; the first rep by name wins. The reps
    are read once, on first use: a request tries several spans of words."""
    index: dict[str, str] | None = None

    def resolve(name: str) -> str | None:
        nonlocal index
        if index is None:
            index = {}
            for r in load_reps(db):
                full = (r["name"] or "").lower()
                handle = (r["email"] or "").split("@")[0].lower()
                for key in (r["id"].lower(), full, full.split(" ")[0], handle):
                    index.setdefault(key, r["id"])
        return index.get(name.lower())

    return resolve


def rep_named(word: str, resolve: Resolver | None) -> str | None:
    """The rep id `word` names: a mention, a rep's name, or a bare id; None
    when it names no one (an empty `word` included)."""
    m = SLACK_MENTION.fullmatch(word)
    if m:
        return m.group(1)
    name = word.lstrip("@")
    if not name:
        return None
    found = resolve(name) if resolve else None
    if found:
        return found
    return name if _BARE_ID.fullmatch(name) else None
