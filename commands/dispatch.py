"""One entry point for every surface (Slack, console, `ask`): text in, Answer out."""

from commands import blocks as B
from commands.core import COMMANDS, Answer, Context, UsageError
from commands.parse import parse
from storage.queries import load_reps


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
    try:
        req = parse(text, resolve_rep=resolve_rep_name(ctx))
        spec = COMMANDS[req.name]
        result = spec.handler(ctx, req)
    except UsageError as e:
        return usage_answer(str(e), e.command)
    if req.share:
        result.shared = True
        result.message = B.mask_personal(result.message)
        result.data = B.mask_personal(result.data)
    return result


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
