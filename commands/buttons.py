"""What a click on a reminder or digest button does, Slack-free.

`apply_button` makes the storage transition the button stands for and
returns the blocks that replace the clicked customer in its message (by
block id), so the Slack listener only has to ack, call this, and update the
message; the console's `press <button> <customer>` goes through the same
function, so both surfaces change follow-ups in exactly the same way.

Who may act on a follow-up: its rep, the rep's manager, or an admin (any
active rep when nobody owns it). Claim is for active reps, on customers
nobody owns.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commands import blocks as B
from commands import format as fmt
from commands.access import access_for
from commands.core import AS_OF_READ_ONLY, Answer, Context
from commands.digest import ACTION_CLAIM, channel_language, quiet_block
from commands.i18n import N_, _, _n
from commands.parse import whole_number
from commands.problems import told
from commands.remind import (
    ACTION_CONTACTED,
    ACTION_DISMISS,
    ACTION_REASSIGN,
    ACTION_SNOOZE,
    followup_blocks,
    item_entry,
    state_outcome,
)
from commands.value_parts import owner_text
from storage.digest_queries import load_customer_item, load_items
from storage.fields import user_id_of
from storage.followup_actions import (
    Followup,
    FollowupError,
    claim_customer,
    dismiss,
    is_rep,
    load_followup,
    load_manager,
    load_open_followup,
    mark_contacted,
    reassign,
    snooze,
)
from storage.lookup import find_customer_id

# Words for `press` in the console, and the action each stands for.
PRESS = {
    "contacted": ACTION_CONTACTED,
    "snooze": ACTION_SNOOZE,
    "reassign": ACTION_REASSIGN,
    "not-at-risk": ACTION_DISMISS,
    "dismiss": ACTION_DISMISS,
    "claim": ACTION_CLAIM,
}
PRESS_USAGE = "press contacted|snooze|not-at-risk CUSTOMER · press reassign CUSTOMER REP · press claim CUSTOMER REP"


@dataclass
class ButtonResult:
    ok: bool
    summary: str  # what happened, or why nothing did
    blocks: list[dict] = field(default_factory=list)  # replacements for the clicked customer's blocks
    data: dict[str, Any] = field(default_factory=dict)


def actor_of(ctx: Context) -> str:
    return ctx.user_id or ctx.surface


def may_act(ctx: Context, f: Followup) -> bool:
    if ctx.is_admin or (ctx.user_id and ctx.user_id == f.rep_id):
        return True
    if f.rep_id is None:
        return is_rep(ctx.db, ctx.user_id)
    return bool(ctx.user_id) and ctx.user_id == load_manager(ctx.db, f.rep_id)


def _current(ctx: Context, followup_id: int) -> dict | None:
    rows = load_items(ctx.db, [followup_id])
    return item_entry(rows[0], ctx.tz, ctx.currency) if rows else None


def message_language(ctx: Context, channel: str) -> str:
    """The language of a clicked message: a channel's digest is written in
    the channel's language; a DM (a reminder, an escalation) in its
    recipient's — the one who clicks it."""
    return ctx.lang if not channel or channel.startswith("D") else channel_language(ctx.settings, channel)


def apply_button(
    ctx: Context,
    action_id: str,
    target: str | None,
    selected_user: str | None = None,
    message_lang: str | None = None,
) -> ButtonResult:
    """Apply one click. `target` is the button's value (a follow-up id, or a
    customer id for Claim); `selected_user` is the user picked to reassign to.
    The summary is said to the presser, in their language (`ctx.lang`); the
    blocks replace part of the clicked message, in its language
    (`message_lang`, by default the presser's)."""
    lang = ctx.lang
    shown = message_lang or lang
    access = access_for(ctx)
    if not access.allowed:
        return ButtonResult(False, access.refusal or _(lang, "You cannot use these buttons here."))
    if ctx.read_only:
        return ButtonResult(False, _(lang, AS_OF_READ_ONLY))
    if action_id == ACTION_CLAIM:
        return _claim(ctx, claimed_customer(ctx, str(target or "")), actor_of(ctx), shown)
    followup_id = whole_number(str(target or ""), max_digits=12)
    if followup_id is None:
        return ButtonResult(False, _(lang, "That button does not name a follow-up."))
    f = load_followup(ctx.db, followup_id)
    if f is None:
        return ButtonResult(False, _(lang, "That follow-up no longer exists."))
    actor = actor_of(ctx)
    if not may_act(ctx, f):
        item = _current(ctx, followup_id)
        return ButtonResult(
            False,
            _(
                lang,
                "This follow-up belongs to {owner}; only they, their manager or an admin can change it.",
                owner=owner_text(f.rep_id, lang),
            ),
            [],
            {"followup": item},
        )
    try:
        outcome = _transition(ctx, f, action_id, actor, selected_user)
    except FollowupError as e:
        item = _current(ctx, followup_id)
        blocks = (
            followup_blocks(
                item, ctx.currency, state_outcome(item, calendar=ctx.calendar, lang=shown), ctx.calendar, shown
            )
            if item
            else []
        )
        return ButtonResult(False, told(lang, e), blocks, {"followup": item})
    item = _current(ctx, followup_id)
    assert item is not None  # loaded above and only changed since; follow-ups and customers are never deleted
    return ButtonResult(
        True,
        outcome(lang),
        followup_blocks(item, ctx.currency, outcome(shown), ctx.calendar, shown),
        {"action": action_id, "followup": item},
    )


def _transition(
    ctx: Context, f: Followup, action_id: str, actor: str, selected_user: str | None
) -> Callable[[str], str]:
    """Make the change; returns the line that replaces the buttons, in a
    given language (the presser's and the message's may differ)."""
    if action_id == ACTION_CONTACTED:
        mark_contacted(ctx.db, f.id, actor, ctx.now)
        return lambda lang: _(
            lang,
            ":white_check_mark: Contacted by {actor} — their next order counts as won back for {owner}",
            actor=owner_text(actor, lang),
            owner=owner_text(f.rep_id, lang),
        )
    if action_id == ACTION_SNOOZE:
        after = snooze(ctx.db, f.id, actor, ctx.now)
        return lambda lang: _(
            lang,
            ":zzz: Snoozed by {actor} until {day}; it comes back in the reminders then",
            actor=owner_text(actor, lang),
            day=fmt.day(after.snooze_until, ctx.tz, ctx.calendar, lang),
        )
    if action_id == ACTION_REASSIGN:
        if not selected_user:
            raise FollowupError(N_("Nothing changed: pick someone to reassign it to."))
        reassign(ctx.db, f.id, actor, selected_user, ctx.now)
        return lambda lang: _(
            lang,
            ":arrow_right: Reassigned by {actor} to {rep}; it is in their reminders from now on",
            actor=owner_text(actor, lang),
            rep=f"<@{selected_user}>",
        )
    if action_id == ACTION_DISMISS:
        days = int(ctx.settings["dismiss_days"])
        dismiss(ctx.db, f.id, actor, ctx.now, days)
        return lambda lang: _n(
            lang,
            ":no_bell: Not at risk by {actor} — silenced for {count} day unless their value changes markedly",
            ":no_bell: Not at risk by {actor} — silenced for {count} days unless their value changes markedly",
            days,
            actor=owner_text(actor, lang),
            count=fmt.count(days, lang),
        )
    raise FollowupError(N_("Nothing changed: unknown action {action}."), action=action_id)


def claimed_customer(ctx: Context, value: str) -> str:
    """The customer a Claim button stands for: `f<follow-up id>` (this
    release), else the customer id itself (messages posted before it)."""
    followup_id = whole_number(value[1:], max_digits=12) if value[:1] == "f" else None
    if followup_id is not None:
        f = load_followup(ctx.db, followup_id)
        return f.customer_id if f else ""
    return value


def _claim(ctx: Context, customer_id: str, actor: str, shown: str | None = None) -> ButtonResult:
    """Claim `customer_id` for `actor`; the summary in the presser's
    language, the digest's block in `shown` (the message's)."""
    lang = ctx.lang
    shown = shown or lang
    try:
        claim = claim_customer(ctx.db, customer_id, actor, ctx.now)
    except FollowupError as e:
        row = load_customer_item(ctx.db, customer_id)
        blocks = (
            [quiet_block(item_entry(row, ctx.tz, ctx.currency), ctx.currency, lang=shown)]
            if row and row["closed_at"] is None
            else []
        )
        return ButtonResult(False, told(lang, e), blocks, {"customer_id": customer_id})
    row = load_customer_item(ctx.db, customer_id)
    item = item_entry(row, ctx.tz, ctx.currency) if row else None
    blocks = [quiet_block(item, ctx.currency, claimed_by=actor, lang=shown)] if item else []
    return ButtonResult(
        True,
        _(
            lang,
            ":raising_hand: {owner} claimed {customer}",
            owner=owner_text(actor, lang),
            customer=B.literal(customer_id),
        ),
        blocks,
        {
            "action": ACTION_CLAIM,
            "customer_id": customer_id,
            "owner_rep_id": actor,
            "previous_owner": claim.previous_owner,
            "followup": item,
        },
    )


def press(ctx: Context, words: list[str]) -> Answer:
    """The console's stand-in for a click: `press <button> <customer> [rep]`,
    the customer by id, email or full name (`press snooze Ben Silva`). The
    console user acts as an admin (like every console command); for Claim
    and Reassign the rep (an id or @mention) comes last."""
    if ctx.read_only:
        return _press_answer(ButtonResult(False, _(ctx.lang, AS_OF_READ_ONLY)), words)
    if len(words) < 2 or words[0].lower() not in PRESS:
        return _press_answer(ButtonResult(False, _(ctx.lang, "Usage: {usage}", usage=PRESS_USAGE)), words)
    button, rest = words[0].lower(), words[1:]
    action = PRESS[button]
    rep = None
    if action in (ACTION_REASSIGN, ACTION_CLAIM):
        if len(rest) < 2:
            return _press_answer(
                ButtonResult(
                    False,
                    _(
                        ctx.lang,
                        "{command} needs a rep id: {example}",
                        command=f"`press {button}`",
                        example=f"press {button} {' '.join(rest) or 'CUSTOMER'} U0123",
                    ),
                ),
                words,
            )
        rep = user_id_of(rest[-1])
        if rep is None:
            return _press_answer(
                ButtonResult(
                    False,
                    _(
                        ctx.lang,
                        "{word} is not a Slack user id: {example}",
                        word=f"`{B.literal(rest[-1])}`",
                        example=f"press {button} {' '.join(rest[:-1])} U0123",
                    ),
                ),
                words,
            )
        rest = rest[:-1]
    named = " ".join(rest)
    customer_id = find_customer_id(ctx.db, named) or named
    if action == ACTION_CLAIM:
        return _press_answer(_claim(ctx, customer_id, rep or ""), words)
    f = load_open_followup(ctx.db, customer_id)
    if f is None:
        return _press_answer(
            ButtonResult(False, _(ctx.lang, "{customer} has no open follow-up.", customer=B.literal(named))), words
        )
    return _press_answer(apply_button(ctx, action, str(f.id), rep), words)


def _press_answer(result: ButtonResult, words: list[str]) -> Answer:
    title = "press " + " ".join(words)
    icon = "" if result.ok else ":warning: "
    said = result.ok and any(b.get("type") == "context" for b in result.blocks)  # the outcome is in the blocks
    blocks = [B.header(title), *result.blocks, *([] if said else [B.section(icon + result.summary)])]
    data = {"ok": result.ok, "summary": result.summary, **result.data}
    return Answer("press", data, B.message(f"{title}: {result.summary}", blocks), ok=result.ok)
