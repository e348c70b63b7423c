"""The Home tab: the user's own corner of the store, built from the same
answers `/retention` gives, so the tab and the command never disagree.

Sections appear as their commands are registered: the user's book (`rep`, or
the summary filtered to their customers), their open follow-ups
(`followups`), at-risk customers (`at-risk`), then how to use the bot. One
section failing does not blank the tab.

Everything is in the viewer's language (`ctx.lang`: their own choice, else
their Slack locale, else the workspace's), the sections' answers included.
"""

import logging

from commands import blocks as B
from commands.access import access_for, describe
from commands.core import COMMANDS, Context
from commands.dispatch import answer
from commands.help import command_lines
from commands.i18n import _
from storage.reps import load_rep

log = logging.getLogger(__name__)

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home view
SECTION_BLOCKS = 20


def home_sections(ctx: Context) -> list[tuple[str, str]]:
    """(title, /retention text) for each section this user gets."""
    lang = ctx.lang
    is_rep = bool(ctx.user_id and load_rep(ctx.db, ctx.user_id) is not None)
    mine = f" rep:<@{ctx.user_id}>" if is_rep else ""
    if is_rep and "rep" in COMMANDS:
        sections = [(_(lang, "Your book"), f"rep <@{ctx.user_id}>")]
    else:
        sections = [(_(lang, "Your book") if is_rep else _(lang, "The book at a glance"), "summary" + mine)]
    if "followups" in COMMANDS:
        sections.append((_(lang, "Your open follow-ups"), "followups mine"))
    if "at-risk" in COMMANDS:
        title = _(lang, "At-risk customers in your book") if is_rep else _(lang, "At-risk customers")
        sections.append((title, "at-risk" + mine))
    return sections


def build_home_view(ctx: Context) -> dict:
    lang = ctx.lang
    blocks: list[dict] = [B.header(_(lang, "Retention"))]
    access = access_for(ctx)
    if not access.allowed:
        blocks.append(B.section(f":lock: {B.escape(access.refusal or '')}"))
        return {"type": "home", "blocks": blocks}
    for title, text in home_sections(ctx):
        blocks += [B.divider(), B.section(f"*{title}*"), *_section_blocks(ctx, title, text)]
    blocks += [B.divider(), *_how_to_use(lang), B.context(describe(access, lang))]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _section_blocks(ctx: Context, title: str, text: str) -> list[dict]:
    command = f"`/retention {text}`"
    try:
        result = answer(ctx, text, with_data=False)
    except Exception:
        log.exception("Home tab section %r (%s) failed for %s", title, text, ctx.user_id)
        return [
            B.context(_(ctx.lang, ":warning: Could not load this section just now; try {command}.", command=command))
        ]
    body = [b for b in result.message["blocks"] if b.get("type") != "header"]
    if len(body) > SECTION_BLOCKS:
        body = [*body[: SECTION_BLOCKS - 1], B.context(_(ctx.lang, "…more with {command}", command=command))]
    return body


def _how_to_use(lang: str) -> list[dict]:
    examples = command_lines([c for _name, c in sorted(COMMANDS.items())], lang)
    return [
        B.section(
            _(
                lang,
                "*How to use*\nType {command} in any channel or DM. Answers are only visible to you "
                "unless you add {share}.",
                command="`/retention`",
                share="`share`",
            )
        ),
        *B.lines_section(examples[:30]),
        B.context(
            _(
                lang,
                "Filters anywhere: {filters}. {help} lists everything.",
                filters="`segment:NAME`, `rep:@user`",
                help="`/retention help`",
            )
        ),
    ]
