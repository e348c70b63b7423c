"""`/retention lang [en|hy|fa]`: which language the bot speaks to you —
your own choice, kept per person; `lang auto` forgets it (then your Slack
locale, else the workspace's language, decides)."""

from typing import Any

from commands import blocks as B
from commands.core import AS_OF_READ_ONLY, Answer, Context, Request, UsageError, command, language_of
from commands.i18n import N_, NAMES, _
from storage.fields import LANGUAGES, FieldError
from storage.user_languages import load_user_language, upsert_user_language

AUTO = ("auto", "default", "reset")


@command(
    "lang", usage="lang [en|hy|fa|auto]", summary=N_("Your language for answers and reminders"), aliases=("language",)
)
def handle_lang(ctx: Context, req: Request) -> Answer:
    if not req.args:
        lang = ctx.lang
        chosen = load_user_language(ctx.db, ctx.person)
        data: dict[str, Any] = {"language": lang, "chosen": chosen, "languages": list(LANGUAGES)}
        line = _(lang, "I answer you in {language}.", language=NAMES[lang])
        how = _(
            lang,
            "Choose with {example}; {auto} goes back to your Slack language.",
            example="`/retention lang fa`",
            auto="`lang auto`",
        )
        return Answer("lang", data, B.message(line, [B.section(line), B.context(how)]))
    if ctx.read_only:
        raise UsageError(AS_OF_READ_ONLY, command="lang")
    word = " ".join(req.args)
    try:
        chosen = None if word.lower() in AUTO else word
        stored = upsert_user_language(ctx.db, ctx.person, chosen, now=ctx.now)
    except FieldError:
        raise UsageError(
            "I speak {languages}; {word} is none of them.",
            command="lang",
            languages=", ".join(f"`{code}` ({NAMES[code]})" for code in LANGUAGES),
            word=f"`{B.clip(word, 30)}`",
        ) from None
    lang = stored or language_of(ctx.db, ctx.person, ctx.locale, ctx.settings)
    if stored:
        line = _(lang, "From now on I answer you in {language}.", language=NAMES[lang])
    else:
        line = _(lang, "Your own choice is forgotten: I answer you in {language}.", language=NAMES[lang])
    data = {"language": lang, "chosen": stored, "updated": True}
    return Answer("lang", data, B.message(line, [B.section(f":white_check_mark: {line}")]))
