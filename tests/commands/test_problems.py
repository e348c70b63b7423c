"""storage.problems.Said and Problem said in the reader's language
(commands.problems.told): a message nested among another's values is
said in the same language, down to the innermost; English is str(), byte
for byte; a Count is grouped as the language groups it, a plain int (a
line, an id) is not."""

from commands.problems import told
from storage.followup_actions import FollowupError, state_said
from storage.problems import N_, Count, Problem, Said

FSI, PDI = "\u2068", "\u2069"


def test_a_problem_and_a_message_nested_in_a_message():
    bad = Said(
        N_("{where}: {problem} ({fix})"),
        {
            "where": "orders.csv:3",
            "problem": Problem(N_("{raw} is not a whole number"), raw="'many'"),
            "fix": Said(N_("use {lo}..{hi}"), {"lo": 1, "hi": 2000}),
        },
    )
    assert str(bad) == told("en", bad) == "orders.csv:3: 'many' is not a whole number (use 1..2000)"
    assert told("fa", bad) == f"{FSI}orders.csv:3{PDI}: {FSI}{FSI}'many'{PDI} عدد صحیح نیست{PDI} (از ۱ تا ۲۰۰۰)"
    assert told("hy", bad) == "orders.csv:3. 'many'-ն ամբողջ թիվ չէ (գրեք 1..2000)"


def test_a_count_is_grouped_an_id_is_not():
    store = Said(N_("{path}: {count} customers"), {"path": "store.db", "count": Count(2000)})
    assert str(store) == told("en", store) == "store.db: 2,000 customers"
    assert told("fa", store) == f"{FSI}store.db{PDI}: ۲٬۰۰۰ مشتری"
    assert told("hy", store) == "store.db. 2\xa0000 հաճախորդ"


def test_a_refused_follow_up_says_its_state_by_name():
    """FollowupError is a Problem: the state a closed follow-up is in is a
    nested message, "won back" in English (not the stored `won_back`)."""
    closed = FollowupError(
        N_("Nothing changed: this follow-up is already closed ({state})."), state=state_said("won_back")
    )
    assert str(closed) == told("en", closed) == "Nothing changed: this follow-up is already closed (won back)."
    assert told("fa", closed) == "چیزی تغییر نکرد: این پیگیری پیش‌تر بسته شده است (بازگردانده‌شده)."
    assert told("hy", closed) == "Ոչինչ չփոխվեց․ այս հետադարձ կապն արդեն փակված է (վերադարձված)։"
    assert state_said("archived") == "archived"  # a state this release does not know, as stored
