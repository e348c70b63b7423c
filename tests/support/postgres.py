"""A real, throwaway PostgreSQL server for the live-source tests: one per
test session (bench/pg_server.py starts it: initdb in a temp dir, pg_ctl on
a Unix socket, as the postgres user when running as root); each test gets
a database of its own. Tests skip, naming what is missing, only when no
server can be had; with RETENTION_REQUIRE_POSTGRES=1 (set by .ci/run) that
is a failure."""

import itertools
import os
from collections.abc import Iterator

import pytest

from bench.pg_server import NoServer, PgServer, start_server

REQUIRE = "RETENTION_REQUIRE_POSTGRES"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server, stop = start_server()
    except NoServer as e:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"PostgreSQL is required here ({REQUIRE}=1) but {e}")
        pytest.skip(f"no PostgreSQL server: {e} (apt-get install postgresql)")
    try:
        yield server
    finally:
        stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session's server."""
    return pg_server.create_database(f"shop{os.getpid()}_{next(_numbers)}")
