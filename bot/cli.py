"""The `retention-bot` command line: one click group, thin commands that call
into storage/commands and print. Exit codes: 0 ok, 1 input rejected or store
problem, 2 usage error."""

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from rich.console import Console

from storage import StoreError, open_db

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


@dataclass
class State:
    db_path: str
    as_of: date | None
    verbose: int
    db_explicit: bool
    _db: object = field(default=None, repr=False)

    def db(self, path: str | None = None):
        if self._db is None:
            try:
                self._db = open_db(path or self.db_path)
            except StoreError as e:
                click.echo(f"error: {e}", err=True)
                sys.exit(1)
        return self._db

    def context(self, **kw):
        from commands import Context

        return Context(self.db(), as_of=self.as_of, **kw)


def _parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="RETENTION_DB", default="retention.db", show_default=True,
              help="SQLite store (or $RETENTION_DB).")
@click.option("--as-of", "as_of", callback=_parse_date, metavar="DATE",
              help="Pretend today is DATE (YYYY-MM-DD): data after it is ignored.")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, db_path: str, as_of: date | None, verbose: int) -> None:
    """retention-bot: retention KPIs, churn digests and follow-up reminders for
    sales and account teams, in Slack or in this console."""
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    explicit = ctx.get_parameter_source("db_path") != click.core.ParameterSource.DEFAULT
    ctx.obj = State(db_path=db_path, as_of=as_of, verbose=verbose, db_explicit=explicit)


@main.command("import")
@click.argument("kind", type=click.Choice(["orders", "customers", "reps", "feedback"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "cdnow", "shopify", "stripe"]),
              help="File layout (default: guessed from the file).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Read COLUMN as FIELD (repeatable), e.g. --map 'Order Date=ordered_at'.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the rest.")
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@click.pass_obj
def import_cmd(state: State, kind, file, fmt, maps, skip_invalid, dry_run):
    """Import KIND (orders|customers|reps|feedback) from FILE (CSV, CDNOW,
    Shopify or Stripe export). All or nothing unless --skip-invalid."""
    from zoneinfo import ZoneInfo

    from storage.importer import ImportRejected, import_file
    from storage.settings import load_settings

    mapping = {}
    for m in maps:
        if "=" not in m:
            raise click.UsageError(f"--map {m!r}: write COLUMN=FIELD, e.g. --map 'Order Date=ordered_at'")
        col, fld = m.split("=", 1)
        mapping[col] = fld.strip()
    db = state.db()
    tz = ZoneInfo(load_settings(db)["timezone"])
    progress = None
    on_bytes = None
    if err.is_terminal and Path(file).is_file():
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        progress = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                            TimeRemainingColumn(), console=err, transient=True)
        task = progress.add_task(f"importing {Path(file).name}", total=Path(file).stat().st_size)
        on_bytes = lambda n: progress.advance(task, n)  # noqa: E731
        progress.start()
    try:
        report = import_file(db, kind, file, fmt=fmt, mapping=mapping, skip_invalid=skip_invalid,
                             dry_run=dry_run, tz=tz, on_bytes=on_bytes)
    except ImportRejected as e:
        if progress:
            progress.stop()
        for line in e.report.lines():
            click.echo(line, err=True)
        click.echo(f"rejected: {file}: nothing was imported.", err=True)
        if e.report.rejected:
            click.echo(f"{e.report.rejected} invalid row(s). Fix them, or use --skip-invalid to import the rest.", err=True)
        sys.exit(1)
    if progress:
        progress.stop()
    for line in report.lines():
        click.echo(line, err=True)
    click.echo(report.summary())


@main.command()
@click.argument("text", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (numbers, not text).")
@click.pass_obj
def ask(state: State, text, as_json):
    """Answer one /retention command, e.g. ask "/retention crr 2026-Q3"."""
    from bot.console import print_answer
    from commands import answer

    a = answer(state.context(), " ".join(text))
    if as_json:
        click.echo(json.dumps(a.to_json(), indent=2, default=str))
    else:
        print_answer(out, state.db(), a)
    sys.exit(0 if a.ok else 2)


@main.command()
@click.pass_obj
def console(state: State):
    """Interactive console (reads commands from stdin when not a terminal)."""
    from bot.console import run_console

    run_console(state.context, out)


@main.command()
@click.option("--customers", default=2000, show_default=True, help="How many customers to generate.")
@click.option("--rebuild", is_flag=True, help="Regenerate even if a demo store exists.")
@click.pass_obj
def demo(state: State, customers: int, rebuild: bool):
    """Build a realistic demo store and open the console on it."""
    from bot.console import run_console
    from bot.demo import DemoRefused, ensure_demo_store

    path = state.db_path if state.db_explicit else os.environ.get("RETENTION_DEMO_DB", "retention-demo.db")
    try:
        db, built = ensure_demo_store(path, customers=customers, rebuild=rebuild, today=state.as_of,
                                      status=lambda m: err.print(m, style="dim"))
    except (DemoRefused, StoreError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    state._db = db
    click.echo(f"Demo store: {Path(path).resolve()} ({'built' if built else 'reused'})", err=True)
    click.echo(f'Use it with any command: retention-bot --db {path} ask "/retention crr last-quarter"', err=True)
    run_console(state.context, out, intro="summary")


if __name__ == "__main__":
    main()
