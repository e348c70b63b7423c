"""SQL is parametrised everywhere, and the build fails otherwise: ruff's S608
(SQL built from strings) is selected in pyproject.toml for the application
packages, and `.ci/run` runs `ruff check .`. Identifiers interpolated from
constants carry a reviewed `# noqa: S608`.

This proves the rule bites with the project's own configuration: a query
built from user input fails the check, the parametrised form passes."""

from tests.support.lint import ROOT, lint_settings, ruff

BUILT = """
def find(db, name):
    return db.execute(f"SELECT * FROM customers WHERE name = '{name}'").fetchall()


def find_too(db, name):
    return db.execute("SELECT * FROM customers WHERE name = '" + name + "'").fetchall()
"""
PARAMETRISED = """
def find(db, name):
    return db.execute("SELECT * FROM customers WHERE name = ?", [name]).fetchall()
"""


def test_s608_is_selected_and_only_tests_and_benchmarks_are_exempt():
    lint = lint_settings()
    assert "S608" in lint["select"] and "S608" not in lint.get("ignore", [])
    exempt = {pattern for pattern, rules in lint.get("per-file-ignores", {}).items() if "S608" in rules}
    assert exempt <= {"tests/**", "bench/**"}, exempt
    assert "ruff check ." in (ROOT / ".ci" / "run").read_text()


def test_a_string_built_query_fails_the_lint(tmp_path):
    """Checked with the project's configuration, from a temporary file so
    the tree is never touched."""
    bad = tmp_path / "lint_probe.py"
    bad.write_text(BUILT)
    result = ruff(bad)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("S608") == 2, result.stdout
    good = tmp_path / "lint_probe_ok.py"
    good.write_text(PARAMETRISED)
    assert ruff(good).returncode == 0
