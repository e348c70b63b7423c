"""The going-quiet reason is stored as a code and figures and said when
read, in the reader's language, digits and currency; stores scored before
that (their reasons were English sentences) are converted on open."""

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from analytics.quiet import NO_GAP, OWN_GAP, STORE_GAP, QuietReason
from bot.cli import main
from commands import answer
from commands.core import Context
from commands.value_parts import model_line, reason_sentence, reason_text
from storage import open_db
from storage.schema import migrations
from storage.settings import MODEL_META, upsert_meta, upsert_setting

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZWNJ = "\u200c"

# 52 days quiet against a usual gap of 18.2 days: 52 / 18.2 = 2.857… → 2.9×;
# P(alive) 0.31 → 31%; top 4.3% → 5%. The store's gap of 45 days against 90
# days quiet: 2.0×; 6% → top 6%.
OWN = QuietReason(OWN_GAP, 18.2, 52, 0.31, 4, True, 4200.0, 4.3)
STORE = QuietReason(STORE_GAP, 45.0, 90, None, 1, False, 1234567.0, 6.0)

SAID = {
    "en": (
        "orders every ~18 days; last order 52 days ago (2.9×); P(alive) 31%; expected 12-month value $4,200; top 5%",
        "too few orders for a rhythm; customers here reorder every ~45 days; last order 90 days ago (2.0×); "
        "12-month revenue 1,234,567 AMD; top 6%",
    ),
    "fa": (
        f"هر ~۱۸ روز یک بار سفارش می{ZWNJ}دهد؛ آخرین سفارش ۵۲ روز پیش (۲٫۹×)؛ احتمال فعال ماندن ۳۱٪؛ "
        f"ارزش پیش{ZWNJ}بینی{ZWNJ}شدهٔ ۱۲ ماه آینده ۴٬۲۰۰ دلار؛ جزو ۵٪ برتر",
        f"سفارش{ZWNJ}ها برای دیدن یک الگو کم است؛ مشتریان اینجا هر ~۴۵ روز یک بار دوباره سفارش می{ZWNJ}دهند؛ "
        "آخرین سفارش ۹۰ روز پیش (۲٫۰×)؛ درآمد ۱۲ ماه گذشته ۱٬۲۳۴٬۵۶۷ درام؛ جزو ۶٪ برتر",
    ),
    "hy": (
        "պատվիրում է մոտ 18 օրը մեկ; վերջին պատվերը՝ 52 օր առաջ (2,9×); ակտիվ մնալու հավանականություն՝ 31%; "
        "սպասվող 12-ամսյա արժեք՝ 4\xa0200 $; լավագույն 5%",
        "պատվերները քիչ են ռիթմ տեսնելու համար; այստեղ հաճախորդները կրկին պատվիրում են մոտ 45 օրը մեկ; "
        "վերջին պատվերը՝ 90 օր առաջ (2,0×); 12 ամսվա եկամուտ՝ 1\xa0234\xa0567 ֏; լավագույն 6%",
    ),
}


@pytest.mark.parametrize("lang", ["en", "fa", "hy"])
def test_a_reason_is_said_from_its_figures_in_each_language(lang):
    own, store = SAID[lang]
    assert reason_text(OWN, "USD", lang) == own
    assert reason_text(STORE, "AMD", lang) == store


def test_the_english_sentence_keeps_its_figures_as_written():
    """A thousand days and more: the old sentence had no grouping in the gap
    and the ratio (and Persian and Armenian answers failed on its grouped
    day counts)."""
    long = QuietReason(STORE_GAP, 1.6, 3262, 1.0, 0, True, 12.5, 19.2)
    assert reason_sentence(long, "EUR") == (
        "too few orders for a rhythm; customers here reorder every ~2 days; last order 3,262 days ago (2038.8×); "
        "one purchase so far; expected 12-month value €12; top 20%"
    )
    assert "آخرین سفارش ۳٬۲۶۲ روز پیش (۲٬۰۳۸٫۸×)" in reason_text(long, "EUR", "fa")
    assert "վերջին պատվերը՝ 3\xa0262 օր առաջ" in reason_text(long, "EUR", "hy")


# Rows as the score run wrote them before m009: each reason an English
# sentence explain() made from the row's own figures.
_OLD_ROWS = [
    # (id, frequency, recency, tenure, p_alive, predicted, value_pct, gap, quiet, reason)
    ("C1", 4, 72, 124, 0.31, 4200.0, 4.3, 18.2, 1, SAID["en"][0]),
    (
        "C2",
        1,
        30,
        120,
        0.2,
        3000.0,
        6.0,
        45.0,
        1,
        "too few orders for a rhythm; customers here reorder every ~45 days; last order 90 days ago (2.0×); "
        "P(alive) 20%; expected 12-month value $3,000; top 6%",
    ),
    (
        "C3",
        0,
        0,
        200,
        1.0,
        2500.0,
        7.5,
        None,
        1,
        "no repeat orders in the store yet; last order 200 days ago; one purchase so far; "
        "expected 12-month value $2,500; top 8%",
    ),
    ("C4", 9, 300, 310, 0.9, 900.0, 40.0, 33.3, 0, None),
]


def test_a_store_scored_before_the_reasons_were_codes_is_converted_on_open(db_path):
    db = Database(db_path)
    migrations.apply(db, stop_before="m009_reason_codes")
    db["customers"].insert_all({"id": r[0], "name": f"Customer {r[0]}"} for r in _OLD_ROWS)
    db["orders"].insert({"id": "O1", "customer_id": "C1", "ordered_at": "2026-09-11T10:00:00Z", "amount": 10.0})
    columns = ("frequency", "recency_days", "tenure_days", "p_alive", "predicted_clv_12m", "value_pct")
    db["customer_scores"].insert_all(
        {
            "customer_id": r[0],
            "as_of": "2026-11-02",
            **dict(zip(columns, r[1:7], strict=True)),
            "revenue_12m": 100.0,
            "expected_orders_90d": 0.5,
            "typical_gap_days": r[7],
            "quiet": r[8],
            "reason": r[9],
        }
        for r in _OLD_ROWS
    )
    upsert_meta(
        db,
        MODEL_META,
        {"model": "bgnbd+gg", "reason": "BG/NBD + Gamma-Gamma fitted on 4 customers", "as_of": "2026-11-02"},
    )
    db.conn.commit()
    db.conn.close()

    db = open_db(db_path)
    assert "reason" not in db["customer_scores"].columns_dict
    codes = db.execute("SELECT customer_id, reason_code FROM customer_scores ORDER BY customer_id").fetchall()
    assert codes == [("C1", OWN_GAP), ("C2", STORE_GAP), ("C3", NO_GAP), ("C4", None)]

    en = answer(Context(db, as_of=date(2026, 11, 2), now=NOW), "at-risk").data["customers"]
    assert [(c["customer_id"], c["reason"]) for c in en] == [(r[0], r[9]) for r in _OLD_ROWS[:3]]
    assert en[2]["why"] == {
        "code": NO_GAP,
        "usual_gap_days": None,
        "days_quiet": 200,
        "p_alive": 1.0,
        "frequency": 0,
        "uses_model": True,
        "value": 2500.0,
        "value_pct": 7.5,
    }
    fa = json.dumps(answer(Context(db, as_of=date(2026, 11, 2), now=NOW, lang="fa"), "at-risk").message)
    assert json.dumps(SAID["fa"][0])[1:-1] in fa
    customer = answer(Context(db, as_of=date(2026, 11, 2), now=NOW, lang="hy"), "customer C2").message
    assert "վերջին պատվերը՝ 90 օր առաջ (2,0×)" in json.dumps(customer, ensure_ascii=False)


def test_score_says_its_model_day_in_the_workspace_calendar_in_english_too(cdnow_path):
    """1997-09-30 is 8 Mehr 1376."""
    db = open_db(cdnow_path)
    upsert_setting(db, "calendar", "persian", now=NOW)
    db.conn.close()
    r = CliRunner().invoke(main, ["--db", str(cdnow_path), "--as-of", "1997-09-30", "score"])
    assert r.exit_code == 0, r.output
    (line,) = [t for t in r.output.splitlines() if t.startswith("Model:")]
    assert line == "Model: BG/NBD + Gamma-Gamma fitted on 2,357 customers (946 repeat buyers) as of 1376/07/08"


_EFFECT = "value = trailing 12-month revenue, going quiet = order-gap rule only"
_SUMMARIES = [
    (
        "BG/NBD + Gamma-Gamma fitted on 2,357 customers (946 repeat buyers) as of 2026-11-02; expected spend per "
        "order = each customer's own average (Gamma-Gamma at its p → ∞ limit)",
        {"model": "bgnbd+gg", "basis": "fitted", "failure": None, "spend_constant": True},
    ),
    (
        f"rules: only 50 repeat buyers, the model needs at least 200; {_EFFECT}",
        {"model": "rules", "basis": "few_repeat_buyers", "failure": None, "spend_constant": False},
    ),
    (
        f"rules: the Gamma-Gamma fit failed (q = 0.95 ≤ 1 leaves the mean spend undefined); {_EFFECT}",
        {
            "model": "rules",
            "basis": "fit_failed",
            "failure": "q = 0.95 ≤ 1 leaves the mean spend undefined",
            "spend_constant": False,
        },
    ),
]


@pytest.mark.parametrize(("reason", "values"), _SUMMARIES)
@pytest.mark.parametrize("scored", [True, False])
def test_the_model_line_is_said_from_the_summarys_values_or_an_older_summarys_words(reason, values, scored):
    """A summary keeps why as values (basis, failure, spend_constant); one
    stored before has only the English reason, and says the same."""
    summary = {**values, "reason": reason, "as_of": "2026-11-02", "customers": 2357, "repeat_buyers": 50}
    older = {k: v for k, v in summary.items() if k not in ("basis", "failure", "spend_constant")}
    for lang in ("fa", "hy"):
        line = model_line(summary, lang, scored=scored)
        assert line == model_line(older, lang, scored=scored)
        if values["basis"] == "fitted":
            assert "۲٬۳۵۷" in line or "2\xa0357" in line
        if values["basis"] == "few_repeat_buyers":
            assert "۵۰" in line or " 50 " in line
        if values["failure"]:
            assert "q = " in line and "leaves" not in line  # said in the language, the symbol kept
            assert ("۰.۹۵" if lang == "fa" else "0.95") in line


@pytest.mark.parametrize(
    ("failure", "fa", "hy"),
    [
        ("a parameter ran to its bound", "یکی از پارامترها به مرز مجاز خود رسید", "պարամետրերից մեկը հասավ"),
        ("Positive directional derivative for linesearch", "بهینه‌ساز پیش از همگرا شدن", "օպտիմալացումը դադարեց"),
    ],
)
def test_a_failed_fits_failure_is_said_in_the_readers_language(failure, fa, hy):
    """The fits' own words are translated; the optimiser's (scipy's English)
    are said as not converging. English keeps the stored words."""
    summary = {
        "model": "rules",
        "basis": "fit_failed",
        "failure": failure,
        "spend_constant": False,
        "reason": f"rules: the BG/NBD fit did not converge ({failure}); {_EFFECT}",
        "as_of": "2026-11-02",
        "customers": 300,
        "repeat_buyers": 250,
    }
    assert fa in model_line(summary, "fa") and failure not in model_line(summary, "fa")
    assert hy in model_line(summary, "hy") and failure not in model_line(summary, "hy")
    assert failure in model_line(summary, "en")
