"""Pages read from an API, gathered into the sync engine's batches."""

import json
from collections.abc import Callable, Iterable, Iterator

from storage.sources import Batch

# One page: (row kind, rows, the cursor to resume from once they are stored)
Page = tuple[str, list[dict], dict]


def batched(pages: Iterable[Page], size: int, total: Callable[[], int | None] = lambda: None) -> Iterator[Batch]:
    """Consecutive pages of one kind joined into batches of about `size`
    rows, each with the cursor of its last page (JSON): an API's pages are
    small (100 or 250 rows) and a transaction per page would cost more than
    the rows. A page with no rows is a cursor move (a finished backfill):
    what came before it is stored first, then the cursor alone. `total()`:
    the rows this pass yields, once the source knows (a progress bar's end)."""
    kind, last = "", None
    rows: list[dict] = []
    for page_kind, page_rows, cursor in pages:
        if rows and (page_kind != kind or not page_rows):
            yield Batch(kind, rows, json.dumps(last, sort_keys=True), total())
            rows = []
        kind, last = page_kind, cursor
        rows.extend(page_rows)
        if not page_rows or len(rows) >= size:
            yield Batch(kind, rows, json.dumps(last, sort_keys=True), total())
            rows = []
    if rows:
        yield Batch(kind, rows, json.dumps(last, sort_keys=True), total())
