"""The start-up guard: our packages have common names, so another
`analytics` (a file in the working directory, a package installed over
ours) must stop the bot with one clear line, never run in its place."""

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

from bot.own_packages import PACKAGES, problem, read_record

ROOT = Path(__file__).resolve().parents[2]


def test_an_analytics_py_in_the_working_directory_stops_python_m_with_one_line(tmp_path):
    (tmp_path / "analytics.py").write_text("raise RuntimeError('foreign code ran')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert proc.stdout == "" and "foreign code ran" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"retention-bot: the package `analytics` resolves to {tmp_path / 'analytics.py'}")
    assert "rename or remove it" in line and "own virtualenv" in line


def test_our_own_tree_passes():
    origins = {name: str(ROOT / name / "__init__.py") for name in PACKAGES}
    assert problem(ROOT, origins, None) is None


def _installed(root: Path) -> dict[str, str]:
    """A site-packages with our four packages and the wheel's RECORD."""
    dist = root / "retention_bot-0.1.0.dist-info"
    dist.mkdir(parents=True)
    lines = []
    for name in PACKAGES:
        (root / name).mkdir()
        body = f'"""{name}, as shipped."""\n'.encode()
        (root / name / "__init__.py").write_bytes(body)
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        lines.append(f"{name}/__init__.py,sha256={digest},{len(body)}")
    lines.append("retention_bot-0.1.0.dist-info/RECORD,,")
    (dist / "RECORD").write_text("\n".join(lines) + "\n")
    return {name: str(root / name / "__init__.py") for name in PACKAGES}


def test_a_package_installed_over_ours_is_named(tmp_path):
    origins = _installed(tmp_path)
    record = read_record(tmp_path)
    assert record is not None and problem(tmp_path, origins, record) is None
    (tmp_path / "storage" / "__init__.py").write_text("from .s3 import Bucket\n")  # `pip install storage`
    found = problem(tmp_path, origins, record)
    assert found == (
        f"retention-bot: {tmp_path / 'storage' / '__init__.py'} is not the file retention-bot "
        "installed (another package named `storage` was installed over it): run retention-bot "
        "in its own virtualenv (pipx install, or the Docker image)"
    )


def test_a_package_found_elsewhere_or_nowhere_is_named(tmp_path):
    origins = _installed(tmp_path)
    elsewhere = dict(origins, commands="/usr/lib/python3/dist-packages/commands/__init__.py")
    assert "`commands` resolves to /usr/lib/python3/dist-packages/commands/__init__.py" in problem(
        tmp_path, elsewhere, None
    )
    assert "`bot` resolves to nowhere" in problem(tmp_path, dict(origins, bot=None), None)
