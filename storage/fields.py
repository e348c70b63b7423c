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


class FieldError(ValueError):
    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def text(raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
# A single order above a trillion is a unit mix-up (cents as dollars, a
# pasted account number), and sums of such values lose every cent.
MAX_AMOUNT = 1e12

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
            f"{raw!r} is not a Slack user id", "use the member id from the person's Slack profile, like U012AB3CD"
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
            "write amounts like 1234.50, or pass --decimal , for a file written 1.234,50"
            if re.fullmatch(r"-?[\d.\s]*,\d{1,2}", s)
            else "write amounts like 1234.50"
        )
        raise FieldError(f"{raw!r} is not a number", hint) from None
    if not math.isfinite(value):
        raise FieldError(f"{raw!r} is not a finite number", "write amounts like 1234.50")
    if value < 0:
        raise FieldError(f"negative amount {raw!r}", "record refunds with status 'refunded', not a negative amount")
    if value > MAX_AMOUNT:
        raise FieldError(
            f"amount {raw!r} is beyond a trillion", "check the column and its unit (cents instead of dollars?)"
        )
    return round(value, 6)


def decimal_comma_amount(raw: str) -> float:
    """An amount written with a decimal comma (`1.234,50`, `12,5`, `1 234,50 €`):
    dots and spaces group thousands, the comma marks the decimals."""
    s = re.sub(r"[\s\u00a0\u202f.]", "", raw.strip().lstrip("$€£").rstrip("€").strip())
    s = re.sub(r"\s*[A-Za-z]{3}$", "", s)
    if s.count(",") > 1:
        raise FieldError(f"{raw!r} is not a number", "with --decimal , write amounts like 1.234,50")
    return amount(s.replace(",", "."))


def day(raw: str) -> str:
    """A calendar day, `YYYY-MM-DD`."""
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise FieldError(f"{raw!r} is not a date", "write dates as YYYY-MM-DD") from None
    if not 1970 <= value.year <= 2100:
        raise FieldError(f"{raw!r} is out of range", "use a date between 1970 and 2100")
    return value.isoformat()


def number(raw: str, lo: float, hi: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise FieldError(f"{raw!r} is not a number", f"use a number from {lo:g} to {hi:g}") from None
    if not lo <= value <= hi:
        raise FieldError(f"{value:g} is out of range", f"use a number from {lo:g} to {hi:g}")
    return value


@lru_cache(maxsize=256)
def currency(raw: str) -> str:
    s = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", s):
        raise FieldError(f"{raw!r} is not a currency code", "use a 3-letter ISO code like USD")
    return s


@lru_cache(maxsize=256)
def timezone_name(raw: str) -> str:
    s = raw.strip()
    try:
        ZoneInfo(s)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file path
        raise FieldError(f"unknown time zone {raw!r}", "use an IANA name like America/New_York") from None
    return s


def boolean(raw: str) -> int:
    s = raw.strip().lower()
    if s in ("1", "true", "yes", "y", "t", "active"):
        return 1
    if s in ("0", "false", "no", "n", "f", "inactive"):
        return 0
    raise FieldError(f"{raw!r} is not yes/no", "use true or false")


def choice(raw: str, allowed: tuple[str, ...]) -> str:
    s = raw.strip().lower()
    if s not in allowed:
        raise FieldError(f"{raw!r} is not one of {', '.join(allowed)}", f"use one of {', '.join(allowed)}")
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
        raise FieldError(f"{word!r} is not a language I speak", f"use one of {', '.join(LANGUAGES)}")
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
        f"unknown order status {raw!r}",
        "use paid, pending, refunded, cancelled or failed (or --map the right column)",
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
        raise FieldError("empty date", "write dates as YYYY-MM-DD or ISO-8601")
    if tz is UTC and len(s) == 20 and s[10] == "T" and s[19] == "Z" and s[:4] >= "1970":
        try:  # already in the stored form: validate only (the common, fast case)
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
            f"{raw!r} is not a date", "write dates as YYYY-MM-DD or ISO-8601 like 2026-01-31T09:30:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if not 1970 <= moment.year <= 2100:
        raise FieldError(f"{raw!r} is out of range", "use a date between 1970 and 2100")
    return format_utc(moment)
