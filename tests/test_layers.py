"""Imports point down only: bot → commands → analytics → storage, and only
bot/ touches Slack or the scheduler."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["bot", "commands", "analytics", "storage"]
ALLOWED = {
    "bot": {"bot", "commands", "analytics", "storage"},
    "commands": {"commands", "analytics", "storage"},
    "analytics": {"analytics", "storage"},
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
