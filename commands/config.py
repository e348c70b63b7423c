"""`/retention config [key [value]]`: show the workspace settings, one of
them, or (admins) change one — validated, and audited by storage."""

import difflib
from datetime import UTC
from typing import Any

from analytics.calendars import Calendar
from commands import blocks as B
from commands import format as fmt
from commands.core import AS_OF_READ_ONLY, Answer, Context, Request, UsageError, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n
from commands.problems import fix_told, told
from storage.fields import FieldError
from storage.fx import CurrencyError, switch_currency
from storage.settings import SETTINGS, default_of, upsert_setting


@command(
    "config", usage="config [key [value]]", summary=N_("Workspace settings (admins change them)"), aliases=("settings",)
)
def handle_config(ctx: Context, req: Request) -> Answer:
    lang = ctx.lang
    values = {key: ctx.settings[key] for key in SETTINGS}
    if not req.args:
        data: dict[str, Any] = {"settings": values}
        return Answer("config", data, build_settings_message(values, ctx.settings, lang))
    key = read_key(req.args[0])
    if len(req.args) == 1:
        data = {"key": key, "value": values[key], "default": default_of(key, ctx.settings), "help": SETTINGS[key].help}
        return Answer("config", data, build_settings_message({key: values[key]}, ctx.settings, lang))
    raw = " ".join(req.args[1:])
    if ctx.read_only:
        return Answer("config", {"key": key, "error": AS_OF_READ_ONLY}, _notice(_(lang, AS_OF_READ_ONLY)), ok=False)
    if not ctx.is_admin:
        admins = " ".join(f"<@{a}>" for a in values["admins"])
        problem = (
            _(lang, "Only admins can change settings; ask {admins}.", admins=admins)
            if admins
            else _(lang, "Only admins can change settings; ask a workspace admin.")
        )
        english = _(
            DEFAULT_LANGUAGE, "Only admins can change settings; ask {admins}.", admins=admins or "a workspace admin"
        )
        return Answer("config", {"key": key, "error": english}, _notice(problem), ok=False)
    actor = ctx.user_id or ctx.surface
    try:
        if key == "currency":
            return change_currency(ctx, raw, values["currency"], actor)
        new = upsert_setting(ctx.db, key, raw, actor=actor, now=ctx.now)
    except FieldError as e:
        problem = _(lang, "{key}: {problem} — {fix}.", key=f"`{key}`", problem=told(lang, e), fix=fix_told(lang, e))
        return Answer("config", {"key": key, "error": f"{e.problem} ({e.fix})"}, _notice(problem), ok=False)
    data = {"key": key, "value": new, "old": values[key], "updated": True}
    shown = {"new": show(key, new, lang), "old": show(key, values[key], lang)}
    return Answer(
        "config",
        data,
        B.message(
            _(lang, "{key} set to {new} (was {old})", key=key, **shown),
            [
                B.section(_(lang, ":white_check_mark: {key} is now *{new}* (was {old})", key=f"`{key}`", **shown)),
                B.context(B.escape(setting_help(key, lang))),
            ],
        ),
    )


def change_currency(ctx: Context, raw: str, old: str, actor: str) -> Answer:
    """The reporting currency changes only with every order converted into
    the new one by imported rates; the numbers are never relabelled."""
    lang = ctx.lang
    new = SETTINGS["currency"].parse(raw)
    try:
        conversion = switch_currency(ctx.db, new, ctx.tz, actor=actor, now=ctx.now)
    except CurrencyError as e:
        english = rates_missing(DEFAULT_LANGUAGE, old, new, str(e))
        problem = rates_missing(lang, old, new, missing_rates(e, ctx.calendar, lang))
        return Answer("config", {"key": "currency", "error": english}, _notice(problem), ok=False)
    data = {"key": "currency", "value": new, "old": old, "updated": True, "orders_converted": conversion.changed}
    n = conversion.changed
    values = {"new": new, "old": old, "count": fmt.count(n, lang)}
    text = _n(
        lang,
        "currency set to {new} (was {old}); {count} order converted at the imported rates",
        "currency set to {new} (was {old}); {count} orders converted at the imported rates",
        n,
        **values,
    )
    section = _n(
        lang,
        ":white_check_mark: {setting} is now *{new}* (was {old}); {count} order converted at the imported rates",
        ":white_check_mark: {setting} is now *{new}* (was {old}); {count} orders converted at the imported rates",
        n,
        setting="`currency`",
        **values,
    )
    return Answer(
        "config",
        data,
        B.message(text, [B.section(section), B.context(B.escape(setting_help("currency", lang)))]),
    )


def rates_missing(lang: str, old: str, new: str, missing: str) -> str:
    return _(
        lang,
        "{setting} stays {old}: {missing}. Import rates into {new} first ({command}, a CSV of date,currency,rate), "
        "then set it again.",
        setting="`currency`",
        old=old,
        new=new,
        missing=missing,
        command=f"`retention-bot import fx FILE --to {new}`",
    )


def missing_rates(e: CurrencyError, calendar: Calendar, lang: str) -> str:
    """ "1,234 JPY orders from 2026-01-02 have no JPY→EUR rate; …" in `lang`."""
    if lang == DEFAULT_LANGUAGE:
        return str(e)
    return _(lang, "; ").join(
        _n(
            lang,
            "{count} {currency} order from {day} has no {currency}→{base} rate",
            "{count} {currency} orders from {day} have no {currency}→{base} rate",
            n,
            count=fmt.count(n, lang),
            currency=currency,
            day=fmt.day(first, UTC, calendar, lang),
            base=e.base,
        )
        for currency, (n, first) in sorted(e.missing.items())
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


def show(key: str, value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A setting's value as typed (code-like, so Latin digits in every language)."""
    if key == "admins":
        return " ".join(f"<@{a}>" for a in value) or _(lang, "nobody yet")
    return B.escape(value)


def setting_help(key: str, lang: str) -> str:
    """What a setting does (storage.settings marks each help text for the catalog)."""
    return _(lang, SETTINGS[key].help)


def _notice(problem: str) -> dict:
    return B.message(problem, [B.section(f":warning: {problem}")])


def build_settings_message(values: dict, every: dict, lang: str = DEFAULT_LANGUAGE) -> dict:
    """`values` to show; `every` setting, for the defaults that follow others."""
    lines = []
    for key, value in values.items():
        shown = {"key": f"`{key}`", "value": show(key, value, lang), "help": B.escape(setting_help(key, lang))}
        if value != default_of(key, every):
            lines.append(_(lang, "• {key} = *{value}*\n   {help}", **shown))
        else:
            lines.append(_(lang, "• {key} = *{value}* _(default)_\n   {help}", **shown))
    title = _(lang, "Settings") if len(values) > 1 else _(lang, "Setting {key}", key=next(iter(values)))
    listed = ", ".join(f"{k}={show(k, v, lang)}" for k, v in values.items())
    return B.message(
        _(lang, "{title}: {settings}", title=title, settings=listed),
        [
            B.header(title),
            *B.lines_section(lines),
            B.context(_(lang, "Change one with {command} (admins only).", command="`/retention config KEY VALUE`")),
        ],
    )
