"""Start-up stays light: `retention-bot --help`, `manifest`, `config` and
`status` must start within 0.5 s (issue 16), so importing the CLI, the
commands and the store loads none of the heavy libraries; the maths, charts
and Slack load them when they run. Times are measured in bench/; this checks
what is imported, in a fresh interpreter."""

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "matplotlib", "slack_bolt", "slack_sdk", "apscheduler")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import bot.cli",
        "import commands",
        "import commands.status, commands.config, storage.importer",
        "import commands, commands.dispatch, commands.parse, bot.console",
    ],
)
def test_importing_the_cli_and_the_commands_loads_no_heavy_library(code):
    assert _loaded_after(code) & set(HEAVY) == set()


def _loaded_by_cli(store, *args: str) -> set[str]:
    """Modules loaded by one `retention-bot` command, run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from bot.cli import main\n"
        f"sys.argv = ['retention-bot', '--db', {str(store)!r}, *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(proc.stdout.splitlines()[-1]))


COMMAND_MODULES = {
    "commands.at_risk",
    "commands.churn",
    "commands.cohorts",
    "commands.crr",
    "commands.customer",
    "commands.digest",
    "commands.followups",
    "commands.help",
    "commands.kpis",
    "commands.nps",
    "commands.rep",
    "commands.summary",
    "commands.top",
    "commands.trend",
}


@pytest.mark.parametrize(
    ("args", "command_module"),
    [
        (("config",), "commands.config"),
        (("config", "timezone"), "commands.config"),
        (("status",), "commands.status"),
        (("ask", "lang"), "commands.language"),
        (("manifest",), None),
        (("--help",), None),  # English help: click's own, no catalog
        (("status", "--help"), None),
    ],
)
def test_config_status_and_light_answers_load_no_numpy_and_no_other_command(tmp_path, args, command_module):
    """A request imports its own command's module only (commands.core.COMMANDS),
    and none of these needs numpy, let alone pandas or the Slack libraries."""
    store = tmp_path / "s.db"
    _loaded_by_cli(store, "config", "timezone", "Asia/Yerevan")  # a store with a setting in it
    loaded = _loaded_by_cli(store, *args)
    assert {m.split(".")[0] for m in loaded} & {*HEAVY, "numpy", "babel"} == set()
    assert loaded & COMMAND_MODULES == set()
    if command_module:
        assert command_module in loaded


def test_asking_for_help_loads_every_command_and_a_kpi_its_own(tmp_path):
    """The control for the test above: `help` lists every command, so it
    loads them all; `kpis` loads its module and the maths."""
    store = tmp_path / "s.db"
    _loaded_by_cli(store, "config", "timezone", "Asia/Yerevan")
    assert _loaded_by_cli(store, "ask", "help") >= COMMAND_MODULES
    kpis = _loaded_by_cli(store, "ask", "kpis")
    assert "commands.kpis" in kpis and "numpy" in kpis
    assert "commands.trend" not in kpis


def test_answering_a_kpi_loads_pandas_when_it_runs(tmp_path):
    """The control: the probe sees a library the code does load."""
    store = tmp_path / "s.db"
    code = (
        "from datetime import date\n"
        "from commands import Context, answer\n"
        "from storage import open_db\n"
        f"answer(Context(open_db({str(store)!r}), as_of=date(2026, 11, 22)), 'cohorts 3')"
    )
    loaded = _loaded_after(code)
    assert "pandas" in loaded and "numpy" in loaded


def test_a_serving_process_imports_the_heavy_libraries_before_its_threads_start(tmp_path):
    """Lazy for the CLI, eager for `run`: first imports from two threads at
    once can fail (a partially initialised module), so warm_caches, which
    `run` calls before serving, imports every library an answer uses."""
    store = tmp_path / "s.db"
    probe = (
        "import json, sys\n"
        "from bot.app import SERVING_LIBRARIES, warm_caches, stop_serving_caches\n"
        "from storage import open_db\n"
        f"warm_caches(open_db({str(store)!r}))\n"
        "stop_serving_caches()\n"
        "print(json.dumps([m for m in SERVING_LIBRARIES if m not in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(proc.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("args", [("--help",), ("import", "--help"), ("model", "fit", "--help")])
def test_english_help_loads_neither_the_commands_nor_a_catalog(tmp_path, args):
    """English help is click's own (bot.cli_language steps aside): the
    commands package and Babel stay unloaded, and no store is made."""
    loaded = _loaded_by_cli(tmp_path / "s.db", *args)
    assert {m.split(".")[0] for m in loaded} & {"commands", "babel", "numpy"} == set()
    assert not (tmp_path / "s.db").exists()
