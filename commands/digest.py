"""The daily churn digest, and `/retention digest preview|now [#channel]`.

A digest says what is *new* since the channel's previous digest (see
storage.digest_queries.previous_digest_at): who churned, which high-value
customers went quiet (with the reason and owner, and a Claim button when
nobody owns them), who was won back and which rep gets the credit, which
follow-ups became overdue, and how NPS moved; above it, CRR and churn this
month so far against the same days of last month, with E, N and S — or, in
the first days of a month (fewer than MIN_HEADLINE_DAYS so far), the last
full month against the one before, since a rate over two days says nothing.
When nothing happened it is a short "all quiet" post instead of an empty
report.

`digest now` (admins) posts through the outbox, which only the Slack layer
can reach: on Slack the answer carries `post` in its data and the bot's
listener sends it (bot.jobs.send_digest) and answers with the outcome; the
console and `ask` show the digest and say it was not posted
(`retention-bot digest now` posts from the command line).
"""

import re
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from analytics.calendars import GREGORIAN, Calendar
from analytics.kpis import active_at, compute_feedback, compute_period_retention
from analytics.periods import Period, parse_period
from commands import blocks as B
from commands import format as fmt
from commands.churn import lost_customers
from commands.core import AS_OF_READ_ONLY, Answer, Context, Request, UsageError, command, noon_of
from commands.crr import crr_equation, retention_data
from commands.frames import feedback_counts
from commands.i18n import N_
from commands.kpi_inputs import period_utc, read_inputs, vs
from commands.remind import item_entry
from commands.value_parts import owner_text
from storage.digest_queries import (
    count_feedback_between,
    load_overdue,
    load_went_quiet,
    load_won_back,
    previous_digest_at,
)
from storage.fields import format_utc, parse_utc
from storage.followup_actions import silence_start
from storage.queries import NO_FILTERS

SHOWN = 10
ACTION_CLAIM = "retention_claim"
ACTION_AT_RISK = "retention_open_at_risk"
MODES = ("preview", "now")
_CHANNEL = re.compile(r"^<?#?([CG][A-Z0-9]{2,})(?:\|[^>]*)?>?$")


@command(
    "digest",
    usage="digest preview|now [#channel] [force]",
    slow=True,
    summary=N_("The daily churn digest: preview it, or (admins) post it now"),
)
def handle_digest(ctx: Context, req: Request) -> Answer:
    mode, channel, force = read_digest_args(ctx, req)
    if mode == "now" and ctx.read_only:
        raise UsageError(AS_OF_READ_ONLY, command="digest")
    if mode == "now" and not ctx.is_admin:
        admins = " ".join(f"<@{a}>" for a in ctx.settings["admins"]) or "a workspace admin"
        problem = f"Only admins can post the digest; ask {admins}, or use `digest preview`."
        return Answer(
            "digest",
            {"mode": mode, "error": problem},
            B.message(problem, [B.section(f":warning: {problem}")]),
            ok=False,
        )
    if mode == "now" and ctx.surface == "slack":
        text = f"Posting the digest to <#{channel}>…"
        return Answer(
            "digest",
            {"mode": mode, "channel": channel, "post": {"channel": channel, "force": force}},
            B.message(text, [B.section(text)]),
        )
    data = {"mode": mode, **compute_digest(digest_context(ctx, channel), channel)}
    message = build_digest_message(data, ctx.currency)
    if mode == "preview":
        return Answer("digest", data, message)
    note = (
        "Not posted: the console has no Slack connection. `retention-bot digest now` posts it "
        "when SLACK_BOT_TOKEN is set."
    )
    return Answer("digest", {**data, "posted": False}, {**message, "blocks": [*message["blocks"], B.context(note)]})


def read_digest_args(ctx: Context, req: Request) -> tuple[str, str | None, bool]:
    """(mode, channel, force): the channel named, else the first configured."""
    words = list(req.args)
    mode = words.pop(0).lower() if words and words[0].lower() in MODES else "preview"
    force = False
    channel = None
    for word in words:
        m = _CHANNEL.match(word)
        if word.lower() in ("force", "--force"):
            force = True
        elif m:
            channel = m.group(1)
        else:
            raise UsageError(
                "{word} is not a channel; say e.g. {example} (or {channel})",
                command="digest",
                word=f"`{word}`",
                example=f"`digest {mode} #sales`",
                channel="`<#C0123>`",
            )
    if channel is None:
        configured = ctx.settings["digest_channels"]
        channel = configured[0]["channel"] if configured else None
    if channel is None and mode == "now":
        raise UsageError(
            "no digest channel is configured: name one (`digest now #sales`) or set "
            "`/retention config digest_channels C0123 09:00 America/New_York mon-fri`",
            command="digest",
        )
    return mode, channel, force


def channel_zone(settings: dict, channel: str | None) -> ZoneInfo:
    """The channel's own time zone, else the workspace's."""
    entry = next((e for e in settings["digest_channels"] if e["channel"] == channel), None)
    return ZoneInfo((entry or {}).get("tz") or settings["timezone"])


def digest_context(ctx: Context, channel: str | None) -> Context:
    """The request's context re-dated to the channel's local day. A look at
    another day (`--as-of`) keeps that day wherever the channel is, and
    stands at its noon, not at the wall clock: its "last 24 hours" are that
    day's."""
    if ctx.read_only:
        local_date, now = ctx.as_of, noon_of(ctx.as_of, ctx.tz)
    else:
        local_date, now = ctx.now.astimezone(channel_zone(ctx.settings, channel)).date(), ctx.now
    return Context(
        ctx.db,
        as_of=local_date,
        user_id=ctx.user_id,
        is_admin=ctx.is_admin,
        now=now,
        surface=ctx.surface,
        read_only=ctx.read_only,
    )


def _epoch(stored: str) -> int:
    return int(parse_utc(stored).timestamp())


def compute_digest(ctx: Context, channel: str | None) -> dict:
    """The digest for `channel` on local day `ctx.as_of`, built at
    `ctx.now`, as JSON (numbers, rates in percent)."""
    db, now, settings = ctx.db, ctx.now, ctx.settings
    previous = previous_digest_at(db, channel, ctx.as_of.isoformat()) if channel else None
    since = previous or format_utc(now - timedelta(days=1))
    until = format_utc(now)
    quiet_from = silence_start(now, settings["dismiss_days"])

    k = read_inputs(ctx, Request("digest"), NO_FILTERS)
    period, basis = headline_period(ctx.as_of, ctx.calendar)
    last = period.previous()
    retention = retention_data(
        period,
        compute_period_retention(k.frame, k.scope, period, k.window, k.tz),
        last,
        compute_period_retention(k.frame, k.scope, last, k.window, k.tz),
        k.window,
    )
    retention["basis"] = basis
    retention["month_days_so_far"] = ctx.calendar.split(ctx.as_of)[2]  # the day of the month

    window = k.window * 86400
    lo, hi = _epoch(since), _epoch(until)
    lost = active_at(k.frame, k.scope, lo - window, lo) & ~active_at(k.frame, k.scope, hi - window, hi)
    churned = {"count": int(lost.sum()), "customers": lost_customers(k, lost, hi)[:SHOWN]}

    quiet_rows, quiet_total = load_went_quiet(db, since, until, quiet_from, SHOWN)
    won_rows, won_total = load_won_back(db, since, until, SHOWN)
    after = timedelta(days=settings["escalate_after_days"])
    overdue = load_overdue(db, until, format_utc(now - after), format_utc(parse_utc(since) - after), quiet_from)

    cur = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(period, k.tz)))
    prev = compute_feedback(feedback_counts(k.frame, k.scope, *period_utc(last, k.tz)))
    nps = {
        "nps": cur.nps,
        "responses": cur.nps_responses,
        "previous_nps": prev.nps,
        "previous_responses": prev.nps_responses,
        "new_answers": count_feedback_between(db, "nps", since, until),
    }

    data = {
        "channel": channel,
        "date": ctx.as_of.isoformat(),
        "timezone": str(ctx.tz),
        "since": since,
        "until": until,
        "first": previous is None,
        "retention": retention,
        "churned": churned,
        "went_quiet": {"count": int(quiet_total), "customers": [item_entry(r, ctx.tz) for r in quiet_rows]},
        "won_back": {"count": int(won_total), "customers": [item_entry(r, ctx.tz) for r in won_rows]},
        "overdue": {**overdue, "after_days": settings["escalate_after_days"]},
        "nps": nps,
    }
    data["all_quiet"] = not (churned["count"] or quiet_total or won_total or overdue["new"] or nps["new_answers"])
    return data


MIN_HEADLINE_DAYS = 7


def headline_period(as_of: date, calendar: Calendar) -> tuple[Period, str]:
    """The period the digest's CRR and NPS are over: this month so far, or
    the last full month while this one has fewer than MIN_HEADLINE_DAYS
    (months of the workspace calendar)."""
    month = parse_period(["this-month"], as_of, calendar)
    if month.days >= MIN_HEADLINE_DAYS:
        return month, "month_to_date"
    return parse_period(["last-month"], as_of, calendar), "last_full_month"


def headline_words(r: dict) -> tuple[str, str]:
    """How the digest names its period and the one it is compared with."""
    if r.get("basis") == "last_full_month":
        days = fmt.plural(r["month_days_so_far"], "day")
        return (
            f"in {r['period']['label']} (the last full month; this one has {days} so far)",
            r["previous"]["period"]["label"],
        )
    if r["period"].get("to_date"):
        return "this month so far", "the same days of last month"
    return "this month", "last month"


def since_label(d: dict) -> str:
    local = parse_utc(d["since"]).astimezone(ZoneInfo(d.get("timezone") or "UTC"))
    when = f"{fmt.date_in(local.date(), _calendar(d))} {local:%H:%M %Z}"
    return f"since the last digest ({when})" if not d["first"] else f"in the last 24 hours (first digest, from {when})"


def quiet_block(item: dict, currency: str, claimed_by: str | None = None) -> dict:
    """One customer who went quiet: value, reason, owner — and a Claim button
    while nobody owns them. Its block id lets a click rewrite it in place."""
    owner = item["rep_id"]
    owner_label = owner_text(owner) + (" (just claimed)" if claimed_by else "")
    reason = B.escape(item["reason"]) if item["reason"] else "flagged by the last score run"
    text = f"{B.customer_label(item['name'], item.get('company'), item['customer_id'])} — {fmt.money(item['value'], currency)}\n{reason} · owner {owner_label}"
    # The follow-up's number, not the customer id, in the button and block id:
    # this message is in a channel, and a customer id may be an email.
    ref = claim_ref(item["followup_id"])
    accessory = None if owner else B.button("Claim", ACTION_CLAIM, ref, style="primary")
    block = B.section(text, accessory=accessory)
    block["block_id"] = f"cq:{ref}"
    return block


def claim_ref(followup_id: int) -> str:
    return f"f{int(followup_id)}"


def retention_line(r: dict) -> str:
    prev = r["previous"]
    now_words, then_words = headline_words(r)
    crr_change = vs(r["crr"], prev["crr"], then_words, fmt.pct(prev["crr"]))
    churn_change = vs(r["churn_rate"], prev["churn_rate"], then_words, fmt.pct(prev["churn_rate"]))
    return (
        f"*CRR {fmt.pct(r['crr'])}* {now_words}{'  ' + crr_change if crr_change else ''}\n"
        f"*Churn {fmt.pct(r['churn_rate'])}*{'  ' + churn_change if churn_change else ''}"
    )


def _calendar(d: dict) -> Calendar:
    """The digest's calendar: its headline period's."""
    return fmt.calendar_of(d["retention"]["period"])


def build_digest_message(d: dict, currency: str) -> dict:
    day = date.fromisoformat(d["date"])
    cal = _calendar(d)
    title = (
        f"Churn digest · {day:%a %d %b %Y}" if cal.name == GREGORIAN else f"Churn digest · {day:%a} {cal.shown(day)}"
    )
    r = d["retention"]
    at_risk = B.actions([B.button("Open the at-risk list", ACTION_AT_RISK, "at-risk")], block_id="digest:actions")
    crr_text = (
        f"CRR {fmt.pct(r['crr'])} (E {r['E']:,}, N {r['N_active']:,}, S {r['S']:,}), churn {fmt.pct(r['churn_rate'])}"
    )
    if d["all_quiet"]:
        text = f"{title}: all quiet {since_label(d)}. {crr_text} {headline_words(r)[0]}."
        return B.message(
            text,
            [
                B.header(title),
                B.section(
                    f":zzz: *All quiet {since_label(d)}* — nobody churned or went quiet, no wins, "
                    "nothing newly overdue."
                ),
                B.context(f"{headline_words(r)[0].capitalize()}: {crr_equation(r)} · churn {fmt.pct(r['churn_rate'])}"),
                at_risk,
            ],
        )
    prev = r["previous"]
    blocks = [
        B.header(title),
        B.section(retention_line(r)),
        *B.fields(
            [
                (f"{r['period']['label']} ({fmt.span(r['period'])})", crr_equation(r)),
                (f"{prev['period']['label']} ({fmt.span(prev['period'])})", crr_equation(prev)),
            ]
        ),
        B.context(f"What changed {since_label(d)}:"),
    ]
    parts = [crr_text]
    churned = d["churned"]
    if churned["count"]:
        lines = [
            f"• {B.customer_label(c['name'], c.get('company'), c['id'])} — {fmt.money(c['revenue'], currency)} · last order {fmt.day(c['last_order'], UTC, cal)}"
            + (f" · {owner_text(c['owner_rep_id'])}" if c["owner_rep_id"] else "")
            for c in churned["customers"]
        ]
        more = churned["count"] - len(churned["customers"])
        if more > 0:
            lines.append(B.and_more(more, "more"))
        blocks += B.lines_section(
            [f":wave: *{churned['count']:,} churned* (no paid order in the last {r['activity_window']} days)", *lines]
        )
        parts.append(f"{churned['count']:,} churned")
    quiet = d["went_quiet"]
    if quiet["count"]:
        blocks.append(
            B.section(
                f":warning: *{quiet['count']:,} high-value customer{'s' if quiet['count'] != 1 else ''} went quiet*"
            )
        )
        blocks += [quiet_block(c, currency) for c in quiet["customers"]]
        more = quiet["count"] - len(quiet["customers"])
        if more > 0:
            blocks.append(B.context(B.and_more(more, "more: open the at-risk list")))
        parts.append(f"{quiet['count']:,} went quiet")
    won = d["won_back"]
    if won["count"]:
        lines = [
            f"• {B.customer_label(c['name'], c.get('company'), c['customer_id'])} — credited to {owner_text(c['rep_id'])} · "
            f"{fmt.money(c['value_at_open'], currency)} at stake · {B.escape(c['note'] or 'ordered again')}"
            for c in won["customers"]
        ]
        more = won["count"] - len(won["customers"])
        if more > 0:
            lines.append(B.and_more(more, "more"))
        blocks += B.lines_section([f":trophy: *{won['count']:,} won back*", *lines])
        parts.append(f"{won['count']:,} won back")
    overdue = d["overdue"]
    if overdue["count"]:
        reps = " · ".join(f"{owner_text(x['rep_id'])} {x['count']:,}" for x in overdue["by_rep"][:10])
        blocks.append(
            B.section(
                f":alarm_clock: *{overdue['count']:,} follow-up{'s' if overdue['count'] != 1 else ''} overdue* "
                f"(no action for {overdue['after_days']}+ days; {overdue['new']:,} new): {reps}"
            )
        )
        parts.append(f"{overdue['count']:,} overdue")
    nps = d["nps"]
    if nps["new_answers"]:
        shown = "—" if nps["nps"] is None else f"{nps['nps']:.1f}"
        change = vs(
            nps["nps"],
            nps["previous_nps"],
            headline_words(r)[1],
            "—" if nps["previous_nps"] is None else f"{nps['previous_nps']:.1f}",
            unit="",
        )
        blocks.append(
            B.section(
                f":speech_balloon: *NPS {shown}* {headline_words(r)[0]}{'  ' + change if change else ''} · "
                f"{nps['new_answers']:,} new answer{'s' if nps['new_answers'] != 1 else ''}"
            )
        )
        parts.append(f"NPS {shown}")
    blocks.append(at_risk)
    return B.message(f"{title}: " + "; ".join(parts), blocks)


def build_digest_sent_message(outcome: dict) -> dict:
    """What `digest now` answers once the bot has tried to post: `outcome`
    has `status` (sent | already sent | sending elsewhere | unconfirmed |
    pending | failed), `channel`, `key` and, when it failed, `error`."""
    where = f"<#{outcome['channel']}>"
    status = outcome["status"]
    if status == "sent":
        text = f":white_check_mark: Digest posted to {where}."
    elif status == "already sent":
        text = f"Today's digest was already sent to {where}; nothing was posted. Add `force` to post it again."
    elif status == "sending elsewhere":
        text = f":hourglass_flowing_sand: The digest for {where} is being posted right now by another instance."
    elif status == "unconfirmed":
        text = (
            f":hourglass_flowing_sand: Slack did not confirm the digest for {where}; the next try checks the "
            "channel first, so it is never posted twice."
        )
    elif status == "pending":
        text = f":hourglass_flowing_sand: Slack did not take the digest for {where} yet; it will be retried."
    else:
        text = f":warning: The digest for {where} could not be posted: `{B.escape(outcome.get('error') or status)}`."
    return B.message(text, [B.section(text), B.context(f"delivery `{B.escape(outcome['key'])}`")])
