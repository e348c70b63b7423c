"""`/retention config [key [value]]`: show the workspace settings, one of
them, or (admins) change one — validated, and audited by storage."""

import difflib
from typing import Any

from commands import blocks as B
from commands.core import AS_OF_READ_ONLY, Answer, Context, Request, UsageError, command
from commands.i18n import N_
from storage.fields import FieldError
from storage.fx import CurrencyError, switch_currency
from storage.settings import SETTINGS, default_of, upsert_setting


@command(
    "config", usage="config [key [value]]", summary=N_("Workspace settings (admins change them)"), aliases=("settings",)
)
def handle_config(ctx: Context, req: Request) -> Answer:
    values = {key: ctx.settings[key] for key in SETTINGS}
    if not req.args:
        data: dict[str, Any] = {"settings": values}
        return Answer("config", data, build_settings_message(values, ctx.settings))
    key = read_key(req.args[0])
    if len(req.args) == 1:
        data = {"key": key, "value": values[key], "default": default_of(key, ctx.settings), "help": SETTINGS[key].help}
        return Answer("config", data, build_settings_message({key: values[key]}, ctx.settings))
    raw = " ".join(req.args[1:])
    if ctx.read_only:
        return Answer("config", {"key": key, "error": AS_OF_READ_ONLY}, _notice(AS_OF_READ_ONLY), ok=False)
    if not ctx.is_admin:
        admins = " ".join(f"<@{a}>" for a in values["admins"]) or "a workspace admin"
        problem = f"Only admins can change settings; ask {admins}."
        return Answer("config", {"key": key, "error": problem}, _notice(problem), ok=False)
    actor = ctx.user_id or ctx.surface
    try:
        if key == "currency":
            return change_currency(ctx, raw, values["currency"], actor)
        new = upsert_setting(ctx.db, key, raw, actor=actor, now=ctx.now)
    except FieldError as e:
        problem = f"`{key}`: {e.problem} — {e.fix}."
        return Answer("config", {"key": key, "error": f"{e.problem} ({e.fix})"}, _notice(problem), ok=False)
    data = {"key": key, "value": new, "old": values[key], "updated": True}
    text = f"{key} set to {show(key, new)} (was {show(key, values[key])})"
    return Answer(
        "config",
        data,
        B.message(
            text,
            [
                B.section(f":white_check_mark: `{key}` is now *{show(key, new)}* (was {show(key, values[key])})"),
                B.context(B.escape(SETTINGS[key].help)),
            ],
        ),
    )


def change_currency(ctx: Context, raw: str, old: str, actor: str) -> Answer:
    """The reporting currency changes only with every order converted into
    the new one by imported rates; the numbers are never relabelled."""
    new = SETTINGS["currency"].parse(raw)
    try:
        conversion = switch_currency(ctx.db, new, ctx.tz, actor=actor, now=ctx.now)
    except CurrencyError as e:
        problem = (
            f"`currency` stays {old}: {e}. Import rates into {new} first "
            f"(`retention-bot import fx FILE --to {new}`, a CSV of date,currency,rate), then set it again."
        )
        return Answer("config", {"key": "currency", "error": problem}, _notice(problem), ok=False)
    data = {"key": "currency", "value": new, "old": old, "updated": True, "orders_converted": conversion.changed}
    text = f"currency set to {new} (was {old}); {conversion.changed:,} orders converted at the imported rates"
    return Answer(
        "config",
        data,
        B.message(
            text,
            [
                B.section(
                    f":white_check_mark: `currency` is now *{new}* (was {old}); {conversion.changed:,} orders "
                    "converted at the imported rates"
                ),
                B.context(B.escape(SETTINGS["currency"].help)),
            ],
        ),
    )


def read_key(word: str) -> str:
    key = word.lower().replace("-", "_")
    if key in SETTINGS:
        return key
    close = difflib.get_close_matches(key, list(SETTINGS), n=1, cutoff=0.6)
    names = ", ".join(SETTINGS)
    if close:
        raise UsageError(
            "there is no setting {word}. Did you mean {suggestion}? Settings: {names}",
            command="config",
            word=f"`{word}`",
            suggestion=f"`{close[0]}`",
            names=names,
        )
    raise UsageError("there is no setting {word}. Settings: {names}", command="config", word=f"`{word}`", names=names)


def show(key: str, value) -> str:
    if key == "admins":
        return " ".join(f"<@{a}>" for a in value) or "nobody yet"
    return B.escape(value)


def _notice(problem: str) -> dict:
    return B.message(problem, [B.section(f":warning: {problem}")])


def build_settings_message(values: dict, every: dict) -> dict:
    """`values` to show; `every` setting, for the defaults that follow others."""
    lines = [
        f"• `{key}` = *{show(key, value)}*"
        + ("" if value != default_of(key, every) else " _(default)_")
        + f"\n   {B.escape(SETTINGS[key].help)}"
        for key, value in values.items()
    ]
    title = "Settings" if len(values) > 1 else f"Setting {next(iter(values))}"
    return B.message(
        f"{title}: " + ", ".join(f"{k}={show(k, v)}" for k, v in values.items()),
        [
            B.header(title),
            *B.lines_section(lines),
            B.context("Change one with `/retention config KEY VALUE` (admins only)."),
        ],
    )
