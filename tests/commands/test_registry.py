"""commands.core.COMMAND_MODULES says which module registers each command,
so a request imports only its own (tests/bot/test_startup.py checks what
loads); this keeps that table and the `@command` registrations the same."""

from commands import COMMANDS
from commands.core import COMMAND_MODULES


def test_every_command_is_registered_by_the_module_the_table_names():
    assert set(COMMANDS) == set(COMMAND_MODULES)
    for name, spec in COMMANDS.items():
        assert spec.handler.__module__ == COMMAND_MODULES[name], name


def test_aliases_and_unknown_words_resolve_after_every_module_is_loaded():
    assert COMMANDS.resolve("kpi") == "kpis"
    assert COMMANDS.resolve("settings") == "config"
    assert COMMANDS.resolve("book") == "rep"
    assert COMMANDS.resolve("crr") == "crr"
    assert COMMANDS.resolve("nonsense") is None
    assert "nonsense" not in COMMANDS
