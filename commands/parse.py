"""Parse `/retention` text into a Request: sub-command, arguments, filters
(`segment:NAME`, `rep:@user` / `<@U123>` / `rep:name`) and a trailing `share`."""

import difflib
import shlex

from commands.aliases import COMMAND_WORDS
from commands.core import COMMANDS, Request, UsageError
from commands.rep_names import Resolver, rep_named
from storage.queries import Filters

MAX_NAME_WORDS = 4  # how many words a person's name may run to after `rep:`


def parse(text: str, *, resolve_rep: Resolver | None = None) -> Request:
    """`resolve_rep(name) -> rep id or None` turns `rep:maria` into an id."""
    raw = (text or "").strip()
    if raw.startswith("/retention"):
        raw = raw[len("/retention") :].strip()
    try:
        words = shlex.split(raw)
    except ValueError:
        words = raw.split()
    segment = rep = rep_raw = None
    share = False
    rest: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        low = w.lower()
        if low.startswith("segment:"):
            segment = w.split(":", 1)[1].strip() or None
            if not segment:
                raise UsageError("`segment:` needs a name, e.g. {example}", example="`segment:Enterprise`")
        elif low.startswith("rep:"):
            rep_raw = w.split(":", 1)[1].strip()
            # `rep:@Sam Okafor`: the longest run of following words that names a rep.
            for extra in range(min(MAX_NAME_WORDS, len(words) - i), 0, -1):
                longer = " ".join([rep_raw, *words[i : i + extra]])
                if resolve_rep and resolve_rep(longer.lstrip("@")):
                    rep_raw, i = longer, i + extra
                    break
            rep = _rep_id(rep_raw, resolve_rep)
        elif low == "share":
            share = True
        else:
            rest.append(w)
    name = rest[0].lower() if rest else "summary"
    command = COMMANDS.resolve(COMMAND_WORDS.get(name, name))
    if command is None:
        raise _unknown(name)
    return Request(
        name=command,
        args=rest[1:],
        filters=Filters(segment=segment, rep_id=rep),
        share=share,
        text=raw,
    )


def whole_number(word: str, max_digits: int = 9) -> int | None:
    """`word` as a whole number (any script's decimal digits: `12`, `۱۲`),
    or None for anything else — `²`, a fraction, 5,000 digits — so a number
    typed by a person or sent in a button value can never raise."""
    if not word or len(word) > max_digits or not word.isdecimal():
        return None
    return int(word)


def _rep_id(raw: str, resolve_rep: Resolver | None) -> str:
    if not raw.lstrip("@"):
        raise UsageError("`rep:` needs a person, e.g. {example}", example="`rep:@maria`")
    found = rep_named(raw, resolve_rep)
    if found:
        return found
    name = raw.lstrip("@")
    raise UsageError(
        "no rep called {name}. Try {example} with their Slack handle, or see {command_}",
        name=f"`{name}`",
        example="`rep:@name`",
        command_="`/retention rep`",
    )


def _unknown(word: str) -> UsageError:
    names = sorted(set(COMMANDS) | set(COMMANDS.aliases()) | set(COMMAND_WORDS))
    close = difflib.get_close_matches(word, names, n=2, cutoff=0.6)
    if len(close) == 2:
        return UsageError(
            "I don't know {word}. Did you mean {first} or {second}?",
            command="help",
            word=f"`{word}`",
            first=f"`{close[0]}`",
            second=f"`{close[1]}`",
        )
    if close:
        return UsageError(
            "I don't know {word}. Did you mean {first}?", command="help", word=f"`{word}`", first=f"`{close[0]}`"
        )
    return UsageError("I don't know {word}.", command="help", word=f"`{word}`")


def suggest_period(word: str, known: list[str]) -> str | None:
    """The known word closest to `word` (a typo), or None."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None
