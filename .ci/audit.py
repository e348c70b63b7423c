"""Audit the installed dependencies with pip-audit (PyPI's vulnerability
data) without letting the network decide whether CI passes.

Exit 1 only when pip-audit reports a known vulnerability. Everything else
that keeps the audit from happening (pip-audit cannot be installed, the
index or its vulnerability service does not answer, a timeout, or the index
answers without data for any package, as an offline mirror does) is a
warning and exit 0: a red build must mean "upgrade something", never "the
network was down".

Run with the Python of the environment to audit: `python .ci/audit.py`.
pip-audit goes into its own virtualenv, so its dependencies are not audited
as if they were ours.
"""

import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

INSTALL_TIMEOUT = 180
AUDIT_TIMEOUT = 300


def verdict(report_text: str | None) -> tuple[int, list[str]]:
    """Exit code and lines to print, from pip-audit's JSON report (None or
    unparsable when it produced none)."""
    try:
        report = json.loads(report_text or "")
        deps = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        return 0, ["warning: pip-audit produced no report (index or vulnerability service unreachable?); audit skipped"]
    audited = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if vulnerable:
        lines = [f"pip-audit: {len(vulnerable)} package(s) with known vulnerabilities:"]
        for d in vulnerable:
            for v in d["vulns"]:
                fix = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
                lines.append(f"  {d['name']} {d['version']}: {v['id']} (fixed in: {fix})")
        return 1, lines
    if not audited:
        return 0, [
            f"warning: the index answered but had vulnerability data for none of the {len(deps)} "
            "packages (a mirror without the JSON API?); audit skipped"
        ]
    skipped = len(deps) - len(audited)
    note = f"; {skipped} not found on the index (local or private packages)" if skipped else ""
    return 0, [f"pip-audit: no known vulnerabilities in {len(audited)} packages{note}"]


def _frozen_requirements() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    ).stdout
    return "\n".join(line for line in out.splitlines() if "==" in line) + "\n"


def run_audit(work: Path) -> str | None:
    """pip-audit's JSON report on this environment's pinned packages, or None."""
    tool = work / "pip-audit-venv"
    venv.create(tool, with_pip=True)
    pip_audit = tool / "bin" / "pip-audit"
    try:
        subprocess.run(
            [str(tool / "bin" / "python"), "-m", "pip", "install", "--quiet", "pip-audit"],
            check=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print(f"warning: could not install pip-audit ({e}); audit skipped", file=sys.stderr)
        return None
    requirements = work / "requirements.txt"
    requirements.write_text(_frozen_requirements())
    report = work / "audit.json"
    try:
        done = subprocess.run(
            [
                str(pip_audit),
                "--progress-spinner",
                "off",
                "--requirement",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            timeout=AUDIT_TIMEOUT,
            stderr=subprocess.PIPE,
            text=True,
        )
    except subprocess.TimeoutExpired:
        print(f"warning: pip-audit did not finish in {AUDIT_TIMEOUT} s", file=sys.stderr)
        return None
    if not report.exists():
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"warning: pip-audit failed: {reason}", file=sys.stderr)
        return None
    return report.read_text()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        code, lines = verdict(run_audit(Path(tmp)))
    for line in lines:
        print(line, file=sys.stderr if code or line.startswith("warning") else sys.stdout)
    return code


if __name__ == "__main__":
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    sys.exit(main())
