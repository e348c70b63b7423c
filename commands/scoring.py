"""The score run and the model fit: load orders, summarise, fit, predict, flag,
write. `retention-bot score` and `model fit` (and later the nightly job) are
thin wrappers around these two functions.

A score run is one transaction: follow-ups answered by a new order are closed
as won back, the scores snapshot is replaced, the fit summary is saved for
every answer to quote, and a follow-up is opened for each customer who
*became* quiet since the last run. Running it twice for the same day changes
nothing.

Scores are written only for a day on or after the last score's and not after
today: a run "as of" next year would open follow-ups and credit wins that
never happened, and one for an earlier day would replace newer scores.
Looking at another day is what `model fit` and `ask --as-of` are for; they
write nothing. `dry_run` does the whole run and rolls it back.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.quiet import QuietRules, compute_quiet
from analytics.rfm import compute_rfm_arrays, day_number, days_from_seconds
from analytics.value import ValueModel, fit_value_model, predict_value
from commands import format as fmt
from commands.core import Context, UsageError
from commands.frames import order_frame_at_hand
from commands.i18n import DEFAULT_LANGUAGE, RTL, _
from commands.value_parts import model_line
from storage.db import transaction
from storage.fields import format_utc, parse_utc
from storage.followup_actions import silence_start
from storage.followups import mark_won_back
from storage.scores import (
    ScoringOrders,
    large_cache,
    load_customers_by_id,
    load_quiet_ids,
    load_scoring_orders,
    load_silence_expired_ids,
    open_followups,
    upsert_scores,
)
from storage.settings import MODEL_META, load_meta, upsert_meta

if TYPE_CHECKING:
    import pandas as pd


class _RollBack(Exception):
    pass


@dataclass
class ScoreRun:
    as_of: str
    model: dict[str, Any]
    customers: int
    high_value: int
    quiet: int
    newly_quiet: int
    followups_opened: int
    won_back: int
    scores_written: int = 0  # score rows written: 0 when the snapshot was already stored
    seconds: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 4)
        self._t = now


def compute_store_rfm(ctx: Context, clock: _Clock | None = None) -> pd.DataFrame:
    """RFM summary of every customer with a counted order up to `ctx.as_of`."""
    orders = _scoring_orders(ctx)
    if clock:
        clock.lap("load_orders")
    days = days_from_seconds(orders.seconds, str(ctx.tz))
    rfm = compute_rfm_arrays(orders.codes, orders.ids, days, orders.amounts, day_number(ctx.as_of))
    if clock:
        clock.lap("summary")
    return rfm


def _scoring_orders(ctx: Context) -> ScoringOrders:
    """Counted orders up to `ctx.as_of`, customer by customer in id order:
    from the order frame when the one of the store's content is at hand (the
    import or sync that wrote the orders saved it; mapped, it is milliseconds
    where the index walk is a third of a small store's score), else off the
    index. The same orders in the same order either way, so the same sums."""
    with transaction(ctx.db, write=False):
        frame = order_frame_at_hand(ctx.db)
        if frame is not None and frame.runs is not None:
            rowids, ids = load_customers_by_id(ctx.db)
            positions = frame.positions(rowids)
            if len(positions) == len(rowids) == frame.n_customers:
                bound = int(parse_utc(ctx.cutoff).timestamp())
                counts, index = frame.runs.grouped(frame.cust, frame.upto(bound), positions)
                has = counts > 0
                codes = np.repeat(np.arange(int(has.sum()), dtype=np.int64), counts[has])
                return ScoringOrders(codes, ids[has], frame.ts[index], frame.amount[index])
    with large_cache(ctx.db):
        return load_scoring_orders(ctx.db, ctx.cutoff)


def run_model_fit(ctx: Context) -> ValueModel:
    """Fit (or fall back) as of `ctx.as_of` without writing anything."""
    return fit_value_model(compute_store_rfm(ctx), ctx.as_of)


def model_fit_lines(fit: dict[str, Any], unit: str, lang: str, calendar: Calendar = GREGORIAN_CALENDAR) -> list[str]:
    """What `model fit` prints for a fit (`ValueModel.to_dict(unit)`), in
    `lang`: the model and why, whom it was fitted on, and the parameters.
    English keeps the model's own reason and its fixed-point figures byte
    for byte; other languages say the reason again from the figures
    (value_parts.model_line) and write the parameters in their digits and
    marks. The day is shown in the workspace `calendar`."""
    day = fmt.day(fit["as_of"], UTC, calendar, lang)
    if lang == DEFAULT_LANGUAGE:  # the reason is English analysis text (analytics.value)
        head = f"Model: {fit['model']} — {fit['reason'].replace(fit['as_of'], day)}"
    else:
        head = model_line(fit, lang, calendar, scored=False)
    lines = [
        head,
        _(
            lang,
            "{customers} customers, {buyers} repeat buyers, as of {day}",
            customers=fmt.count(fit["customers"], lang),
            buyers=fmt.count(fit["repeat_buyers"], lang),
            day=day,
        ),
    ]
    if bg := fit["bgnbd"]:
        figures = {k: _figure(bg[k], lang, 4) for k in ("r", "alpha", "a", "b")}
        figures["log_likelihood"] = _figure(bg["log_likelihood"], lang, 2)
        if unit == "weeks":
            lines.append(
                _(
                    lang,
                    "BG/NBD (weeks): r = {r}, alpha = {alpha}, a = {a}, b = {b}, log-likelihood {log_likelihood}",
                    **figures,
                )
            )
        else:
            lines.append(
                _(
                    lang,
                    "BG/NBD (days): r = {r}, alpha = {alpha}, a = {a}, b = {b}, log-likelihood {log_likelihood}",
                    **figures,
                )
            )
    if gg := fit["gamma_gamma"]:
        lines.append(
            _(
                lang,
                "Gamma-Gamma: p = {p}, q = {q}, gamma = {gamma}",
                **{k: _figure(gg[k], lang, 4) for k in ("p", "q", "gamma")},
            )
        )
    return lines


def _figure(value: float, lang: str, decimals: int) -> str:
    """A model parameter: fixed point, ungrouped, in English (as `model fit`
    always printed it); the language's digits and marks otherwise. A
    negative one (the log-likelihood) starts with a left-to-right mark in a
    right-to-left language, so its minus stays on the left of the digits."""
    if lang == DEFAULT_LANGUAGE:
        return f"{value:.{decimals}f}"
    shown = fmt.number(abs(value), lang, decimals)
    if value >= 0:
        return shown
    return f"\u200e\u2212{shown}" if lang in RTL else f"-{shown}"


def check_score_day(ctx: Context) -> None:
    """Refuse (UsageError) a score for a day after today or before the stored
    scores' day."""
    today = ctx.now.astimezone(ctx.tz).date()
    if ctx.as_of > today:
        raise UsageError(
            "cannot score as of {day}: that is after today ({today}). Scores are written for "
            "days that have happened; `model fit --as-of` looks ahead without writing.",
            calendar=ctx.calendar,
            day=ctx.as_of,
            today=today,
        )
    last = load_meta(ctx.db, MODEL_META)
    if last and last.get("as_of") and ctx.as_of.isoformat() < last["as_of"]:
        raise UsageError(
            "cannot score as of {day}: the stored scores are as of {scored}, and a "
            "score for an earlier day would replace them. Look back with `model fit --as-of` or "
            "`ask --as-of` (they write nothing), or score as of a later day.",
            calendar=ctx.calendar,
            day=ctx.as_of,
            scored=date.fromisoformat(last["as_of"]),
        )


def run_score(ctx: Context, *, dry_run: bool = False) -> ScoreRun:
    import pandas as pd

    check_score_day(ctx)
    clock = _Clock()
    rfm = compute_store_rfm(ctx, clock)
    model = fit_value_model(rfm, ctx.as_of)
    clock.lap("fit")
    predicted = predict_value(rfm, model)
    flags = compute_quiet(rfm, predicted, QuietRules.from_settings(ctx.settings), uses_model=model.uses_model)
    clock.lap("predict")
    scores = pd.DataFrame(
        {
            "orders": rfm["orders"],
            "frequency": rfm["frequency"],
            "recency_days": rfm["recency_days"],
            "tenure_days": rfm["tenure_days"],
            "monetary": rfm["monetary"],
            "revenue_12m": rfm["revenue_12m"],
            "p_alive": predicted["p_alive"],
            "expected_orders_90d": predicted["expected_orders_90d"],
            "predicted_clv_12m": predicted["predicted_clv_12m"],
            "value_pct": flags["value_pct"],
            "typical_gap_days": rfm["typical_gap_days"],
            "quiet": flags["quiet"],
            "reason_code": flags["reason_code"],
        },
        index=rfm.index,
    )
    as_of = ctx.as_of.isoformat()
    opened_at = min(format_utc(ctx.now), ctx.cutoff)
    summary = model.to_dict("days")
    try:
        with transaction(ctx.db), large_cache(ctx.db):
            won_back, quiet, newly, opened, written = _write(ctx, scores, flags, predicted, summary, as_of, opened_at)
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    clock.lap("write")
    return ScoreRun(
        as_of=as_of,
        model=summary,
        customers=len(scores),
        high_value=int(flags["high_value"].to_numpy().sum()),
        quiet=int(quiet.sum()),
        newly_quiet=int(newly.sum()),
        followups_opened=opened,
        won_back=won_back,
        scores_written=written,
        seconds=clock.laps,
        dry_run=dry_run,
    )


def _write(
    ctx: Context,
    scores: pd.DataFrame,
    flags: pd.DataFrame,
    predicted: pd.DataFrame,
    summary: dict,
    as_of: str,
    opened_at: str,
) -> tuple[int, np.ndarray, np.ndarray, int, int]:
    """The run's writes (inside the caller's transaction): won back, the new
    snapshot (unless it is the one stored), follow-ups for who became quiet,
    the fit summary."""
    won_back = mark_won_back(ctx.db, ctx.now, ctx.tz, before=ctx.cutoff)
    before = load_quiet_ids(ctx.db)
    silenced_since = silence_start(ctx.now, ctx.settings["dismiss_days"])
    written = upsert_scores(ctx.db, as_of, scores)
    quiet = flags["quiet"].to_numpy()
    newly = quiet & ~scores.index.isin(list(before))
    due = newly | (quiet & scores.index.isin(list(load_silence_expired_ids(ctx.db, silenced_since))))
    value = predicted["value"].to_numpy()
    opened = open_followups(ctx.db, zip(scores.index[due], value[due].tolist(), strict=True), opened_at, silenced_since)
    upsert_meta(ctx.db, MODEL_META, summary)
    return won_back, quiet, newly, opened, written
