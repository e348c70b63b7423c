"""Validation of the schedule settings: local times, weekdays, digest channels.

Schedules are stored as local wall-clock times with an IANA zone (never a UTC
hour), so a 09:00 digest stays at 09:00 across daylight-saving changes. The
weekday form is the cron one (`mon-fri`, `mon,wed,fri`) that the scheduler
hands to its triggers as is.
"""

import json
import re
from typing import Any

from storage import fields as F
from storage.problems import N_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIME = "09:00"
DEFAULT_WEEKDAYS = "mon-fri"

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CHANNEL = re.compile(r"^<?#?([CG][A-Z0-9]{2,})(\|[^>]*)?>?$")


def local_time(raw: str) -> str:
    """`HH:MM`, 24-hour, normalised to two digits."""
    m = _TIME.match(str(raw).strip())
    if not m:
        raise F.FieldError(
            N_("{raw} is not a time of day"),
            N_("use {form}, 24-hour, like {example}"),
            raw=repr(raw),
            form="HH:MM",
            example="09:00",
        )
    return f"{int(m[1]):02d}:{m[2]}"


def weekdays(raw: str | list) -> str:
    """Days as a cron day-of-week list: names (`mon`, `monday`), ranges
    (`mon-fri`), or `daily`. A range may wrap past Sunday, as a week
    starting on Saturday does (`sat-wed`, Iran's working week): cron
    ranges cannot, so it is written as two (`sat-sun,mon-wed`)."""
    items = raw if isinstance(raw, list) else re.split(r"[,\s]+", str(raw))
    parts = [str(p).strip().lower() for p in items if str(p).strip()]
    if parts in (["daily"], ["*"]):
        return "mon-sun"
    out = []
    for part in parts:
        ends = [d.strip()[:3] for d in part.split("-")]
        if len(ends) > 2 or any(d not in DAYS for d in ends):
            raise F.FieldError(
                N_("{raw} is not a list of weekdays"),
                N_("use e.g. {range}, {days} or {daily}"),
                raw=repr(raw),
                range="mon-fri",
                days="mon,wed,fri",
                daily="daily",
            )
        if len(ends) == 2 and DAYS.index(ends[0]) > DAYS.index(ends[1]):
            out += [f"{ends[0]}-sun" if ends[0] != "sun" else "sun", f"mon-{ends[1]}" if ends[1] != "mon" else "mon"]
            continue
        out.append("-".join(ends))
    if not out:
        raise F.FieldError(N_("no weekdays given"), N_("use e.g. {range}"), range="mon-fri")
    return ",".join(out)


def _channel(raw: Any) -> str:
    m = _CHANNEL.match(str(raw or "").strip())
    if not m:
        raise F.FieldError(
            N_("{raw} is not a channel id"),
            N_("use a channel id like {example} or {mention}"),
            raw=repr(raw),
            example="C0123ABCD",
            mention="#mention",
        )
    return m[1]


def _digest_entry(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        words = item.split()
        if not words:
            raise F.FieldError(
                N_("empty digest channel entry"),
                N_("use: {form}"),
                form="CHANNEL [HH:MM] [Zone/Name] [mon-fri] [lang fa]",
            )
        item = {"channel": words[0]}
        rest = iter(words[1:])
        for word in rest:
            if word.lower() in ("lang", "language"):
                item["lang"] = next(rest, "")
                continue
            if _TIME.match(word) or re.fullmatch(r"\d{1,2}[:.h]\d{2}|\d{1,2}", word):
                field = "time"  # `25:00` is a wrong time, not a list of weekdays
            elif "/" in word or word.upper() == "UTC":
                field = "tz"
            else:
                field = "weekdays"
            if field == "weekdays" and field in item:
                item[field] += "," + word  # `tue thu`
                continue
            if field in item:
                raise F.FieldError(
                    N_("two {field} values ({first} and {second}) for {channel}"),
                    N_("use: {form}"),
                    form="CHANNEL [HH:MM] [Zone/Name] [mon-fri] [lang fa]",
                    field=field,
                    first=repr(item[field]),
                    second=repr(word),
                    channel=words[0],
                )
            item[field] = word
    if not isinstance(item, dict):
        raise F.FieldError(
            N_("{raw} is not a digest channel"),
            N_("use {shape}"),
            raw=repr(item),
            shape="{channel, time, tz, weekdays}",
        )
    unknown = set(item) - {"channel", "time", "tz", "weekdays", "lang"}
    if unknown:
        raise F.FieldError(
            N_("unknown digest field(s) {fields}"),
            N_("use {allowed}"),
            fields=", ".join(sorted(unknown)),
            allowed="channel, time, tz, weekdays, lang",
        )
    tz = item.get("tz")
    entry = {
        "channel": _channel(item.get("channel")),
        "time": local_time(item.get("time") or DEFAULT_TIME),
        "tz": F.timezone_name(tz) if tz else None,
        "weekdays": weekdays(item.get("weekdays") or DEFAULT_WEEKDAYS),
    }
    if item.get("lang") is not None:  # the channel's own language; else the workspace's
        entry["lang"] = F.language(item["lang"])
    return entry


def digest_channels(raw: str | list | dict) -> list[dict[str, Any]]:
    """Digest channels as `[{channel, time, tz, weekdays}]`, from JSON or the
    short form `C0123 09:00 America/Los_Angeles mon-fri; C0456 08:30`.
    A missing `tz` means the workspace time zone; time defaults to 09:00,
    weekdays to mon-fri."""
    value: Any = raw
    if isinstance(raw, str):
        text = raw.strip().strip("\"'“”")
        if text.startswith(("[", "{")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                raise F.FieldError(
                    N_("not valid JSON ({reason})"),
                    N_("use a JSON list of {shape}"),
                    shape="{channel, time, tz, weekdays}",
                    reason=e.msg,
                ) from None
        else:
            value = [part for part in text.split(";") if part.strip()]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise F.FieldError(
            N_("{raw} is not a list of digest channels"),
            N_("use a JSON list of {shape}"),
            shape="{channel, time, tz, weekdays}",
            raw=repr(raw),
        )
    entries = [_digest_entry(item) for item in value]
    seen = [e["channel"] for e in entries]
    dupes = sorted({c for c in seen if seen.count(c) > 1})
    if dupes:
        raise F.FieldError(
            N_("channel(s) listed twice: {channels}"), N_("give each channel one schedule"), channels=", ".join(dupes)
        )
    return entries
