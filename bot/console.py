"""The local console: the bot without Slack.

On a terminal it is a small REPL (history, `help`, `quit`); otherwise it reads
one command per line from stdin, prints each answer and exits 0 at end of
input, so it can be scripted and tested. Besides `/retention` commands it
takes `press <button> <customer> [rep]` to click a reminder or digest button
without Slack (commands.buttons: the same transitions as the real clicks).
"""

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from commands import Answer, Context, answer
from commands.i18n import _
from commands.terminal import render_message
from storage.reps import rep_names

PROMPT = "retention> "
QUIT = {"quit", "exit", ":q", "\\q"}


def print_answer(console: Console, db, a: Answer, chart_dir: Path | None = None, lang: str = "en") -> None:
    console.print(render_message(a.message, rep_names(db)))
    for chart in a.charts:
        path = (chart_dir or Path.cwd()) / chart.filename
        path.write_bytes(chart.png)
        saved = escape(_(lang, "chart saved: {path}", path=str(path)))
        console.print(f"[dim]{saved}[/dim]")


def respond(ctx: Context, text: str) -> Answer:
    """A console line: a button press, or a `/retention` command."""
    words = text.split()
    if words and words[0].lower() == "press":
        from commands.buttons import press  # the digest and reminders behind it: not for `config` or `ask`

        return press(ctx, words[1:])
    return answer(ctx, text, with_data=False)


def run_console(make_context: Callable[[], Context], console: Console, *, intro: str | None = None, stdin=None) -> None:
    stdin = stdin or sys.stdin
    interactive = stdin.isatty() and console.is_terminal
    if intro:
        ctx = make_context()
        print_answer(console, ctx.db, answer(ctx, intro, with_data=False), lang=ctx.lang)
    if interactive:
        _history()
        hint = _(
            make_context().lang,
            "Type a command like {example} or {help}; {press} clicks a follow-up button; {quit} to leave.",
            example="`crr last-quarter`",
            help="`help`",
            press="`press snooze C0042`",
            quit="`quit`",
        )
        console.print(f"[dim]{escape(hint)}[/dim]")
    while True:
        try:
            line = console.input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            break
        if not interactive and line == "":
            break
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.lower() in QUIT:
            break
        if not interactive:
            console.print(f"[bold]{PROMPT}[/bold]{text}", markup=True, highlight=False)
        ctx = make_context()
        try:
            print_answer(console, ctx.db, respond(ctx, text), lang=ctx.lang)
        except Exception as e:  # keep the session alive; say what failed
            problem = escape(_(ctx.lang, "error: {problem}", problem=f"{type(e).__name__}: {e}"))
            console.print(f"[red]{problem}[/red]")
            if not interactive:
                raise


def _history() -> None:
    try:
        import readline
    except ImportError:
        return
    path = Path.home() / ".retention_bot_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    import atexit

    atexit.register(lambda: _save_history(readline, path))


def _save_history(readline, path: Path) -> None:
    try:
        readline.set_history_length(1000)
        readline.write_history_file(path)
    except OSError:
        pass
