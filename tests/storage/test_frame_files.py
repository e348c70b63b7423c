"""Saved frame versions next to the store: the newest two are kept, and the
build lock beside them is neither a version nor pruned."""

import threading

import numpy as np

from storage.frame_files import KEEP_VERSIONS, building, load_columns, load_newest_columns, write_columns


def test_the_newest_versions_are_kept_beside_the_build_lock(tmp_path):
    store = str(tmp_path / "store.db")
    for n in range(4):
        with building(store, wait=True) as mine:
            assert mine
            write_columns(store, f"key{n}", {"ts": np.arange(n + 1)})
    root = tmp_path / "store.db.frame"
    names = sorted(p.name for p in root.iterdir())
    assert names[0] == ".building" and len(names) == 1 + KEEP_VERSIONS
    assert load_columns(store, "key1", ("ts",)) is None
    assert list(load_columns(store, "key2", ("ts",))["ts"]) == [0, 1, 2]
    key, columns = load_newest_columns(store, ("ts",))
    assert key == "key3" and list(columns["ts"]) == [0, 1, 2, 3]


def test_one_build_at_a_time_per_store(tmp_path):
    """The lock holds across open files (as across processes): a second
    taker is told at once, or waits for the first to end."""
    store, other = str(tmp_path / "store.db"), str(tmp_path / "other.db")
    took = threading.Event()
    with building(store, wait=False) as first:
        assert first
        with building(store, wait=False) as second:
            assert not second
        with building(other, wait=False) as elsewhere:
            assert elsewhere  # another store's build is not held up

        def wait_for_it():
            with building(store, wait=True) as mine:
                assert mine
                took.set()

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        assert not took.wait(0.3)
    assert took.wait(30)
    waiter.join(30)
    with building("", wait=False) as anywhere:
        assert anywhere  # an in-memory store has nothing to lock
