"""A throwaway PostgreSQL server (Debian's binaries) for the live-source
tests and the sync benchmark: `initdb` in a fresh temp dir, `pg_ctl start`
listening on a Unix socket only. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user (Debian's package creates it)
and the temp dir is its."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class NoServer(Exception):
    """No PostgreSQL server can be started here; the message says why."""


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

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_server() -> tuple[PgServer, Callable[[], None]]:
    """Start a server; returns it and the function that stops it and
    removes its files. Raises NoServer when there is no binary or no user
    to run it as."""
    bindir = server_bin()
    if bindir is None:
        raise NoServer("no initdb/pg_ctl in /usr/lib/postgresql/*/bin or on PATH")
    run_as: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="retention-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(home, ignore_errors=True)
            raise NoServer("running as root and there is no postgres user to run the server as") from None
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

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)

    return PgServer(home), stop
