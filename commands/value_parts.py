"""Pieces every value answer (`at-risk`, `customer`, `top`) shares: the last
score run's model and the line that names it, owners, counts, numbers."""

import math
from typing import Any

from commands import blocks as B
from commands.core import Context, Request, UsageError
from commands.parse import whole_number
from commands.scoring import MODEL_META
from storage.settings import load_meta


def load_model_summary(ctx: Context) -> dict[str, Any] | None:
    """The last score run's model summary (None before the first run)."""
    return load_meta(ctx.db, MODEL_META)


def model_line(summary: dict[str, Any] | None) -> str:
    """One line every value answer carries: which model, and why."""
    if not summary:
        return "No scores yet: run `retention-bot score` to fit the value model."
    if summary["model"] == "rules":
        return f"Model: {summary['reason']} (scores as of {summary['as_of']})"
    return f"Model: {summary['reason']}"


def owner_text(rep_id: str | None) -> str:
    """The owner as a Slack mention, or "unassigned"; an id that is not a
    Slack user id is shown as text, never as markup."""
    if not rep_id or rep_id != rep_id:  # None or NaN from a LEFT JOIN
        return "unassigned"
    return B.mention(rep_id)


def read_count(req: Request, default: int, maximum: int, example: str) -> tuple[int, list[str]]:
    """A leading whole number in the arguments (`at-risk 20`), capped at
    `maximum` (see `capped_note`), and the words after it."""
    args = list(req.args)
    if args and args[0].isdecimal():
        n = whole_number(args.pop(0))
        if n is None:
            raise UsageError(
                "that is more customers than I can list; ask for up to {most}, e.g. {example}",
                command=req.name,
                most=maximum,
                example=f"`{example}`",
            )
        if n < 1:
            raise UsageError("ask for at least one customer, e.g. {example}", command=req.name, example=f"`{example}`")
        return min(n, maximum), args
    return default, args


def number(value: Any) -> float | None:
    """A stored number for JSON: NaN and NULL become None."""
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def asked_for(req: Request) -> int | None:
    """The number the request asked for, if it led with one."""
    return whole_number(req.args[0]) if req.args and req.args[0].isdecimal() else None


def capped_note(req: Request, maximum: int) -> str:
    """Said when the request asked for more than an answer lists."""
    asked = asked_for(req)
    if asked is None or asked <= maximum:
        return ""
    return f"you asked for {asked:,}; one answer lists at most {maximum}"
