"""Who may ask, over signed HTTP on the demo store (six reps and their
manager, so `access` defaults to `reps`): guests are refused; someone who
is neither rep, manager nor admin is refused; a rep sees their own book, a
manager their team's, an admin everything; `access everyone` opens it to
the workspace; `help` and the Home tab say which rule applies."""

import pytest

from bench.slack_fake import REP
from commands import Context, answer
from storage import open_db
from storage.settings import upsert_setting
from tests.support.stores import SET_AT

MANAGER = "U0DEMOMGR"  # Dana Whitfield: every demo rep reports to her
BOSS = "U0BOSS"  # the admin in these tests (not a rep)
VISITOR = "U0VISITOR"
OTHER_REP = "U0DEMO002"


@pytest.fixture
def store(bot):
    db = open_db(bot.db_path)
    upsert_setting(db, "admins", BOSS, now=SET_AT)
    upsert_setting(db, "access", "auto", now=SET_AT)
    upsert_setting(db, "allow_guests", "false", now=SET_AT)
    yield db
    db.conn.close()


def ask(sender, text: str, user: str) -> dict:
    reply = sender.command(text, user_id=user)
    assert reply.status == 200
    return reply.json


def owners(db, customer_ids) -> set:
    marks = ",".join("?" * len(customer_ids))
    return {r[0] for r in db.execute(f"SELECT owner_rep_id FROM customers WHERE id IN ({marks})", list(customer_ids))}


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_guests_are_refused_unless_allowed(store, sender, slack, flag):
    slack.users["U0GUEST"] = {flag: True}
    refused = ask(sender, "crr", "U0GUEST")
    assert "Guest accounts cannot use /retention" in refused["text"]
    upsert_setting(store, "allow_guests", "true", now=SET_AT)
    upsert_setting(store, "access", "everyone", now=SET_AT)
    assert "CRR" in ask(sender, "crr", "U0GUEST")["text"]


def test_someone_outside_the_sales_team_is_refused_in_reps_mode(store, sender, slack):
    answer = ask(sender, "at-risk", VISITOR)
    assert "answers the sales team here" in answer["text"] and "Ask an admin to add you as a rep" in answer["text"]
    upsert_setting(store, "access", "everyone", now=SET_AT)
    assert "Going quiet" in ask(sender, "at-risk", VISITOR)["text"]


def test_a_rep_sees_their_own_book_only(bot, store, sender, slack):
    as_rep = answer(Context(store, user_id=REP, is_admin=False, surface="slack", now=bot.clock()), "top 50")
    assert as_rep.ok and as_rep.data["customers"]
    assert owners(store, [c["customer_id"] for c in as_rep.data["customers"]]) == {REP}
    foreign = store.execute("SELECT id FROM customers WHERE owner_rep_id = ? LIMIT 1", [OTHER_REP]).fetchone()[0]
    assert "No customer matches" in ask(sender, f"customer {foreign}", REP)["text"]
    assert "not yours to see" in ask(sender, f"rep <@{OTHER_REP}>", REP)["text"]
    digest = answer(Context(store, user_id=REP, is_admin=False, surface="slack", now=bot.clock()), "digest preview")
    assert not digest.ok and "only managers and admins" in digest.message["text"]
    summary = answer(Context(store, user_id=REP, is_admin=False, surface="slack", now=bot.clock()), "")
    everyone = answer(Context(store, user_id=BOSS, is_admin=True, surface="slack", now=bot.clock()), "")
    book = store.execute("SELECT COUNT(*) FROM customers WHERE owner_rep_id = ?", [REP]).fetchone()[0]
    assert summary.data["customers"] == book < everyone.data["customers"]


def test_a_manager_sees_the_team_and_an_admin_everything(bot, store, sender, slack):
    team = answer(Context(store, user_id=MANAGER, is_admin=False, surface="slack", now=bot.clock()), "rep")
    assert {r["id"] for r in team.data["reps"]} == {MANAGER, *(f"U0DEMO00{i}" for i in range(1, 7))}
    top = answer(Context(store, user_id=MANAGER, is_admin=False, surface="slack", now=bot.clock()), "top 50")
    assert None not in owners(store, [c["customer_id"] for c in top.data["customers"]])  # no unowned ones
    admin = answer(Context(store, user_id=BOSS, is_admin=True, surface="slack", now=bot.clock()), "")
    total = store.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    assert admin.data["customers"] == total


def test_help_and_home_say_who_may_ask(store, sender, slack):
    assert "you see the customers in your book" in str(ask(sender, "help", REP))
    upsert_setting(store, "access", "everyone", now=SET_AT)
    assert "Everyone in this workspace may ask" in str(ask(sender, "help", VISITOR))
    upsert_setting(store, "access", "reps", now=SET_AT)
    sender.event({"type": "app_home_opened", "user": VISITOR, "tab": "home", "channel": "D0VISITOR"})
    (view,) = slack.wait_for("views.publish")
    assert "answers the sales team here" in str(view.params["view"])
