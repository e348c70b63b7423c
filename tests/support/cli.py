"""The command line as the language tests run it: every `--help` and every
kind of usage error it makes (click's and its own), said at an 80-column
terminal."""

from click.testing import CliRunner

from bot.cli import main

HELP = [
    [],
    ["import"],
    ["sync"],
    ["ask"],
    ["config"],
    ["console"],
    ["demo"],
    ["run"],
    ["manifest"],
    ["doctor"],
    ["score"],
    ["model"],
    ["model", "fit"],
    ["digest"],
    ["remind"],
    ["status"],
    ["backup"],
]
# Every kind of usage error the command line makes, click's and its own.
USAGE_ERRORS = [
    ["model"],
    ["--as-of", "x", "status"],
    ["--bogus", "status"],
    ["--langauge", "fa", "status"],
    ["statuss"],
    ["import"],
    ["import", "orders"],
    ["import", "widgets", "f"],
    ["backup", "/"],
    ["--db"],
    ["demo", "--customers", "x"],
    ["status", "extra"],
    ["status", "extra", "more"],
    ["status", "--json=1"],
    ["--db", "x.db"],
    ["--language", "xx", "status"],
    ["import", "orders", "f.csv", "--map", "nocolumn"],
    ["--as-of", "2026-01-01", "sync"],
]


def said(args: list[str], env: dict[str, str | None] | None = None) -> str:
    """What one command line prints, at an 80-column terminal; the store
    (--db) is one that cannot exist, unless `args` name one."""
    store = [] if args[:1] == ["--db"] else ["--db", "/nonexistent/never.db"]
    r = CliRunner().invoke(
        main,
        [*store, *args],
        prog_name="retention-bot",
        terminal_width=80,
        env={"RETENTION_LANGUAGE": None, **(env or {})},
    )
    return f"$ retention-bot {' '.join(args)}  (exit {r.exit_code})\n{r.output}"
