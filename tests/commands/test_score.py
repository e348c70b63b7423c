"""`retention-bot score` and `model fit` on real stores: parameters from raw
CDNOW orders, idempotence, follow-ups opened once and closed as won back,
the rules fallback, and an empty store."""

import json
import re
import shutil
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from analytics.quiet import OWN_GAP, REASON_CODES, STORE_GAP, QuietReason
from bot.cli import main
from commands import answer
from commands.blocks import limit_problems
from commands.core import Context
from commands.frames import forget_order_frames, order_frame_at_hand
from commands.scoring import run_score
from commands.value_parts import reason_sentence
from storage import open_db
from storage.importer import import_file
from storage.settings import MODEL_META, load_meta
from tests.support.stores import CDNOW, ZONES, dump, write_csv

CALIBRATION_END = date(1997, 9, 30)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("as_of_place", ["global", "command"])
def test_model_fit_from_raw_cdnow_gives_the_published_parameters(cdnow_path, as_of_place):
    args = ["model", "fit", "--unit", "weeks", "--json"]
    args = (
        ["--as-of", "1997-09-30", *args] if as_of_place == "global" else [*args[:2], "--as-of", "1997-09-30", *args[2:]]
    )
    fit = json.loads(cli("--db", cdnow_path, *args))
    bg, gg = fit["bgnbd"], fit["gamma_gamma"]
    assert fit["model"] == "bgnbd+gg" and fit["time_unit"] == "weeks"
    assert (fit["customers"], fit["repeat_buyers"]) == (2357, 946)
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert all(
        isinstance(v, float) for v in (*bg.values(), gg["p"], gg["q"], gg["gamma"]) if not isinstance(v, bool | int)
    )
    days = json.loads(cli("--db", cdnow_path, "model", "fit", "--as-of", "1997-09-30", "--json"))
    assert days["time_unit"] == "days" and days["bgnbd"]["alpha"] == pytest.approx(7 * bg["alpha"])


@pytest.mark.parametrize("zone", ZONES)
def test_the_published_fit_holds_in_every_workspace_time_zone(tmp_path, zone):
    """The zone is set before the date-only CDNOW import, so each order is
    local midnight there: the purchase days, and so the fit, are the same in
    every zone (a unit mix-up in the day arithmetic made them garbage)."""
    store = tmp_path / "cdnow.db"
    cli("--db", store, "config", "timezone", zone)
    cli("--db", store, "import", "orders", CDNOW)
    fit = json.loads(cli("--db", store, "--as-of", "1997-09-30", "model", "fit", "--unit", "weeks", "--json"))
    bg = fit["bgnbd"]
    assert (fit["customers"], fit["repeat_buyers"]) == (2357, 946)
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    db = open_db(store, create=False)
    try:
        run = run_score(Context(db, as_of=CALIBRATION_END, now=NOW))
        assert run.customers == 2357 and run.model["model"] == "bgnbd+gg"
        reasons = db.execute("SELECT reason_code, tenure_days - recency_days FROM customer_scores WHERE quiet = 1")
        quiet = reasons.fetchall()
        assert quiet and all(code in REASON_CODES and 0 <= days <= 272 for code, days in quiet)
        assert db.execute("SELECT MAX(revenue_12m) FROM customer_scores").fetchone()[0] > 0
    finally:
        db.conn.close()


def test_model_fit_text_names_the_model(cdnow_path):
    out = cli("--db", cdnow_path, "model", "fit", "--as-of", "1997-09-30", "--unit", "weeks")
    assert "Model: bgnbd+gg — BG/NBD + Gamma-Gamma fitted on 2,357 customers (946 repeat buyers)" in out
    assert "r = 0.2426, alpha = 4.4136, a = 0.7929, b = 2.4259" in out


def test_score_twice_for_the_same_day_changes_nothing(cdnow_path, cdnow_db):
    first = json.loads(cli("--db", cdnow_path, "--as-of", "1997-09-30", "score", "--json"))
    assert first["customers"] == 2357 and first["model"]["model"] == "bgnbd+gg"
    assert first["quiet"] == first["newly_quiet"] == first["followups_opened"] > 0
    before = dump(cdnow_db)
    second = json.loads(cli("--db", cdnow_path, "--as-of", "1997-09-30", "score", "--json"))
    assert (second["newly_quiet"], second["followups_opened"], second["won_back"]) == (0, 0, 0)
    assert (first["scores_written"], second["scores_written"]) == (2357, 0)  # the same snapshot is not rewritten
    assert dump(cdnow_db) == before
    rows = cdnow_db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT customer_id), MIN(opened_at), MAX(opened_at), "
        "SUM(rep_id IS NULL), MIN(value_at_open) > 0 FROM followups WHERE state = 'open'"
    ).fetchone()
    assert rows == (first["quiet"], first["quiet"], "1997-10-01T00:00:00Z", "1997-10-01T00:00:00Z", first["quiet"], 1)
    scored = cdnow_db.execute("SELECT COUNT(*), SUM(quiet), MAX(as_of) FROM customer_scores").fetchone()
    assert scored == (2357, first["quiet"], "1997-09-30")


def test_a_changed_setting_or_day_rewrites_the_scores_it_changes(cdnow_path, cdnow_db):
    """The snapshot is skipped only when every value in it is the same: a
    stricter high-value cut changes flags and reasons, a later day every
    customer's age."""
    cli("--db", cdnow_path, "--as-of", "1997-09-30", "score", "--json")
    cli("--db", cdnow_path, "config", "high_value_pct", "5")
    stricter = json.loads(cli("--db", cdnow_path, "--as-of", "1997-09-30", "score", "--json"))
    assert stricter["scores_written"] == 2357
    quiet = cdnow_db.execute(
        "SELECT COUNT(*), SUM(reason_code IS NOT NULL) FROM customer_scores WHERE quiet = 1"
    ).fetchone()
    assert quiet == (stricter["quiet"], stricter["quiet"]) and 0 < stricter["quiet"] < 2357 * 0.05
    later = json.loads(cli("--db", cdnow_path, "--as-of", "1997-10-01", "score", "--json"))
    assert later["scores_written"] == 2357
    assert cdnow_db.execute("SELECT MIN(as_of), MAX(as_of) FROM customer_scores").fetchone() == ("1997-10-01",) * 2
    assert json.loads(cli("--db", cdnow_path, "--as-of", "1997-10-01", "score", "--json"))["scores_written"] == 0


def test_a_new_order_imported_for_a_quiet_customer_wins_them_back(cdnow_db, tmp_path):
    run_score(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW))
    # A quiet customer who, in the sample, never ordered after the calibration period.
    cid = cdnow_db.execute(
        "SELECT s.customer_id FROM customer_scores s WHERE s.quiet = 1 AND NOT EXISTS ("
        "SELECT 1 FROM orders o WHERE o.customer_id = s.customer_id AND o.ordered_at >= '1997-10-01') "
        "ORDER BY s.predicted_clv_12m DESC LIMIT 1"
    ).fetchone()[0]
    new = tmp_path / "new.csv"
    new.write_text(f"id,customer_id,ordered_at,amount\nnew-1,{cid},1997-10-15,42.50\n")
    report = import_file(cdnow_db, "orders", new, now=NOW)
    assert report.won_back == 1
    state, note = cdnow_db.execute("SELECT state, note FROM followups WHERE customer_id = ?", [cid]).fetchone()
    assert (state, note) == ("won_back", "ordered again on 1997-10-15")
    again = run_score(Context(cdnow_db, as_of=date(1997, 10, 31), now=NOW))
    assert cdnow_db.execute("SELECT COUNT(*) FROM followups WHERE customer_id = ?", [cid]).fetchone()[0] == 1
    assert cdnow_db.execute("SELECT quiet FROM customer_scores WHERE customer_id = ?", [cid]).fetchone()[0] == 0
    assert again.won_back > 0  # others, who ordered in October in the sample itself


def test_the_next_score_marks_won_back_those_who_ordered_since(cdnow_db):
    run_score(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW))
    ordered_since = {
        r[0]
        for r in cdnow_db.execute(
            "SELECT DISTINCT f.customer_id FROM followups f JOIN orders o ON o.customer_id = f.customer_id "
            "WHERE o.ordered_at >= '1997-10-01' AND o.ordered_at < '1998-01-01'"
        )
    }
    assert ordered_since
    run = run_score(Context(cdnow_db, as_of=date(1997, 12, 31), now=NOW))
    won = {r[0] for r in cdnow_db.execute("SELECT customer_id FROM followups WHERE state = 'won_back'")}
    assert won == ordered_since and run.won_back == len(won)
    closed = cdnow_db.execute("SELECT DISTINCT closed_at FROM followups WHERE state = 'won_back'").fetchall()
    assert closed == [("2026-11-23T09:00:00Z",)]


def _small_store(db, tmp_path, repeat_buyers=50, customers=300):
    lines = ["id,customer_id,ordered_at,amount"]
    for i in range(customers):
        lines.append(f"o{i}a,c{i},2026-01-{1 + i % 28:02d},{20 + i % 50}.00")
        if i < repeat_buyers:
            lines.append(f"o{i}b,c{i},2026-03-{1 + i % 28:02d},{30 + i % 40}.00")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    import_file(db, "orders", path, now=NOW)


def test_a_store_with_50_repeat_buyers_uses_rules_and_says_so(fresh_db, db_path, tmp_path):
    _small_store(fresh_db, tmp_path)
    fit = json.loads(cli("--db", db_path, "--as-of", "2026-06-30", "model", "fit", "--json"))
    assert fit["model"] == "rules" and fit["bgnbd"] is None and fit["repeat_buyers"] == 50
    assert fit["reason"].startswith("rules: only 50 repeat buyers, the model needs at least 200")
    out = cli("--db", db_path, "--as-of", "2026-06-30", "score")
    assert "Model: rules: only 50 repeat buyers" in out
    a = answer(Context(fresh_db, as_of=date(2026, 6, 30)), "at-risk")
    assert a.data["model"]["model"] == "rules" and limit_problems(a.message) == []
    assert "rules: only 50 repeat buyers" in json.dumps(a.message)
    assert a.data["customers"] and all(c["p_alive"] is None for c in a.data["customers"])
    assert all("P(alive)" not in c["reason"] and "12-month revenue" in c["reason"] for c in a.data["customers"])


def test_an_empty_store_gets_friendly_answers(fresh_db, db_path):
    out = cli("--db", db_path, "score")
    assert "nothing to score" in out and "import orders" in out
    for text in ("at-risk", "top", "customer acme"):
        a = answer(Context(fresh_db, now=NOW), text)
        assert "No orders yet" in json.dumps(a.message), text
        assert limit_problems(a.message) == []
    fit = json.loads(cli("--db", db_path, "model", "fit", "--json"))
    assert fit["model"] == "rules" and fit["customers"] == 0


def test_not_at_risk_keeps_a_customer_out_of_at_risk_and_new_follow_ups(cdnow_db):
    from datetime import timedelta

    from storage.followup_actions import dismiss, load_open_followup
    from storage.scores import open_followups

    run_score(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW))
    at_risk = answer(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW), "at-risk 50").data
    top = at_risk["customers"][0]["customer_id"]
    dismiss(cdnow_db, load_open_followup(cdnow_db, top).id, "U0MGR", NOW, 90)
    later = NOW + timedelta(days=1)
    again = answer(Context(cdnow_db, as_of=CALIBRATION_END, now=later), "at-risk 50").data
    assert top not in [c["customer_id"] for c in again["customers"]]
    assert again["total"] == at_risk["total"] - 1
    # Opening is refused while the silence lasts, allowed once it is over.
    assert open_followups(cdnow_db, [(top, 100.0)], "1997-10-02T00:00:00Z", "2026-08-25T09:00:00Z") == 0
    # The next score, still within the silence: the customer is quiet but gets no follow-up.
    run_score(Context(cdnow_db, as_of=CALIBRATION_END, now=later))
    assert load_open_followup(cdnow_db, top) is None
    # 91 days on, still quiet: the silence is over and the customer is back in front of the rep.
    run_score(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW + timedelta(days=91)))
    assert cdnow_db.execute("SELECT quiet FROM customer_scores WHERE customer_id = ?", [top]).fetchone()[0] == 1
    assert load_open_followup(cdnow_db, top) is not None
    assert top in [
        c["customer_id"]
        for c in answer(Context(cdnow_db, as_of=CALIBRATION_END, now=NOW + timedelta(days=91)), "at-risk 50").data[
            "customers"
        ]
    ]


def test_one_purchase_customers_say_so_instead_of_a_bare_p_alive(cdnow_db):
    """BG/NBD gives P(alive) 100% to anyone with one purchase day, however
    long ago: that is the model's limit, not news, and every list says so."""
    run_score(Context(cdnow_db, as_of=date(1998, 6, 30), now=NOW))
    (single, p, quiet_days) = cdnow_db.execute(
        "SELECT customer_id, p_alive, tenure_days FROM customer_scores WHERE frequency = 0 "
        "ORDER BY tenure_days DESC LIMIT 1"
    ).fetchone()
    assert p == 1.0 and quiet_days > 400  # what the model says, about someone gone for over a year
    shown = json.dumps(answer(Context(cdnow_db, as_of=date(1998, 6, 30)), f"customer {single}").message)
    assert "one purchase so far" in shown and "P(alive) 100%" not in shown and "100%" not in shown
    top = json.dumps(answer(Context(cdnow_db, as_of=date(1998, 6, 30)), "top 50").message)
    assert "P(alive) 100%" not in top
    reason = reason_sentence(QuietReason(STORE_GAP, 30.0, 175, 1.0, 0, True, 100.0, 10.0), "USD")
    assert "one purchase so far" in reason and "P(alive)" not in reason
    repeat = reason_sentence(QuietReason(OWN_GAP, 30.0, 90, 0.31, 4, True, 100.0, 10.0), "USD")
    assert "P(alive) 31%" in repeat


def test_score_writes_only_between_the_last_score_and_today(cdnow_path):
    """`--as-of 2027-06-30 score`, seven months past the data, used to open
    follow-ups and credit wins that never happened."""
    runner = CliRunner()
    future = runner.invoke(main, ["--db", str(cdnow_path), "--as-of", "2099-06-30", "score"])
    assert future.exit_code == 2 and "that is after today" in future.output
    cli("--db", cdnow_path, "--as-of", "1998-06-30", "score")
    before = json.loads(cli("--db", cdnow_path, "--as-of", "1998-06-30", "ask", "followups all", "--json"))
    earlier = runner.invoke(main, ["--db", str(cdnow_path), "--as-of", "1997-09-30", "score"])
    assert earlier.exit_code == 2 and "the stored scores are as of 1998-06-30" in earlier.output
    assert "model fit --as-of" in earlier.output
    cli("--db", cdnow_path, "config", "calendar", "persian")  # the days in the workspace calendar, its digits
    fa = runner.invoke(main, ["--db", str(cdnow_path), "--language", "fa", "--as-of", "1997-09-30", "score"])
    assert fa.exit_code == 2 and "۱۳۷۷/۰۴/۰۹" in fa.output and "1998" not in fa.output, fa.output
    hy = runner.invoke(main, ["--db", str(cdnow_path), "--language", "hy", "--as-of", "2099-06-30", "score"])
    assert hy.exit_code == 2 and "1478/04/10" in hy.output and "2099" not in hy.output, hy.output
    cli("--db", cdnow_path, "config", "calendar", "gregorian")
    again = cli("--db", cdnow_path, "--as-of", "1998-06-30", "score")
    assert "0 follow-ups opened, 0 won back" in again
    after = json.loads(cli("--db", cdnow_path, "--as-of", "1998-06-30", "ask", "followups all", "--json"))
    assert after == before


def test_score_dry_run_says_what_would_change_and_writes_nothing(cdnow_path):
    db = open_db(cdnow_path)
    try:
        before = dump(db)
    finally:
        db.conn.close()
    out = cli("--db", cdnow_path, "--as-of", "1998-06-30", "score", "--dry-run")
    assert "Would score 2,357 customers as of 1998-06-30" in out and "Dry run: nothing was written." in out
    would = int(re.search(r"([\d,]+) follow-ups would be opened", out).group(1).replace(",", ""))
    db = open_db(cdnow_path)
    try:
        assert dump(db) == before
    finally:
        db.conn.close()
    real = cli("--db", cdnow_path, "--as-of", "1998-06-30", "score")
    assert f"{would:,} follow-ups opened" in real and would > 0


def test_model_fit_speaks_the_workspace_language(cdnow_path):
    """A scored Persian workspace: `model fit` says the model, whom it was
    fitted on (the day in the Persian calendar) and its parameters in
    Persian digits, Latin symbols isolated; --language hy in Armenian."""
    cli("--db", cdnow_path, "config", "language", "fa")
    cli("--db", cdnow_path, "--as-of", "1997-09-30", "score")
    fa = cli("--db", cdnow_path, "model", "fit", "--as-of", "1997-09-30", "--unit", "weeks").splitlines()
    assert fa == [
        "مدل: \u2066BG/NBD + Gamma-Gamma\u2069، برازش‌شده روی ۲٬۳۵۷ مشتری (۹۴۶ خریدار تکراری) تا تاریخ ۱۳۷۶/۰۷/۰۸",
        "۲٬۳۵۷ مشتری، ۹۴۶ خریدار تکراری، تا تاریخ ۱۳۷۶/۰۷/۰۸",
        "\u2066BG/NBD\u2069 (بر حسب هفته): \u2066r\u2069 = ۰٫۲۴۲۶، \u2066α\u2069 = ۴٫۴۱۳۶، \u2066a\u2069 = ۰٫۷۹۲۹، "
        "\u2066b\u2069 = ۲٫۴۲۵۹، لگاریتم درست‌نمایی \u2068\u200e−۹٬۵۸۲٫۴۳\u2069",
        "\u2066Gamma-Gamma\u2069: \u2066p\u2069 = ۶٫۲۴۹۶، \u2066q\u2069 = ۳٫۷۴۴۲، \u2066γ\u2069 = ۱۵٫۴۴۳۵",
    ]
    hy = cli("--db", cdnow_path, "--language", "hy", "model", "fit", "--as-of", "1997-09-30").splitlines()
    assert hy[1:] == [
        "2\u00a0357 հաճախորդ, 946 կրկնակի գնորդ, 1376/07/08-ի դրությամբ",
        "BG/NBD (օրերով)՝ r = 0,2426, α = 30,8952, a = 0,7929, b = 2,4259, ճշմարտանմանության լոգարիթմ՝ -14\u00a0363,53",
        "Gamma-Gamma՝ p = 6,2496, q = 3,7442, γ = 15,4435",
    ]
    assert hy[0].startswith("Մոդել՝ BG/NBD + Gamma-Gamma, գնահատված 2\u00a0357 հաճախորդի վրա")


def test_model_fit_under_rules_in_persian_says_why(fresh_db, db_path, tmp_path):
    _small_store(fresh_db, tmp_path)
    out = cli("--db", db_path, "--language", "fa", "--as-of", "2026-06-30", "model", "fit").splitlines()
    assert out == [
        "مدل: قاعده‌ها — فقط ۵۰ خریدار تکراری داریم و مدل دست‌کم ۲۰۰ لازم دارد؛ ارزش = درآمد ۱۲ ماه گذشته، "
        "کم‌پیدا = فقط بر پایهٔ فاصلهٔ سفارش‌ها",
        "۳۰۰ مشتری، ۵۰ خریدار تکراری، تا تاریخ ۲۰۲۶-۰۶-۳۰",
    ]


def _imported(store, zone, files):
    """A store as the operator makes one: zone set, files imported by the
    CLI (which saves the order frame next to the store)."""
    cli("--db", store, "config", "timezone", zone)
    for kind, path in files:
        cli("--db", store, "import", kind, path)
    return store


def _scored(store, as_of):
    db = open_db(store, create=False)
    try:
        road = "frame" if order_frame_at_hand(db) is not None else "index"
        run = run_score(Context(db, as_of=as_of, now=NOW)).to_dict()
        del run["seconds"]
        tables = {
            "scores": db.execute("SELECT rowid, * FROM customer_scores ORDER BY rowid").fetchall(),
            "followups": db.execute("SELECT * FROM followups ORDER BY id").fetchall(),
            "model": load_meta(db, MODEL_META),
        }
        return road, run, tables
    finally:
        db.conn.close()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "Australia/Lord_Howe"])
@pytest.mark.parametrize("data", ["cdnow", "ties"])
def test_a_score_from_the_saved_order_frame_writes_what_the_index_gives(tmp_path, zone, data):
    """A score reads the order frame the import saved when it is the store's
    content (milliseconds), else the orders index: the very same scores,
    follow-ups (ids and all) and fit, bit for bit. Edge cases: customers
    imported out of id order ('10' sorts before '9'), one without orders,
    one with only a refund, three orders at one instant whose sum depends
    on the order they are added in, orders after the as-of day."""
    if data == "cdnow":
        files, as_of = [("orders", CDNOW)], CALIBRATION_END
    else:
        customers = write_csv(
            tmp_path / "customers.csv",
            ["id", "name"],
            [("b", "B"), ("10", "Ten"), ("9", "Nine"), ("a", "A"), ("c", "No orders"), ("d", "Refund only")],
        )
        rows = [("a-tie-3", "a", "2026-03-01T09:30:00Z", 0.3, "paid")]
        rows += [("a-tie-1", "a", "2026-03-01T09:30:00Z", 0.1, "paid")]
        rows += [("a-tie-2", "a", "2026-03-01T09:30:00Z", 0.2, "paid")]
        rows += [(f"a{i}", "a", f"2026-0{i}-15T23:50:00Z", 10 + i, "paid") for i in range(4, 9)]
        rows += [(f"b{i}", "b", f"2026-0{i}-02T00:10:00Z", 99.99, "paid") for i in range(1, 9)]
        rows += [("10a", "10", "2026-02-10T12:00:00Z", 5, "paid"), ("10b", "10", "2026-06-10T12:00:00Z", 7, "paid")]
        rows += [("9a", "9", "2026-01-05T08:00:00Z", 40, "paid"), ("9late", "9", "2026-10-01T08:00:00Z", 40, "paid")]
        rows += [("d1", "d", "2026-04-01T08:00:00Z", 12, "refunded")]
        orders = write_csv(tmp_path / "orders.csv", ["id", "customer_id", "ordered_at", "amount", "status"], rows)
        files, as_of = [("customers", customers), ("orders", orders)], date(2026, 8, 31)
    framed = _imported(tmp_path / "framed.db", zone, files)
    plain = _imported(tmp_path / "plain.db", zone, files)
    shutil.rmtree(f"{plain}.frame")
    forget_order_frames()
    road, run, tables = _scored(framed, as_of)
    plain_road, plain_run, plain_tables = _scored(plain, as_of)
    assert (road, plain_road) == ("frame", "index")
    assert run == plain_run and tables == plain_tables
    assert run["customers"] == (2357 if data == "cdnow" else 4) and tables["scores"][0][1] != "c"
