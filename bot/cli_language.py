"""The `retention-bot` command line's own words — `--help` and usage errors —
in the admin's language, through click's extension points: a Command and a
Group that format their help in it, an Option whose help is a catalog
msgid, parameter types whose refusals carry their message to be said
later, and usage errors said again in the language when shown.

English is click's own output, byte for byte (nothing here runs on the
English path but a language lookup), and imports no catalog. In another
language the help's words are translated and whatever is typed — option
and command names, metavars, defaults, paths — stays as it is, isolated
in Persian so it keeps its order. click's own strings go through
gettext's process-wide domain; nothing here touches it (two languages can
be spoken side by side in one process, as the tests do).

Which language: the root command (bot.cli.Main) knows, through `speaks`:
help is said in --language or $RETENTION_LANGUAGE, else English — help
never opens a store; an error also in the store's workspace language
when a store can be read.
"""

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from storage.problems import N_

DEFAULT_LANGUAGE = "en"
ISOLATES, PDI = "\u2066\u2067\u2068", "\u2069"  # LRI, RLI, FSI … PDI
HELP_OPTION = N_("Show this message and exit.")


def language(ctx: click.Context, *, error: bool = False) -> str:
    """The language this command line speaks in `ctx` (see the module's doc)."""
    root = ctx.find_root()
    return root.command.speaks(root, error=error) if isinstance(root.command, Group) else DEFAULT_LANGUAGE


def _shown(lang: str, value: str) -> str:
    from commands.i18n import shown_in

    return shown_in(lang, value)


class Command(click.Command):
    """A command whose help is a catalog msgid (marked with N_) with
    `{name}` placeholders filled from `values`: English is click's
    rendering of the filled text; other languages are rendered here."""

    def __init__(self, *args: Any, help: str | None = None, values: dict[str, object] | None = None, **kw: Any):
        self.values = values or {}
        self.msgid = help
        kw["help"] = help.format_map(self.values) if help and self.values else help
        super().__init__(*args, **kw)

    def help_in(self, lang: str) -> str:
        from commands.i18n import _

        return _(lang, self.msgid, **self.values) if self.msgid else ""

    def short_help_in(self, lang: str, limit: int) -> str:
        """The help's first sentence (the Commands list), cut at `limit`."""
        text = self.help_in(lang).split("\n\n")[0]
        for i, ch in enumerate(text):
            if ch in ".։؟" and (i + 1 == len(text) or text[i + 1] == " "):
                text = text[: i + 1]
                break
        if len(text) <= limit:
            return text
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        unclosed = sum(cut.count(mark) for mark in ISOLATES) - cut.count(PDI)
        return f"{cut}{PDI * unclosed}…"  # an isolate cut open would swallow the rest of the line

    def get_help(self, ctx: click.Context) -> str:
        text = super().get_help(ctx)
        lang = language(ctx)
        if lang == DEFAULT_LANGUAGE:
            return text
        from commands.i18n import RTL

        return line_by_line(text) if lang in RTL else text

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = language(ctx)
        if lang == DEFAULT_LANGUAGE:
            return super().format_usage(ctx, formatter)
        formatter.write(f"{usage_line(ctx, lang)}\n")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = language(ctx)
        if lang == DEFAULT_LANGUAGE or not self.msgid:
            return super().format_help_text(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(self.help_in(lang))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = language(ctx)
        if lang == DEFAULT_LANGUAGE:
            return super().format_options(ctx, formatter)
        from commands.i18n import _

        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or isinstance(param, click.Argument):
                continue
            names, help = record
            if param is self.get_help_option(ctx):
                help = _(lang, HELP_OPTION)
            rows.append((_shown(lang, names), help))
        if rows:
            with formatter.section(_(lang, "Options")):
                formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """click refuses extra arguments with a finished English sentence;
        here they are let through and refused in words said later. An
        error without its context (`--json=1`) is said in this command's."""
        refuses = not ctx.allow_extra_args
        ctx.allow_extra_args = True
        try:
            with said_in_language(ctx, orphans_only=True):  # click's parser leaves some without their context
                rest = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = not refuses
        if refuses and rest and not ctx.resilient_parsing:
            from commands.i18n import _n

            extra = " ".join(rest)
            raise Refusal(
                lambda lang: _n(
                    lang,
                    "Got unexpected extra argument ({args})",
                    "Got unexpected extra arguments ({args})",
                    len(rest),
                    args=extra,
                ),
                ctx=ctx,
            )
        return rest


class Group(Command, click.Group):
    """A group of Commands, its Commands list in the language too. The
    root group (bot.cli.Main) overrides `speaks`."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.command_class = Command
        self.group_class = Group

    def speaks(self, ctx: click.Context, *, error: bool) -> str:
        return DEFAULT_LANGUAGE

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)  # in English, click's: the options, then the commands
        if language(ctx) != DEFAULT_LANGUAGE:
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = language(ctx)
        if lang == DEFAULT_LANGUAGE:
            return super().format_commands(ctx, formatter)
        from commands.i18n import _

        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in commands if cmd is not None and not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _cmd in shown)
        rows = [
            (_shown(lang, name), cmd.short_help_in(lang, limit) if isinstance(cmd, Command) else "")
            for name, cmd in shown
        ]
        with formatter.section(_(lang, "Commands")):
            formatter.write_dl(rows)


class Option(click.Option):
    """An option whose help is a catalog msgid (marked with N_), its
    `{name}` placeholders filled from `values` (what is typed: option
    names, variables, examples — isolated in Persian)."""

    def __init__(self, *args: Any, help: str | None = None, values: dict[str, object] | None = None, **kw: Any):
        self.values = values or {}
        self.msgid = help
        kw["help"] = help.format_map(self.values) if help and self.values else help
        super().__init__(*args, **kw)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        lang = language(ctx)
        record = super().get_help_record(ctx)
        if lang == DEFAULT_LANGUAGE or record is None:
            return record
        from commands.i18n import _

        help = _(lang, self.msgid, **self.values) if self.msgid else ""
        default = self.get_help_extra(ctx).get("default")
        if default is not None:
            help = _(lang, "{help}  (default: {default})", help=help, default=default)
        return record[0], help


def line_by_line(text: str) -> str:
    """`text` whose isolates close on the line they open on, and open again
    on the next: click wraps help at spaces, and a Persian value with a
    space in it (an example command) may be cut in two; an isolate left
    open would run to the end of its line and turn the next one over."""
    lines, carried = [], ""
    for line in text.split("\n"):
        line = carried + line
        opened = []
        for ch in line:
            if ch in ISOLATES:
                opened.append(ch)
            elif ch == PDI and opened:
                opened.pop()
        carried = "".join(opened)
        lines.append(line + PDI * len(opened))
    return "\n".join(lines)


def usage_line(ctx: click.Context, lang: str) -> str:
    """`Usage: retention-bot import [OPTIONS] …` in `lang`: the command line
    one piece (isolated in Persian), as it is typed."""
    from commands.i18n import _

    pieces = ctx.command.collect_usage_pieces(ctx)
    return _(lang, "Usage: {usage}", usage=" ".join([ctx.command_path, *pieces]))


class Refusal(click.UsageError):
    """A usage error whose words are said when shown: `say(lang)` makes
    them (`lambda lang: _(lang, "…", …)`), so the msgid is extracted and the
    language is the reader's, known only then. `english` keeps click's own
    text where it made one."""

    def __init__(self, say: Callable[[str], str], *, ctx: click.Context | None = None, english: str | None = None):
        super().__init__(english if english is not None else say(DEFAULT_LANGUAGE), ctx)
        self.say = say


class BadValue(click.BadParameter):
    """A value a parameter refuses, said when shown (see Refusal); click
    adds which parameter."""

    def __init__(
        self,
        say: Callable[[str], str],
        *,
        ctx: click.Context | None = None,
        param: click.Parameter | None = None,
        english: str | None = None,
    ):
        super().__init__(english if english is not None else say(DEFAULT_LANGUAGE), ctx, param)
        self.say = say


class Choice(click.Choice):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            from commands.i18n import _

            choices = ", ".join(repr(str(c)) for c in self.choices)
            raise BadValue(
                lambda lang: _(lang, "{value} is not one of {choices}.", value=repr(value), choices=choices),
                ctx=ctx,
                param=param,
                english=e.message,
            ) from None


class Integer(click.types.IntParamType):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            from commands.i18n import _

            raise BadValue(
                lambda lang: _(lang, "{value} is not a whole number.", value=repr(value)),
                ctx=ctx,
                param=param,
                english=e.message,
            ) from None


class FilePath(click.Path):
    """A file's path (never a directory)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            from commands.i18n import _

            path = os.fsdecode(value)
            if os.path.isdir(path):
                say = lambda lang: _(lang, "{path} is a directory, not a file.", path=path)  # noqa: E731
            else:
                say = lambda lang: _(lang, "{path} cannot be read.", path=path)  # noqa: E731
            raise BadValue(say, ctx=ctx, param=param, english=e.message) from None


@contextmanager
def said_in_language(ctx: click.Context, *, orphans_only: bool = False) -> Iterator[None]:
    """A usage error raised inside said again in the CLI's language
    (in_language); with `orphans_only`, only one click left without its
    context, which is `ctx`."""
    try:
        yield
    except click.UsageError as e:
        said = e if orphans_only and e.ctx is not None else in_language(e, ctx)
        if said is e:
            raise
        raise said from None


def in_language(error: click.UsageError, ctx: click.Context) -> click.UsageError:
    """`error` said in the language of `ctx` (the error's own context, else
    the one it happened in): itself in English."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError | InLanguage):
        return error  # the help it shows is said already
    lang = language(error.ctx or ctx, error=True)
    if lang == DEFAULT_LANGUAGE:
        return error
    return InLanguage(told(error, error.ctx or ctx, lang), error.ctx or ctx, lang)


class InLanguage(click.UsageError):
    """A usage error already in `lang`: the usage line, where to find help
    and the error, each in the language."""

    def __init__(self, message: str, ctx: click.Context, lang: str):
        super().__init__(message, ctx)
        self.lang = lang

    def show(self, file: Any = None) -> None:
        from commands.i18n import _

        assert self.ctx is not None  # always made with one
        ctx, lang = self.ctx, self.lang
        names = ctx.command.get_help_option_names(ctx)
        lines = [usage_line(ctx, lang)]
        if names and ctx.command.get_help_option(ctx) is not None:
            help = f"{ctx.command_path} {max(names, key=len)}"
            lines.append(_(lang, "Try {command} for help.", command=help))
        lines += ["", _(lang, "error: {problem}", problem=self.message)]
        click.echo("\n".join(lines), file=file, err=file is None, color=ctx.color)


class Interrupted(click.ClickException):
    """A command stopped by Ctrl-C (or an abort), said in `lang` as click
    says it in English: after a blank line that closes the terminal's ^C."""

    def __init__(self, lang: str, *, typed: bool):
        super().__init__("Aborted!")
        self.lang, self.typed = lang, typed

    def show(self, file: Any = None) -> None:
        from commands.i18n import _

        text = _(self.lang, "Aborted!")
        click.echo(f"\n{text}" if self.typed else text, file=file, err=file is None)


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names))


def told(error: click.UsageError, ctx: click.Context, lang: str) -> str:
    """What went wrong, in `lang`, from what click's error knows (its
    message is English): the option, the value, the suggestions. `ctx` is
    where it happened (click leaves some errors without one)."""
    from commands.i18n import _, _n

    if isinstance(error, BadValue | Refusal):
        problem = error.say(lang)
        if isinstance(error, BadValue) and error.param is not None:
            hint = error.param.get_error_hint(error.ctx) if error.ctx else repr(error.param.name)
            return _(lang, "Invalid value for {option}: {problem}", option=hint, problem=problem)
        return problem
    if isinstance(error, click.MissingParameter) and error.param is not None and error.ctx is not None:
        hint = error.param.get_error_hint(error.ctx)
        if isinstance(error.param.type, click.Choice):
            choices = ", ".join(str(c) for c in error.param.type.choices)
            return _(lang, "Missing argument {argument}. Choose from: {choices}.", argument=hint, choices=choices)
        return _(lang, "Missing argument {argument}.", argument=hint)
    if isinstance(error, click.NoSuchOption):
        option = repr(error.option_name)
        if not error.possibilities:
            return _(lang, "No such option {option}.", option=option)
        return _n(
            lang,
            "No such option {option}. Did you mean {options}?",
            "No such option {option}. Did you mean one of {options}?",
            len(error.possibilities),
            option=option,
            options=_names(error.possibilities),
        )
    if isinstance(error, click.exceptions.NoSuchCommand):
        command = repr(error.command_name)
        if not error.possibilities:
            return _(lang, "No such command {command}.", command=command)
        return _n(
            lang,
            "No such command {command}. Did you mean {commands}?",
            "No such command {command}. Did you mean one of {commands}?",
            len(error.possibilities),
            command=command,
            commands=_names(error.possibilities),
        )
    if isinstance(error, click.BadOptionUsage):
        option = error.option_name
        param = next((p for p in ctx.command.get_params(ctx) if option in p.opts), None)
        if isinstance(param, click.Option) and (param.is_flag or param.count):
            return _(lang, "Option {option} does not take a value.", option=repr(option))
        return _(lang, "Option {option} needs a value.", option=repr(option))
    return error.format_message()  # said already (a command's own, in its language), or one click alone knows
