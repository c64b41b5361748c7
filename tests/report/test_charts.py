"""Charts render Chinese with real glyphs: the font has every character drawn, a missing glyph is caught
(matplotlib warns, and warnings are errors here), and CJK characters do not come out as the missing box."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alertbot import db
from alertbot.report.charts import (
    CHART_KEYS,
    _cjk_rc,
    _new_figure,
    cjk_font_name,
    cjk_font_path,
    drawable,
    missing_glyphs,
    render_charts,
)
from alertbot.report.data import collect
from alertbot.report.period import period_of
from alertbot.settings import Settings
from tests.report.seed import AS_OF

NOT_IN_FONT = "\u0378"  # an unassigned code point: no font has it


def _han(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")]


def _bitmap(text: str) -> np.ndarray:
    with _cjk_rc():
        figure = _new_figure(1.0, 1.0)
        figure.text(0.5, 0.5, text, fontsize=40, ha="center", va="center")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return np.asarray(Image.open(buffer).convert("L"))


def test_the_chart_font_is_noto_sans_cjk_from_the_project_dependencies() -> None:
    assert cjk_font_name() == "Noto Sans CJK SC"
    assert "mplfonts" in cjk_font_path().parts or cjk_font_path().is_relative_to("/usr/share/fonts")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_is_a_png_whose_labels_the_font_can_draw(
    settings: Settings, seeded, tmp_path: Path, lang: str
) -> None:
    with db.session_factory(settings)() as session:
        data = collect(session, period_of("2026-10"), enterprise_id=None, as_of=AS_OF, tz=settings.timezone)
    charts = render_charts(data, lang, tmp_path, "r")  # a fallback-glyph warning here fails the test
    assert [chart.key for chart in charts] == list(CHART_KEYS)
    for chart in charts:
        with Image.open(chart.path) as image:
            assert image.format == "PNG"
            assert image.width > 300
            assert image.height > 200
        text = "".join(chart.texts)
        assert missing_glyphs(text) == set(), chart.key
        if lang == "zh":
            assert _han(chart.title), f"{chart.key}: the title is Chinese"
    # The office chart carries the show's Chinese name even in English.
    assert any(_han(t) for t in charts[1].texts)


def test_a_missing_glyph_is_caught_and_cjk_glyphs_are_not_the_missing_box() -> None:
    with pytest.warns(UserWarning, match="missing from font"):
        box = _bitmap(NOT_IN_FONT)
    feng, xian = _bitmap("风"), _bitmap("险")
    assert box.min() < 128, (
        "the missing glyph draws something (the box), so comparing with it means something"
    )
    assert not np.array_equal(feng, box)
    assert not np.array_equal(xian, box)
    assert not np.array_equal(feng, xian), "two different characters draw differently"


def test_labels_the_font_cannot_draw_get_a_question_mark() -> None:
    assert missing_glyphs(f"中{NOT_IN_FONT}A") == {NOT_IN_FONT}
    assert drawable(f"中{NOT_IN_FONT}A") == "中?A"
    assert drawable("沈阳 CIEME 2026") == "沈阳 CIEME 2026"
