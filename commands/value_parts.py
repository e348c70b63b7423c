"""Pieces every value answer (`at-risk`, `customer`, `top`) shares: the last
score run's model and the line that names it, owners, counts, numbers."""

import math
import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC
from typing import Any

from analytics.arrays import AT_BOUND
from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.quiet import OWN_GAP, STORE_GAP, QuietReason, alive_known, top_percent
from analytics.value import FEW_REPEAT_BUYERS, FIT_FAILED, FITTED, MIN_REPEAT_BUYERS, RULES, UNDEFINED_MEAN
from analytics.value import value_label as analytics_value_label
from commands import blocks as B
from commands import format as fmt
from commands.core import Context, Request, UsageError
from commands.i18n import DEFAULT_LANGUAGE, _, _n
from commands.parse import whole_number
from storage.followup_actions import STATE_NAMES
from storage.problems import written_from
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
        reason = model_reason(summary, calendar)
        if summary["model"] == "rules":
            return f"Model: {reason} (scores as of {day})"
        return f"Model: {reason}"
    values = {
        "customers": fmt.count(summary.get("customers") or 0, lang),
        "buyers": fmt.count(summary.get("repeat_buyers") or 0, lang),
        "day": day,
    }
    basis, failure, spend_constant = _model_basis(summary)
    if basis == FITTED:
        if spend_constant:
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
    if basis == FEW_REPEAT_BUYERS and not scored:
        return _(
            lang,
            "Model: rules — only {buyers} repeat buyers, the model needs at least {least}; value = trailing 12-month "
            "revenue, going quiet = order-gap rule only",
            least=fmt.count(MIN_REPEAT_BUYERS, lang),
            **values,
        )
    if basis == FEW_REPEAT_BUYERS:
        return _(
            lang,
            "Model: rules — only {buyers} repeat buyers, the model needs at least {least}; value = trailing 12-month "
            "revenue, going quiet = order-gap rule only (scores as of {day})",
            least=fmt.count(MIN_REPEAT_BUYERS, lang),
            **values,
        )
    if not scored:
        return _(
            lang,
            "Model: rules — the model fit failed ({detail}); value = trailing 12-month revenue, going quiet = "
            "order-gap rule only",
            detail=_failure_in(lang, failure),
            **values,
        )
    return _(
        lang,
        "Model: rules — the model fit failed ({detail}); value = trailing 12-month revenue, going quiet = order-gap "
        "rule only (scores as of {day})",
        detail=_failure_in(lang, failure),
        **values,
    )


def _model_basis(summary: dict[str, Any]) -> tuple[str, str, bool]:
    """What the model's reason says, as values: its basis, a failed fit's
    failure and whether spend per order is each customer's own average
    (analytics.value.ValueModel). A summary stored before they were kept
    has only the English reason, so that one is read from its words (the
    next score run replaces it)."""
    if "basis" in summary:
        return str(summary["basis"]), str(summary.get("failure") or ""), bool(summary.get("spend_constant"))
    reason = str(summary.get("reason") or "")
    if summary["model"] != RULES:
        return FITTED, "", "own average" in reason
    if reason.startswith("rules: only"):
        return FEW_REPEAT_BUYERS, "", False
    detail = _DETAIL.search(reason)
    return FIT_FAILED, detail.group(1) if detail else reason, False


_DETAIL = re.compile(r"\((.*)\);")


# A failed fit's failure is the fits' own English (analytics.bgnbd,
# analytics.gamma_gamma) or the optimiser's (scipy's): the fits' words are
# said in the reader's language, the optimiser's as not converging.
_UNDEFINED_MEAN = written_from(UNDEFINED_MEAN, q=r"\d+\.\d+")


def _failure_in(lang: str, failure: str) -> str:
    """Why the fit failed, in `lang` (English: the stored words, as always)."""
    if lang == DEFAULT_LANGUAGE:
        return failure
    if failure == AT_BOUND:
        return _(lang, "a parameter ran to its bound")
    undefined = _UNDEFINED_MEAN.fullmatch(failure)
    if undefined:
        return _(lang, "q = {q} ≤ 1 leaves the mean spend undefined", q=fmt.digits(undefined["q"], lang))
    return _(lang, "the optimiser stopped before the fit converged")


def model_reason(summary: dict[str, Any], calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """The model's own English reason, its day (stored ISO Gregorian) said
    in the workspace `calendar`."""
    return str(summary["reason"]).replace(str(summary["as_of"]), fmt.day(str(summary["as_of"]), UTC, calendar))


def value_label(uses_model: bool, lang: str = DEFAULT_LANGUAGE) -> str:
    """The one name of the figure customers are ranked by (analytics.value's), in `lang`."""
    if lang == DEFAULT_LANGUAGE:
        return analytics_value_label(uses_model)
    return _(lang, "expected 12-month value") if uses_model else _(lang, "12-month revenue")


def quiet_reason(row: Mapping[str, Any]) -> QuietReason | None:
    """The going-quiet reason of a stored score row (customer_scores' columns
    by name: storage.scores and storage.digest_queries select them), or None
    when the row has none (not quiet, or no score). Its figures are the
    row's own: days quiet = tenure − recency (the BG/NBD ages in whole days
    since the first purchase), and the model was in use iff the row has a
    predicted value (rules leave it NULL)."""
    code = row.get("reason_code")
    if not code:
        return None
    gap = number(row["typical_gap_days"])
    frequency = number(row["frequency"])
    return QuietReason(
        code=str(code),
        usual_gap_days=gap,
        days_quiet=int(row["tenure_days"] - row["recency_days"]),
        p_alive=number(row["p_alive"]),
        frequency=None if frequency is None else int(frequency),
        uses_model=number(row["predicted_clv_12m"]) is not None,
        value=float(row["value"]),
        value_pct=float(row["value_pct"]),
    )


def reason_values(reason: QuietReason | None) -> dict[str, Any] | None:
    """A reason as JSON (`why` beside the English `reason` in answers)."""
    return None if reason is None else asdict(reason)


def reason_from(values: Mapping[str, Any] | None) -> QuietReason | None:
    """A reason back from its JSON (reason_values)."""
    return None if not values else QuietReason(**values)


def reason_parts(reason: QuietReason, currency: str, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """The reason's facts in `lang`, in the order the sentence says them:
    "orders every ~18 days; last order 52 days ago (2.9×); P(alive) 31%;
    expected 12-month value $4,200; top 5%". English figures are written as
    the sentence always was (the gap and the ratio without grouping), others
    in the language's digits and marks; the value in `currency`."""
    parts = []
    gap = reason.usual_gap_days or 0.0
    every = f"{gap:.0f}" if lang == DEFAULT_LANGUAGE else fmt.number(gap, lang, 0)
    if reason.code == OWN_GAP:
        parts.append(_(lang, "orders every ~{days} days", days=every))
    elif reason.code == STORE_GAP:
        parts.append(_(lang, "too few orders for a rhythm; customers here reorder every ~{days} days", days=every))
    else:
        parts.append(_(lang, "no repeat orders in the store yet"))
    quiet = reason.days_quiet
    ratio = reason.ratio
    if ratio is None:
        if quiet == 0:
            parts.append(_(lang, "last order today"))
        else:
            days = fmt.number(quiet, lang, 0)
            parts.append(_n(lang, "last order {days} day ago", "last order {days} days ago", quiet, days=days))
    else:
        shown = {"ratio": f"{ratio:.1f}" if lang == DEFAULT_LANGUAGE else fmt.number(ratio, lang, 1)}
        if quiet == 0:
            parts.append(_(lang, "last order today ({ratio}×)", **shown))
        else:
            days = fmt.number(quiet, lang, 0)
            parts.append(
                _n(
                    lang,
                    "last order {days} day ago ({ratio}×)",
                    "last order {days} days ago ({ratio}×)",
                    quiet,
                    days=days,
                    **shown,
                )
            )
    if reason.shows_alive:
        parts.append(alive_words(reason.p_alive, reason.frequency, lang))
    label = value_label(reason.uses_model, lang)
    parts.append(_(lang, "{label} {value}", label=label, value=fmt.money(reason.value, currency, lang=lang)))
    parts.append(_(lang, "top {percent}", percent=fmt.pct(top_percent(reason.value_pct), 0, lang)))
    return parts


def reason_text(reason: QuietReason | None, currency: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A going-quiet reason as one sentence in `lang`, escaped for mrkdwn."""
    if reason is None:
        return ""
    return B.escape(_(lang, "; ").join(reason_parts(reason, currency, lang)))


def reason_sentence(reason: QuietReason | None, currency: str) -> str | None:
    """The reason in English, as JSON answers give it (`reason`)."""
    return None if reason is None else "; ".join(reason_parts(reason, currency))


def alive_words(p_alive: float | None, frequency: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """P(alive) in words ("P(alive) 31%"), or "one purchase so far" for a
    customer with one purchase day (see analytics.quiet.alive_known), or "—"
    when the model gave none."""
    if frequency == 0:
        return _(lang, "one purchase so far")
    if not alive_known(p_alive, frequency):
        return "—"
    assert p_alive is not None
    return _(lang, "P(alive) {percent}", percent=fmt.pct(p_alive * 100, 0, lang))


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
