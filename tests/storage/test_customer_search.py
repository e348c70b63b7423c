"""Customer search off the trigram index (storage.customer_search): the
customers a `LIKE '%…%'` scan finds, in the same order, kept current by
every write that changes a name, company or email — and checked against
SQLite's own integrity check of the index after each."""

import pytest

from storage import open_db
from storage.customer_search import SEARCH, has_search
from storage.lookup import find_customer_id, find_customers
from storage.queries import Filters
from tests.support.stores import build_store, import_rows

CUSTOMERS = [
    ("c1", "Nora Xu", "Iron Labs", "Enterprise", "", ""),
    ("c2", "Aram Petrosyan", "Ararat Trade", "SMB", "", ""),
    ("c3", "Leila Ahmadi", "Pars Co", "SMB", "", ""),
    ("c4", "Nora Xuan", "Xu & Sons", "Enterprise", "", ""),
    ("c5", "Արամ Սարգսյան", "Երևան ՍՊԸ", "SMB", "", ""),
    ("c6", 'Zoe "Z" 100%_Real', "Quote Corp", "SMB", "", ""),
]
ORDERS = [
    ("o1", "c1", "2026-01-10T10:00:00Z", 50, "paid"),
    ("o2", "c4", "2026-01-11T10:00:00Z", 500, "paid"),
    ("o3", "c2", "2026-01-12T10:00:00Z", 20, "paid"),
]
QUERIES = ["nora", "NORA XU", "xu", "labs", "ara", "example", "ahmadi@", "zz", "100%_", 'Z"', "Real", "nobody here"]
QUERIES += ["\x0000", "nora\x00", '"nora"', "nora OR xu", "nora*", "(nora)", "NEAR(nora xu)", "-xu", "a:b"]


def _intact(db) -> None:
    db.execute(f"INSERT INTO {SEARCH} ({SEARCH}) VALUES ('integrity-check')")  # raises when the index and rows differ


def _scanned(db, text: str, filters: Filters | None = None) -> list[str]:
    """The reference: the LIKE scan search always was."""
    where, args = (filters or Filters()).where()
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [
        r[0]
        for r in db.execute(
            f"SELECT c.id FROM customers c WHERE {where} AND (c.name LIKE :like ESCAPE '\\' OR "
            "c.company LIKE :like ESCAPE '\\' OR c.email LIKE :like ESCAPE '\\') ORDER BY c.revenue DESC, c.id",
            {**args, "like": like},
        )
    ]


@pytest.fixture
def db(tmp_path):
    db = build_store(tmp_path / "store.db", customers=CUSTOMERS, orders=ORDERS)
    for cid, name, *_ in CUSTOMERS:
        email = f"{cid}.{name.split()[0].lower()}@example.com"
        db.execute("UPDATE customers SET email = ? WHERE id = ?", [email, cid])
    yield db
    db.conn.close()


def test_search_finds_what_the_scan_finds_in_the_same_order(db):
    assert has_search(db)
    _intact(db)
    for text in QUERIES:
        found = [r["id"] for r in find_customers(db, text, limit=10)]
        assert found == _scanned(db, text), text
    assert [r["id"] for r in find_customers(db, "nora")] == ["c4", "c1"]  # the bigger spender first
    segment = Filters(segment="SMB")
    assert [r["id"] for r in find_customers(db, "ara", segment)] == _scanned(db, "ara", segment) == ["c2"]


def test_search_folds_case_in_every_script(db):
    """LIKE folds ASCII only; the index finds `Արամ` for `ԱՐԱՄ`."""
    assert [r["id"] for r in find_customers(db, "ԱՐԱՄ")] == ["c5"]
    assert [r["id"] for r in find_customers(db, "երևան")] == ["c5"]


def test_exact_ids_emails_and_names_still_win(db):
    assert [r["id"] for r in find_customers(db, "c3")] == ["c3"]
    assert [r["id"] for r in find_customers(db, "C1.NORA@EXAMPLE.COM")] == ["c1"]
    assert find_customer_id(db, "c1.nora@example.com") == "c1"
    assert find_customer_id(db, "leila ahmadi") == "c3"
    assert find_customer_id(db, "Nora") is None  # a part names nobody exactly


def test_every_write_keeps_the_index_current(db, tmp_path):
    import_rows(db, tmp_path, "customers", ["id", "name", "company"], [("c1", "Nora Lindqvist", "Steel Labs")])
    _intact(db)
    assert [r["id"] for r in find_customers(db, "lindqvist")] == ["c1"]
    assert find_customers(db, "nora xu ") == find_customers(db, "nora xu") != []  # c4 (Nora Xuan) still
    assert "c1" not in [r["id"] for r in find_customers(db, "iron")]
    header = ["id", "customer_id", "ordered_at", "amount", "status", "customer_name", "company"]
    import_rows(db, tmp_path, "orders", header, [("o9", "c7", "2026-02-01T10:00:00Z", 5, "paid", "Vahe Grigoryan", "")])
    _intact(db)
    assert [r["id"] for r in find_customers(db, "grigor")] == ["c7"]
    db.execute("UPDATE customers SET revenue = revenue + 1, owner_rep_id = NULL")  # not indexed: no rewrite
    db.execute("DELETE FROM customers WHERE id = 'c6'")
    _intact(db)
    assert find_customers(db, "quote corp") == []
    for text in QUERIES:
        assert [r["id"] for r in find_customers(db, text, limit=10)] == _scanned(db, text), text


def test_a_first_load_indexes_every_customer_once(tmp_path):
    rows = [(f"k{i}", f"Name {i:04d}", f"Company {i % 7}", "SMB", "", "") for i in range(3000)]
    db = build_store(tmp_path / "big.db", customers=rows)
    _intact(db)
    assert [r["id"] for r in find_customers(db, "name 0042")] == ["k42"]
    assert len(find_customers(db, "company 3", limit=1000)) == len(_scanned(db, "company 3")) == 429
    triggers = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers'")
    assert triggers.fetchone()[0] == 3  # put back after the load
    db.conn.close()


def test_a_store_from_before_the_index_gets_it_with_its_customers(db, db_path):
    """What an upgrade does: m015 indexes the customers already there."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    for name in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER {SEARCH}_{name}")
    db.execute(f"DROP TABLE {SEARCH}")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm015_customer_search'")
    db.conn.commit()
    db.conn.close()
    again = open_db(path)
    try:
        assert has_search(again)
        _intact(again)
        assert [r["id"] for r in find_customers(again, "petros")] == ["c2"]
    finally:
        again.conn.close()


def test_a_write_that_leaves_the_text_as_it_was_leaves_the_index_alone(db, tmp_path):
    """A file without emails sets each customer's email to itself: the index
    (its every block) stays as it was."""
    blocks = db.execute(f"SELECT * FROM {SEARCH}_data ORDER BY id").fetchall()
    import_rows(db, tmp_path, "customers", ["id", "segment"], [(cid, "SMB") for cid, *_ in CUSTOMERS])
    db.execute("UPDATE customers SET name = name, revenue = revenue + 1")
    assert db.execute(f"SELECT * FROM {SEARCH}_data ORDER BY id").fetchall() == blocks
    _intact(db)


def test_a_store_without_the_index_scans_and_writes_as_before(db, tmp_path):
    """A store migrated where SQLite had no trigram tokenizer has no index:
    search scans (the same answers) and writes to customers need none."""
    for name in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER {SEARCH}_{name}")
    db.execute(f"DROP TABLE {SEARCH}")
    assert not has_search(db)
    import_rows(db, tmp_path, "customers", ["id", "name"], [("c1", "Nora Lindqvist"), ("c8", "Sona Hakobyan")])
    for text in [*QUERIES, "lindqvist", "hakob"]:
        assert [r["id"] for r in find_customers(db, text, limit=10)] == _scanned(db, text), text
    assert find_customer_id(db, "sona hakobyan") == "c8"
