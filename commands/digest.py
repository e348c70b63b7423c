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
from commands.freshness import compute_freshness
from commands.i18n import DEFAULT_LANGUAGE, LOCALES, N_, _, _n
from commands.kpi_inputs import period_utc, read_inputs, vs
from commands.messages import sources_line, stale_warning
from commands.remind import item_entry, said_note
from commands.value_parts import owner_text, reason_from, reason_text
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
        admins = " ".join(f"<@{a}>" for a in ctx.settings["admins"])
        if admins:
            problem = _(
                ctx.lang,
                "Only admins can post the digest; ask {admins}, or use {preview}.",
                admins=admins,
                preview="`digest preview`",
            )
        else:
            problem = _(
                ctx.lang,
                "Only admins can post the digest; ask a workspace admin, or use {preview}.",
                preview="`digest preview`",
            )
        return Answer(
            "digest",
            {"mode": mode, "error": problem},
            B.message(problem, [B.section(f":warning: {problem}")]),
            ok=False,
        )
    if mode == "now" and ctx.surface == "slack":
        text = _(ctx.lang, "Posting the digest to {channel}…", channel=f"<#{channel}>")
        return Answer(
            "digest",
            {"mode": mode, "channel": channel, "post": {"channel": channel, "force": force}},
            B.message(text, [B.section(text)]),
        )
    data = {"mode": mode, **compute_digest(digest_context(ctx, channel), channel)}
    message = build_digest_message(data, ctx.display_currency, channel_language(ctx.settings, channel, ctx.lang))
    if mode == "preview":
        return Answer("digest", data, message)
    note = _(
        ctx.lang,
        "Not posted: the console has no Slack connection. {command} posts it when {token} is set.",
        command="`retention-bot digest now`",
        token="SLACK_BOT_TOKEN",
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


def channel_language(settings: dict, channel: str | None, default: str | None = None) -> str:
    """The language a channel's digest is written in: the channel's own
    (`digest_channels … lang fa`), else `default` (a preview: the asker's),
    else the workspace's."""
    entry = next((e for e in settings["digest_channels"] if e["channel"] == channel), None)
    return (entry or {}).get("lang") or default or settings["language"]


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
        "went_quiet": {
            "count": int(quiet_total),
            "customers": [item_entry(r, ctx.tz, ctx.currency) for r in quiet_rows],
        },
        "won_back": {"count": int(won_total), "customers": [item_entry(r, ctx.tz, ctx.currency) for r in won_rows]},
        "overdue": {**overdue, "after_days": settings["escalate_after_days"]},
        "nps": nps,
    }
    data["all_quiet"] = not (churned["count"] or quiet_total or won_total or overdue["new"] or nps["new_answers"])
    data["freshness"] = compute_freshness(db, now)
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


def headline_words(r: dict, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """How the digest names its period and the one it is compared with."""
    if r.get("basis") == "last_full_month":
        n = r["month_days_so_far"]
        return (
            _n(
                lang,
                "in {period} (the last full month; this one has {count} day so far)",
                "in {period} (the last full month; this one has {count} days so far)",
                n,
                period=fmt.period_label(r["period"], lang),
                count=fmt.count(n, lang),
            ),
            fmt.period_label(r["previous"]["period"], lang),
        )
    if r["period"].get("to_date"):
        return _(lang, "this month so far"), _(lang, "the same days of last month")
    return _(lang, "this month"), _(lang, "last month")


def since_label(d: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    local = parse_utc(d["since"]).astimezone(ZoneInfo(d.get("timezone") or "UTC"))
    when = fmt.digits(f"{fmt.date_in(local.date(), _calendar(d))} {local:%H:%M %Z}", lang)
    if d["first"]:
        return _(lang, "in the last 24 hours (first digest, from {when})", when=when)
    return _(lang, "since the last digest ({when})", when=when)


def quiet_block(item: dict, currency: str, claimed_by: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict:
    """One customer who went quiet: value, reason, owner — and a Claim button
    while nobody owns them. Its block id lets a click rewrite it in place."""
    owner = item["rep_id"]
    if claimed_by:
        owner_label = _(lang, "{owner} (just claimed)", owner=owner_text(owner, lang))
    else:
        owner_label = owner_text(owner, lang)
    if item["why"]:
        reason = reason_text(reason_from(item["why"]), currency, lang)
    else:
        reason = _(lang, "flagged by the last score run")
    text = _(
        lang,
        "{who} — {value}\n{reason} · owner {owner}",
        who=B.customer_label(item["name"], item.get("company"), item["customer_id"]),
        value=fmt.money(item["value"], currency, lang=lang),
        reason=reason,
        owner=owner_label,
    )
    # The follow-up's number, not the customer id, in the button and block id:
    # this message is in a channel, and a customer id may be an email.
    ref = claim_ref(item["followup_id"])
    accessory = None if owner else B.button(_(lang, "Claim"), ACTION_CLAIM, ref, style="primary")
    block = B.section(text, accessory=accessory)
    block["block_id"] = f"cq:{ref}"
    return block


def claim_ref(followup_id: int) -> str:
    return f"f{int(followup_id)}"


def retention_line(r: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    prev = r["previous"]
    now_words, then_words = headline_words(r, lang)
    crr_change = vs(r["crr"], prev["crr"], then_words, fmt.pct(prev["crr"], lang=lang), lang=lang)
    churn_change = vs(
        r["churn_rate"], prev["churn_rate"], then_words, fmt.pct(prev["churn_rate"], lang=lang), lang=lang
    )
    crr = _(lang, "*CRR {rate}* {when}", rate=fmt.pct(r["crr"], lang=lang), when=now_words)
    churn = _(lang, "*Churn {rate}*", rate=fmt.pct(r["churn_rate"], lang=lang))
    return f"{crr}{'  ' + crr_change if crr_change else ''}\n{churn}{'  ' + churn_change if churn_change else ''}"


def _calendar(d: dict) -> Calendar:
    """The digest's calendar: its headline period's."""
    return fmt.calendar_of(d["retention"]["period"])


def digest_title(day: date, cal: Calendar, lang: str = DEFAULT_LANGUAGE) -> str:
    if lang == DEFAULT_LANGUAGE:
        if cal.name == GREGORIAN:
            return f"Churn digest · {day:%a %d %b %Y}"
        return f"Churn digest · {day:%a} {cal.shown(day)}"
    from babel.dates import format_date

    locale = LOCALES[lang]
    if cal.name == GREGORIAN:
        shown = format_date(day, "EEE d MMM y", locale=locale)
    else:
        shown = f"{format_date(day, 'EEEE', locale=locale)} {cal.shown(day)}"
    return _(lang, "Churn digest · {day}", day=fmt.digits(shown, lang))


def build_digest_message(d: dict, currency: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The digest's message; with live sources it ends with how fresh the
    data is, and a stale warning leads it."""
    return _with_freshness(_digest_message(d, currency, lang), d, lang)


def _with_freshness(msg: dict, d: dict, lang: str) -> dict:
    fresh = d.get("freshness")
    if not fresh:
        return msg
    tz, cal, now = ZoneInfo(d["timezone"]), _calendar(d), parse_utc(d["until"])
    blocks, text = list(msg["blocks"]), msg["text"]
    end = len(blocks) - 1 if blocks and blocks[-1].get("type") == "actions" else len(blocks)
    if fresh["data_to"]:
        blocks.insert(end, B.context(sources_line(fresh, tz, cal, now, lang)))
    warning = stale_warning(fresh, tz, cal, lang)
    if warning:
        blocks.insert(1, B.section(warning))
        text = f"{warning} {text}"
    return B.message(text, blocks)


def _digest_message(d: dict, currency: str, lang: str) -> dict:
    day = date.fromisoformat(d["date"])
    cal = _calendar(d)
    title = digest_title(day, cal, lang)
    r = d["retention"]
    at_risk = B.actions(
        [B.button(_(lang, "Open the at-risk list"), ACTION_AT_RISK, "at-risk")], block_id="digest:actions"
    )
    crr_text = _(
        lang,
        "CRR {crr} (E {E}, N {N}, S {S}), churn {churn}",
        crr=fmt.pct(r["crr"], lang=lang),
        E=fmt.count(r["E"], lang),
        N=fmt.count(r["N_active"], lang),
        S=fmt.count(r["S"], lang),
        churn=fmt.pct(r["churn_rate"], lang=lang),
    )
    now_words, then_words = headline_words(r, lang)
    since = since_label(d, lang)
    if d["all_quiet"]:
        text = _(
            lang, "{title}: all quiet {since}. {crr} {when}.", title=title, since=since, crr=crr_text, when=now_words
        )
        when = now_words[:1].upper() + now_words[1:]
        return B.message(
            text,
            [
                B.header(title),
                B.section(
                    _(
                        lang,
                        ":zzz: *All quiet {since}* — nobody churned or went quiet, no wins, nothing newly overdue.",
                        since=since,
                    )
                ),
                B.context(
                    _(
                        lang,
                        "{when}: {equation} · churn {churn}",
                        when=when,
                        equation=crr_equation(r, lang),
                        churn=fmt.pct(r["churn_rate"], lang=lang),
                    )
                ),
                at_risk,
            ],
        )
    prev = r["previous"]
    blocks = [
        B.header(title),
        B.section(retention_line(r, lang)),
        *B.fields(
            [
                (
                    f"{fmt.period_label(r['period'], lang)} ({fmt.span(r['period'], lang)})",
                    crr_equation(r, lang),
                ),
                (
                    f"{fmt.period_label(prev['period'], lang)} ({fmt.span(prev['period'], lang)})",
                    crr_equation(prev, lang),
                ),
            ]
        ),
        B.context(_(lang, "What changed {since}:", since=since)),
    ]
    parts = [crr_text]
    churned = d["churned"]
    if churned["count"]:
        lines = []
        for c in churned["customers"]:
            values = {
                "who": B.customer_label(c["name"], c.get("company"), c["id"]),
                "revenue": fmt.money(c["revenue"], currency, lang=lang),
                "day": fmt.day(c["last_order"], UTC, cal, lang),
            }
            if c["owner_rep_id"]:
                lines.append(
                    _(
                        lang,
                        "• {who} — {revenue} · last order {day} · {owner}",
                        owner=owner_text(c["owner_rep_id"], lang),
                        **values,
                    )
                )
            else:
                lines.append(_(lang, "• {who} — {revenue} · last order {day}", **values))
        more = churned["count"] - len(churned["customers"])
        if more > 0:
            lines.append(_n(lang, "_…and {count} more_", "_…and {count} more_", more, count=fmt.count(more, lang)))
        head = _(
            lang,
            ":wave: *{count} churned* (no paid order in the last {days} days)",
            count=fmt.count(churned["count"], lang),
            days=fmt.count(r["activity_window"], lang),
        )
        blocks += B.lines_section([head, *lines])
        parts.append(_(lang, "{count} churned", count=fmt.count(churned["count"], lang)))
    quiet = d["went_quiet"]
    if quiet["count"]:
        blocks.append(
            B.section(
                _n(
                    lang,
                    ":warning: *{count} high-value customer went quiet*",
                    ":warning: *{count} high-value customers went quiet*",
                    quiet["count"],
                    count=fmt.count(quiet["count"], lang),
                )
            )
        )
        blocks += [quiet_block(c, currency, lang=lang) for c in quiet["customers"]]
        more = quiet["count"] - len(quiet["customers"])
        if more > 0:
            blocks.append(
                B.context(
                    _n(
                        lang,
                        "_…and {count} more: open the at-risk list_",
                        "_…and {count} more: open the at-risk list_",
                        more,
                        count=fmt.count(more, lang),
                    )
                )
            )
        parts.append(_(lang, "{count} went quiet", count=fmt.count(quiet["count"], lang)))
    won = d["won_back"]
    if won["count"]:
        lines = [
            _(
                lang,
                "• {who} — credited to {owner} · {value} at stake · {note}",
                who=B.customer_label(c["name"], c.get("company"), c["customer_id"]),
                owner=owner_text(c["rep_id"], lang),
                value=fmt.money(c["value_at_open"], currency, lang=lang),
                note=said_note(c["note"], cal, lang) if c["note"] else _(lang, "ordered again"),
            )
            for c in won["customers"]
        ]
        more = won["count"] - len(won["customers"])
        if more > 0:
            lines.append(_n(lang, "_…and {count} more_", "_…and {count} more_", more, count=fmt.count(more, lang)))
        blocks += B.lines_section([_(lang, ":trophy: *{count} won back*", count=fmt.count(won["count"], lang)), *lines])
        parts.append(_(lang, "{count} won back", count=fmt.count(won["count"], lang)))
    overdue = d["overdue"]
    if overdue["count"]:
        reps = " · ".join(
            f"{owner_text(x['rep_id'], lang)} {fmt.count(x['count'], lang)}" for x in overdue["by_rep"][:10]
        )
        blocks.append(
            B.section(
                _n(
                    lang,
                    ":alarm_clock: *{count} follow-up overdue* (no action for {days}+ days; {new} new): {reps}",
                    ":alarm_clock: *{count} follow-ups overdue* (no action for {days}+ days; {new} new): {reps}",
                    overdue["count"],
                    count=fmt.count(overdue["count"], lang),
                    days=fmt.count(overdue["after_days"], lang),
                    new=fmt.count(overdue["new"], lang),
                    reps=reps,
                )
            )
        )
        parts.append(_(lang, "{count} overdue", count=fmt.count(overdue["count"], lang)))
    nps = d["nps"]
    if nps["new_answers"]:
        shown = "—" if nps["nps"] is None else fmt.number(nps["nps"], lang, 1)
        change = vs(
            nps["nps"],
            nps["previous_nps"],
            then_words,
            "—" if nps["previous_nps"] is None else fmt.number(nps["previous_nps"], lang, 1),
            unit="",
            lang=lang,
        )
        line = _n(
            lang,
            ":speech_balloon: *NPS {nps}* {when}{change} · {count} new answer",
            ":speech_balloon: *NPS {nps}* {when}{change} · {count} new answers",
            nps["new_answers"],
            nps=shown,
            when=now_words,
            change="  " + change if change else "",
            count=fmt.count(nps["new_answers"], lang),
        )
        blocks.append(B.section(line))
        parts.append(f"NPS {shown}")
    blocks.append(at_risk)
    return B.message(_(lang, "{title}: {summary}", title=title, summary=_(lang, "; ").join(parts)), blocks)


def build_digest_sent_message(outcome: dict, lang: str = DEFAULT_LANGUAGE) -> dict:
    """What `digest now` answers once the bot has tried to post: `outcome`
    has `status` (sent | already sent | sending elsewhere | unconfirmed |
    pending | failed), `channel`, `key` and, when it failed, `error`."""
    where = f"<#{outcome['channel']}>"
    status = outcome["status"]
    if status == "sent":
        text = _(lang, ":white_check_mark: Digest posted to {channel}.", channel=where)
    elif status == "already sent":
        text = _(
            lang,
            "Today's digest was already sent to {channel}; nothing was posted. Add {force} to post it again.",
            channel=where,
            force="`force`",
        )
    elif status == "sending elsewhere":
        text = _(
            lang,
            ":hourglass_flowing_sand: The digest for {channel} is being posted right now by another instance.",
            channel=where,
        )
    elif status == "unconfirmed":
        text = _(
            lang,
            ":hourglass_flowing_sand: Slack did not confirm the digest for {channel}; the next try checks the "
            "channel first, so it is never posted twice.",
            channel=where,
        )
    elif status == "pending":
        text = _(
            lang,
            ":hourglass_flowing_sand: Slack did not take the digest for {channel} yet; it will be retried.",
            channel=where,
        )
    else:
        text = _(
            lang,
            ":warning: The digest for {channel} could not be posted: {error}.",
            channel=where,
            error=f"`{B.escape(outcome.get('error') or status)}`",
        )
    delivery = _(lang, "delivery {key}", key=f"`{B.escape(outcome['key'])}`")
    return B.message(text, [B.section(text), B.context(delivery)])
