"""Who may ask, and which customers they see: one rule for every answer,
button and Home tab.

The `access` setting: `everyone` (anyone in the workspace sees the whole
book), or `reps` — only reps, their managers and admins may ask; a rep sees
their own book, a manager their team's (everyone reporting to them,
directly or not), an admin all of it. `auto` (the default) means `reps`
once reps are imported, `everyone` before. Guest accounts are refused
unless `allow_guests`. The console and the CLI are the operator's own
terminal: they see everything.

The book is enforced through `Filters.book`, which every customer query
applies, so no command can forget it.
"""

from dataclasses import dataclass

from commands.core import Context
from commands.i18n import DEFAULT_LANGUAGE, _
from storage.reps import count_reps, load_team


@dataclass(frozen=True)
class Access:
    allowed: bool
    mode: str  # everyone | reps
    book: tuple[str, ...] | None = None  # rep ids whose customers the asker sees; None: all
    manager: bool = False  # sees a team (or everything), not only a book of their own
    refusal: str | None = None  # in the asker's language


def access_mode(ctx: Context) -> str:
    mode = ctx.settings["access"]
    if mode == "auto":
        return "reps" if count_reps(ctx.db) else "everyone"
    return mode


def access_for(ctx: Context) -> Access:
    mode = access_mode(ctx)
    if ctx.surface != "slack":
        return Access(True, mode, manager=True)
    if ctx.is_guest and not ctx.settings["allow_guests"]:
        return Access(
            False,
            mode,
            refusal=_(
                ctx.lang,
                "Guest accounts cannot use {command} here; ask an admin if you need to (setting {setting}).",
                command="/retention",
                setting="`allow_guests`",
            ),
        )
    if mode == "everyone" or ctx.is_admin:
        return Access(True, mode, manager=True)
    is_rep, reports = load_team(ctx.db, ctx.user_id or "")
    if not is_rep and not reports:
        return Access(
            False,
            mode,
            refusal=_(
                ctx.lang,
                "{command} answers the sales team here: reps, their managers and admins. Ask an admin to add you as a rep.",
                command="/retention",
            ),
        )
    book = tuple(sorted({*reports, *([ctx.user_id] if is_rep and ctx.user_id else [])}))
    return Access(True, mode, book=book, manager=bool(reports))


def describe(access: Access, lang: str = DEFAULT_LANGUAGE) -> str:
    """One line for `help` and the Home tab: what this person sees."""
    if access.mode == "everyone":
        return _(
            lang, "Everyone in this workspace may ask, and sees every customer (setting {setting}).", setting="`access`"
        )
    if access.book is None:
        return _(
            lang,
            "Only reps, their managers and admins may ask (setting {setting}); as an admin you see every customer.",
            setting="`access`",
        )
    if access.manager:
        return _(
            lang,
            "Only reps, their managers and admins may ask (setting {setting}); you see your team's customers.",
            setting="`access`",
        )
    return _(
        lang,
        "Only reps, their managers and admins may ask (setting {setting}); you see the customers in your book.",
        setting="`access`",
    )
