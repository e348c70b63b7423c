"""Charts in Armenian and Persian draw every glyph: matplotlib warns
"Glyph … missing from font(s)" for each character its font lacks (it then
draws an empty box), so a chart that renders without that warning shows
its words. matplotlib 3.11+ shapes Persian (joined letters, right to left)
with libraqm; the bundled DejaVu Sans has the glyphs — no font is shipped."""

import re
import warnings
from datetime import date

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from commands import Context, answer
from commands.charts import trend_png
from tests.support.stores import CUSTOMERS, FEEDBACK, ORDERS, build_store

MISSING = re.compile(r"Glyph \d+ .* missing from font")
SCRIPT = {"fa": re.compile("[\u0600-\u06ff]"), "hy": re.compile("[\u0530-\u058f]")}


@pytest.fixture
def small(tmp_path):
    db = build_store(tmp_path / "small.db", orders=ORDERS, customers=CUSTOMERS, feedback=FEEDBACK)
    yield db
    db.conn.close()


def missing_glyphs(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if MISSING.search(str(w.message))]


@pytest.mark.parametrize("lang", ["fa", "hy"])
@pytest.mark.parametrize("command", ["trend 6", "cohorts 6"])
def test_charts_in_persian_and_armenian_draw_every_glyph(small, lang, command):
    answers = []
    missing = missing_glyphs(
        lambda: answers.append(answer(Context(small, as_of=date(2026, 6, 30), lang=lang), command))
    )
    assert missing == []
    (chart,) = answers[0].charts
    assert chart.png.startswith(b"\x89PNG") and len(chart.png) > 10_000
    assert SCRIPT[lang].search(chart.title), chart.title


def test_a_missing_glyph_is_caught():
    """The check above can fail: a script DejaVu Sans lacks (Chinese) warns."""
    missing = missing_glyphs(lambda: trend_png(["2026-01"], [80.0], [20.0], [100.0], "留存趋势", "USD"))
    assert len(missing) == 4


def test_persian_letters_are_joined():
    """Shaped text: `مشتری` with its letters joined is narrower than the same
    letters kept apart by zero-width non-joiners (isolated forms). Without
    text shaping (matplotlib before 3.11) both would be drawn as isolated
    letters, left to right."""
    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    word = "مشتری"
    joined = fig.text(0, 0, word).get_window_extent(renderer).width
    apart = fig.text(0, 0, "\u200c".join(word)).get_window_extent(renderer).width
    assert joined < apart * 0.9
