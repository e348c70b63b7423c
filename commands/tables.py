"""Monospace tables (`trend`, `cohorts`) in a code block, in any language.

A right-to-left reader's table keeps the columns in one order on every
line: each line starts with a left-to-right mark, so a header line that
begins with a Persian word and a data line that begins with digits are laid
out alike, and every cell with letters in it is a first-strong isolate, so
two Persian cells side by side cannot swap places (`N فعال`, `۱۲ دلار`). Widths are counted in
characters before the invisible marks are added."""

import unicodedata

from commands.i18n import FSI, PDI, RTL

LRM = "\u200e"


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def cell(text: str, width: int, lang: str, *, left: bool = False) -> str:
    """`text` padded to `width` (right-aligned unless `left`)."""
    pad = " " * max(0, width - len(text))
    if lang in RTL and _right_to_left(text):
        text = f"{FSI}{text}{PDI}"
    return text + pad if left else pad + text


def widths(rows: list[list[str]], least: tuple[int, ...]) -> tuple[int, ...]:
    """Each column as wide as its widest cell, and at least as `least`
    (the English layout, which never changes for figures that fit it)."""
    return tuple(max(w, *(len(row[i]) for row in rows)) for i, w in enumerate(least))


def fence(lines: list[str], lang: str) -> str:
    """The lines as a code block."""
    if lang in RTL:
        lines = [LRM + line for line in lines]
    return "```\n" + "\n".join(lines) + "\n```"
