"""Imports point down only: bot → commands → analytics, commands → storage;
analytics and storage know nothing of each other (commands brings the data
to the maths); only bot/ touches Slack or the scheduler; no import cycles."""

import ast
import re
from pathlib import Path

import pytest

from storage.followup_actions import due_condition, silenced_customers_sql
from storage.queries import Filters

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["bot", "commands", "analytics", "storage"]
ALLOWED = {
    "bot": {"bot", "commands", "analytics", "storage"},
    "commands": {"commands", "analytics", "storage"},
    "analytics": {"analytics"},
    "storage": {"storage"},
}
SLACK_ONLY_IN_BOT = ("slack_bolt", "slack_sdk", "apscheduler")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down(layer):
    problems = []
    for path in (ROOT / layer).rglob("*.py"):
        for line, top in _imports(path):
            if top in LAYERS and top not in ALLOWED[layer]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
            if layer != "bot" and top in SLACK_ONLY_IN_BOT:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {top} outside bot/")
    assert not problems, "\n".join(problems)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Module → our modules it imports at import time (top level, not
    inside functions: those are the deliberate lazy imports)."""
    modules = {_module(p): p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        deps = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    deps.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_no_import_cycles():
    graph = _graph()
    seen: dict[str, int] = {}  # 1 visiting, 2 done
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for dep in sorted(graph[node]):
            if seen.get(dep) == 1:
                cycles.append(" → ".join([*stack[stack.index(dep) :], dep]))
            elif dep not in seen:
                visit(dep, [*stack, dep])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_tests_share_helpers_not_each_other():
    """Shared test code lives in tests/support (and the fake Slack in
    bench/slack_fake.py): a test module or conftest imported from elsewhere
    runs its tests and fixtures twice and ties suites together."""
    problems = []
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and not module.startswith("tests.support"):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert not problems, "\n".join(problems)


RUNS_SQL = {"execute", "executemany", "executescript", "read_sql", "read_sql_query"}
SQL_TEXT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WITH|CREATE)\s")


@pytest.mark.parametrize("layer", ["bot", "commands", "analytics"])
def test_storage_owns_every_sql_statement(layer):
    """SQL outside storage/ spreads the schema across the layers, and a
    fragment passed between modules cannot be checked where it runs."""
    problems = []
    for path in (ROOT / layer).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} runs SQL (.{node.func.attr})")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} holds SQL text")
    assert not problems, "\n".join(problems)


def test_shared_sql_fragments_name_their_parameters():
    """Fragments embedded in other statements carry named parameters only:
    a positional `?` would make every caller count and order them."""
    where, args = Filters(segment="SMB", rep_id="U1", book=("U1", "U2")).where()
    assert set(args) == {"segment", "rep_id", "book_0", "book_1"}
    for fragment in (where, Filters(book=()).where()[0], silenced_customers_sql(), due_condition()):
        assert "?" not in fragment, fragment
