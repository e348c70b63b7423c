"""One entry point for every surface (Slack, console, `ask`): text in, Answer out."""

from dataclasses import replace

from commands import blocks as B
from commands.access import access_for
from commands.core import COMMANDS, Answer, Context, UsageError
from commands.parse import parse
from storage.reps import load_reps

# Slack sends a few thousand characters at most; anything longer is not a
# question, and every step after this one may assume a short text.
MAX_TEXT = 4000

# Answers about the whole company that no book can narrow: in `reps` mode
# for managers and admins only.
COMPANY_WIDE = ("digest",)


def resolve_rep_name(ctx: Context):
    def resolve(name: str) -> str | None:
        reps = load_reps(ctx.db)
        low = name.lower()
        for _, r in reps.iterrows():
            full = (r["name"] or "").lower()
            handle = (r["email"] or "").split("@")[0].lower()
            if low in (r["id"].lower(), full, full.split(" ")[0], handle):
                return r["id"]
        return None

    return resolve


def answer(ctx: Context, text: str) -> Answer:
    """Answer `/retention` text. Usage problems become a friendly answer with
    `ok=False`, never an exception; anything else propagates to the surface,
    which reports it with an error id."""
    if len(text or "") > MAX_TEXT:
        return usage_answer(f"that is {len(text):,} characters; a /retention command is at most {MAX_TEXT:,}")
    access = access_for(ctx)
    if not access.allowed:
        return refused(access.refusal or "You cannot use /retention here.")
    try:
        req = parse(text, resolve_rep=resolve_rep_name(ctx))
        if access.book is not None:
            if req.name in COMPANY_WIDE and not access.manager:
                return refused(f"`{req.name}` covers the whole company; only managers and admins can see it here.")
            req.filters = replace(req.filters, book=access.book)
        spec = COMMANDS[req.name]
        result = spec.handler(ctx, req)
    except UsageError as e:
        return usage_answer(str(e), e.command)
    if req.share:
        result.shared = True
        result.message = B.mask_personal(result.message)
        result.data = B.mask_personal(result.data)
    return result


def refused(problem: str) -> Answer:
    return Answer("refused", {"error": problem, "refused": True},
                  B.message(problem, [B.section(f":lock: {B.escape(problem)}")]), ok=False)


def usage_answer(problem: str, command: str | None = None) -> Answer:
    spec = COMMANDS.get(command or "")
    lines = [f":warning: {B.escape(problem)}"]
    if spec and spec.name != "help":
        lines.append(f"Usage: `/retention {spec.usage}`")
    lines.append("Type `/retention help` for everything I can answer.")
    text = "\n".join(lines)
    return Answer(
        command="error",
        data={"error": problem, "usage": spec.usage if spec else None},
        message=B.message(problem, [B.section(text)]),
        ok=False,
    )
