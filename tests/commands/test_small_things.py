"""The small things a user sees at once: no `nan`, plurals that agree, one
money precision, an NPS line that adds up, caps that say so, multi-word
names, readable mentions in the console, wrong times refused, demo data
without pile-ups."""

import json
import re
from datetime import UTC, date, datetime

import pytest

from bot.demo import ensure_demo_store
from commands import Context, answer
from commands.buttons import press
from commands.terminal import mrkdwn_to_rich
from storage.fields import FieldError
from storage.schedules import digest_channels
from storage.synthetic import generate
from tests.support.stores import build_store

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db, _ = ensure_demo_store(str(tmp_path_factory.mktemp("small") / "demo.db"), customers=800, today=DAY)
    db.execute("UPDATE customers SET company = NULL WHERE rowid % 3 = 0")  # some companies unknown
    yield db
    db.conn.close()


def ask(db, text, **kw):
    return answer(Context(db, as_of=DAY, now=NOW, **kw), text)


@pytest.mark.parametrize(
    "text",
    [
        "at-risk 50",
        "top 50",
        "top 20 2026-Q3",
        "followups all 100",
        "rep",
        "churn last-quarter",
        "digest preview",
        "",
        "customer C0003",
        "kpis",
    ],
)
def test_no_nan_where_a_company_is_unknown(demo, text):
    a = ask(demo, text)
    body = json.dumps(a.message) + json.dumps(a.data, default=str)
    assert not re.search(r"\bnan\b|NaN", body), text


def test_one_of_something_is_singular(tmp_path):
    db = build_store(tmp_path / "one.db", orders=[("o1", "c1", "2026-11-02", 50, "paid")])
    text = json.dumps(answer(Context(db, as_of=DAY), "").message)
    assert "1 customer," in text and "1 order," in text and "1 customers" not in text and "1 orders" not in text


def test_money_in_a_list_has_one_precision(demo):
    lines = json.dumps(ask(demo, "top 20").message)
    amounts = re.findall(r"\$[\d,]+(?:\.\d+)?", lines)
    assert amounts and not any("." in a for a in amounts)


def test_the_nps_line_adds_up_as_written(demo):
    text = json.dumps(ask(demo, "nps ytd").message, ensure_ascii=False)
    promoters, detractors, answers, nps = re.search(
        r"NPS = \(promoters − detractors\)/answers × 100 = \(([\d,]+) − ([\d,]+)\)/([\d,]+) × 100 = (-?[\d.]+)", text
    ).groups()
    p, d, n = (int(x.replace(",", "")) for x in (promoters, detractors, answers))
    assert f"{(p - d) / n * 100:.1f}" == nps


def test_a_list_capped_at_fifty_says_so(demo):
    a = ask(demo, "top 10000")
    assert len(a.data["customers"]) == 50 and a.data["capped_at"] == 50
    assert "you asked for 10,000; one answer lists at most 50" in json.dumps(a.message)
    risk = ask(demo, "at-risk 500")
    assert "you asked for 500; one answer lists at most 50" in json.dumps(risk.message)


def test_followups_take_a_count_and_the_reminder_points_at_it(demo):
    a = ask(demo, "followups all 50")
    assert a.ok and a.data["shown"] == min(50, a.data["open"])
    from commands.remind import build_reminder_message

    d = {"rep_id": "U0DEMO001", "date": "2026-11-23", "total": 17, "shown": 10, "dismiss_days": 90, "items": []}
    assert "…and 7 more: `/retention followups mine 17` lists them all" in json.dumps(
        build_reminder_message(d, "USD"), ensure_ascii=False
    )
    assert not ask(demo, "followups all 0").ok


def test_multi_word_names_for_rep_filters_and_press(demo):
    a = ask(demo, "at-risk rep:@Sam Okafor")
    assert a.ok and all(c["owner_rep_id"] == "U0DEMO002" for c in a.data["customers"])
    (name,) = demo.execute(
        "SELECT c.name FROM followups f JOIN customers c ON c.id = f.customer_id "
        "WHERE f.closed_at IS NULL AND f.state = 'open' AND c.name IN "
        "(SELECT name FROM customers GROUP BY name HAVING COUNT(*) = 1) LIMIT 1"
    ).fetchone()
    pressed = press(Context(demo, as_of=DAY, now=NOW), ["snooze", *name.split()])
    assert pressed.ok, pressed.message["text"]


def test_the_console_shows_names_and_channels_not_ids():
    shown = mrkdwn_to_rich("Posted to <#C0123> for <@U0DEMO002> and <@U0X|Xi>", {"U0DEMO002": "Sam Okafor"}).plain
    assert shown == "Posted to #C0123 for @Sam Okafor and @Xi"


@pytest.mark.parametrize("raw", ["C0123 25:00 mon-fri", "C0123 9h30", "C0123 09:00 10:00"])
def test_a_wrong_digest_time_is_refused_not_defaulted(raw):
    with pytest.raises(FieldError):
        digest_channels(raw)


def test_the_demo_has_no_pile_ups_of_answers_or_gaps_in_new_customers():
    frames = generate(2000, DAY)
    per_day = frames["feedback"]["submitted_at"].value_counts()
    assert per_day.max() <= 15 and per_day.get(DAY.isoformat(), 0) <= 15
    firsts = frames["orders"].groupby("customer_id")["ordered_at"].min().str[:7].value_counts().sort_index()
    whole_months = firsts.iloc[1:-1]  # the first and the current month are partial
    assert whole_months.min() >= 40, whole_months.to_dict()
