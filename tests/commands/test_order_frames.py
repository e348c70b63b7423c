"""The order frame without a cold start: saved next to the store and mapped
by the next process, checked against the store's content, and — while the
bot serves — rebuilt in the background once per import, with every request
meanwhile answered from the previous version, never made to wait."""

import itertools
import subprocess
import sys
import threading
from datetime import date

import numpy as np
import pytest

import commands.frames
from analytics.kpis import Scope, compute_feedback
from commands import Context, answer
from commands.frames import SAVED, OrderFrames, _as_columns, build_order_frame, customer_totals, feedback_counts
from storage import open_db
from storage.frame_files import building, load_columns, write_columns
from storage.order_columns import content_key
from storage.queries import Filters, load_customer_totals, load_feedback, load_filter_rowids
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store, write_csv

REPS = [("U1", "Uma"), ("U2", "Ugo")]

DAY = date(2026, 7, 31)
MAY = "kpis 2026-05-01..2026-05-31"  # 3 counted orders in the small store


def must_not_build(db):
    raise AssertionError("a saved frame should have been used, not a new one built")


class HeldBuilder:
    """The real builder, counted, which a test can hold at its start."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.go.set()
        self.started = threading.Event()
        self.calls = 0

    def __call__(self, db):
        self.calls += 1
        self.started.set()
        assert self.go.wait(60), "the test never released the builder"
        return build_order_frame(db)


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "small.db"
    build_store(path, orders=ORDERS, customers=CUSTOMERS).conn.close()
    return path


@pytest.fixture
def serving(monkeypatch):
    """This process serves as `retention-bot run` does: rebuilds in the background."""
    builder = HeldBuilder()
    frames = OrderFrames(builder, background=True)
    monkeypatch.setattr(commands.frames, "FRAMES", frames)
    yield frames, builder
    builder.go.set()
    assert frames.wait(60)


def _may_orders(db) -> int:
    a = answer(Context(db, as_of=DAY), MAY)
    assert a.ok, a.message
    return a.data["orders"]


def _import_with_the_cli(store, tmp_path, rows) -> subprocess.CompletedProcess:
    """`retention-bot import orders` in its own process, beside the serving
    one: it saves the new content's frame after its commit."""
    csv = write_csv(tmp_path / "more.csv", ["id", "customer_id", "ordered_at", "amount", "status"], rows)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(store), "import", "orders", str(csv)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli_import(store, kind, csv) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(store), "import", kind, str(csv)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _frame_files(store) -> dict[str, bytes]:
    """Every file of the store's saved frames, by path, with its bytes."""
    root = store.parent / f"{store.name}.frame"
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


_IMPORT_ONLY = """
import sys
from datetime import UTC, datetime
from storage import open_db
from storage.importer import import_file
import_file(open_db(sys.argv[1]), "orders", sys.argv[2], now=datetime.now(UTC))
"""


def _import_leaving_no_frame(store, tmp_path, rows) -> None:
    """An import in its own process that saves no frame for the new content:
    storage's import alone, as a writer other than the CLI does (or the CLI
    when its save failed), so the serving process must build it."""
    csv = write_csv(tmp_path / "more.csv", ["id", "customer_id", "ordered_at", "amount", "status"], rows)
    subprocess.run([sys.executable, "-c", _IMPORT_ONLY, str(store), str(csv)], check=True, timeout=120)


def test_an_import_while_serving_never_makes_a_request_wait_for_the_rebuild(store, tmp_path, serving):
    frames, builder = serving
    db = open_db(store)
    assert _may_orders(db) == 3  # the first frame of this process (none saved yet): built before answering
    assert builder.calls == 1

    builder.go.clear()  # the next rebuild will hang until released
    builder.started.clear()
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    # Answered while the rebuild is held: from the previous version, at once.
    assert _may_orders(db) == 3
    assert builder.started.wait(60) and builder.calls == 2
    assert _may_orders(db) == 3 and _may_orders(db) == 3  # still the previous one; no second rebuild
    assert builder.calls == 2

    builder.go.set()
    assert frames.wait(60)
    assert _may_orders(db) == 4  # the next request sees the import
    assert builder.calls == 2  # once per import, not per request
    db.conn.close()


def test_a_new_serving_process_answers_from_the_saved_frame_while_it_rebuilds(store, tmp_path, serving):
    """A restart right after an import: the saved frame of the previous
    content is mapped and served, the new one is built in the background."""
    frames, builder = serving
    db = open_db(store)
    assert _may_orders(db) == 3
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    frames.forget()  # as a new process: nothing in memory, the old version on disk
    builder.go.clear()
    builder.started.clear()
    assert _may_orders(db) == 3
    assert builder.started.wait(60)  # the rebuild is under way, held
    assert _may_orders(db) == 3
    builder.go.set()
    assert frames.wait(60)
    assert _may_orders(db) == 4
    assert builder.calls == 2
    db.conn.close()


def test_a_serving_process_leaves_the_build_to_the_process_building_it(store, tmp_path, serving):
    """An import beside the serving bot builds and saves the new content's
    frame after its commit; meanwhile the bot answers from the previous
    version and does not build the same frame itself, then maps the save."""
    frames, builder = serving
    db = open_db(store)
    assert _may_orders(db) == 3 and builder.calls == 1
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    with building(str(store), wait=False) as mine:  # as the import's process holds it while it saves
        assert mine
        for _ in range(3):
            assert _may_orders(db) == 3 and frames.wait(60)
        assert builder.calls == 1
        key, frame = build_order_frame(db)
        write_columns(key[0], key[1], _as_columns(frame))
    assert _may_orders(db) == 4 and builder.calls == 1  # the import's save, mapped
    db.conn.close()


def test_an_import_waits_for_the_bot_building_the_same_frame_and_takes_its_save(store, tmp_path, serving):
    frames, builder = serving
    db = open_db(store)
    assert _may_orders(db) == 3
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    builder.go.clear()
    builder.started.clear()
    assert _may_orders(db) == 3 and builder.started.wait(60)  # the bot's rebuild is under way, held
    prepared: list = []

    def prepare():  # as `retention-bot import` does after its commit, in its own connection
        other = open_db(store)
        try:
            prepared.append(OrderFrames(must_not_build).prepare(other))
        finally:
            other.conn.close()

    cli_like = threading.Thread(target=prepare)
    cli_like.start()
    cli_like.join(0.5)
    assert cli_like.is_alive()  # waiting for the bot's build, not building its own
    builder.go.set()
    cli_like.join(60)
    assert frames.wait(60)
    [done] = prepared
    assert (done.orders, done.seconds) == (len(frames.load(db).ts), 0.0)  # the bot's save
    assert builder.calls == 2
    db.conn.close()


class FailingBuilder:
    """The real builder, counted, which fails (as a full disk or too little
    memory would) while `failing` is set."""

    def __init__(self) -> None:
        self.failing = False
        self.calls = 0

    def __call__(self, db):
        self.calls += 1
        if self.failing:
            raise MemoryError("no room for the order frame")
        return build_order_frame(db)


def test_a_failed_rebuild_is_tried_again_after_a_growing_wait_not_at_every_request(store, tmp_path, monkeypatch):
    """While serving, a rebuild that fails leaves the previous version
    served; the same content is tried again after 1, 2, 4 … minutes (at
    most 15), not at the next request — and at once after a new import."""
    now = [0.0]
    builder = FailingBuilder()
    frames = OrderFrames(builder, background=True, clock=lambda: now[0])
    monkeypatch.setattr(commands.frames, "FRAMES", frames)
    db = open_db(store)
    assert _may_orders(db) == 3 and builder.calls == 1

    builder.failing = True
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])

    def ask(then: float) -> int:
        """The builds a request at time `then` starts (0 or 1), after they end."""
        now[0], calls = then, builder.calls
        assert _may_orders(db) == 3  # the previous version, whatever the rebuild does
        assert frames.wait(60)
        return builder.calls - calls

    tries = [then for then in range(0, 3 * 3600, 30) if ask(then)]
    assert tries[:6] == [0, 60, 180, 420, 900, 1800]  # waits of 1, 2, 4, 8, 15 minutes
    assert all(b - a == 900 for a, b in itertools.pairwise(tries[4:]))

    _import_leaving_no_frame(store, tmp_path, [("m2", "a", "2026-05-11T10:00:00Z", 20, "paid")])
    assert ask(tries[-1] + 30) == 1  # new content: tried at once, not after the wait
    builder.failing = False
    assert ask(tries[-1] + 60) == 0  # still that content's wait
    now[0] = tries[-1] + 90
    assert _may_orders(db) == 3 and frames.wait(60)
    assert _may_orders(db) == 5 and builder.calls == len(tries) + 3
    db.conn.close()


def test_a_new_process_maps_the_saved_frame_instead_of_reading_the_orders(store):
    db = open_db(store)
    built = OrderFrames().load(db)

    mapped = OrderFrames(must_not_build).load(db)
    assert isinstance(mapped.ts, np.memmap) and not mapped.ts.flags.writeable
    for name in commands.frames.COLUMNS:
        np.testing.assert_array_equal(getattr(mapped, name), getattr(built, name))
    assert (store.parent / "small.db.frame").is_dir()
    db.conn.close()


def test_a_frame_at_hand_is_never_built_and_a_mapped_one_is_not_kept(store, tmp_path):
    """What a score asks for: the frame of the store's content if one is
    held or saved (a mapped one not kept: the score reads it once), None
    for other content or none saved, and nothing is built for it."""

    db = open_db(store)
    frames = OrderFrames(must_not_build)
    assert frames.at_hand(db) is None and not (store.parent / "small.db.frame").exists()
    OrderFrames().load(db)  # saved next to the store
    first, second = frames.at_hand(db), frames.at_hand(db)
    assert isinstance(first.ts, np.memmap) and len(first.ts) == len(ORDERS) - 1  # one refunded
    assert first is not second  # mapped each time, not kept
    held = frames.load(db)  # an answer maps and keeps it
    assert frames.at_hand(db) is held
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    assert frames.at_hand(db) is None  # the saved frame is of the content before
    db.conn.close()


def test_a_saved_frame_of_other_content_is_never_used_outside_serving(store, tmp_path):
    """The CLI and tests answer with what was just imported: a changed store is rebuilt first."""
    db = open_db(store)
    OrderFrames().load(db)
    before = content_key(db)
    _import_leaving_no_frame(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    assert content_key(db) != before
    builder = HeldBuilder()
    frame = OrderFrames(builder).load(db)
    assert builder.calls == 1 and len(frame.ts) == len(ORDERS) - 1 + 1  # one refunded, one new
    db.conn.close()


def test_after_an_import_with_the_cli_a_new_process_maps_the_new_frame_without_reading_orders(store, tmp_path):
    """No cold start, even for a store's first answer ever: the import
    saves the new content's frame right after its commit."""
    done = _import_with_the_cli(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    assert "Order data for answers saved (14 orders" in done.stderr  # 13 counted in the small store, one new
    db = open_db(store)
    saved = load_columns(str(store), content_key(db)[1], SAVED)
    assert saved is not None and len(saved["ts"]) == len(ORDERS)

    frames = OrderFrames(must_not_build, background=True)
    frame = frames.load(db)
    assert isinstance(frame.ts, np.memmap) and len(frame.ts) == len(ORDERS)
    db.conn.close()


def test_a_reps_import_keeps_the_saved_frame_and_the_next_answer_shows_the_new_rep(tmp_path):
    """A reps file writes no order, customer or survey answer: `import` saves
    no new frame and every process keeps the one it has, while the caches of
    books and filters (kept by the whole content) see the new rep at once."""
    store = tmp_path / "small.db"
    customers = [*CUSTOMERS, ("i", "Ivy", "Ivo", "SMB", "U3", "")]  # owned by a rep not imported yet
    build_store(store, orders=ORDERS, customers=customers, reps=REPS).conn.close()
    _import_with_the_cli(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    saved = _frame_files(store)
    assert any(name.endswith("ts.npy") for name in saved)
    db = open_db(store)
    team = answer(Context(db, as_of=DAY), "rep")
    assert [r["id"] for r in team.data["reps"]] == ["U2", "U1"]  # by name: Ugo, Uma
    frame = commands.frames.load_order_frame(db)

    done = _cli_import(store, "reps", write_csv(tmp_path / "reps.csv", ["id", "name"], [("U3", "Ulla")]))
    assert "1 added" in done.stdout
    assert "Order data for answers saved" not in done.stderr
    assert _frame_files(store) == saved  # nothing rebuilt, nothing written
    assert commands.frames.load_order_frame(db) is frame  # this process keeps its frame too
    team = answer(Context(db, as_of=DAY), "rep")
    books = {r["id"]: (r["name"], r["customers"]) for r in team.data["reps"]}
    assert books == {"U1": ("Uma", 2), "U2": ("Ugo", 1), "U3": ("Ulla", 1)}
    assert "Ulla" in str(team.message)

    done = _import_with_the_cli(store, tmp_path, [("m2", "c", "2026-05-11T10:00:00Z", 30, "paid")])
    assert "Order data for answers saved" in done.stderr
    after = _frame_files(store)
    assert {name for name in after if name.endswith("key.json")} != {
        name for name in saved if name.endswith("key.json")
    }
    assert _may_orders(db) == 3 + 2  # m1 and m2, from the new frame
    assert commands.frames.load_order_frame(db) is not frame
    db.conn.close()


def test_a_frame_that_cannot_be_saved_leaves_the_import_committed(store, tmp_path):
    (store.parent / "small.db.frame").write_text("not a folder")  # where the frame goes: unwritable
    done = _import_with_the_cli(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    assert done.returncode == 0
    assert "warning: could not save the order data for answers" in done.stderr
    assert "1 added" in done.stdout
    db = open_db(store)
    assert db.execute("SELECT COUNT(*) FROM orders WHERE id = 'm1'").fetchone()[0] == 1
    builder = HeldBuilder()
    frame = OrderFrames(builder).load(db)
    assert builder.calls == 1 and len(frame.ts) == len(ORDERS)  # the first answer builds it, with the new order
    db.conn.close()


def test_damaged_frame_files_are_rebuilt_not_trusted(store):
    db = open_db(store)
    OrderFrames().load(db)
    (version,) = (v for v in (store.parent / "small.db.frame").iterdir() if not v.name.startswith("."))
    (version / "ts.npy").write_bytes(b"not numpy")
    builder = HeldBuilder()
    frame = OrderFrames(builder).load(db)
    assert builder.calls == 1 and len(frame.ts) == len(ORDERS) - 1
    db.conn.close()


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(segment="Enterprise"), Filters(rep_id="U1"), Filters(book=("U1", "U2")), Filters(book=())],
)
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        ("2026-04-02T00:00:00Z", "2026-05-01T00:00:00Z"),  # both ends cut exactly as SQL compares the text
        ("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z"),
        ("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),  # none
    ],
)
def test_survey_counts_from_the_frame_are_the_sql_counts(tmp_path, filters, start, end):
    db = build_store(tmp_path / "s.db", orders=ORDERS, customers=CUSTOMERS, feedback=FEEDBACK, reps=REPS)
    frame = OrderFrames().load(db)
    from_frame = feedback_counts(frame, Scope.build(frame, load_filter_rowids(db, filters)), start, end)
    from_sql = load_feedback(db, start, end, filters)
    assert from_frame.to_dict("records") == from_sql.to_dict("records")
    assert compute_feedback(from_frame) == compute_feedback(from_sql)
    db.conn.close()


def test_store_totals_are_read_once_per_content_and_follow_an_import(store, tmp_path):
    db = open_db(store)
    cutoff = "2026-08-01T00:00:00Z"
    frame = OrderFrames().load(db)
    first = customer_totals(db, frame, cutoff, Filters())
    assert first == load_customer_totals(db, cutoff, Filters())
    assert first["orders"] == len(ORDERS) - 1  # one refunded
    first["orders"] = -1  # a caller's copy: the kept totals stay as read
    assert customer_totals(db, frame, cutoff, Filters())["orders"] == len(ORDERS) - 1
    _import_with_the_cli(store, tmp_path, [("m1", "a", "2026-05-10T10:00:00Z", 20, "paid")])
    frame = OrderFrames().load(db)
    after = customer_totals(db, frame, cutoff, Filters())
    assert after == load_customer_totals(db, cutoff, Filters()) and after["orders"] == len(ORDERS)
    segment = Filters(segment="SMB")
    assert customer_totals(db, frame, cutoff, segment) == load_customer_totals(db, cutoff, segment)
    db.conn.close()


@pytest.mark.parametrize(
    "cutoff",
    # after every order and customer; between two orders; at an order; before the first
    ["2026-08-01T00:00:00Z", "2026-05-10T00:00:00Z", "2026-04-02T10:00:00Z", "2025-01-01T00:00:00Z"],
)
def test_a_mapped_frame_brings_the_store_totals_as_of_any_cutoff_after_its_content(store, cutoff):
    """summary reads the store's totals with the frame (saved beside it) when
    the cutoff is after every order and customer, else from SQL: the same
    totals either way."""
    db = open_db(store)
    frames = OrderFrames()
    frames.load(db)
    frames.forget()  # as a new process: mapped, not built

    mapped = OrderFrames(must_not_build).load(db)
    assert mapped.totals is not None and mapped.totals["after"] < "2026-08-01"
    assert customer_totals(db, mapped, cutoff, Filters()) == load_customer_totals(db, cutoff, Filters())
    assert customer_totals(db, mapped, cutoff, Filters(segment="SMB")) == load_customer_totals(
        db, cutoff, Filters(segment="SMB")
    )
    db.conn.close()


def test_a_mapped_frame_brings_each_customers_revenue_and_newest_order_with_it(store):
    """Saved beside the columns (commands.frames.TOTALS): a new process
    answers rep, churn and the digest without adding up every order first."""
    from analytics.frame import NO_ORDER
    from analytics.kpis import customer_revenue, last_orders_before

    frames = OrderFrames()
    db = open_db(store)
    built = frames.load(db)
    frames.forget()  # as a new process
    mapped = frames.load(db)
    revenue, last = customer_revenue(mapped, NO_ORDER), last_orders_before(mapped, NO_ORDER)
    assert isinstance(revenue, np.memmap) and isinstance(last, np.memmap)  # read from disk, not added up
    assert np.array_equal(revenue, np.bincount(built.cust, weights=built.amount, minlength=built.n_customers))
    assert [int(last[p]) for p in range(built.n_customers)] == [
        int(built.ts[built.cust == p].max()) if (built.cust == p).any() else 0 for p in range(built.n_customers)
    ]
    db.conn.close()
