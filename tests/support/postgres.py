"""A real, throwaway PostgreSQL server for the live-source tests.

`initdb` in a fresh temp dir and `pg_ctl start` listening on a Unix socket
only, one server per test session; each test gets a database of its own.
PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user (Debian's package creates it) and the temp dir is its.
Tests skip, naming what is missing, only when no server binary can be had;
with RETENTION_REQUIRE_POSTGRES=1 (set by .ci/run) that is a failure.
"""

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE = "RETENTION_REQUIRE_POSTGRES"
_numbers = itertools.count(1)


def server_bin() -> Path | None:
    """The newest installed server's bin dir (Debian keeps it off PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name), reverse=True
    )
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


@dataclass
class PgServer:
    socket_dir: Path
    user: str = "retention"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        import psycopg

        name = f"shop{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return name


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"PostgreSQL is required here ({REQUIRE}=1) but {reason}")
    pytest.skip(f"no PostgreSQL server: {reason} (apt-get install postgresql)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = server_bin()
    if bindir is None:
        _unavailable("no initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH")
    assert bindir is not None
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="retention-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run the server as")
        os.chown(home, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = home / "data", home / "server.log"

    def pg(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}{tail}")

    pg(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "retention", "--no-sync", "-E", "UTF8")
    options = f"-k {home} -c listen_addresses='' -F -c max_connections=50"
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        yield PgServer(home)
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.url(pg_server.create_database())
