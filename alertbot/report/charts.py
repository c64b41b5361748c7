"""The report's charts: PNG files drawn with matplotlib's Agg canvas (no display, no pyplot global state).

Chinese labels need a CJK font. The font is **Noto Sans CJK SC** (SIL Open Font License) as shipped in the
``mplfonts`` wheel, a dependency in pyproject.toml, so ``pip install .`` is enough; the Debian package
``fonts-noto-cjk`` is the fallback when that wheel is absent. Every label is checked against the font's
character map first, and a character the font lacks is replaced by ``?``: a chart never shows the
missing-glyph box.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alertbot.report.data import RISKS, STATUSES, Breakdown, ReportData
from alertbot.report.labels import country_label, label, office_label, value_label

log = logging.getLogger(__name__)

FONT_FILE_IN_MPLFONTS = "fonts/NotoSansCJKsc-Regular.otf"
DEBIAN_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
)
RISK_COLOURS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#f2c500"}
STATUS_COLOURS = {"confirmed": "#2ca02c", "dismissed": "#7f7f7f", "escalated": "#d62728", "new": "#1f77b4"}
BAR_COLOUR = "#1f77b4"
TOP_BARS = 12
DPI = 110
CHART_KEYS = ("by_month", "by_office", "by_country", "triage")
# rc_context changes matplotlib's process-wide rcParams: two reports drawn at once (the dispatcher renders in
# worker threads) must not see each other's settings.
_DRAWING = threading.Lock()


class FontMissingError(RuntimeError):
    """No CJK font was found to draw Chinese labels with."""


@dataclass(frozen=True)
class Chart:
    """One written chart and every piece of text drawn on it (for checks)."""

    key: str  # by_month | by_office | by_country | triage
    title: str
    path: Path
    texts: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The CJK font file the charts use: mplfonts' Noto Sans CJK SC, else Debian's fonts-noto-cjk."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / FONT_FILE_IN_MPLFONTS
            if candidate.is_file():
                return candidate
    for candidate in DEBIAN_FONT_FILES:
        if candidate.is_file():
            return candidate
    raise FontMissingError(
        "no CJK font for the report charts: install the project's dependencies (`pip install .` brings "
        "mplfonts, which ships Noto Sans CJK SC) or the Debian package fonts-noto-cjk"
    )


@functools.lru_cache(maxsize=1)
def cjk_font_name() -> str:
    """Register the CJK font with matplotlib and return its family name (``Noto Sans CJK SC``)."""
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


@functools.lru_cache(maxsize=1)
def font_codepoints() -> frozenset[int]:
    """The code points the CJK font has glyphs for (its best Unicode cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(cjk_font_path()), fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        return frozenset(cmap)


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` (other than whitespace) the CJK font has no glyph for."""
    have = font_codepoints()
    return {char for char in text if not char.isspace() and ord(char) not in have}


def drawable(text: str) -> str:
    """``text`` with characters the font cannot draw replaced by ``?`` (crawled show names may hold any)."""
    missing = missing_glyphs(text)
    if not missing:
        return text
    log.debug("chart label %r: no glyph for %s; drawn as ?", text, sorted(missing))
    return "".join("?" if char in missing else char for char in text)


@contextmanager
def _cjk_rc() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(
        {
            "font.family": [cjk_font_name()],
            "axes.unicode_minus": False,  # the font's hyphen, not U+2212, for negative numbers
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
        }
    ):
        yield


def _new_figure(width: float = 8.0, height: float = 4.5):  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _texts_of(figure) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    from matplotlib.text import Text

    return tuple(
        text.get_text() for text in figure.findobj(Text) if isinstance(text, Text) and text.get_text().strip()
    )


def _save(figure, key: str, title: str, path: Path) -> Chart:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return Chart(key, title, path, _texts_of(figure))


def _month_label(month: dt.date, lang: str) -> str:
    return f"{month.year}年{month.month}月" if lang == "zh" else month.strftime("%Y-%m")


def _by_month(data: ReportData, lang: str, path: Path) -> Chart:
    title = drawable(label("chart.by_month", lang))
    months = list(data.monthly)
    figure = _new_figure(max(6.0, 0.6 * len(months) + 3.0), 4.5)
    axes = figure.add_subplot()
    positions = list(range(len(months)))
    bottom = [0] * len(months)
    for risk in RISKS:
        counts = [data.monthly[month].get(risk, 0) for month in months]
        axes.bar(
            positions,
            counts,
            bottom=bottom,
            color=RISK_COLOURS[risk],
            label=value_label("risk", risk, lang),
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(positions, [_month_label(month, lang) for month in months], rotation=45, ha="right")
    axes.set_ylabel(label("chart.count", lang))
    axes.set_title(title)
    axes.legend(title=label("col.risk", lang))
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _save(figure, "by_month", title, path)


def _bars(
    rows: Sequence[Breakdown], lang: str, key: str, title_key: str, path: Path, name: Callable[[str], str]
) -> Chart:
    title = drawable(label(title_key, lang))
    shown = list(rows[:TOP_BARS])
    rest = sum(row.raised for row in rows[TOP_BARS:])
    names = [drawable(name(row.key)) if row.key else label("unknown", lang) for row in shown]
    values = [row.raised for row in shown]
    if rest:
        names.append(label("chart.other", lang))
        values.append(rest)
    figure = _new_figure(8.0, max(3.0, 0.45 * len(names) + 1.6))
    axes = figure.add_subplot()
    positions = list(range(len(names)))
    axes.barh(positions, values, color=BAR_COLOUR)
    axes.set_yticks(positions, names)
    axes.invert_yaxis()  # largest first, at the top
    axes.margins(x=0.08)  # room for the count after the longest bar
    axes.set_xlabel(label("chart.count", lang))
    axes.set_title(title)
    axes.xaxis.get_major_locator().set_params(integer=True)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(str(value), (value, position), xytext=(3, 0), textcoords="offset points", va="center")
    return _save(figure, key, title, path)


def _triage(data: ReportData, lang: str, path: Path) -> Chart:
    title = drawable(label("chart.triage", lang))
    names = [value_label("status", status, lang) for status in STATUSES]
    values = [data.status_totals.get(status, 0) for status in STATUSES]
    figure = _new_figure(7.0, 4.0)
    axes = figure.add_subplot()
    positions = list(range(len(names)))
    axes.bar(positions, values, color=[STATUS_COLOURS[status] for status in STATUSES])
    axes.set_xticks(positions, names)
    axes.margins(y=0.12)  # room for the count above the tallest bar
    axes.set_ylabel(label("chart.count", lang))
    axes.set_title(title)
    axes.yaxis.get_major_locator().set_params(integer=True)
    for position, value in zip(positions, values, strict=True):
        axes.annotate(str(value), (position, value), xytext=(0, 3), textcoords="offset points", ha="center")
    return _save(figure, "triage", title, path)


def render_charts(data: ReportData, lang: str, out_dir: Path, stem: str) -> list[Chart]:
    """Draw the four charts into ``out_dir`` as ``<stem>-chart-<key>.png``; returns them in order."""
    with _DRAWING, _cjk_rc():
        return [
            _by_month(data, lang, out_dir / f"{stem}-chart-by_month.png"),
            _bars(
                data.by_office,
                lang,
                "by_office",
                "chart.by_office",
                out_dir / f"{stem}-chart-by_office.png",
                lambda key: office_label(key, lang),
            ),
            _bars(
                data.by_country,
                lang,
                "by_country",
                "chart.by_country",
                out_dir / f"{stem}-chart-by_country.png",
                lambda code: country_label(code, lang),
            ),
            _triage(data, lang, out_dir / f"{stem}-chart-triage.png"),
        ]
