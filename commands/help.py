"""`/retention help`: every sub-command with its usage, from the registry."""

from analytics.calendars import GREGORIAN_CALENDAR, PERSIAN, Calendar
from analytics.periods import EXAMPLES, PERSIAN_EXAMPLES
from commands import blocks as B
from commands.access import access_for, describe
from commands.aliases import PERIOD_ALIASES, aliases_in, periods_in
from commands.core import COMMANDS, Answer, Context, Request, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _

FILTER_HELP = (
    "*Filters* anywhere: `segment:NAME`, `rep:@user` · add `share` to post the answer in the channel.\n"
    "*Periods*: `30d` `12w` `this-month` `last-month` `2026-10` `2026-Q3` `this-quarter` "
    "`last-quarter` `ytd` `2026` `2026-01-01..2026-03-31` `since 2026-01-01`"
)


def filter_help(lang: str, calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """Filters and the forms of a period, its examples in the workspace
    calendar (`1405-Q1` in the Persian one: `2026-Q3` would name a Gregorian
    quarter there) and its keywords in `lang`."""
    if lang == DEFAULT_LANGUAGE and calendar.name != PERSIAN:
        return FILTER_HELP
    spans, units, ranges = EXAMPLES[:2], EXAMPLES[2:5], EXAMPLES[5:]
    if calendar.name == PERSIAN:
        units, ranges = PERSIAN_EXAMPLES[2:5], PERSIAN_EXAMPLES[5:]
    if lang == DEFAULT_LANGUAGE:
        words = [
            *spans,
            "this-month",
            "last-month",
            *units[:2],
            "this-quarter",
            "last-quarter",
            "ytd",
            units[2],
            *ranges,
        ]
    else:
        since = PERIOD_ALIASES[lang]["since"][0]
        keywords = [w for w in periods_in(lang) if w != since]
        words = [spans[0], *keywords, *units, ranges[0], f"{since} {ranges[1].split()[-1]}"]
    return _(
        lang,
        "*Filters* anywhere: {filters} · add {share} to post the answer in the channel.\n*Periods*: {periods}",
        filters="`segment:NAME`, `rep:@user`",
        share="`share`",
        periods=" ".join(f"`{w}`" for w in words),
    )


@command("help", usage="help", summary=N_("What I can answer"), aliases=("?", "h", "commands"))
def handle_help(ctx: Context, req: Request) -> Answer:
    entries = [c for name, c in sorted(COMMANDS.items()) if name not in ("help",)]
    access = access_for(ctx)
    data = {
        "commands": [{"name": c.name, "usage": f"/retention {c.usage}".strip(), "summary": c.summary} for c in entries],
        "access": access.mode,
    }
    return Answer("help", data, build_help_message(entries, describe(access, ctx.lang), ctx.lang, ctx.calendar))


def command_lines(entries, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """One line per command, its usage and summary (and, in Armenian and
    Persian, the words of that language that also call it): `help` and the
    Home tab list the commands alike."""
    lines = []
    for c in entries:
        usage = f"`{f'/retention {c.usage}'.strip()}`"
        summary = _(lang, c.summary)
        local = aliases_in(lang, c.name)
        if local:
            words = " ".join(f"`{w}`" for w in local)
            lines.append(_(lang, "{usage} (also {words}) — {summary}", usage=usage, words=words, summary=summary))
        else:
            lines.append(f"{usage} — {summary}")
    return lines


def build_help_message(
    entries, access_line: str, lang: str = DEFAULT_LANGUAGE, calendar: Calendar = GREGORIAN_CALENDAR
) -> dict:
    """Every command with its usage and summary; in Armenian and Persian
    with the words of that language that also call it; period examples in
    `calendar`."""
    lines = command_lines(entries, lang)
    names = ", ".join(c.name for c in entries)
    return B.message(
        _(lang, "retention-bot: /retention commands — {names}", names=names),
        [
            B.header(_(lang, "What I can answer")),
            *B.lines_section(lines),
            B.section(filter_help(lang, calendar)),
            B.context(
                _(
                    lang,
                    "Answers are only visible to you unless you add {share}. {access}",
                    share="`share`",
                    access=access_line,
                )
            ),
        ],
    )
