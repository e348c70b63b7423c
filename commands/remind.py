"""The reps' follow-up reminders and the managers' escalations, as messages.

One DM per rep per day (the outbox key `remind:<date>:<rep>` sees to that):
the ten most valuable customers waiting for them, then "and N more", each
with its reason and four buttons — Contacted, Snooze 7 days, Reassign (a
user picker) and Not at risk. Each customer is two blocks with ids derived
from the follow-up id (`fu:<id>` for the text, `fua:<id>` for the buttons),
so a click can rewrite that customer in place and leave the rest of the
message as it was. Pure builders over plain dicts; the reads are in
storage.digest_queries.
"""

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from analytics.calendars import GREGORIAN, GREGORIAN_CALENDAR, Calendar
from commands import blocks as B
from commands import format as fmt
from commands.followups import MAX_SHOWN as FOLLOWUPS_LISTED
from commands.i18n import DEFAULT_LANGUAGE, _, _n
from commands.parse import whole_number
from commands.problems import told
from commands.value_parts import (
    number,
    owner_text,
    quiet_reason,
    reason_from,
    reason_sentence,
    reason_text,
    reason_values,
)
from storage.digest_queries import load_due_items, load_items
from storage.fields import format_utc
from storage.followup_actions import SNOOZE_DAYS, silence_start
from storage.followups import won_back_note

SHOWN = 10
ACTION_CONTACTED = "retention_followup_contacted"
ACTION_SNOOZE = "retention_followup_snooze"
ACTION_REASSIGN = "retention_followup_reassign"
ACTION_DISMISS = "retention_followup_dismiss"
FOLLOWUP_ACTIONS = (ACTION_CONTACTED, ACTION_SNOOZE, ACTION_REASSIGN, ACTION_DISMISS)


def item_block_ids(followup_id: int) -> tuple[str, str]:
    return f"fu:{followup_id}", f"fua:{followup_id}"


def followup_id_from_block(block_id: str | None) -> int | None:
    """The follow-up id in an item's block id (a user picker has no value)."""
    prefix, _, rest = (block_id or "").partition(":")
    return whole_number(rest, max_digits=12) if prefix in ("fu", "fua") else None


def item_entry(row: dict, tz: tzinfo, currency: str) -> dict:
    """A follow-up row as JSON: numbers as numbers, instants as stored (UTC)
    and, for people, their local days in `tz` (`*_on`); the going-quiet
    reason as its code and figures (`why`) and in English (`reason`, money
    in the reporting `currency`)."""
    why = quiet_reason(row)
    return {
        **_entry(row),
        "reason": reason_sentence(why, currency),
        "why": reason_values(why),
        **{
            f"{key.removesuffix('_at').removesuffix('_until')}_on": fmt.day(row[key], tz)
            for key in ("opened_at", "snooze_until", "closed_at")
        },
    }


def _entry(row: dict) -> dict:
    return {
        "followup_id": int(row["followup_id"]),
        "customer_id": row["customer_id"],
        "name": row["name"],
        "company": row["company"],
        "rep_id": row["rep_id"],
        "state": row["state"],
        "opened_at": row["opened_at"],
        "snooze_until": row["snooze_until"],
        "reminder_count": int(row["reminder_count"] or 0),
        "escalated_at": row["escalated_at"],
        "closed_at": row["closed_at"],
        "value": number(row["value"]),
        "value_at_open": number(row["value_at_open"]),
        "last_order_at": row["last_order_at"],
        "note": row["note"],
    }


def item_text(item: dict, currency: str, calendar: Calendar = GREGORIAN_CALENDAR, lang: str = DEFAULT_LANGUAGE) -> str:
    who = B.customer_label(item["name"], item["company"], item["customer_id"])
    facts = [_(lang, "quiet since {day}", day=fmt.day(item["opened_on"], UTC, calendar, lang))]
    if item["reminder_count"]:
        facts.append(_(lang, "reminded {count}×", count=fmt.count(item["reminder_count"], lang)))
    if item["why"]:
        reason = reason_text(reason_from(item["why"]), currency, lang)
    else:
        reason = _(lang, "flagged by the last score run")
    return _(
        lang,
        "{who} — {value} at risk\n{reason} · {facts}",
        who=who,
        value=fmt.money(item["value"], currency, lang=lang),
        reason=reason,
        facts=" · ".join(facts),
    )


def followup_buttons(followup_id: int, lang: str = DEFAULT_LANGUAGE) -> dict:
    value = str(followup_id)
    return B.actions(
        [
            B.button(_(lang, "Contacted"), ACTION_CONTACTED, value, style="primary"),
            B.button(
                _n(lang, "Snooze {count} day", "Snooze {count} days", SNOOZE_DAYS, count=fmt.count(SNOOZE_DAYS, lang)),
                ACTION_SNOOZE,
                value,
            ),
            {
                "type": "users_select",
                "action_id": ACTION_REASSIGN,
                "placeholder": {"type": "plain_text", "text": _(lang, "Reassign…")},
            },
            B.button(_(lang, "Not at risk"), ACTION_DISMISS, value, style="danger"),
        ],
        block_id=item_block_ids(followup_id)[1],
    )


def followup_blocks(
    item: dict,
    currency: str,
    outcome: str | None = None,
    calendar: Calendar = GREGORIAN_CALENDAR,
    lang: str = DEFAULT_LANGUAGE,
) -> list[dict]:
    """One customer: its text, then its buttons — or, once acted on, what
    was done in place of the buttons."""
    text_id, actions_id = item_block_ids(item["followup_id"])
    section = B.section(item_text(item, currency, calendar, lang))
    section["block_id"] = text_id
    if outcome is None:
        return [section, followup_buttons(item["followup_id"], lang)]
    done = B.context(outcome)
    done["block_id"] = actions_id
    return [section, done]


def state_outcome(
    item: dict, actor: str | None = None, calendar: Calendar = GREGORIAN_CALENDAR, lang: str = DEFAULT_LANGUAGE
) -> str | None:
    """What the follow-up's state says to show instead of its buttons (and
    who did it, when `actor` is given), or None while it is still waiting
    for the rep."""
    state = item["state"]
    who = owner_text(actor, lang) if actor else None
    if state == "contacted":
        owner = owner_text(item["rep_id"], lang)
        if who:
            return _(
                lang,
                ":white_check_mark: Contacted by {actor} — their next order counts as won back for {owner}",
                actor=who,
                owner=owner,
            )
        return _(lang, ":white_check_mark: Contacted — their next order counts as won back for {owner}", owner=owner)
    if state == "snoozed":
        day = fmt.day(item["snooze_on"], UTC, calendar, lang)
        if who:
            return _(lang, ":zzz: Snoozed by {actor} until {day}", actor=who, day=day)
        return _(lang, ":zzz: Snoozed until {day}", day=day)
    if state == "dismissed":
        day = fmt.day(item["closed_on"], UTC, calendar, lang)
        if who:
            return _(lang, ":no_bell: Marked not at risk by {actor} on {day}", actor=who, day=day)
        return _(lang, ":no_bell: Marked not at risk on {day}", day=day)
    if state == "won_back":
        if item["note"]:
            return _(
                lang,
                ":trophy: Won back ({note}), credited to {owner}",
                note=said_note(item["note"], calendar, lang),
                owner=owner_text(item["rep_id"], lang),
            )
        return _(lang, ":trophy: Won back (ordered again), credited to {owner}", owner=owner_text(item["rep_id"], lang))
    if state == "lost":
        return _(lang, ":x: Closed as lost")
    return None


def compute_reminder(db, rep_id: str, local_date: date, now: datetime, settings: dict) -> dict:
    """A rep's reminder as JSON: the most valuable due follow-ups and the total."""
    rows, total = load_due_items(db, rep_id, format_utc(now), silence_start(now, settings["dismiss_days"]), SHOWN)
    items = [item_entry(r, ZoneInfo(settings["timezone"]), settings["currency"]) for r in rows]
    return {
        "rep_id": rep_id,
        "date": local_date.isoformat(),
        "total": int(total),
        "shown": len(items),
        "items": items,
        "dismiss_days": settings["dismiss_days"],
        **calendar_field(settings["calendar"]),
    }


def calendar_field(name: str) -> dict:
    """`{"calendar": "persian"}` in a message's JSON when its days are to be
    shown in the Persian calendar (the JSON's days stay ISO Gregorian);
    nothing for the Gregorian, whose JSON is as it always was."""
    return {"calendar": name} if name != GREGORIAN else {}


def build_reminder_message(d: dict, currency: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    n = d["total"]
    cal = fmt.calendar_of(d)
    title = _n(
        lang,
        "Follow-ups for {day}: {count} valuable customer going quiet",
        "Follow-ups for {day}: {count} valuable customers going quiet",
        n,
        day=fmt.day(d["date"], UTC, cal, lang),
        count=fmt.count(n, lang),
    )
    blocks = [
        B.header(title),
        B.section(
            _(
                lang,
                "{rep}, these customers are worth the most to you and have gone quiet. "
                "Each button updates the follow-up right here.",
                rep=owner_text(d["rep_id"], lang),
            )
        ),
    ]
    for item in d["items"]:
        blocks += followup_blocks(item, currency, calendar=cal, lang=lang)
    if n > d["shown"]:
        listed = min(n, FOLLOWUPS_LISTED)
        more = n - d["shown"]
        command = f"`/retention followups mine {listed}`"
        if n <= FOLLOWUPS_LISTED:
            line = _n(
                lang,
                "_…and {count} more: {command} lists them all_",
                "_…and {count} more: {command} lists them all_",
                more,
                count=fmt.count(more, lang),
                command=command,
            )
        else:
            line = _n(
                lang,
                "_…and {count} more: {command} lists the first {listed}_",
                "_…and {count} more: {command} lists the first {listed}_",
                more,
                count=fmt.count(more, lang),
                command=command,
                listed=fmt.count(listed, lang),
            )
        blocks.append(B.section(line))
    blocks.append(
        B.context(
            _(
                lang,
                "*Contacted* stops the reminders; their next order counts as won back for you · "
                "*Snooze* brings it back in {snooze} days · *Not at risk* silences the customer for "
                "{dismiss} days unless their value changes markedly",
                snooze=fmt.count(SNOOZE_DAYS, lang),
                dismiss=fmt.count(d["dismiss_days"], lang),
            )
        )
    )
    names = _(lang, "; ").join(
        f"{B.escape(i['name'] or i['customer_id'])} ({fmt.money(i['value'], currency, lang=lang)})"
        for i in d["items"][:5]
    )
    return B.message(_(lang, "{title}: {names}", title=title, names=names) if names else title, blocks)


def compute_escalation(
    db,
    rep_id: str,
    manager_id: str,
    followup_ids: list[int],
    local_date: date,
    after_days: int,
    tz: tzinfo,
    calendar: str = GREGORIAN,
    *,
    currency: str,
) -> dict:
    items = [item_entry(r, tz, currency) for r in load_items(db, followup_ids)]
    return {
        "rep_id": rep_id,
        "manager_id": manager_id,
        "date": local_date.isoformat(),
        "escalate_after_days": after_days,
        "total": len(items),
        "shown": min(len(items), SHOWN),
        "items": items[:SHOWN],
        **calendar_field(calendar),
    }


def build_escalation_message(d: dict, currency: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    n, days = d["total"], d["escalate_after_days"]
    title = _n(
        lang,
        "Escalation: {count} follow-up with no action for {days}+ days",
        "Escalation: {count} follow-ups with no action for {days}+ days",
        n,
        count=fmt.count(n, lang),
        days=fmt.count(days, lang),
    )
    blocks = [
        B.header(title),
        B.section(
            _(
                lang,
                "{manager}: {rep} was reminded about these valuable customers but has not acted for {days}+ days. "
                "Reassign them, or nudge {rep}. You get each one once.",
                manager=owner_text(d["manager_id"], lang),
                rep=owner_text(d["rep_id"], lang),
                days=fmt.count(days, lang),
            )
        ),
    ]
    for item in d["items"]:
        blocks += followup_blocks(item, currency, calendar=fmt.calendar_of(d), lang=lang)
    if n > d["shown"]:
        more = n - d["shown"]
        blocks.append(
            B.section(
                _n(
                    lang,
                    "_…and {count} more: {command}_",
                    "_…and {count} more: {command}_",
                    more,
                    count=fmt.count(more, lang),
                    command=f"`/retention followups rep:{B.mention(d['rep_id'])}`",
                )
            )
        )
    names = _(lang, "; ").join(B.escape(i["name"] or i["customer_id"]) for i in d["items"][:5])
    return B.message(_(lang, "{title} ({names})", title=title, names=names) if names else title, blocks)


def replace_blocks(message: dict, replacements: list[dict]) -> dict:
    """The message with each block whose `block_id` matches a replacement's
    swapped for it; everything else kept as it was."""
    by_id = {b["block_id"]: b for b in replacements if b.get("block_id")}
    blocks = [by_id.get(b.get("block_id"), b) for b in message.get("blocks", [])]
    return {"text": message.get("text") or "retention-bot", "blocks": blocks}


def said_note(note: str, calendar: Calendar, lang: str) -> str:
    """A won-back follow-up's note for a message in `lang`: the stored note
    said again from its day in Armenian and Persian (it is kept in
    English), as stored in English."""
    said = won_back_note(note) if lang != DEFAULT_LANGUAGE else None
    return told(lang, said, calendar=calendar) if said else B.escape(note)
