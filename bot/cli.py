"""The `retention-bot` command line: one click group, thin commands that call
into storage/commands and print. Exit codes: 0 ok, 1 input rejected or store
problem, 2 usage error."""

import contextlib
import json
import math
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console

from bot.cli_language import BadValue, Choice, FilePath, Group, Integer, Interrupted, Option, Refusal, said_in_language
from bot.clock import utc_now
from bot.logs import LOG_FORMATS, configure_logging
from storage import StoreError, open_db
from storage.db import explain_sqlite_error
from storage.formats import FORMATS
from storage.problems import N_

LANGUAGE_VARIABLE = "RETENTION_LANGUAGE"
DB_VARIABLE = "RETENTION_DB"
DEFAULT_DB = "retention.db"
_GIVEN = "retention-bot.given"  # ctx.meta: the root's options as typed, read before click processes them

err = Console(stderr=True, highlight=False)


def option(*decls: str, **kw):
    """click.option with a catalog msgid as help (bot.cli_language.Option)."""
    return click.option(*decls, cls=Option, **kw)


out = Console(highlight=False)


@dataclass
class State:
    db_path: str
    as_of: date | None
    verbose: int
    db_explicit: bool
    clock: Callable[[], datetime] = utc_now
    sources_path: str = "sources.toml"
    sources_explicit: bool = False
    language: str | None = None  # --language / $RETENTION_LANGUAGE: over the store's
    _db: object = field(default=None, repr=False)
    _spoken: str | None = field(default=None, repr=False)  # the store's language, once read

    def db(self, *, create: bool = False):
        """The store at --db, opened once. Only `import`, `demo` and `config`
        create a missing one; every other command says "no such store"
        rather than leave an empty file behind a typo."""
        if self._db is None:
            try:
                self._db = open_db(self.db_path, create=create)
            except StoreError as e:
                click.echo(_error(self.trouble_lang, told_store(self.trouble_lang, e)), err=True)
                sys.exit(1)
        return self._db

    def context(self, **kw):
        """A Context on the store; `now` is the clock's unless given (only bot/ reads it)."""
        from commands import Context

        kw.setdefault("now", self.clock())
        kw.setdefault("lang", self.language)
        return Context(self.db(), as_of=self.as_of, read_only=self.as_of is not None, **kw)

    @property
    def lang(self) -> str:
        """The language the CLI speaks to the admin: --language (or
        $RETENTION_LANGUAGE), else the workspace `language` of the store
        once it is open, else English (before a store is open, or when
        there is none)."""
        if self.language:
            return self.language
        if self._db is None:
            return "en"
        from storage.settings import load_settings

        self._spoken = load_settings(self.db())["language"]
        return self._spoken

    @property
    def trouble_lang(self) -> str:
        """The language to say store trouble in: --language (or
        $RETENTION_LANGUAGE), else the workspace language — as this command
        already read it, or read now if the store did open (a busy store
        still reads: WAL readers never wait for a writer) — else English: a
        store that cannot be opened cannot tell its language, and whatever
        else fails in reading it, the error is still said."""
        if self.language or self._spoken:
            return self.language or self._spoken or "en"
        if self._db is None:
            return "en"
        try:
            return self.lang
        except Exception:  # a damaged store: its settings may be garbage too
            return "en"

    def sources(self):
        """The sources file (--sources, $RETENTION_SOURCES, ./sources.toml),
        checked whole; a bad one ends the command with its FILE:LINE error."""
        from storage.sources import SourceError
        from storage.sources.config import load_sources

        try:
            return load_sources(self.sources_path, explicit=self.sources_explicit)
        except SourceError as e:
            from commands.problems import told

            click.echo(_error(self.early_lang(), told(self.early_lang(), e)), err=True)
            sys.exit(1)

    def early_lang(self) -> str:
        """The language of an error found before the command needs its store
        (a bad sources file): as `lang`, the store opened to read it when it
        exists (never created), English when it cannot be opened."""
        if self.language or self._db is not None:
            return self.lang
        try:
            self._db = open_db(self.db_path, create=False)
        except StoreError:
            return "en"
        return self.lang

    @property
    def usage_lang(self) -> str:
        """The language of a usage error: as `early_lang`, English whatever
        fails in reading the store (the mistake is still said)."""
        try:
            return self.early_lang()
        except Exception:  # a damaged store: its settings may be garbage too
            return "en"

    def refuse_as_of(self, what: str) -> None:
        """`--as-of` is a look at another day: what writes refuses it."""
        if self.as_of is not None:
            from commands.core import AS_OF_READ_ONLY
            from commands.i18n import _

            raise Refusal(lambda lang: _(lang, "{command}: {problem}", command=what, problem=_(lang, AS_OF_READ_ONLY)))


def _error(lang: str, problem: str) -> str:
    """`error: …` for the admin, the problem already said in `lang`."""
    from commands.i18n import _

    return _(lang, "error: {problem}", problem=problem)


def told_store(lang: str, error: StoreError) -> str:
    """A StoreError (storage.problems.Problem) in `lang`."""
    from commands.problems import told

    return told(lang, error)


def _warning(lang: str, problem: str) -> str:
    from commands.i18n import _

    return _(lang, "warning: {problem}", problem=problem)


def _parse_date(ctx, param, value):
    if value is None:
        return None
    from analytics.periods import PeriodError, read_day  # numpy: only when --as-of is given
    from commands.i18n import _

    try:
        return read_day(value)  # 2026-03-21, or a Persian date: 1405/01/01
    except PeriodError:
        pass
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadValue(
            lambda lang: _(
                lang,
                "{value} is not a date; use {format} (or a Persian date, {example})",
                value=repr(value),
                format="YYYY-MM-DD",
                example="1405/01/01",
            )
        ) from None


class Main(Group):
    """The root command. Store trouble met in the middle of a command (busy,
    disk full, a damaged file) ends in one clear line and exit 1, not a
    traceback; a usage error is said in the CLI's language (`speaks`)."""

    def speaks(self, ctx: click.Context, *, error: bool) -> str:
        """The CLI's language in the root context `ctx`: --language, else
        $RETENTION_LANGUAGE, else — for an error, never for help, which
        opens no store — the workspace language of the store if it can be
        read, else English. Before the root's options are processed (an
        error in them, or --help), as they were typed."""
        from storage.fields import LANGUAGES

        state = ctx.obj if isinstance(ctx.obj, State) else None
        given = ctx.meta.get(_GIVEN, {})
        if state is None:
            language = ctx.params.get("language") or given.get("language") or os.environ.get(LANGUAGE_VARIABLE)
            language = language if language in LANGUAGES else None
        else:
            language = state.language
        if language or not error:
            return language or "en"
        if state is not None:
            return state.usage_lang
        path = given.get("db_path") or os.environ.get(DB_VARIABLE) or DEFAULT_DB
        state = State(db_path=path, as_of=None, verbose=0, db_explicit=True)
        try:
            return state.usage_lang
        finally:
            if state._db is not None:
                state._db.close()  # type: ignore[attr-defined]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        parser = self.make_parser(ctx)
        parser.ignore_unknown_options = True
        for typed in range(len(args), 0, -1):  # the options typed before one click cannot read (said below)
            with contextlib.suppress(click.UsageError):
                ctx.meta[_GIVEN] = parser.parse_args(args=list(args[:typed]))[0]
                break
        with said_in_language(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            with said_in_language(ctx):
                return super().invoke(ctx)
        except (KeyboardInterrupt, click.Abort) as e:  # Ctrl-C: click says "Aborted!" in English
            lang = self.speaks(ctx, error=True)
            if lang == "en":
                raise
            raise Interrupted(lang, typed=isinstance(e, KeyboardInterrupt)) from None
        except sqlite3.DatabaseError as e:
            problem = explain_sqlite_error(e, ctx.obj.db_path if ctx.obj else "the store")
            if problem is None:
                raise
            lang = ctx.obj.trouble_lang if isinstance(ctx.obj, State) else "en"
            click.echo(_error(lang, told_store(lang, problem)), err=True)
            sys.exit(1)


@click.group(
    cls=Main,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_(
        "{bot}: retention KPIs, churn digests and follow-up reminders for sales and account teams, in Slack or in this console."
    ),
    values={"bot": "retention-bot"},
    invoke_without_command=True,  # "Missing command." is said below, in the CLI's language
    no_args_is_help=True,
    subcommand_metavar="COMMAND [ARGS]...",
)
@option(
    "--db",
    "db_path",
    envvar=DB_VARIABLE,
    default=DEFAULT_DB,
    show_default=True,
    help=N_("SQLite store (or {variable})."),
    values={"variable": f"${DB_VARIABLE}"},
)
@option(
    "--as-of",
    "as_of",
    callback=_parse_date,
    metavar="DATE",
    help=N_("Pretend today is {metavar} ({format}, or a Persian date {example}): data after it is ignored."),
    values={"metavar": "DATE", "format": "YYYY-MM-DD", "example": "1405/01/01"},
)
@option(
    "--sources",
    "sources_path",
    envvar="RETENTION_SOURCES",
    default="sources.toml",
    show_default=True,
    help=N_("Live sources file, TOML (or {variable})."),
    values={"variable": "$RETENTION_SOURCES"},
)
@option(
    "--language",
    type=Choice(["en", "hy", "fa"]),
    envvar=LANGUAGE_VARIABLE,
    default=None,
    help=N_("Language of the messages (or {variable}; default: the store's workspace language)."),
    values={"variable": f"${LANGUAGE_VARIABLE}"},
)
@option("-v", "--verbose", count=True, help=N_("More logging ({option} for debug)."), values={"option": "-vv"})
@option(
    "--log-format",
    type=Choice(LOG_FORMATS),
    envvar="RETENTION_LOG_FORMAT",
    default="text",
    show_default=True,
    help=N_("Log lines as text, or as one JSON object each (or {variable})."),
    values={"variable": "$RETENTION_LOG_FORMAT"},
)
@click.pass_context
def main(
    ctx: click.Context,
    db_path: str,
    as_of: date | None,
    sources_path: str,
    language: str | None,
    verbose: int,
    log_format: str,
) -> None:
    if ctx.invoked_subcommand is None:
        from commands.i18n import _

        raise Refusal(lambda lang: _(lang, "Missing command."), ctx=ctx)
    configure_logging(verbose, log_format)
    explicit = ctx.get_parameter_source("db_path") != click.core.ParameterSource.DEFAULT
    # a clock handed in as the context object (tests: `invoke(main, args, obj=clock)`) replaces the wall clock
    clock = ctx.obj if callable(ctx.obj) else utc_now
    ctx.obj = State(
        db_path=db_path,
        as_of=as_of,
        verbose=verbose,
        db_explicit=explicit,
        clock=clock,
        sources_path=sources_path,
        sources_explicit=ctx.get_parameter_source("sources_path") != click.core.ParameterSource.DEFAULT,
        language=language,
    )


@main.command(
    "import",
    help=N_(
        "Import {kind} ({kinds}) from {file} (CSV, CDNOW, Shopify or Stripe export), or exchange rates "
        "({fx}: a CSV of {columns}, 1 unit of {currency} = {rate} units of the workspace currency). "
        "All or nothing unless {option}."
    ),
    values={
        "kind": "KIND",
        "kinds": "orders|customers|reps|feedback",
        "file": "FILE",
        "fx": "fx",
        "columns": "date,currency,rate",
        "currency": "currency",
        "rate": "rate",
        "option": "--skip-invalid",
    },
)
@click.argument("kind", type=Choice(["orders", "customers", "reps", "feedback", "fx"]))
@click.argument("file", type=FilePath())
@option("--format", "fmt", type=Choice(FORMATS), help=N_("File layout (default: guessed from the file)."))
@option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help=N_("Read {column} as {field} (repeatable), e.g. {example}."),
    values={"column": "COLUMN", "field": "FIELD", "example": "--map 'Order Date=ordered_at'"},
)
@option("--skip-invalid", is_flag=True, help=N_("Import the valid rows and report the rest."))
@option("--dry-run", is_flag=True, help=N_("Check and count, write nothing."))
@option(
    "--decimal",
    type=Choice([".", ","]),
    default=".",
    show_default=True,
    help=N_("Decimal mark of the amounts: {comma} for files written {example} (European Excel)."),
    values={"comma": ",", "example": "1.234,50"},
)
@option(
    "--to",
    "to_currency",
    metavar="CUR",
    help=N_("With {fx}: the currency the rates are into (default: the workspace currency)."),
    values={"fx": "fx"},
)
@click.pass_obj
def import_cmd(state: State, kind, file, fmt, maps, skip_invalid, dry_run, decimal, to_currency):
    from zoneinfo import ZoneInfo

    from commands.format import digits
    from commands.i18n import _, _n
    from commands.imports import report_lines, report_summary
    from storage.importer import ImportRejected, import_file
    from storage.settings import load_settings

    if kind == "fx":
        _import_rates(state, file, to_currency, dry_run)
        return

    mapping = {}
    for m in maps:
        if "=" not in m:
            raise _bad_map(m)
        col, fld = m.split("=", 1)
        mapping[col] = fld.strip()
    if dry_run and not Path(state.db_path).exists():
        from storage.db import open_memory_db

        state._db = open_memory_db()  # checks against an empty store; not even a new file is written
    db = state.db(create=True)
    tz = ZoneInfo(load_settings(db)["timezone"])
    progress = None
    on_bytes = None
    if err.is_terminal and Path(file).is_file():
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        task = progress.add_task(f"importing {Path(file).name}", total=Path(file).stat().st_size)
        on_bytes = lambda n: progress.advance(task, n)  # noqa: E731
        progress.start()
    try:
        report = import_file(
            db,
            kind,
            file,
            fmt=fmt,
            mapping=mapping,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            tz=tz,
            now=state.clock(),
            on_bytes=on_bytes,
            decimal=decimal,
        )
    except ImportRejected as e:
        if progress:
            progress.stop()
        lang = state.lang
        for line in report_lines(lang, e.report):
            click.echo(line, err=True)
        click.echo(_(lang, "rejected: {file}: nothing was imported.", file=file), err=True)
        if e.report.usage:
            sys.exit(2)
        if e.report.rejected:
            click.echo(
                _n(
                    lang,
                    "{count} invalid row(s). Fix them, or use {option} to import the rest.",
                    "{count} invalid row(s). Fix them, or use {option} to import the rest.",
                    e.report.rejected,
                    count=digits(str(e.report.rejected), lang),
                    option="--skip-invalid",
                ),
                err=True,
            )
        sys.exit(1)
    if progress:
        progress.stop()
    for line in report_lines(state.lang, report):
        click.echo(line, err=True)
    click.echo(report_summary(state.lang, report))
    if not dry_run:
        _prepare_answers(state, db)


def _bad_map(given: str) -> Refusal:
    from commands.i18n import _

    return Refusal(
        lambda lang: _(
            lang,
            "{option}: write {shape}, e.g. {example}",
            option=f"--map {given!r}",
            shape="COLUMN=FIELD",
            example="--map 'Order Date=ordered_at'",
        )
    )


def _prepare_answers(state: State, db) -> None:
    """Right after an import or sync commits: build and save the order frame
    of the new content (commands.frames.OrderFrames.prepare), so the first
    answer — of a bot started on this store, or of one serving it — maps it
    instead of reading every order. A failure only costs that head start:
    the data is committed, so it is a warning and the exit status stays 0."""
    from commands import format as fmt
    from commands.frames import prepare_order_frame
    from commands.i18n import _, _n

    lang = state.lang
    try:
        ready = prepare_order_frame(db)
    except Exception as e:  # whatever it was, the committed data stands
        reason = str(e) or type(e).__name__
        problem = _(
            lang,
            "could not save the order data for answers ({reason}): the data is stored, and the first answer will prepare it instead",
            reason=reason,
        )
        click.echo(_warning(lang, problem), err=True)
        return
    if ready.seconds:
        click.echo(
            _n(
                lang,
                "Order data for answers saved ({count} order, {seconds} s).",
                "Order data for answers saved ({count} orders, {seconds} s).",
                ready.orders,
                count=fmt.count(ready.orders, lang),
                seconds=fmt.number(ready.seconds, lang, 1),
            ),
            err=True,
        )


@main.command(
    help=N_(
        "Bring orders and customers in from the live sources (all, or {name}) declared in the sources file: "
        "only what changed since the last sync, each batch stored with its cursor in one transaction, so an "
        "interrupted sync resumes where it stopped. Exit {code} when a source failed."
    ),
    values={"name": "NAME", "code": "1"},
)
@click.argument("name", required=False)
@option("--full", is_flag=True, help=N_("Read everything again, not only what changed since the last sync."))
@option("--dry-run", is_flag=True, help=N_("Read, check and count; write nothing (not even the cursor)."))
@option("--json", "as_json", is_flag=True, help=N_("Print the reports as JSON."))
@click.pass_obj
def sync(state: State, name: str | None, full: bool, dry_run: bool, as_json: bool):
    from zoneinfo import ZoneInfo

    from analytics.calendars import calendar_named
    from commands.i18n import _
    from commands.problems import told
    from commands.syncs import sync_lines, sync_summary
    from storage.order_columns import content_key
    from storage.settings import load_settings
    from storage.sources import SourceError
    from storage.sources.sync import sync_sources

    state.refuse_as_of("sync")
    sources = state.sources()
    lang = state.early_lang()
    if not sources.sources:
        none = _(
            lang,
            "no sources declared in {path}. Declare one as [sources.NAME] (see docs/design.md, Live sources), "
            "or pass --sources PATH.",
            path=sources.path,
        )
        click.echo(_error(lang, none), err=True)
        sys.exit(1)
    try:
        configs = [sources.named(name)] if name else sources.sources
    except SourceError as e:
        unknown = e  # `e` is gone once the except clause ends; the words are said later
        raise Refusal(lambda lang: told(lang, unknown)) from None
    db = state.db(create=True)
    settings = load_settings(db)
    tz, calendar = ZoneInfo(settings["timezone"]), calendar_named(settings["calendar"])
    progress = None
    if err.is_terminal and not as_json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        progress.start()

    def on_progress(source_name: str):
        if progress is None:
            return None
        task = progress.add_task(_(lang, "syncing {source}", source=source_name), total=None)
        return lambda done, total: progress.update(task, completed=done, total=total)

    before = content_key(db)
    try:
        reports = sync_sources(
            db,
            configs,
            os.environ,
            now=state.clock(),
            tz=tz,
            full=full,
            dry_run=dry_run,
            on_progress=on_progress,
            stale_after_hours=sources.sync.stale_after_hours,
        )
    finally:
        if progress:
            progress.stop()
    if as_json:
        click.echo(to_json([r.to_dict() for r in reports]))
    else:
        for r in reports:
            for line in sync_lines(state.lang, r):
                click.echo(line, err=True)
            click.echo(sync_summary(state.lang, r, calendar, tz), err=not r.ok)
        if dry_run:
            click.echo(_(state.lang, "Dry run: nothing was written."))
    if content_key(db) != before:  # a batch changed the store
        _prepare_answers(state, db)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _import_rates(state: State, file: str, to_currency: str | None, dry_run: bool) -> None:
    from zoneinfo import ZoneInfo

    from commands.i18n import _
    from commands.imports import rates_summary, report_lines
    from commands.problems import fix_told, told
    from storage.fields import FieldError, currency
    from storage.importer import ImportRejected, import_rates
    from storage.settings import load_settings

    db = state.db(create=True)
    settings = load_settings(db)
    try:
        base = currency(to_currency) if to_currency else settings["currency"]
    except FieldError as e:
        refused = e  # `e` is gone once the except clause ends; the words are said later
        raise Refusal(
            lambda lang: _(
                lang,
                "{option}: {problem} ({fix})",
                option=f"--to {to_currency!r}",
                problem=told(lang, refused),
                fix=fix_told(lang, refused),
            )
        ) from None
    try:
        report = import_rates(
            db, file, base=base, tz=ZoneInfo(settings["timezone"]), now=state.clock(), dry_run=dry_run
        )
    except ImportRejected as e:
        for line in report_lines(state.lang, e.report):
            click.echo(line, err=True)
        click.echo(_(state.lang, "rejected: {file}: no rate was imported.", file=file), err=True)
        sys.exit(1)
    click.echo(rates_summary(state.lang, report))
    if not dry_run:
        _prepare_answers(state, db)


@main.command(
    help=N_("Answer one {command} command, e.g. {example}."),
    values={"command": "/retention", "example": 'ask "/retention crr 2026-Q3"'},
)
@click.argument("text", nargs=-1)
@option("--json", "as_json", is_flag=True, help=N_("Print the result as JSON (numbers, not text)."))
@click.pass_obj
def ask(state: State, text, as_json):
    from bot.console import print_answer
    from commands import answer

    ctx = state.context()
    a = answer(ctx, " ".join(text), with_data=as_json)
    if as_json:
        click.echo(to_json(a.to_json()))
    else:
        print_answer(out, state.db(), a, lang=ctx.lang)  # "chart saved" in the answer's language
    sys.exit(0 if a.ok else 2)


def to_json(data) -> str:
    """JSON for scripts: strict (a NaN or infinity would make most parsers
    fail, so they become null)."""
    return json.dumps(_finite(data), indent=2, default=str, allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


@main.command(
    "config",
    help=N_(
        "Show the workspace settings, one of them, or set {key} to {value} (e.g. {example}). Creates the "
        "store if there is none yet, so settings can come before the first import. Audited as {surface}."
    ),
    values={"key": "KEY", "value": "VALUE", "example": "`config timezone Europe/Berlin`", "surface": "`cli`"},
)
@click.argument("key", required=False)
@click.argument("value", nargs=-1)
@option("--json", "as_json", is_flag=True, help=N_("Print the setting(s) as JSON."))
@click.pass_obj
def config_cmd(state: State, key: str | None, value: tuple[str, ...], as_json: bool):
    from bot.console import print_answer
    from commands import answer

    db = state.db(create=True)
    text = " ".join(["config", *([key] if key else []), *value])
    ctx = state.context(user_id=None, is_admin=True, surface="cli")
    a = answer(ctx, text)
    if as_json:
        click.echo(to_json(a.to_json()))
    else:
        print_answer(out, db, a, lang=ctx.lang)
    sys.exit(0 if a.ok else 2)


@main.command(help=N_("Interactive console (reads commands from stdin when not a terminal)."))
@click.pass_obj
def console(state: State):
    from bot.console import run_console

    state.db()  # a missing or unusable store is said at once, not at the first command
    run_console(state.context, out)


@main.command(help=N_("Build a realistic demo store and open the console on it."))
@option("--customers", type=Integer(), default=2000, show_default=True, help=N_("How many customers to generate."))
@option("--rebuild", is_flag=True, help=N_("Regenerate even if a demo store exists."))
@option(
    "--language",
    type=Choice(["en", "hy", "fa"]),
    default=None,
    help=N_("The demo workspace's language ({fa} also counts in the Persian calendar); kept in the demo store."),
    values={"fa": "fa"},
)
@click.pass_obj
def demo(state: State, customers: int, rebuild: bool, language: str | None):
    from bot.console import run_console
    from bot.demo import DemoRefused, ensure_demo_store, set_demo_language
    from commands.i18n import _

    path = state.db_path if state.db_explicit else os.environ.get("RETENTION_DEMO_DB", "retention-demo.db")
    state.db_path = path
    try:
        db, built = ensure_demo_store(
            path,
            customers=customers,
            rebuild=rebuild,
            today=state.as_of,
            status=lambda m: err.print(m, style="dim"),
            lang=language or state.language or "en",
        )
    except DemoRefused as e:
        click.echo(_error(language or state.language or "en", str(e)), err=True)
        sys.exit(1)
    except StoreError as e:
        click.echo(_error(state.trouble_lang, told_store(state.trouble_lang, e)), err=True)
        sys.exit(1)
    state._db = db
    if language:
        set_demo_language(db, language, now=state.clock())
    lang = state.lang
    where = str(Path(path).resolve())
    if built:
        click.echo(_(lang, "Demo store: {path} (built)", path=where), err=True)
    else:
        click.echo(_(lang, "Demo store: {path} (reused)", path=where), err=True)
    example = f'retention-bot --db {path} ask "/retention crr last-quarter"'
    click.echo(_(lang, "Use it with any command: {example}", example=example), err=True)
    run_console(state.context, out, intro="summary")


@main.command(
    help=N_(
        "Run the Slack bot until {signal} or {keys}.\n\n"
        "{socket} needs {bot_token} and {app_token} (no public URL). HTTP mode needs {bot_token} and "
        "{signing_secret} and serves {events} and {health} on {port}. {api_url} overrides the Slack Web API URL. "
        "Exit codes: {stopped} stopped, {trouble} store or network problem, {token} a missing, malformed or "
        "rejected token.\n\n"
        "What it prints (started, stopped, token and configuration errors) is for the admin at the terminal, "
        "in the CLI's language; its log records stay English ({module} says why)."
    ),
    values={
        "signal": "SIGTERM",
        "keys": "Ctrl-C",
        "socket": "Socket Mode",
        "bot_token": "SLACK_BOT_TOKEN",
        "app_token": "SLACK_APP_TOKEN",
        "signing_secret": "SLACK_SIGNING_SECRET",
        "events": "/slack/events",
        "health": "/healthz",
        "port": "--port",
        "api_url": "SLACK_API_URL",
        "stopped": "0",
        "trouble": "1",
        "token": "2",
        "module": "bot.logs",
    },
)
@option(
    "--port",
    type=Integer(),
    envvar="PORT",
    default=3000,
    show_default=True,
    help=N_("HTTP port (or {variable})."),
    values={"variable": "$PORT"},
)
@option("--host", default="0.0.0.0", show_default=True, help=N_("HTTP interface to listen on."))
@option(
    "--mode",
    type=Choice(["auto", "http", "socket"]),
    default="auto",
    show_default=True,
    help=N_("{auto}: {socket} when {variable} is set, else HTTP."),
    values={"auto": "auto", "socket": "Socket Mode", "variable": "SLACK_APP_TOKEN"},
)
@click.pass_obj
def run(state: State, port: int, host: str, mode: str):
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.app import create_app, db_file, stop_serving_caches, warm_caches
    from bot.settings import EVENTS_PATH, HEALTH_PATH, SettingsError, load_slack_settings
    from commands.i18n import _
    from commands.problems import told

    try:
        settings = load_slack_settings(mode=mode)
    except SettingsError as e:
        lang = state.early_lang()  # before the store is needed: read from it if it opens
        for problem in e.said:
            click.echo(_error(lang, told(lang, problem)), err=True)
        click.echo(
            _(
                lang,
                "{manifest} creates the app; {doctor} checks the setup.",
                manifest="`retention-bot manifest`",
                doctor="`retention-bot doctor`",
            ),
            err=True,
        )
        sys.exit(2)
    db = state.db()
    lang = state.lang
    try:
        app = create_app(settings, db, as_of=state.as_of)
    except BoltError as e:
        click.echo(_error(lang, _rejected(lang, "SLACK_BOT_TOKEN", str(e))), err=True)
        sys.exit(2)
    except OSError as e:
        click.echo(
            _error(lang, _(lang, "cannot reach the Slack API at {url}: {reason}", url=settings.api_url, reason=str(e))),
            err=True,
        )
        sys.exit(1)
    warm_caches(db)
    from bot.jobs import build_jobs
    from bot.outbox import build_outbox_client
    from bot.scheduler import start_scheduler

    # Digests, reminders, the nightly score and the outbox flush run beside
    # the server; stopping the server (SIGTERM, Ctrl-C) stops them too, after
    # a post in progress has been recorded.
    jobs = build_jobs(
        build_outbox_client(settings.bot_token, settings.api_url),
        sources=state.sources(),
        sources_explicit=state.sources_explicit,
    )
    scheduler = start_scheduler(db_file(db), jobs)
    try:
        if settings.socket_mode:
            from bot.socket_mode import serve_socket_mode

            assert settings.app_token is not None  # socket_mode means an app token is set
            try:
                serve_socket_mode(
                    app,
                    settings.app_token,
                    on_connected=lambda: click.echo(_(lang, "retention-bot: connected in Socket Mode"), err=True),
                )
            except SlackApiError as e:
                click.echo(_error(lang, _rejected(lang, "SLACK_APP_TOKEN", str(e.response.get("error")))), err=True)
                sys.exit(2)
        else:
            from bot.server import serve_http

            serve_http(
                app,
                db_file(db),
                host=host,
                port=port,
                on_listening=lambda h, p: click.echo(
                    _(
                        lang,
                        "retention-bot: HTTP mode, listening on {url} (health: {health})",
                        url=f"http://{h}:{p}{EVENTS_PATH}",
                        health=HEALTH_PATH,
                    ),
                    err=True,
                ),
            )
    finally:  # also on the SystemExit that stops the HTTP server
        scheduler.shutdown(wait=True)
        stop_serving_caches()
        click.echo(_(lang, "retention-bot: stopped"), err=True)


def _rejected(lang: str, variable: str, reason: str) -> str:
    """Slack refused a token: which variable, Slack's own error code, and
    where in the app's configuration to copy it again, in `lang`."""
    from bot.settings import APPS_PAGE, WHERE_MESSAGES
    from commands.i18n import _
    from commands.problems import told
    from storage.problems import Said

    where = told(lang, Said(WHERE_MESSAGES[variable], {"apps": APPS_PAGE}))
    return _(
        lang,
        "Slack rejected {variable} ({reason}). Copy it again from {where}.",
        variable=variable,
        reason=reason,
        where=where,
    )


@main.command(
    help=N_("Print the Slack app manifest (YAML) for {where}."),
    values={"where": "api.slack.com/apps → Create New App → From a manifest"},
)
@option(
    "--url",
    metavar="URL",
    help=N_("Public base URL for HTTP mode, e.g. {example} (default: {socket})."),
    values={"example": "https://bot.example.com", "socket": "Socket Mode"},
)
@option("--name", default="Retention Bot", show_default=True, help=N_("App name shown in Slack."))
def manifest(url: str | None, name: str):
    from bot.manifest import build_manifest

    click.echo(build_manifest(name, url), nl=False)


@main.command(
    help=N_(
        "Check the Slack setup (tokens, scopes, digest channels, store) and say what to fix. "
        "Exit {ok} when nothing needs fixing, else {failed}."
    ),
    values={"ok": "0", "failed": "1"},
)
@click.pass_obj
def doctor(state: State):
    from zoneinfo import ZoneInfo

    from analytics.calendars import GREGORIAN, calendar_named
    from bot.doctor import run_doctor
    from commands.format import digits
    from commands.i18n import _, _n

    checks, settings = run_doctor(
        os.environ, state.db_path, state.sources_path, sources_explicit=state.sources_explicit
    )
    lang = state.language or settings.get("language") or "en"  # doctor opens the store itself, and may find none
    tz, calendar = ZoneInfo(settings.get("timezone") or "UTC"), calendar_named(settings.get("calendar") or GREGORIAN)
    for check in checks:
        for line in check.lines(lang, tz, calendar):
            click.echo(line)
    failed = [c for c in checks if not c.ok and not c.warning]
    if failed:
        click.echo(
            _n(
                lang,
                "{count} problem(s) to fix.",
                "{count} problem(s) to fix.",
                len(failed),
                count=digits(str(len(failed)), lang),
            )
        )
    else:
        click.echo(_(lang, "All good."))
    sys.exit(1 if failed else 0)


@main.command(
    help=N_(
        "Score every customer as of today (or {option}, a day between the last score and today): fit the "
        "value model, flag high-value customers going quiet, open their follow-ups."
    ),
    values={"option": "--as-of"},
)
@option("--json", "as_json", is_flag=True, help=N_("Print the run as JSON (numbers, not text)."))
@option("--dry-run", is_flag=True, help=N_("Do the whole run and say what would change; write nothing."))
@click.pass_obj
def score(state: State, as_json: bool, dry_run: bool):
    from commands import format as fmt
    from commands.core import UsageError
    from commands.i18n import DEFAULT_LANGUAGE, _, _n
    from commands.scoring import run_score
    from commands.value_parts import model_line, model_reason

    ctx = state.context()
    lang = state.lang
    try:
        result = run_score(ctx, dry_run=dry_run)
    except UsageError as e:
        refused = e  # `e` is gone once the except clause ends; the words are said later
        raise Refusal(lambda lang: refused.text(lang)) from None
    if as_json:
        click.echo(to_json(result.to_dict()))
        return
    day = fmt.day(str(result.as_of), ctx.tz, ctx.calendar, lang)
    if result.customers == 0:
        click.echo(
            _(
                lang,
                "No orders up to {day}: nothing to score. Import orders first: {command}",
                day=day,
                command="retention-bot import orders FILE",
            )
        )
        return
    n = {
        "count": fmt.count(result.customers, lang),
        "day": day,
        "seconds": fmt.number(sum(result.seconds.values()), lang, 1),
    }
    if dry_run:
        click.echo(
            _n(
                lang,
                "Would score {count} customer as of {day} in {seconds} s.",
                "Would score {count} customers as of {day} in {seconds} s.",
                result.customers,
                **n,
            )
        )
    else:
        click.echo(
            _n(
                lang,
                "Scored {count} customer as of {day} in {seconds} s.",
                "Scored {count} customers as of {day} in {seconds} s.",
                result.customers,
                **n,
            )
        )
    if lang == DEFAULT_LANGUAGE:
        click.echo(_(lang, "Model: {reason}", reason=model_reason(result.model, ctx.calendar)))
    else:  # the model's reason is English analysis text: said again from its figures
        click.echo(model_line(result.model, lang, ctx.calendar))
    n = {
        "high": fmt.count(result.high_value, lang),
        "quiet": fmt.count(result.quiet, lang),
        "newly": fmt.count(result.newly_quiet, lang),
        "opened": fmt.count(result.followups_opened, lang),
        "won": fmt.count(result.won_back, lang),
    }
    if dry_run:
        click.echo(
            _(
                lang,
                "{high} high value, {quiet} going quiet ({newly} newly); {opened} follow-ups would be opened, {won} won back.",
                **n,
            )
        )
        click.echo(_(lang, "Dry run: nothing was written."))
    else:
        click.echo(
            _(
                lang,
                "{high} high value, {quiet} going quiet ({newly} newly); {opened} follow-ups opened, {won} won back.",
                **n,
            )
        )


@main.group(help=N_("The customer value model ({model})."), values={"model": "BG/NBD + Gamma-Gamma"})
def model():
    pass


@model.command("fit", help=N_("Fit the value model and print the parameters; writes nothing."))
@option(
    "--as-of",
    "as_of",
    callback=_parse_date,
    metavar="DATE",
    help=N_("Fit on data up to {metavar}."),
    values={"metavar": "DATE"},
)
@option(
    "--unit",
    type=Choice(["days", "weeks"]),
    default="days",
    show_default=True,
    help=N_("Time unit of the reported parameters (α and the log-likelihood depend on it)."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print the fit as JSON (numbers, not text)."))
@click.pass_obj
def model_fit(state: State, as_of: date | None, unit: str, as_json: bool):
    from commands.scoring import model_fit_lines, run_model_fit

    if as_of is not None:
        state.as_of = as_of
    ctx = state.context()
    fit = run_model_fit(ctx).to_dict(unit)
    if as_json:
        click.echo(to_json(fit))
        return
    for line in model_fit_lines(fit, unit, state.lang, ctx.calendar):
        click.echo(line)


def _now(state: State):
    """The current time, or noon of --as-of in the workspace time zone (to
    preview or post a given day's digest and reminders)."""
    from zoneinfo import ZoneInfo

    from commands.core import noon_of
    from storage.settings import load_settings

    if state.as_of is None:
        return state.clock()
    return noon_of(state.as_of, ZoneInfo(load_settings(state.db())["timezone"]))


def _outbox_client():
    """A Web API client for posting, when SLACK_BOT_TOKEN is set (honouring
    SLACK_API_URL); None means print instead of posting."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        return None
    from bot.outbox import build_outbox_client
    from bot.settings import api_url_from

    return build_outbox_client(token.strip(), api_url_from(os.environ))


def _report(kind: str, target: str, result: dict, lang: str = "en") -> bool:
    """One line per delivery attempt; True when nothing is left to do."""
    from commands.i18n import _

    if kind == "digest":
        what = _(lang, "digest for {where}", where=f"#{target}")
    else:
        what = _(lang, "reminder for {where}", where=target)
    status, key = result["status"], result["key"]
    ts, error = result.get("ts"), result.get("error")
    if status == "sent" and result["found"]:
        click.echo(
            _(
                lang,
                "{what}: sent — the earlier attempt's post is in the channel (ts {ts}); recorded, not posted again (key {key})",
                what=what,
                ts=ts,
                key=key,
            )
        )
    elif status == "sent":
        click.echo(_(lang, "{what}: sent (ts {ts}, key {key})", what=what, ts=ts, key=key))
    elif status == "already sent" and kind == "digest":
        click.echo(
            _(
                lang,
                "{what}: already sent today (key {key}); nothing posted. Use {option} to post it again.",
                what=what,
                key=key,
                option="--force",
            )
        )
    elif status == "already sent":
        click.echo(_(lang, "{what}: already sent today (key {key}); nothing posted.", what=what, key=key))
    elif status == "nothing":
        click.echo(_(lang, "{what}: nothing to send today", what=what))
    elif status == "sending elsewhere":
        click.echo(
            _(
                lang,
                "{what}: being sent by another process right now (key {key}); nothing posted here. {status} shows how it ends.",
                what=what,
                key=key,
                status="`retention-bot status`",
            ),
            err=True,
        )
    elif status == "unconfirmed":
        click.echo(
            _(
                lang,
                "{what}: posted, but Slack did not confirm it ({error}); the next attempt looks for it in the channel "
                "before posting again (key {key}). Run this again, or let the running bot do it.",
                what=what,
                error=error,
                key=key,
            ),
            err=True,
        )
    elif status == "pending":
        click.echo(
            _(
                lang,
                "{what}: not delivered yet ({error}); the running bot retries it (key {key})",
                what=what,
                error=error,
                key=key,
            ),
            err=True,
        )
    else:
        click.echo(
            _(lang, "{what}: failed ({error}); not retried (key {key})", what=what, error=error, key=key), err=True
        )
    return status in ("sent", "already sent", "nothing")


@main.command(
    help=N_(
        "Preview the daily churn digest, or post it now.\n\n"
        "{now} posts through Slack when {token} is set ({api_url} overrides the API URL), otherwise prints it. "
        'A channel gets one digest per local day: running {now} again says "already sent" and posts nothing, '
        "unless {force}. Exit {code} when a post failed or is still pending."
    ),
    values={"now": "`now`", "token": "SLACK_BOT_TOKEN", "api_url": "SLACK_API_URL", "force": "--force", "code": "1"},
)
@click.argument("mode", type=Choice(["preview", "now"]))
@option("--channel", metavar="C", help=N_("Channel id (default: every channel in `digest_channels`)."))
@option(
    "--force",
    is_flag=True,
    help=N_("With {now}: post again even if today's digest was sent."),
    values={"now": "now"},
)
@option(
    "--json",
    "as_json",
    is_flag=True,
    help=N_("With {preview}: print the digest as JSON (numbers)."),
    values={"preview": "preview"},
)
@click.pass_obj
def digest(state: State, mode: str, channel: str | None, force: bool, as_json: bool):
    from bot.console import print_answer
    from bot.jobs import send_digest
    from commands import Answer
    from commands.digest import build_digest_message, channel_language, compute_digest, digest_context
    from commands.i18n import _
    from storage.settings import load_settings

    if mode == "now":
        state.refuse_as_of("digest now")
    db = state.db()
    now = _now(state)
    channels = [channel.lstrip("#")] if channel else [e["channel"] for e in load_settings(db)["digest_channels"]]
    client = _outbox_client() if mode == "now" else None
    if client is not None and not channels:
        raise Refusal(
            lambda lang: _(
                lang,
                "no digest channel: pass --channel C0123, or set one with "
                '`retention-bot ask "config digest_channels C0123 09:00 America/New_York"`',
            )
        )
    if client is None:
        if mode == "now":
            click.echo(
                _(
                    state.lang,
                    "{variable} is not set: printing the digest instead of posting it.",
                    variable="SLACK_BOT_TOKEN",
                ),
                err=True,
            )
        results = []
        for target in channels or [None]:
            ctx = state.context(now=now)
            data = compute_digest(digest_context(ctx, target), target)
            results.append(data)
            if not as_json:
                lang = channel_language(ctx.settings, target)
                message = build_digest_message(data, ctx.display_currency, lang)
                print_answer(out, db, Answer("digest", data, message), lang=lang)
        if as_json:
            click.echo(to_json(results if len(results) > 1 else results[0]))
        return
    done = [
        _report("digest", target, send_digest(db, client, target, now, force=force), state.lang) for target in channels
    ]
    sys.exit(0 if all(done) else 1)


@main.command(
    help=N_(
        "Preview the reps' follow-up reminders, or send them now.\n\n"
        "{now} DMs each rep through Slack when {token} is set (and escalates follow-ups ignored for "
        "{setting} to the rep's manager), otherwise prints. One reminder per rep per local day. "
        "Exit {code} when a DM failed or is still pending."
    ),
    values={"now": "`now`", "token": "SLACK_BOT_TOKEN", "setting": "`escalate_after_days`", "code": "1"},
)
@click.argument("mode", type=Choice(["preview", "now"]))
@option("--rep", metavar="U", help=N_("A rep's Slack user id (default: every active rep)."))
@option(
    "--json",
    "as_json",
    is_flag=True,
    help=N_("With {preview}: print the reminders as JSON (numbers)."),
    values={"preview": "preview"},
)
@click.pass_obj
def remind(state: State, mode: str, rep: str | None, as_json: bool):
    from zoneinfo import ZoneInfo

    from bot.console import print_answer
    from bot.jobs import recipient_language, rep_zone, send_reminder
    from commands import Answer
    from commands.core import display_currency
    from commands.i18n import _
    from commands.remind import build_reminder_message, compute_reminder
    from storage.reps import load_active_reps
    from storage.settings import load_settings

    if mode == "now":
        state.refuse_as_of("remind now")
    db = state.db()
    now = _now(state)
    reps = [rep] if rep else [r for r, _ in load_active_reps(db)]
    client = _outbox_client() if mode == "now" else None
    if client is None:
        if mode == "now":
            click.echo(
                _(
                    state.lang,
                    "{variable} is not set: printing the reminders instead of sending them.",
                    variable="SLACK_BOT_TOKEN",
                ),
                err=True,
            )
        settings = load_settings(db)
        results = []
        for target in reps:
            local_date = state.as_of or now.astimezone(ZoneInfo(rep_zone(db, None, target))).date()
            data = compute_reminder(db, target, local_date, now, settings)
            results.append(data)
            if as_json:
                continue
            if data["items"]:
                lang = recipient_language(db, None, target, settings)
                message = build_reminder_message(data, display_currency(settings), lang)
                print_answer(out, db, Answer("remind", data, message), lang=lang)
            else:
                click.echo(_(state.lang, "{rep}: nothing due", rep=target))
        if as_json:
            click.echo(to_json(results))
        return
    done = [_report("reminder", target, send_reminder(db, client, target, now), state.lang) for target in reps]
    sys.exit(0 if all(done) else 1)


def _open_existing(state: State):
    """The store at --db, which must exist: `status` and `backup` report on
    a store, they never create an empty one."""
    try:
        return open_db(state.db_path, create=False)
    except StoreError as e:
        click.echo(_error(state.trouble_lang, told_store(state.trouble_lang, e)), err=True)
        sys.exit(1)


@main.command(
    help=N_(
        "What the bot has done: the last digest per channel, the outbox backlog and failures, the last "
        "import, the last score and its model, and the schema version."
    )
)
@option("--json", "as_json", is_flag=True, help=N_("Print the status as JSON."))
@click.pass_obj
def status(state: State, as_json: bool):
    from commands.status import compute_status, status_text
    from storage.settings import SCORE_MARK, load_settings
    from storage.sources import SourceError
    from storage.sources.config import load_sources

    try:  # a broken sources file must not hide the rest of the status
        configured = [
            (c.name, c.kind) for c in load_sources(state.sources_path, explicit=state.sources_explicit).sources
        ]
    except SourceError as e:
        from commands.problems import told

        click.echo(_warning(state.early_lang(), told(state.early_lang(), e)), err=True)
        configured = []
    db = _open_existing(state)
    result = compute_status(db, score_mark=SCORE_MARK, sources=configured)
    if as_json:
        click.echo(to_json(result))
        return
    settings = load_settings(db)
    for line in status_text(db, result, settings, state.language or settings["language"]):
        click.echo(line)


@main.command(
    help=N_(
        "Copy the store to {path} (a new file, readable by you only) with SQLite's online backup: safe "
        "while the bot runs. Never overwrites a file."
    ),
    values={"path": "PATH"},
)
@click.argument("path", type=FilePath())
@click.pass_obj
def backup(state: State, path: str):
    from commands import format as fmt
    from commands.i18n import _
    from storage.backup import backup_store

    db = _open_existing(state)
    state._db = db
    lang = state.lang
    try:
        size = backup_store(db, path)
    except StoreError as e:
        click.echo(_error(lang, told_store(lang, e)), err=True)
        sys.exit(1)
    click.echo(
        _(
            lang,
            "Backed up {store} to {path} ({size} MB).",
            store=state.db_path,
            path=path,
            size=fmt.number(size / 1e6, lang, 1),
        )
    )


if __name__ == "__main__":
    main()
