"""The operations files hold what they promise (no docker here to build the
image, so its essentials are checked as text), and CI's dependency audit
fails on a known vulnerability only, never on a network problem."""

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_runs_the_bot_as_a_non_root_user_with_the_store_on_a_volume():
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert instructions[0] == "FROM python:3.11-slim"
    assert re.search(r"RETENTION_DB=/data/\S+\.db", text) and 'VOLUME ["/data"]' in text
    user = next(line for line in instructions if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    assert instructions.index(user) < instructions.index(next(i for i in instructions if i.startswith("CMD")))
    assert "EXPOSE 3000" in instructions
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert instructions[-1] == 'CMD ["retention-bot", "run"]'
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[2:4] == ["*", "!pyproject.toml"] and "**/*.db" in ignored  # sources only: no store, no bench data


def test_the_image_gets_every_file_the_build_reads():
    """`pip install .` in the image reads the readme and license files
    pyproject names: each must pass .dockerignore and be copied in."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = [project["readme"], *project["license-files"]]
    copied = " ".join(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY "))
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for name in needed:
        assert f"!{name}" in ignored and f" {name} " in f" {copied} ", name


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def report(*deps) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


OK = {"name": "waitress", "version": "3.0.2", "vulns": []}
SKIPPED = {"name": "retention-bot", "skip_reason": "Dependency not found on PyPI and could not be audited"}
VULNERABLE = {
    "name": "requests",
    "version": "2.0.0",
    "vulns": [{"id": "PYSEC-2014-14", "fix_versions": ["2.3.0"], "aliases": [], "description": ""}],
}


def test_audit_fails_only_on_a_known_vulnerability(audit):
    code, lines = audit.verdict(report(OK, VULNERABLE, SKIPPED))
    assert code == 1 and "requests 2.0.0: PYSEC-2014-14 (fixed in: 2.3.0)" in "\n".join(lines)
    assert audit.verdict(report(OK, SKIPPED)) == (
        0,
        ["pip-audit: no known vulnerabilities in 1 packages; 1 not found on the index (local or private packages)"],
    )


@pytest.mark.parametrize(
    "output",
    [None, "", "Traceback (most recent call last):", "{}", report(SKIPPED, SKIPPED)],
    ids=["no report", "empty", "crash", "no dependencies key", "index without data"],
)
def test_audit_warns_and_passes_when_the_index_does_not_answer(audit, output):
    code, lines = audit.verdict(output)
    assert code == 0 and lines[0].startswith("warning:")


def test_ci_runs_the_audit():
    assert "python .ci/audit.py" in (ROOT / ".ci" / "run").read_text()
