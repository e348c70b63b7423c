"""`retention-bot status`: the state an operator checks before anything else,
as JSON-able data and as lines of text.

Every configured digest channel is listed, also one that never had a digest
(its absence is the news), and the outbox's backlog and failures come with
their errors, since those are what someone has to act on.
"""

import copy
from datetime import UTC, date, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from analytics.calendars import GREGORIAN, GREGORIAN_CALENDAR, Calendar, calendar_named
from commands import format as fmt
from commands.i18n import DEFAULT_LANGUAGE, _, _n
from commands.problems import said
from storage.db import schema_version
from storage.fields import parse_utc
from storage.settings import MODEL_META, load_meta, load_settings
from storage.sources.state import load_source_states, stored_error
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


def status_text(db: Database, status: dict[str, Any], settings: dict[str, Any], lang: str) -> list[str]:
    """`status` as lines of text in `lang`: its times as the workspace reads
    them, the model's line said from its summary in Armenian and Persian."""
    calendar = calendar_named(settings["calendar"])
    shown = shown_status(status, settings, lang)
    if lang != DEFAULT_LANGUAGE:
        states = {s["name"]: s for s in load_source_states(db)}
        for src in shown["sources"]:
            if src["name"] in states:
                src["last_error"] = source_error(states[src["name"]], lang, calendar, ZoneInfo(settings["timezone"]))
    return status_lines(shown, lang, model=load_meta(db, MODEL_META), calendar=calendar)


def source_error(
    state: dict[str, Any], lang: str, calendar: Calendar = GREGORIAN_CALENDAR, tz: tzinfo = UTC
) -> str | None:
    """A source's last failure (its `load_source_state` row) in `lang`, said
    from its stored message and values; English as stored. One stored
    before the store kept those (schema m012) is quoted in English,
    labelled so, until the source's next sync."""
    error = state.get("last_error")
    if not error or lang == DEFAULT_LANGUAGE:
        return error
    message = stored_error(state)
    if message is None:
        return _(lang, "{error} (as stored, in English)", error=error)
    return said(lang, message.message, message.values, calendar, tz)


def status_lines(
    status: dict[str, Any],
    lang: str = DEFAULT_LANGUAGE,
    *,
    model: dict[str, Any] | None = None,
    calendar: Calendar = GREGORIAN_CALENDAR,
) -> list[str]:
    """The text of `status` in `lang` (English as it always was). A value
    below — a channel, key, file, cursor, Slack's error code — is shown as
    stored (isolated in Persian); a source's error comes said in `lang`
    (status_text);
    `model`, the fitted model's summary, lets Armenian and Persian say the
    model line in their words (English keeps the model's own reason)."""
    n = partial(fmt.count, lang=lang)
    lines = [
        _n(
            lang,
            "Schema: {version}; {count} customer",
            "Schema: {version}; {count} customers",
            status["customers"],
            version=status["schema_version"],
            count=n(status["customers"]),
        )
    ]
    if not status["digests"]:
        lines.append(_(lang, "Digests: no channel configured (set {setting})", setting="digest_channels"))
    for entry in status["digests"]:
        lines.append(_digest_line(entry, lang))
    outbox = status["outbox"]
    counts = {k: n(v) for k, v in outbox["counts"].items()}
    if outbox["oldest_waiting"]:
        lines.append(
            _(
                lang,
                "Outbox: {backlog} waiting ({pending} pending, {sending} sending), oldest waiting since {since}; "
                "{sent} sent; {failed} failed",
                backlog=n(outbox["backlog"]),
                since=outbox["oldest_waiting"],
                **counts,
            )
        )
    else:
        lines.append(
            _(
                lang,
                "Outbox: {backlog} waiting ({pending} pending, {sending} sending); {sent} sent; {failed} failed",
                backlog=n(outbox["backlog"]),
                **counts,
            )
        )
    for failure in outbox["recent_failures"]:
        lines.append(_(lang, "  failed {key}: {error}", key=failure["key"], error=failure["error"]))
    imp = status["last_import"]
    if imp is None:
        lines.append(_(lang, "Last import: none"))
    else:
        lines.append(
            _(
                lang,
                "Last import: {kind} from {file} ({format}) at {at}: {added} added, {updated} updated, "
                "{unchanged} unchanged, {rejected} rejected",
                kind=imp["kind"],
                file=imp["file"],
                format=imp["format"],
                at=imp["imported_at"],
                **{k: n(imp[k]) for k in ("added", "updated", "unchanged", "rejected")},
            )
        )
    score = status["score"]
    if not score["customers"]:
        lines.append(_(lang, "Last score: none (run {command})", command="`retention-bot score`"))
    else:
        lines.append(
            _n(
                lang,
                "Last score: as of {day}, {count} customer, {quiet} going quiet",
                "Last score: as of {day}, {count} customers, {quiet} going quiet",
                score["customers"],
                day=score["as_of"],
                count=n(score["customers"]),
                quiet=n(score["quiet"]),
            )
        )
    if score["model"]:
        if lang == DEFAULT_LANGUAGE or not model:
            lines.append(_(lang, "Model: {model} — {reason}", **score["model"]))
        else:
            from commands.value_parts import model_line  # with the value model's maths: only here, status stays light

            lines.append(model_line(model, lang, calendar))
    if score["nightly_run_at"]:
        lines.append(_(lang, "Nightly score last ran at {at}", at=score["nightly_run_at"]))
    for src in status["sources"]:
        lines.append(_source_line(src, lang))
    return lines


def _no_longer_configured(lang: str, name: str) -> str:
    return _(lang, "{name} (no longer configured)", name=name)


def _digest_line(entry: dict[str, Any], lang: str) -> str:
    last = entry["last"]
    where = entry["channel"] if entry["configured"] else _no_longer_configured(lang, entry["channel"])
    if last is None:
        return _(lang, "Digest {where}: never posted", where=where)
    key = last["key"]
    if last["status"] == "sent":
        return _(lang, "Digest {where}: {key} sent at {at}", where=where, key=key, at=last["sent_at"])
    if last["status"] == "sending":
        return _(
            lang,
            "Digest {where}: {key} being sent (claimed at {at}, attempt {attempt})",
            where=where,
            key=key,
            at=last["claimed_at"],
            attempt=fmt.count(last["attempts"], lang),
        )
    if last["status"] == "pending" and last["uncertain"]:
        return _(
            lang,
            "Digest {where}: {key} unconfirmed: Slack did not answer the post ({error}); the next attempt checks "
            "the channel before posting",
            where=where,
            key=key,
            error=last["last_error"],
        )
    values = {"where": where, "key": key, "count": fmt.count(last["attempts"], lang)}
    attempts = last["attempts"]
    if last["status"] == "failed" and last["last_error"]:
        return _n(
            lang,
            "Digest {where}: {key} failed after {count} attempt(s) ({error})",
            "Digest {where}: {key} failed after {count} attempt(s) ({error})",
            attempts,
            error=last["last_error"],
            **values,
        )
    if last["status"] == "failed":
        return _n(
            lang,
            "Digest {where}: {key} failed after {count} attempt(s)",
            "Digest {where}: {key} failed after {count} attempt(s)",
            attempts,
            **values,
        )
    if last["last_error"]:
        return _n(
            lang,
            "Digest {where}: {key} pending after {count} attempt(s) ({error})",
            "Digest {where}: {key} pending after {count} attempt(s) ({error})",
            attempts,
            error=last["last_error"],
            **values,
        )
    return _n(
        lang,
        "Digest {where}: {key} pending after {count} attempt(s)",
        "Digest {where}: {key} pending after {count} attempt(s)",
        attempts,
        **values,
    )


def _source_line(src: dict[str, Any], lang: str) -> str:
    """A source's line; its `last_error` already in `lang` (status_text)."""
    name = f"{src['name']} ({src['kind']})"
    where = name if src["configured"] else _no_longer_configured(lang, name)
    if src["last_sync"] is None and src["last_error"] is None:
        return _(
            lang,
            "Source {where}: never synced (run {command})",
            where=where,
            command=f"`retention-bot sync {src['name']}`",
        )
    if src["last_sync"] is None:
        return _(
            lang,
            "Source {where}: last sync never; failing since {since}: {error}",
            where=where,
            since=src["failing_since"],
            error=src["last_error"],
        )
    values = {
        "where": where,
        "at": src["last_sync"],
        "added": fmt.count(src["added"], lang),
        "updated": fmt.count(src["updated"], lang),
        "cursor": src["cursor"],
    }
    if src["last_error"]:
        return _(
            lang,
            "Source {where}: last sync {at}, {added} added, {updated} updated; cursor {cursor}; failing since "
            "{since}: {error}",
            since=src["failing_since"],
            error=src["last_error"],
            **values,
        )
    return _(
        lang,
        "Source {where}: last sync {at}, {added} added, {updated} updated; cursor {cursor}",
        **values,
    )


def shown_status(status: dict[str, Any], settings: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """`status` with its times as people in the workspace read them, for
    `status_lines`: each stored UTC instant is its local time in the
    workspace zone (`1405/09/15 08:30`), each day in the workspace calendar,
    the model's reason too, with Persian digits in Persian. English in the
    Gregorian calendar keeps the stored values as they are (an operator's
    view, pinned by scripts; the JSON always keeps them)."""
    calendar = calendar_named(settings["calendar"])
    if calendar.name == GREGORIAN and lang == DEFAULT_LANGUAGE:
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
