"""`retention-bot status`: the state an operator checks before anything else,
as JSON-able data and as lines of text.

Every configured digest channel is listed, also one that never had a digest
(its absence is the news), and the outbox's backlog and failures come with
their errors, since those are what someone has to act on.
"""

import copy
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from analytics.calendars import GREGORIAN, calendar_named
from commands import format as fmt
from commands.i18n import DEFAULT_LANGUAGE
from storage.db import schema_version
from storage.fields import parse_utc
from storage.settings import MODEL_META, load_meta, load_settings
from storage.sources.state import load_source_states
from storage.status import (
    count_customers,
    load_last_digests,
    load_last_import,
    load_outbox_status,
    load_score_status,
)


def compute_status(
    db: Database, *, score_mark: str | None = None, sources: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """`score_mark`: the meta key under which the scheduler records its
    nightly score runs (owned by bot/, so passed in). `sources`: the (name,
    kind) of each source in the sources file, listed even before its first
    sync."""
    digests = {d["channel"]: d for d in load_last_digests(db)}
    configured = [e["channel"] for e in load_settings(db)["digest_channels"]]
    channels = [
        {"channel": c, "configured": c in configured, "last": digests.get(c)}
        for c in [*configured, *sorted(set(digests) - set(configured))]
    ]
    model = load_meta(db, MODEL_META)
    score = load_score_status(db)
    score["model"] = {"model": model["model"], "reason": model["reason"], "as_of": model["as_of"]} if model else None
    score["nightly_run_at"] = load_meta(db, score_mark) if score_mark else None
    return {
        "schema_version": schema_version(db),
        "customers": count_customers(db),
        "digests": channels,
        "outbox": load_outbox_status(db),
        "last_import": load_last_import(db),
        "score": score,
        "sources": _sources(db, sources or []),
    }


def _sources(db: Database, configured: list[tuple[str, str]]) -> list[dict[str, Any]]:
    states = {s["name"]: s for s in load_source_states(db)}
    names = [n for n, _ in configured] + sorted(set(states) - {n for n, _ in configured})
    kinds = dict(configured)
    out = []
    for name in names:
        state = states.get(name) or {}
        out.append(
            {
                "name": name,
                "kind": kinds.get(name) or state.get("kind"),
                "configured": name in kinds,
                "last_sync": state.get("synced_at"),
                "last_attempt": state.get("attempted_at"),
                "added": state.get("added", 0),
                "updated": state.get("updated", 0),
                "cursor": state.get("cursor"),
                "last_error": state.get("last_error"),
                "failing_since": state.get("failing_since"),
            }
        )
    return out


def status_lines(status: dict[str, Any]) -> list[str]:
    lines = [f"Schema: {status['schema_version']}; {fmt.plural(status['customers'], 'customer')}"]
    if not status["digests"]:
        lines.append("Digests: no channel configured (set digest_channels)")
    for entry in status["digests"]:
        last = entry["last"]
        where = entry["channel"] + ("" if entry["configured"] else " (no longer configured)")
        if last is None:
            lines.append(f"Digest {where}: never posted")
        elif last["status"] == "sent":
            lines.append(f"Digest {where}: {last['key']} sent at {last['sent_at']}")
        elif last["status"] == "sending":
            lines.append(
                f"Digest {where}: {last['key']} being sent (claimed at {last['claimed_at']}, "
                f"attempt {last['attempts']})"
            )
        elif last["status"] == "pending" and last["uncertain"]:
            lines.append(
                f"Digest {where}: {last['key']} unconfirmed: Slack did not answer the post "
                f"({last['last_error']}); the next attempt checks the channel before posting"
            )
        else:
            error = f" ({last['last_error']})" if last["last_error"] else ""
            lines.append(f"Digest {where}: {last['key']} {last['status']} after {last['attempts']} attempt(s){error}")
    outbox = status["outbox"]
    counts = outbox["counts"]
    waiting = f", oldest waiting since {outbox['oldest_waiting']}" if outbox["oldest_waiting"] else ""
    lines.append(
        f"Outbox: {outbox['backlog']} waiting ({counts['pending']} pending, {counts['sending']} sending)"
        f"{waiting}; {counts['sent']} sent; {counts['failed']} failed"
    )
    for failure in outbox["recent_failures"]:
        lines.append(f"  failed {failure['key']}: {failure['error']}")
    imp = status["last_import"]
    if imp is None:
        lines.append("Last import: none")
    else:
        lines.append(
            f"Last import: {imp['kind']} from {imp['file']} ({imp['format']}) at {imp['imported_at']}: "
            f"{imp['added']} added, {imp['updated']} updated, {imp['unchanged']} unchanged, "
            f"{imp['rejected']} rejected"
        )
    score = status["score"]
    if not score["customers"]:
        lines.append("Last score: none (run `retention-bot score`)")
    else:
        lines.append(
            f"Last score: as of {score['as_of']}, {fmt.plural(score['customers'], 'customer')}, "
            f"{score['quiet']:,} going quiet"
        )
    if score["model"]:
        lines.append(f"Model: {score['model']['model']} — {score['model']['reason']}")
    if score["nightly_run_at"]:
        lines.append(f"Nightly score last ran at {score['nightly_run_at']}")
    for src in status["sources"]:
        where = f"Source {src['name']} ({src['kind']})" + ("" if src["configured"] else " (no longer configured)")
        if src["last_sync"] is None and src["last_error"] is None:
            lines.append(f"{where}: never synced (run `retention-bot sync {src['name']}`)")
            continue
        text = f"{where}: last sync {src['last_sync'] or 'never'}"
        if src["last_sync"]:
            text += f", {src['added']:,} added, {src['updated']:,} updated; cursor {src['cursor']}"
        if src["last_error"]:
            text += f"; failing since {src['failing_since']}: {src['last_error']}"
        lines.append(text)
    return lines


def shown_status(status: dict[str, Any], settings: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """`status` with its times as people in the workspace read them, for
    `status_lines`: in the Persian calendar, each stored UTC instant is its
    local time in the workspace zone (`1405/09/15 08:30`), each day a Persian
    day, the model's reason too, with Persian digits in Persian. In the
    Gregorian calendar the stored values stay as they are (an operator's
    view; the JSON always keeps them)."""
    calendar = calendar_named(settings["calendar"])
    if calendar.name == GREGORIAN:
        return status
    tz = ZoneInfo(settings["timezone"])

    def when(value: Any) -> Any:
        text = str(value or "")
        if len(text) == 20 and text.endswith("Z"):
            local = parse_utc(text).astimezone(tz)
            return fmt.digits(f"{calendar.shown(local.date())} {local:%H:%M}", lang)
        if len(text) == 10 and text[4] == "-":
            return fmt.digits(calendar.shown(date.fromisoformat(text)), lang)
        return value

    shown = copy.deepcopy(status)
    for entry in shown["digests"]:
        if entry["last"]:
            entry["last"].update({k: when(entry["last"].get(k)) for k in ("sent_at", "claimed_at")})
    shown["outbox"]["oldest_waiting"] = when(shown["outbox"]["oldest_waiting"])
    if shown["last_import"]:
        shown["last_import"]["imported_at"] = when(shown["last_import"]["imported_at"])
    score = shown["score"]
    score["as_of"], score["nightly_run_at"] = when(score["as_of"]), when(score["nightly_run_at"])
    if score["model"]:
        model = score["model"]
        model["reason"] = str(model["reason"]).replace(str(model["as_of"]), str(when(model["as_of"])))
        model["as_of"] = when(model["as_of"])
    for src in shown["sources"]:
        src["last_sync"], src["failing_since"] = when(src["last_sync"]), when(src["failing_since"])
    return shown
