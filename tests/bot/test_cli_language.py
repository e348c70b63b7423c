"""The command line's own words — every `--help` and click's usage errors —
in the CLI's language: --language, else $RETENTION_LANGUAGE, else (for an
error) the store's workspace language, else English. English is pinned
byte for byte (tests/bot/golden/cli_en.txt: the help and errors as they
were before they were translated)."""

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.support.cli import HELP, USAGE_ERRORS, said

GOLDEN = Path(__file__).parent / "golden" / "cli_en.txt"


def english() -> str:
    return "\n".join([*(said([*a, "--help"]) for a in HELP), *(said(a) for a in USAGE_ERRORS)])


def test_english_help_and_usage_errors_are_as_they_were():
    assert english() == GOLDEN.read_text()


def test_help_is_said_in_the_language_given_and_opens_no_store(tmp_path):
    """--language, before or after --help, else $RETENTION_LANGUAGE; a
    store's workspace language is not read for help (help opens no store,
    let alone creates one)."""
    store = tmp_path / "fa.db"
    assert CliRunner().invoke(main, ["--db", str(store), "config", "language", "fa"]).exit_code == 0
    for args, env in [
        (["--language", "fa", "--help"], {}),
        (["--help", "--language", "fa"], {}),
        (["--help"], {"RETENTION_LANGUAGE": "fa"}),
    ]:
        out = said(args, env)
        assert "شیوهٔ استفاده: \u2068retention-bot [OPTIONS] COMMAND [ARGS]...\u2069" in out
        assert "\nفرمان‌ها:\n  \u2068ask\u2069" in out and "Usage" not in out and "Options" not in out
    hy = said(["--language", "hy", "import", "--help"])
    assert "Օգտագործում՝ retention-bot import [OPTIONS] {orders|customers|reps|feedback|fx} FILE" in hy
    assert "  --dry-run                       Ստուգել և հաշվել, ոչինչ չգրանցել։" in hy
    assert "[լռելյայն՝ .]" in hy
    missing = tmp_path / "never.db"
    assert said(["--db", str(missing), "--help"]).startswith(
        f"$ retention-bot --db {missing} --help  (exit 0)\nUsage: "
    )
    assert said(["--db", str(store), "status", "--help"]).splitlines()[1] == "Usage: retention-bot status [OPTIONS]"
    assert not missing.exists()


def test_a_usage_error_is_said_in_the_stores_language(tmp_path):
    """An error, unlike help, reads the store's workspace language when
    --language and $RETENTION_LANGUAGE say nothing — before the root's
    options are processed too (a bad --as-of); --language wins."""
    store = tmp_path / "fa.db"
    assert CliRunner().invoke(main, ["--db", str(store), "config", "language", "fa"]).exit_code == 0
    F, P = "\u2068", "\u2069"
    assert said(["--db", str(store), "--as-of", "x", "status"]).splitlines()[1:] == [
        f"شیوهٔ استفاده: {F}retention-bot [OPTIONS] COMMAND [ARGS]...{P}",
        f"برای راهنما {F}retention-bot --help{P} را امتحان کنید.",
        "",
        f"خطا: {F}مقدار نادرست برای {F}'--as-of'{P}: {F}{F}'x'{P} تاریخ نیست؛ به شکل {F}YYYY-MM-DD{P} بنویسید "
        f"(یا تاریخ شمسی، مثل {F}1405/01/01{P}){P}{P}",
    ]
    assert said(["--db", str(store), "import", "widgets", "f"]).splitlines()[-1] == (
        f"خطا: {F}مقدار نادرست برای {F}'{{orders|customers|reps|feedback|fx}}'{P}: "
        f"{F}{F}'widgets'{P} هیچ‌یک از {F}'orders', 'customers', 'reps', 'feedback', 'fx'{P} نیست.{P}{P}"
    )
    hy = said(["--db", str(store), "--language", "hy", "statuss"]).splitlines()
    assert hy[1:] == [
        "Օգտագործում՝ retention-bot [OPTIONS] COMMAND [ARGS]...",
        "Օգնության համար փորձեք retention-bot --help։",
        "",
        "սխալ՝ 'statuss' հրաման չկա։ Գուցե՝ 'status'։",
    ]
    assert said(["--db", str(store), "status", "--json=1"]).splitlines()[1:] == [
        f"شیوهٔ استفاده: {F}retention-bot status [OPTIONS]{P}",
        f"برای راهنما {F}retention-bot status --help{P} را امتحان کنید.",
        "",
        f"خطا: {F}گزینهٔ {F}'--json'{P} مقداری نمی‌گیرد.{P}",
    ]
    english = said(["--db", str(store), "--language", "en", "--as-of", "x", "status"])
    assert english.splitlines()[-1] == (
        "Error: Invalid value for '--as-of': 'x' is not a date; use YYYY-MM-DD (or a Persian date, 1405/01/01)"
    )


def test_ctrl_c_is_said_in_the_language(tmp_path):
    """Ctrl-C in the middle of a command (here while it reads the clock):
    click's "Aborted!" after a blank line, in Persian and Armenian too."""

    def interrupted():
        raise KeyboardInterrupt

    store = tmp_path / "s.db"
    assert CliRunner().invoke(main, ["--db", str(store), "config", "language", "fa"]).exit_code == 0
    runs = {
        lang: CliRunner().invoke(main, ["--db", str(store), *opts, "score"], obj=interrupted)
        for lang, opts in {"fa": [], "hy": ["--language", "hy"], "en": ["--language", "en"]}.items()
    }
    assert {lang: (r.exit_code, r.output) for lang, r in runs.items()} == {
        "fa": (1, "\nلغو شد.\n"),
        "hy": (1, "\nԸնդհատվեց։\n"),
        "en": (1, "\nAborted!\n"),
    }
