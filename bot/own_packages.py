"""Start-up guard: our four top-level packages (bot, commands, analytics,
storage) have common names. An `analytics.py` in the working directory
shadows ours under `python -m`, and a package of the same name installed
from the index into the same environment overwrites ours silently; either
way the bot would run someone else's code. This check runs before anything
else imports them, costs under a millisecond, and fails with one line.

Runs first from `bot/__init__.py`, so it imports only the standard library.
"""

import base64
import hashlib
import importlib.util
from pathlib import Path

PACKAGES = ("bot", "commands", "analytics", "storage")
FIX = "run retention-bot in its own virtualenv (pipx install, or the Docker image)"


def problem(root: Path, origins: dict[str, str | None], record: dict[str, str] | None) -> str | None:
    """The first reason our packages are not ours, or None.

    `origins`: where each package name resolves (`find_spec(name).origin`);
    every one must be `root/<name>/__init__.py`. `record`: the wheel's RECORD
    (path → `sha256=…`) when installed from a wheel, else None (a source
    checkout, editable install: the files are the developer's own)."""
    for name in PACKAGES:
        expected = root / name / "__init__.py"
        origin = origins.get(name)
        if origin is None or Path(origin) != expected:
            where = origin or "nowhere"
            return (
                f"retention-bot: the package `{name}` resolves to {where}, not to retention-bot's "
                f"{expected.parent}: rename or remove it, or {FIX}"
            )
    if record is None:
        return None
    for name in PACKAGES:
        entry = f"{name}/__init__.py"
        digest = base64.urlsafe_b64encode(hashlib.sha256((root / entry).read_bytes()).digest()).rstrip(b"=")
        if record.get(entry) != f"sha256={digest.decode()}":
            return (
                f"retention-bot: {root / entry} is not the file retention-bot installed (another package "
                f"named `{name}` was installed over it): {FIX}"
            )
    return None


def read_record(root: Path) -> dict[str, str] | None:
    """RECORD of the retention-bot wheel installed in `root` (site-packages),
    or None when `root` is a source tree."""
    for dist_info in root.glob("retention_bot-*.dist-info"):
        record = dist_info / "RECORD"
        if record.is_file():
            rows = (line.split(",") for line in record.read_text(encoding="utf-8").splitlines())
            return {row[0]: row[1] for row in rows if len(row) >= 2}
    return None


def check() -> None:
    """Exit with one line if any of our packages is not ours."""
    root = Path(__file__).resolve().parents[1]
    origins = {}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        origins[name] = str(Path(spec.origin).resolve()) if spec and spec.origin else None
    found = problem(root, origins, read_record(root))
    if found:
        raise SystemExit(found)
