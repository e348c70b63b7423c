"""Parsing and validating single field values from import files.

Each parser takes the raw text and returns the stored value, or raises
FieldError with a short problem and how to fix it, which the importer turns
into `FILE:LINE: column: problem (fix)`.
"""

import math
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.problems import N_, english


class FieldError(ValueError):
    """A value that cannot be stored: `problem` and how to `fix` it, in
    English (for logs, JSON and the English reader). Both are built from
    msgids with `{name}` placeholders (`message`, `fix_message`) and the
    shared `values`, which commands translates (commands/problems.py)."""

    def __init__(self, problem: str, fix: str, /, **values: object):
        self.message = problem
        self.fix_message = fix
        self.values = values
        self.problem = english(problem, values)
        self.fix = english(fix, values)
        super().__init__(self.problem)


def text(raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
# A single order above a trillion is a unit mix-up (cents as dollars, a
# pasted account number), and sums of such values lose every cent.
MAX_AMOUNT = 1e12
# The years a stored day or instant may fall in (Unix time to the end of the
# century): one rule for every date field and its fast paths.
FIRST_YEAR, LAST_YEAR = 1970, 2100
_FIRST_YEAR_TEXT, _LAST_YEAR_TEXT = str(FIRST_YEAR), str(LAST_YEAR)  # for the stored form's fast path

# A Slack user id: U… (or W… in Enterprise Grid), upper-case letters and digits.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
# A mention as Slack writes it in text: <@U123>, or <@U123|maria> (with a label).
SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")


def user_id_of(word: str) -> str | None:
    """The Slack user id `word` is or mentions (`<@U123>`, `<@U123|maria>`,
    `@U123`, `U123`), or None."""
    word = word.strip()
    m = SLACK_MENTION.fullmatch(word)
    if m:
        return m.group(1)
    word = word.removeprefix("@")
    return word if SLACK_USER_ID.match(word) else None


def slack_user_id(raw: str) -> str:
    s = raw.strip()
    if not SLACK_USER_ID.match(s):
        raise FieldError(
            N_("{raw} is not a Slack user id"),
            N_("use the member id from the person's Slack profile, like {example}"),
            raw=repr(raw),
            example="U012AB3CD",
        )
    return s


def amount(raw: str) -> float:
    """A non-negative money amount: `12.5`, `1,234.50`, `$12.00`, `12.00 USD`."""
    try:
        value = float(raw)
        if 0 <= value <= MAX_AMOUNT:
            whole, _, cents = raw.partition(".")
            if len(cents) <= 6 and whole.isdigit() and (cents.isdigit() or not cents):
                # Written with at most 6 decimals: float() already is the
                # double nearest to round(value, 6), which costs 1 µs a row.
                return value
            return round(value, 6)
    except ValueError:
        pass
    s = raw.strip().lstrip("$€£").strip()
    s = re.sub(r"\s*[A-Za-z]{3}$", "", s)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    try:
        value = float(s)
    except ValueError:
        hint = (
            N_("write amounts like {example}, or pass {option} for a file written {comma}")
            if re.fullmatch(r"-?[\d.\s]*,\d{1,2}", s)
            else N_("write amounts like {example}")
        )
        raise FieldError(
            N_("{raw} is not a number"), hint, raw=repr(raw), example="1234.50", option="--decimal ,", comma="1.234,50"
        ) from None
    if not math.isfinite(value):
        raise FieldError(
            N_("{raw} is not a finite number"), N_("write amounts like {example}"), raw=repr(raw), example="1234.50"
        )
    if value < 0:
        raise FieldError(
            N_("negative amount {raw}"),
            N_("record refunds with status {status}, not a negative amount"),
            raw=repr(raw),
            status="'refunded'",
        )
    if value > MAX_AMOUNT:
        raise FieldError(
            N_("amount {raw} is beyond a trillion"),
            N_("check the column and its unit (cents instead of dollars?)"),
            raw=repr(raw),
        )
    return round(value, 6)


def decimal_comma_amount(raw: str) -> float:
    """An amount written with a decimal comma (`1.234,50`, `12,5`, `1 234,50 €`):
    dots and spaces group thousands, the comma marks the decimals."""
    s = re.sub(r"[\s\u00a0\u202f.]", "", raw.strip().lstrip("$€£").rstrip("€").strip())
    s = re.sub(r"\s*[A-Za-z]{3}$", "", s)
    if s.count(",") > 1:
        raise FieldError(
            N_("{raw} is not a number"),
            N_("with {option} write amounts like {comma}"),
            raw=repr(raw),
            option="--decimal ,",
            comma="1.234,50",
        )
    return amount(s.replace(",", "."))


def day(raw: str) -> str:
    """A calendar day, `YYYY-MM-DD`."""
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise FieldError(
            N_("{raw} is not a date"), N_("write dates as {form}"), raw=repr(raw), form="YYYY-MM-DD"
        ) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise FieldError(
            N_("{raw} is out of range"),
            N_("use a date between {first} and {last}"),
            raw=repr(raw),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return value.isoformat()


def number(raw: str, lo: float, hi: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise FieldError(
            N_("{raw} is not a number"), N_("use a number from {lo} to {hi}"), raw=repr(raw), lo=float(lo), hi=float(hi)
        ) from None
    if not lo <= value <= hi:
        raise FieldError(
            N_("{raw} is out of range"), N_("use a number from {lo} to {hi}"), raw=value, lo=float(lo), hi=float(hi)
        )
    return value


@lru_cache(maxsize=256)
def currency(raw: str) -> str:
    s = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", s):
        raise FieldError(
            N_("{raw} is not a currency code"),
            N_("use a 3-letter ISO code like {example}"),
            raw=repr(raw),
            example="USD",
        )
    return s


@lru_cache(maxsize=256)
def timezone_name(raw: str) -> str:
    s = raw.strip()
    try:
        ZoneInfo(s)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file path
        raise FieldError(
            N_("unknown time zone {raw}"),
            N_("use an IANA name like {example}"),
            raw=repr(raw),
            example="America/New_York",
        ) from None
    return s


def boolean(raw: str) -> int:
    s = raw.strip().lower()
    if s in ("1", "true", "yes", "y", "t", "active"):
        return 1
    if s in ("0", "false", "no", "n", "f", "inactive"):
        return 0
    raise FieldError(N_("{raw} is not yes/no"), N_("use {yes} or {no}"), raw=repr(raw), yes="true", no="false")


def choice(raw: str, allowed: tuple[str, ...]) -> str:
    s = raw.strip().lower()
    if s not in allowed:
        raise FieldError(
            N_("{raw} is not one of {allowed}"), N_("use one of {allowed}"), raw=repr(raw), allowed=", ".join(allowed)
        )
    return s


# The languages the bot speaks (catalogs in commands/locale/), by code.
LANGUAGES = ("en", "hy", "fa")
_LANGUAGE_NAMES = {
    "english": "en",
    "armenian": "hy",
    "հայերեն": "hy",
    "persian": "fa",
    "farsi": "fa",
    "فارسی": "fa",
    "پارسی": "fa",
}


def language(raw: str) -> str:
    """`fa`, `FA`, `fa_IR`, `fa-IR`, `Persian`, `فارسی` → `fa`."""
    word = str(raw or "").strip()
    low = word.lower().replace("-", "_")
    code = _LANGUAGE_NAMES.get(low, low.split("_")[0])
    if code not in LANGUAGES:
        raise FieldError(
            N_("{raw} is not a language I speak"),
            N_("use one of {allowed}"),
            raw=repr(word),
            allowed=", ".join(LANGUAGES),
        )
    return code


# Order status words from CSV files, Shopify and Stripe, mapped to ours.
_STATUS = {
    "paid": "paid",
    "complete": "paid",
    "completed": "paid",
    "succeeded": "paid",
    "success": "paid",
    "successful": "paid",
    "captured": "paid",
    "fulfilled": "paid",
    "partially_refunded": "paid",
    "partially refunded": "paid",
    "closed": "paid",
    "pending": "pending",
    "authorized": "pending",
    "unpaid": "pending",
    "open": "pending",
    "refunded": "refunded",
    "refund": "refunded",
    "chargeback": "refunded",
    "disputed": "refunded",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "voided": "cancelled",
    "void": "cancelled",
    "failed": "failed",
    "declined": "failed",
    "expired": "failed",
}


@lru_cache(maxsize=256)
def status(raw: str) -> str:
    s = raw.strip().lower()
    if s in _STATUS:
        return _STATUS[s]
    raise FieldError(
        N_("unknown order status {raw}"),
        N_("use {statuses} (or {option} the right column)"),
        raw=repr(raw),
        statuses="paid, pending, refunded, cancelled or failed",
        option="--map",
    )


_ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_utc(moment: datetime) -> str:
    """The one text form of an instant in the store: sortable, UTC, seconds."""
    return moment.astimezone(UTC).strftime(_ISO_UTC_FORMAT)


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, _ISO_UTC_FORMAT).replace(tzinfo=UTC)


def local_day(stored: str, tz: tzinfo) -> str:
    """The local calendar day (YYYY-MM-DD in `tz`) of a stored UTC instant:
    an order at 23:59 in Los Angeles is that day, not the next UTC one."""
    return parse_utc(stored).astimezone(tz).date().isoformat()


def day_start_utc(day: date, tz: tzinfo = UTC) -> str:
    """Stored-text form of local midnight at the start of `day`."""
    return format_utc(datetime(day.year, day.month, day.day, tzinfo=tz))


def day_end_utc(day: date, tz: tzinfo = UTC) -> str:
    """Exclusive upper bound for 'on or before `day`' in local time."""
    return day_start_utc(day + timedelta(days=1), tz)


_COMPACT_DATE = re.compile(r"^\d{8}$")


def timestamp(raw: str, tz: tzinfo = UTC) -> str:
    """ISO-8601 (with or without offset), date-only, YYYYMMDD or
    `YYYY-MM-DD HH:MM:SS -0500` (Shopify). Naive values are in the workspace
    time zone `tz`. Returns the stored UTC text."""
    s = raw.strip()
    if not s:
        raise FieldError(N_("empty date"), N_("write dates as {form} or {iso}"), form="YYYY-MM-DD", iso="ISO-8601")
    if (
        len(s) == 20
        and s[4] == s[7] == "-"
        and s[10] == "T"
        and s[13] == s[16] == ":"
        and s[19] == "Z"
        and _FIRST_YEAR_TEXT <= s[:4] <= _LAST_YEAR_TEXT
    ):
        # Already in the stored form, which says UTC itself whatever the
        # workspace zone: validate only (the common, fast case). Not only
        # for datetime.UTC: a workspace set to "UTC" is ZoneInfo("UTC"),
        # and converting each of 8.7M orders took 49 s of a 1M-customer import.
        try:
            datetime.fromisoformat(s)
            return s
        except ValueError:
            pass
    return _parsed_timestamp(raw, tz)


@lru_cache(maxsize=1 << 16)
def _parsed_timestamp(raw: str, tz: tzinfo) -> str:
    """`timestamp` of anything but the stored form, cached: files of whole
    days repeat each day thousands of times (a million customers' signup
    dates are a few thousand distinct values)."""
    s = raw.strip()
    try:
        if _COMPACT_DATE.match(s):
            moment = datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), tzinfo=tz)
        else:
            s2 = s.replace(" UTC", "+00:00")
            if len(s2) > 19 and s2[-6] == " " and s2[-5] in "+-":
                s2 = s2[:-6] + s2[-5:]  # "2024-01-02 10:00:00 -0500"
            moment = datetime.fromisoformat(s2)
    except ValueError:
        raise FieldError(
            N_("{raw} is not a date"),
            N_("write dates as {form} or {iso} like {example}"),
            raw=repr(raw),
            form="YYYY-MM-DD",
            iso="ISO-8601",
            example="2026-01-31T09:30:00Z",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise FieldError(
            N_("{raw} is out of range"),
            N_("use a date between {first} and {last}"),
            raw=repr(raw),
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return format_utc(moment)
