"""`/retention help`: every sub-command with its usage, from the registry."""

from commands import blocks as B
from commands.access import access_for, describe
from commands.core import COMMANDS, Answer, Context, Request, command

FILTER_HELP = (
    "*Filters* anywhere: `segment:NAME`, `rep:@user` · add `share` to post the answer in the channel.\n"
    "*Periods*: `30d` `12w` `this-month` `last-month` `2026-10` `2026-Q3` `this-quarter` "
    "`last-quarter` `ytd` `2026` `2026-01-01..2026-03-31` `since 2026-01-01`"
)


@command("help", usage="help", summary="What I can answer", aliases=("?", "h", "commands"))
def handle_help(ctx: Context, req: Request) -> Answer:
    entries = [c for name, c in sorted(COMMANDS.items()) if name not in ("help",)]
    access = access_for(ctx)
    data = {
        "commands": [{"name": c.name, "usage": f"/retention {c.usage}".strip(), "summary": c.summary} for c in entries],
        "access": access.mode,
    }
    return Answer("help", data, build_help_message(entries, describe(access)))


def build_help_message(entries, access_line: str) -> dict:
    lines = [f"`{f'/retention {c.usage}'.strip()}` — {c.summary}" for c in entries]
    return B.message(
        "retention-bot: /retention commands — " + ", ".join(c.name for c in entries),
        [
            B.header("What I can answer"),
            *B.lines_section(lines),
            B.section(FILTER_HELP),
            B.context("Answers are only visible to you unless you add `share`. " + access_line),
        ],
    )
