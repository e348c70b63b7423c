"""PNG charts for Slack uploads and the console: the cohort heatmap and the
monthly trend. Agg backend and an explicit Figure (no pyplot state), so
charts render in any thread and on machines without a display. Margins are
set in inches rather than with `bbox_inches="tight"`, which draws every
figure twice (a 12-month heatmap: ~1 s instead of ~0.4 s).

Labels are in the asker's language. matplotlib (3.11+) lays out text with
libraqm, so Persian is shaped and ordered right to left, and its bundled
DejaVu Sans has the Armenian, Arabic-script and Persian-digit glyphs: no
font is shipped (tests/commands/test_chart_languages.py renders both
languages and fails on any glyph missing from the font)."""

from __future__ import annotations

import importlib
import io
import threading
from typing import TYPE_CHECKING, Literal

import numpy as np

from commands import format as fmt
from commands.i18n import DEFAULT_LANGUAGE, RTL, _

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_import_lock = threading.Lock()


def _mpl():
    """matplotlib's figure, colors and ticker, imported once under a lock.
    It is imported lazily (start-up), and two threads making the first
    charts of a process at once (a cohort heatmap and a trend) would import
    it through different submodules: Python's import deadlock detection then
    hands one of them a partially initialised module, and that chart fails."""
    with _import_lock:
        from matplotlib import colors, figure, ticker

        importlib.import_module("matplotlib.backends.backend_agg")  # what savefig draws with, imported on first use
    return figure, colors, ticker


_CMAP_COLOURS = ["#f4f6fb", "#7aa6dc", "#1d4f91"]  # the heatmap's scale, light to dark
_DPI = 110


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float, *, left: float, right: float, top: float, bottom: float) -> Figure:
    """A figure whose plot area leaves the given margins (inches)."""
    figure, _c, _t = _mpl()
    fig = figure.Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height)
    return fig


def _title(ax: Axes, title: str, lang: str) -> None:
    """The chart's title where its language starts a line (the right, for
    Persian). In DejaVu Sans the middle dot between a title's parts looks
    like the Persian zero (۰), so a right-to-left title takes a dash."""
    side: Literal["left", "right"] = "right" if lang in RTL else "left"
    ax.set_title(title.replace(" · ", " – ") if lang in RTL else title, fontsize=10, loc=side)


def cohort_heatmap_png(
    months: list[str],
    sizes: list[int],
    active: list[list[float | None]],
    title: str,
    lang: str = DEFAULT_LANGUAGE,
) -> bytes:
    """Rows: cohorts (first-order month, size); columns: months since; cells:
    % of the cohort that ordered that month. Month 0 is left out of the
    colour scale (always 100%) so later months keep their contrast."""
    _f, colors, _t = _mpl()
    n = len(months)
    grid = np.full((n, n), np.nan)
    for i, row in enumerate(active):
        for j, v in enumerate(row):
            if v is not None:
                grid[i, j] = v
    later = grid[:, 1:]
    vmax = float(np.nanmax(later)) if n > 1 and np.isfinite(later).any() else 100.0
    fig = _figure(max(6.0, 2.4 + 0.55 * n), 1.4 + 0.4 * n, left=1.5, right=0.2, top=0.45, bottom=0.65)
    ax = fig.add_subplot()
    ax.imshow(
        np.where(np.arange(n) == 0, np.nan, grid),
        cmap=colors.LinearSegmentedColormap.from_list("retention", _CMAP_COLOURS),
        vmin=0,
        vmax=max(vmax, 1.0),
        aspect="auto",
    )
    for i in range(n):
        for j in range(n - i):
            v = grid[i, j]
            if np.isnan(v):
                continue
            dark = j > 0 and v > 0.6 * vmax
            shown = fmt.digits(f"{v:.0f}", lang)
            ax.text(j, i, shown, ha="center", va="center", fontsize=8, color="white" if dark else "#1f2933")
    ax.set_xticks(range(n), [fmt.digits(str(j), lang) for j in range(n)], fontsize=8)
    rows = [f"{fmt.digits(m, lang)}  ({fmt.count(s, lang)})" for m, s in zip(months, sizes, strict=True)]
    ax.set_yticks(range(n), rows, fontsize=8)
    ax.set_xlabel(_(lang, "months since first order"))
    _title(ax, title, lang)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return _png(fig)


def trend_png(
    months: list[str],
    crr: list[float | None],
    churn: list[float | None],
    revenue: list[float],
    title: str,
    currency: str,
    lang: str = DEFAULT_LANGUAGE,
) -> bytes:
    """CRR and churn rate (lines, %) over revenue (bars, right axis)."""
    _f, _c, ticker = _mpl()
    x = np.arange(len(months))
    fig = _figure(9.0, 4.6, left=0.6, right=0.9, top=0.4, bottom=1.35)
    ax = fig.add_subplot()
    bars = ax.twinx()
    revenue_label = _(lang, "revenue ({currency})", currency=fmt.currency_name(currency, lang))
    bars.bar(x, revenue, color="#d9e2ef", width=0.7, label=revenue_label)
    bars.set_ylabel(revenue_label, fontsize=8)
    bars.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: fmt.compact(v, lang)))
    bars.tick_params(labelsize=8)
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    nan = lambda values: [np.nan if v is None else v for v in values]  # noqa: E731
    ax.plot(x, nan(crr), marker="o", color="#1d4f91", label=_(lang, "CRR %"))
    ax.plot(x, nan(churn), marker="o", color="#c0392b", label=_(lang, "churn %"))
    ax.set_ylabel(fmt.digits("%", lang), fontsize=8)
    if lang != DEFAULT_LANGUAGE:
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: fmt.digits(f"{v:g}", lang)))
    highest = max([v for v in (*crr, *churn) if v is not None], default=100.0)
    ax.set_ylim(0, max(105.0, highest * 1.05))
    ax.set_xticks(x, [fmt.digits(m, lang) for m in months], rotation=45, ha="right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    handles = ax.get_legend_handles_labels()
    extra = bars.get_legend_handles_labels()
    ax.legend(
        handles[0] + extra[0],
        handles[1] + extra[1],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=3,
        frameon=False,
    )
    _title(ax, title, lang)
    return _png(fig)
