"""Named numpy columns persisted next to the store, one directory per
content version: `<store>.frame/<version>/<name>.npy` plus `key.json`.

A new process maps the columns (`np.load(mmap_mode="r")`: no read of the
orders, pages come in as they are touched) instead of re-reading millions of
orders through SQLite. A version is written to a temporary directory, each
file fsynced, then renamed into place, so a reader sees a whole version or
none; `key.json` holds the store's content key it was built from, and a
version whose key does not match is never used. Old versions are removed
after a new one lands (a process still mapping one keeps its pages: unlinked
files stay readable while mapped).

Only files next to the store are opened here, never the store file itself
(closing any descriptor of it would drop the process's SQLite locks).
"""

import fcntl
import hashlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

KEEP_VERSIONS = 2  # the newest, and the one before it (still being served while the next is built)
_KEY_FILE = "key.json"
_BUILDING = ".building"


def frame_dir(store: str) -> Path | None:
    """Where a store's frame versions live (None for an in-memory store)."""
    return Path(store + ".frame") if store else None


def version_name(key: str, names) -> str:
    """A version per content and set of columns (a release that saves more
    columns does not take an older release's directory for complete)."""
    return hashlib.sha256(f"{key}\n{' '.join(names)}".encode()).hexdigest()[:20]


def _read_key(version: Path) -> str | None:
    try:
        return (version / _KEY_FILE).read_text()
    except (OSError, ValueError):
        return None


def _map(version: Path, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    try:
        return {name: np.load(version / f"{name}.npy", mmap_mode="r") for name in names}
    except (OSError, ValueError) as e:
        log.warning("order frame files in %s are unreadable (%s); rebuilding", version, e)
        return None


def load_columns(store: str, key: str, names: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The columns saved for content `key`, memory-mapped; None when there are none."""
    root = frame_dir(store)
    if root is None:
        return None
    version = root / version_name(key, names)
    if _read_key(version) != key:
        return None
    return _map(version, names)


def load_newest_columns(store: str, names: tuple[str, ...]) -> tuple[str, dict[str, np.ndarray]] | None:
    """The most recently saved version whatever its key (a previous content,
    served while the current one is built), with its key; None when none."""
    root = frame_dir(store)
    if root is None or not root.is_dir():
        return None
    versions = []
    for version in root.iterdir():
        if version.name.startswith("."):
            continue
        try:
            versions.append(((version / _KEY_FILE).stat().st_mtime_ns, version))
        except OSError:
            continue
    for _, version in sorted(versions, reverse=True):
        key = _read_key(version)
        columns = _map(version, names) if key is not None else None
        if key is not None and columns is not None:
            return key, columns
    return None


@contextmanager
def building(store: str, *, wait: bool) -> Iterator[bool]:
    """Whether this process may build the store's frame now: one build at a
    time per store across processes, so a serving bot does not build the
    frame an import beside it is building and saving (twice the CPU and
    memory for the same result). `wait`: block until a build under way
    ends; else False at once while one is. An advisory lock on
    `<store>.frame/.building`, let go when the build ends or its process
    dies; True without a lock where there is none to take (an in-memory
    store, a directory that cannot be written — the save says so — or a
    file system without locks: builds may then overlap, as before)."""
    fd = _open_lock(store)
    if fd is None:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            mine = True
        except BlockingIOError:
            mine = False
        except OSError:
            mine = True
        yield mine
    finally:
        os.close(fd)  # lets the lock go


def _open_lock(store: str) -> int | None:
    root = frame_dir(store)
    if root is None:
        return None
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        return os.open(root / _BUILDING, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _write(path: Path, write) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_columns(store: str, key: str, columns: dict[str, np.ndarray]) -> bool:
    """Persist `columns` as the version of content `key` (write_columns);
    False (logged) when the directory cannot be written (a read-only disk,
    no space): the caller keeps its frame in memory."""
    try:
        return write_columns(store, key, columns)
    except OSError as e:
        log.warning("could not save the order frame next to %s (%s); it stays in memory", store, e)
        return False


def write_columns(store: str, key: str, columns: dict[str, np.ndarray]) -> bool:
    """Persist `columns` as the version of content `key`: temp directory,
    fsync, rename. False for an in-memory store (nowhere to write); raises
    OSError when the directory cannot be written."""
    root = frame_dir(store)
    if root is None:
        return False
    final = root / version_name(key, columns)
    tmp = root / f".tmp-{secrets.token_hex(6)}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        tmp.mkdir(mode=0o700)
        for name, values in columns.items():
            _write(tmp / f"{name}.npy", lambda f, v=values: np.save(f, np.ascontiguousarray(v), allow_pickle=False))
        _write(tmp / _KEY_FILE, lambda f: f.write(key.encode()))
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if _read_key(final) != key:  # not another process's copy of the same version
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        _fsync_dir(root)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep=final)
    return True


def _prune(root: Path, keep: Path) -> None:
    """Remove all but the newest KEEP_VERSIONS versions (and stale temp
    directories of processes that died mid-write, after an hour)."""
    versions = []
    for version in root.iterdir():
        try:
            mtime = version.stat().st_mtime
        except OSError:
            continue
        if version.name.startswith("."):  # the build lock, and temp directories
            if version.name.startswith(".tmp-") and mtime < (keep / _KEY_FILE).stat().st_mtime - 3600:
                shutil.rmtree(version, ignore_errors=True)
            continue
        versions.append((mtime, version))
    for _, version in sorted(versions, reverse=True)[KEEP_VERSIONS:]:
        if version != keep:
            shutil.rmtree(version, ignore_errors=True)
