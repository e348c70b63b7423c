"""Results kept per what they depend on: reads an answer would repeat
(the store's totals to a day, a filter's score counts) that only an import,
a sync, a claim or a score changes, so their keys hold those marks and a
kept result never goes stale."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """The newest `keep` results by key (the oldest kept goes first), shared
    by threads. A result is computed outside the lock, so a slow read holds
    up no other answer; two threads asking for the same key at once may
    both compute it, and keep the same value."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._results: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._results:
                return self._results[key]
        value = compute()
        with self._lock:
            self._results[key] = value
            while len(self._results) > self.keep:
                self._results.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
