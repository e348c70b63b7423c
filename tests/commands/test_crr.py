"""`crr` end to end: the published CDNOW figures, an independent pandas
recomputation of every quarter, the seed example, usage problems."""

import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from bot.cli import main
from commands import Context, answer
from commands.blocks import limit_problems
from tests.support.stores import CDNOW, IMPORTED_AT, build_store, import_rows

QUARTERS = [f"{y}-Q{q}" for y in (1997, 1998) for q in (1, 2, 3, 4)]


def test_cdnow_crr_1997_q3_json_through_the_cli(cdnow_path):
    r = CliRunner().invoke(
        main, ["--db", str(cdnow_path), "--as-of", "1998-06-30", "ask", "/retention crr 1997-Q3", "--json"]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["period"] == {"start": "1997-07-01", "end": "1997-09-30", "label": "1997-Q3", "to_date": False}
    assert (d["S"], d["E"], d["N"], d["retained"], d["reactivated"]) == (521, 409, 0, 211, 198)
    assert d["crr"] == (409 - 0) / 521 * 100
    assert f"{d['crr']:.4f}" == "78.5029"
    assert d["churn_rate"] == (521 - 211) / 521 * 100
    assert d["previous"]["period"]["label"] == "1997-Q2"
    assert set(d["previous"]) >= {"S", "E", "N", "crr", "retained", "reactivated", "churn_rate"}


def _pandas_quarter(df: pd.DataFrame, first: pd.Series, q: pd.Period, window: int = 90) -> dict:
    """CRR by the definition, straight from the raw file with pandas."""
    start, end = q.start_time.normalize(), q.end_time.normalize()
    day = pd.Timedelta(days=1)
    s = set(df.loc[(df.day >= start - window * day) & (df.day <= start - day), "cid"])
    e = set(df.loc[(df.day >= end - (window - 1) * day) & (df.day <= end), "cid"])
    n = set(first[(first >= start) & (first <= end)].index)
    out = {
        "S": len(s),
        "E": len(e),
        "N": len(n),
        "N_active": len(n & e),
        "retained": len(s & e),
        "reactivated": len(e - s - n),
    }
    out["crr"] = (len(e) - len(n & e)) / len(s) * 100 if s else None
    out["churn_rate"] = (len(s) - len(s & e)) / len(s) * 100 if s else None
    in_q = df[(df.day >= start) & (df.day <= end)]
    out.update(orders=len(in_q), revenue=round(float(in_q.amount.sum()), 2), customers=in_q.cid.nunique())
    return out


@pytest.mark.parametrize("as_of", ["1998-06-30", "1998-12-31"])
def test_every_quarter_agrees_with_an_independent_pandas_computation(cdnow_db, as_of):
    df = pd.read_csv(
        CDNOW, sep=r"\s+", header=None, names=["orig", "cid", "date", "cds", "amount"], dtype={"cid": str, "date": str}
    )
    df["day"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df = df[df.day <= as_of]
    first = df.groupby("cid").day.min()
    checked = 0
    for label in QUARTERS:
        q = pd.Period(label, freq="Q")
        if q.start_time > pd.Timestamp(as_of):
            continue
        expected = _pandas_quarter(df, first, q)
        got = answer(Context(cdnow_db, as_of=date.fromisoformat(as_of)), f"crr {label}").data
        keys = ("S", "E", "N", "N_active", "retained", "reactivated", "crr", "churn_rate")
        assert {k: got[k] for k in keys} == {k: expected[k] for k in keys}, label
        kpis = answer(Context(cdnow_db, as_of=date.fromisoformat(as_of)), f"kpis {label}").data
        assert (kpis["orders"], kpis["revenue"], kpis["customers"]) == (
            expected["orders"],
            expected["revenue"],
            expected["customers"],
        ), label
        checked += 1
    assert checked == (6 if as_of == "1998-06-30" else 8)


def test_seed_example_through_the_command(tmp_path):
    orders = [(f"o{i}", f"c{i}", "2026-03-01", 100, "paid") for i in range(10)]
    orders += [(f"p{i}", f"c{i}", "2026-06-15", 100, "paid") for i in range(8)]
    db = build_store(tmp_path / "seed.db", orders=orders)
    a = answer(Context(db, as_of=date(2026, 6, 30)), "crr 2026-Q2")
    assert a.ok
    assert {k: a.data[k] for k in ("S", "E", "N", "retained", "reactivated", "crr", "churn_rate")} == {
        "S": 10,
        "E": 8,
        "N": 0,
        "retained": 8,
        "reactivated": 0,
        "crr": 80.0,
        "churn_rate": 20.0,
    }
    body = json.dumps(a.message, ensure_ascii=False)
    assert "CRR = (E − N)/S = (8 − 0)/10 = 80.0%" in body
    assert "*80.0%* customer retention rate" in body
    assert "data to 2026-06-15 · 10 customers · as of 2026-06-30" in body
    assert limit_problems(a.message) == []


def test_new_orders_after_an_import_are_seen_at_once(tmp_path):
    """The order frame is cached per store content: a new import refreshes it."""
    orders = [(f"o{i}", f"c{i}", "2026-03-01", 100, "paid") for i in range(4)]
    db = build_store(tmp_path / "s.db", orders=orders)
    ctx = lambda: Context(db, as_of=date(2026, 6, 30))  # noqa: E731
    assert answer(ctx(), "crr 2026-Q2").data["E"] == 0
    import_rows(
        db,
        tmp_path,
        "orders",
        ["id", "customer_id", "ordered_at", "amount"],
        [("n1", "c1", "2026-06-01", 5), ("n2", "c9", "2026-06-02", 5)],
    )
    d = answer(ctx(), "crr 2026-Q2").data
    assert (d["S"], d["E"], d["N"], d["retained"]) == (4, 2, 1, 1)
    import_rows(
        db,
        tmp_path,
        "orders",
        ["id", "customer_id", "ordered_at", "amount", "status"],
        [("n1", "c1", "2026-06-01", 5, "refunded")],
    )
    assert answer(ctx(), "crr 2026-Q2").data["E"] == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("crr lsat-quarter", "Did you mean `last-quarter`?"),
        ("crr lastquarter", "Did you mean `last-quarter`?"),
        ("crr 30days", "Did you mean `30d`?"),
        ("crr 2030-Q1", "starts after 2026-06-30"),
        ("churn 2026-Q7", "quarters are Q1 to Q4"),
        ("kpis since", "needs one date"),
        ("nps 2026-02-30..2026-03-01", "is not a date"),
    ],
)
def test_period_mistakes_get_a_helpful_answer(fresh_db, text, says):
    a = answer(Context(fresh_db, as_of=date(2026, 6, 30)), text)
    assert not a.ok
    assert says in a.data["error"]
    assert "Usage: `/retention" in a.message["blocks"][0]["text"]["text"]
    assert limit_problems(a.message) == []


@pytest.fixture(scope="module")
def cdnow_master(tmp_path_factory):
    from storage import open_db
    from storage.importer import import_file
    from tests.support.stores import DATA

    db = open_db(tmp_path_factory.mktemp("master") / "master.db")
    import_file(db, "orders", DATA / "CDNOW_master.txt", now=IMPORTED_AT)
    yield db
    db.conn.close()


@pytest.mark.parametrize("period", ["since 1997-01-20", "1997-01-15..1997-06-30", "1997", "1998"])
def test_crr_on_the_cdnow_master_is_never_negative_and_e_adds_up(cdnow_master, period):
    """Periods longer than the 90-day window: most of their new customers
    lapse again before the end. Counted in N, they made CRR −305.7%."""
    d = answer(Context(cdnow_master, as_of=date(1998, 6, 30)), f"crr {period}").data
    assert d["E"] == d["retained"] + d["reactivated"] + d["N_active"]
    if d["S"] == 0:  # 1997: nobody was a customer before it; no rate, not a negative one
        assert d["crr"] is None and period == "1997"
        return
    assert d["crr"] >= 0 and d["crr"] == (d["E"] - d["N_active"]) / d["S"] * 100
    if d["N"]:  # the periods that went negative: new customers who lapsed again
        assert d["N_active"] < d["N"]
        body = json.dumps(
            answer(Context(cdnow_master, as_of=date(1998, 6, 30)), f"crr {period}").message, ensure_ascii=False
        )
        assert f"{d['N'] - d['N_active']:,} of them lapsed again before its end" in body
        assert f"CRR = (E − N still active)/S = ({d['E']:,} − {d['N_active']:,})/{d['S']:,}" in body


def test_e_is_retained_plus_reactivated_plus_new_still_active_every_quarter(cdnow_master):
    for label in QUARTERS[:6]:
        d = answer(Context(cdnow_master, as_of=date(1998, 6, 30)), f"crr {label}").data
        assert d["E"] == d["retained"] + d["reactivated"] + d["N_active"], label
        assert d["crr"] is None if d["S"] == 0 else d["crr"] >= 0


def test_active_has_one_definition_a_contract_ending_at_the_cutoff_is_not_active(tmp_path):
    """The summary used to count a contract ending exactly at the cutoff as
    active (SQL `>=`) while crr and kpis did not (`>`)."""
    from tests.support.stores import build_store

    orders = [("o1", "c1", "2026-06-20", 100, "paid"), ("o2", "c2", "2026-06-20", 100, "paid")]
    db = build_store(
        tmp_path / "ends.db",
        orders=orders,
        customers=[("c1", "Ann", None, None, None, "2026-07-01"), ("c2", "Bo", None, None, None, None)],
    )
    as_of = date(2026, 6, 30)  # its cutoff is 2026-07-01T00:00:00Z, when c1's contract ends
    summary = answer(Context(db, as_of=as_of), "").data
    crr = answer(Context(db, as_of=as_of), "crr 2026-06").data
    assert summary["active_customers"] == crr["E"] == 1
