"""One entry point for every surface (Slack, console, `ask`): text in, Answer out."""

from dataclasses import replace

from commands import blocks as B
from commands import format as fmt
from commands.access import access_for
from commands.core import COMMANDS, Answer, Context, Request, UsageError
from commands.i18n import _
from commands.parse import parse
from commands.rep_names import rep_resolver

# Slack sends a few thousand characters at most; anything longer is not a
# question, and every step after this one may assume a short text.
MAX_TEXT = 4000

# Answers about the whole company that no book can narrow: in `reps` mode
# for managers and admins only.
COMPANY_WIDE = ("digest",)


def read_request(ctx: Context, text: str) -> Request | Answer:
    """The request `text` makes, narrowed to the asker's book, or the Answer
    that ends it here (too long, not allowed, a usage problem). Each request
    is parsed once: a surface that must know first whether the command is
    slow reads the Request, then passes it to `answer`."""
    lang = ctx.lang
    if len(text or "") > MAX_TEXT:
        return usage_answer(
            ctx,
            UsageError(
                "that is {length} characters; a /retention command is at most {limit}",
                length=fmt.count(len(text), lang),
                limit=fmt.count(MAX_TEXT, lang),
            ),
        )
    access = access_for(ctx)
    if not access.allowed:
        return refused(access.refusal or _(lang, "You cannot use /retention here."))
    try:
        req = parse(text, resolve_rep=rep_resolver(ctx.db))
    except UsageError as e:
        return usage_answer(ctx, e)
    if access.book is not None:
        if req.name in COMPANY_WIDE and not access.manager:
            return refused(
                _(
                    lang,
                    "`{command}` covers the whole company; only managers and admins can see it here.",
                    command=req.name,
                )
            )
        req.filters = replace(req.filters, book=access.book)
    return req


def answer(ctx: Context, asked: str | Request, *, with_data: bool = True) -> Answer:
    """Answer `/retention` text (or a request read_request made). Usage
    problems become a friendly answer with `ok=False`, never an exception;
    anything else propagates to the surface, which reports it with an error
    id. `with_data=False` where only the message is shown (Slack, the
    console, Home): an answer may then leave its JSON to be made when read,
    which must be while `ctx.db` is open (see Answer)."""
    req = read_request(ctx, asked) if isinstance(asked, str) else asked
    if isinstance(req, Answer):
        return req
    try:
        result = COMMANDS[req.name].handler(ctx, req)
    except UsageError as e:
        return usage_answer(ctx, e)
    if req.share:
        result.shared = True
        result.message = B.mask_personal(result.message)
        result.map_data(B.mask_personal)
    if with_data:
        result.make_data()
    return result


def refused(problem: str) -> Answer:
    return Answer(
        "refused",
        {"error": problem, "refused": True},
        B.message(problem, [B.section(f":lock: {B.escape(problem)}")]),
        ok=False,
    )


def usage_answer(ctx: Context, error: UsageError) -> Answer:
    """The answer to a request that cannot be answered as written: the
    problem (in the asker's language; the JSON keeps the English), the
    command's usage, and where to find everything else."""
    lang = ctx.lang
    problem = str(error)
    shown = error.text(lang)
    spec = COMMANDS.get(error.command or "")
    lines = [f":warning: {B.escape(shown)}"]
    if spec and spec.name != "help":
        lines.append(_(lang, "Usage: {usage}", usage=f"`/retention {spec.usage}`"))
    lines.append(_(lang, "Type {help} for everything I can answer.", help="`/retention help`"))
    text = "\n".join(lines)
    return Answer(
        command="error",
        data={"error": problem, "usage": spec.usage if spec else None},
        message=B.message(shown, [B.section(text)]),
        ok=False,
    )
