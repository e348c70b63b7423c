"""Shared fixtures: real SQLite files in tmp_path, the real importer, the CLI."""

import shutil
from pathlib import Path

import pytest

from storage import open_db
from storage.db import close_thread_dbs
from storage.importer import import_file
from tests.support.stores import CDNOW, IMPORTED_AT

pytest_plugins = ["tests.support.slack_app", "tests.support.postgres"]


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def fresh_db(db_path):
    db = open_db(db_path)
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def _cdnow_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.db"
    db = open_db(path)
    import_file(db, "orders", CDNOW, now=IMPORTED_AT)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


@pytest.fixture
def cdnow_path(_cdnow_template, tmp_path) -> Path:
    """A private copy of a store holding the imported CDNOW sample."""
    path = tmp_path / "cdnow.db"
    shutil.copy(_cdnow_template, path)
    return path


@pytest.fixture
def cdnow_db(cdnow_path):
    db = open_db(cdnow_path)
    yield db
    db.conn.close()


@pytest.fixture(autouse=True)
def _close_kept_connections():
    """Code under test keeps one connection per thread and store
    (storage.db.thread_db); the test's own thread lets go of them after
    each test, as a process would at exit."""
    yield
    close_thread_dbs()
