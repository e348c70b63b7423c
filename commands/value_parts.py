"""Pieces every value answer (`at-risk`, `customer`, `top`) shares: the last
score run's model and the line that names it, owners, counts, numbers."""

import math
import re
from datetime import UTC
from typing import Any

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.value import MIN_REPEAT_BUYERS
from analytics.value import value_label as analytics_value_label
from commands import blocks as B
from commands import format as fmt
from commands.core import Context, Request, UsageError
from commands.i18n import DEFAULT_LANGUAGE, _, _n
from commands.parse import whole_number
from storage.followup_actions import STATE_NAMES
from storage.settings import MODEL_META, load_meta


def load_model_summary(ctx: Context) -> dict[str, Any] | None:
    """The last score run's model summary (None before the first run)."""
    return load_meta(ctx.db, MODEL_META)


def model_line(
    summary: dict[str, Any] | None,
    lang: str = DEFAULT_LANGUAGE,
    calendar: Calendar = GREGORIAN_CALENDAR,
    *,
    scored: bool = True,
) -> str:
    """One line every value answer carries: which model, and why. The
    model's reason is English analysis text from the score run (its day
    ISO Gregorian); other languages say the same from the summary's figures,
    and the day is shown in the workspace `calendar`. `scored=False` is a
    fit that wrote no scores (`model fit`): the rules lines then leave out
    the day the scores are as of."""
    if not summary:
        return _(lang, "No scores yet: run {command} to fit the value model.", command="`retention-bot score`")
    day = fmt.day(str(summary["as_of"]), UTC, calendar, lang)
    if lang == DEFAULT_LANGUAGE:
        reason = str(summary["reason"]).replace(str(summary["as_of"]), day)
        if summary["model"] == "rules":
            return f"Model: {reason} (scores as of {day})"
        return f"Model: {reason}"
    values = {
        "customers": fmt.count(summary.get("customers") or 0, lang),
        "buyers": fmt.count(summary.get("repeat_buyers") or 0, lang),
        "day": day,
    }
    reason = str(summary.get("reason") or "")
    if summary["model"] != "rules":
        if "own average" in reason:
            return _(
                lang,
                "Model: BG/NBD + Gamma-Gamma fitted on {customers} customers ({buyers} repeat buyers) as of {day}; "
                "expected spend per order = each customer's own average",
                **values,
            )
        return _(
            lang,
            "Model: BG/NBD + Gamma-Gamma fitted on {customers} customers ({buyers} repeat buyers) as of {day}",
            **values,
        )
    if reason.startswith("rules: only") and not scored:
        return _(
            lang,
            "Model: rules — only {buyers} repeat buyers, the model needs at least {least}; value = trailing 12-month "
            "revenue, going quiet = order-gap rule only",
            least=fmt.count(MIN_REPEAT_BUYERS, lang),
            **values,
        )
    if reason.startswith("rules: only"):
        return _(
            lang,
            "Model: rules — only {buyers} repeat buyers, the model needs at least {least}; value = trailing 12-month "
            "revenue, going quiet = order-gap rule only (scores as of {day})",
            least=fmt.count(MIN_REPEAT_BUYERS, lang),
            **values,
        )
    detail = _DETAIL.search(reason)
    if not scored:
        return _(
            lang,
            "Model: rules — the model fit failed ({detail}); value = trailing 12-month revenue, going quiet = "
            "order-gap rule only",
            detail=detail.group(1) if detail else reason,
            **values,
        )
    return _(
        lang,
        "Model: rules — the model fit failed ({detail}); value = trailing 12-month revenue, going quiet = order-gap "
        "rule only (scores as of {day})",
        detail=detail.group(1) if detail else reason,
        **values,
    )


_DETAIL = re.compile(r"\((.*)\);")


def value_label(uses_model: bool, lang: str = DEFAULT_LANGUAGE) -> str:
    """The one name of the figure customers are ranked by (analytics.value's), in `lang`."""
    if lang == DEFAULT_LANGUAGE:
        return analytics_value_label(uses_model)
    return _(lang, "expected 12-month value") if uses_model else _(lang, "12-month revenue")


# The parts of a going-quiet reason (analytics.quiet.explain writes them in
# English and the score run stores them), said again in another language.
_REASON_PARTS: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"^orders every ~([\d,]+) days$"), lambda lang, n: _(lang, "orders every ~{days} days", days=n)),
    (re.compile(r"^too few orders for a rhythm$"), lambda lang: _(lang, "too few orders for a rhythm")),
    (
        re.compile(r"^customers here reorder every ~([\d,]+) days$"),
        lambda lang, n: _(lang, "customers here reorder every ~{days} days", days=n),
    ),
    (re.compile(r"^no repeat orders in the store yet$"), lambda lang: _(lang, "no repeat orders in the store yet")),
    (re.compile(r"^last order today$"), lambda lang: _(lang, "last order today")),
    (re.compile(r"^last order today \(([\d.]+)×\)$"), lambda lang, r: _(lang, "last order today ({ratio}×)", ratio=r)),
    (
        re.compile(r"^last order ([\d,]+) days? ago$"),
        lambda lang, n: _n(lang, "last order {days} day ago", "last order {days} days ago", _int(n), days=n),
    ),
    (
        re.compile(r"^last order ([\d,]+) days? ago \(([\d.]+)×\)$"),
        lambda lang, n, r: _n(
            lang,
            "last order {days} day ago ({ratio}×)",
            "last order {days} days ago ({ratio}×)",
            _int(n),
            days=n,
            ratio=r,
        ),
    ),
    (re.compile(r"^one purchase so far$"), lambda lang: _(lang, "one purchase so far")),
    (
        re.compile(r"^P\(alive\) (\d+)%$"),
        lambda lang, p: _(lang, "P(alive) {percent}", percent=fmt.digits(p + "%", lang)),
    ),
    (re.compile(r"^top ([\d.]+)%$"), lambda lang, p: _(lang, "top {percent}", percent=fmt.pct(float(p), 0, lang))),
]
_VALUE_PART = re.compile(r"^(expected 12-month value|12-month revenue) ")


def _local_number(text: str, lang: str) -> str:
    """A number from the English reason (`1,234`, `2.9`) in `lang`'s marks."""
    value = float(text.replace(",", ""))
    return fmt.number(value, lang, len(text.split(".")[1]) if "." in text else 0)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def reason_text(reason: str | None, value: float | None, currency: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A stored going-quiet reason in `lang` (escaped for mrkdwn): English as
    stored; otherwise each part said again, numbers in the language's
    digits, the value from `value` in `currency`."""
    if not reason:
        return ""
    if lang == DEFAULT_LANGUAGE:
        return B.escape(reason)
    parts = []
    for part in reason.split("; "):
        shown = None
        m = _VALUE_PART.match(part)
        if m:
            label = value_label(m.group(1) == "expected 12-month value", lang)
            shown = _(lang, "{label} {value}", label=label, value=fmt.money(value, currency, lang=lang))
        for pattern, say in _REASON_PARTS:
            found = pattern.match(part)
            if shown is None and found:
                shown = say(lang, *(_local_number(g, lang) for g in found.groups()))
        parts.append(shown if shown is not None else B.escape(part))
    return _(lang, "; ").join(parts)


def state_name(state: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A follow-up's state as people say it (the stored word in English)."""
    if lang == DEFAULT_LANGUAGE or state not in STATE_NAMES:
        return state
    return _(lang, STATE_NAMES[state])


def owner_text(rep_id: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The owner as a Slack mention, or "unassigned"; an id that is not a
    Slack user id is shown as text, never as markup."""
    if not rep_id or rep_id != rep_id:  # None or NaN from a LEFT JOIN
        return _(lang, "unassigned")
    return B.mention(rep_id)


def read_count(req: Request, default: int, maximum: int, example: str) -> tuple[int, list[str]]:
    """A leading whole number in the arguments (`at-risk 20`), capped at
    `maximum` (see `capped_note`), and the words after it."""
    args = list(req.args)
    if args and args[0].isdecimal():
        n = whole_number(args.pop(0))
        if n is None:
            raise UsageError(
                "that is more customers than I can list; ask for up to {most}, e.g. {example}",
                command=req.name,
                most=maximum,
                example=f"`{example}`",
            )
        if n < 1:
            raise UsageError("ask for at least one customer, e.g. {example}", command=req.name, example=f"`{example}`")
        return min(n, maximum), args
    return default, args


def number(value: Any) -> float | None:
    """A stored number for JSON: NaN and NULL become None."""
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def asked_for(req: Request) -> int | None:
    """The number the request asked for, if it led with one."""
    return whole_number(req.args[0]) if req.args and req.args[0].isdecimal() else None


def capped_note(req: Request, maximum: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Said when the request asked for more than an answer lists."""
    asked = asked_for(req)
    if asked is None or asked <= maximum:
        return ""
    return _(
        lang,
        "you asked for {asked}; one answer lists at most {most}",
        asked=fmt.count(asked, lang),
        most=fmt.count(maximum, lang),
    )
