"""The reports' charts, drawn server-side by matplotlib as SVG and placed inline in the report's
HTML: WeasyPrint draws inline SVG itself (a data: URI would be refused, core.pdf allows no
protocol), and with `svg.fonttype = "none"` the labels stay text, set in Noto Sans CJK like the
rest of the page (and found by a text search of the PDF)."""

import io
import itertools
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a worker

from django.utils.safestring import SafeString, mark_safe  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FONT = "Noto Sans CJK SC"
COLOURS = ("#2f6fb0", "#e07b39", "#4a9a5b", "#c0504d", "#8064a2", "#4bacc6", "#9b8b3a", "#7f7f7f")
STYLE: Any = {"svg.fonttype": "none", "font.family": FONT, "font.size": 8, "axes.unicode_minus": False}
WIDTH = 6.8  # inches: the A4 text width at the report's margins


def find_cjk_font() -> None:
    """matplotlib lists the machine's fonts once, into a cache kept between runs: Noto CJK
    installed after that (as .ci/run or a deployment may do) is not in it, and the labels would
    be measured in DejaVu, which has no CJK glyph (a warning per label, and widths wrong). Such a
    font is then added from the system's font folders."""
    try:
        font_manager.findfont(FONT, fallback_to_default=False)
    except ValueError:
        for path in font_manager.findSystemFonts():
            if Path(path).name.startswith("NotoSansCJK"):
                font_manager.fontManager.addfont(path)


find_cjk_font()


def _svg(fig: Figure) -> SafeString:
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    # The document's own element only: no XML declaration or DOCTYPE inside the HTML.
    svg = text[text.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Inline SVG's style attributes and <style> would go through the page's CSS first, which
    # knows no SVG property and logs each one: presentation attributes say the same quietly.
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = STYLE_ATTRIBUTE.sub(_attributes, svg)
    svg = _own_ids(svg)
    # Scale with the page: drop the fixed point size, keep the viewBox.
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)
    root = '<svg class="chart" stroke-linejoin="round" stroke-linecap="butt" '
    return mark_safe(svg.replace("<svg ", root, 1))  # noqa: S308  (matplotlib's own output)


STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
ID = re.compile(r'\sid="([^"]*)"')
REFERENCE = re.compile(r'(url\(#|href="#)([^)"]*)')
_charts = itertools.count(1)


def _own_ids(svg: str) -> str:
    """Ids of this chart alone. A report holds several charts, each with matplotlib's own
    `figure_1`, `axes_1`, … and markers named after their shape, and WeasyPrint warned of every id
    defined twice (a thousand lines for the demo's reports): the ids nothing refers to go, the
    others (clip paths, markers) take the chart's number."""
    referred = {name for _how, name in REFERENCE.findall(svg)}
    prefix = f"chart{next(_charts)}-"
    svg = ID.sub(lambda m: f' id="{prefix}{m.group(1)}"' if m.group(1) in referred else "", svg)
    return REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def _attributes(match: re.Match[str]) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _figure(height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, height))
        fig.subplots()
    return fig


def _tidy(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=2)


def intake_by_channel(days: Sequence[date], series: dict[str, Sequence[int]]) -> SafeString:
    """Cases received per day, stacked by channel: `series` maps a channel's label to one count
    per day of `days`."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(2.4)
        ax = fig.axes[0]
        x = list(range(len(days)))
        bottom = [0] * len(days)
        for i, (label, counts) in enumerate(series.items()):
            ax.bar(x, counts, bottom=bottom, label=label, color=COLOURS[i % len(COLOURS)], width=0.7)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        step = max(1, len(days) // 16)
        ax.set_xticks(x[::step], [f"{d:%m-%d}" for d in days][::step])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if series:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)
        _tidy(ax)
        return _svg(fig)


def rates_vs_previous(
    labels: Sequence[str],
    current: Sequence[float | None],
    previous: Sequence[float | None],
    names: Sequence[str],
) -> SafeString:
    """The rates (0–1) of the period next to the period before's, in percent; `names` the two
    periods' legend entries."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(2.2)
        ax = fig.axes[0]
        x = list(range(len(labels)))
        width = 0.38
        for shift, values, name, colour in (
            (-width / 2, previous, names[1], "#b7c7da"),
            (width / 2, current, names[0], COLOURS[0]),
        ):
            heights = [0 if v is None else v * 100 for v in values]
            bars = ax.bar([i + shift for i in x], heights, width=width, label=name, color=colour)
            for bar, v in zip(bars, values, strict=True):
                text = "—" if v is None else f"{v * 100:.1f}%"
                ax.annotate(
                    text,
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
        ax.set_xticks(x, list(labels))
        ax.set_ylim(0, 110)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)
        _tidy(ax)
        return _svg(fig)


def top_categories(labels: Sequence[str], counts: Sequence[int]) -> SafeString:
    """Horizontal bars, the largest on top."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.6 + 0.26 * max(1, len(labels)))
        ax = fig.axes[0]
        y = list(range(len(labels)))
        ax.barh(y, list(counts), color=COLOURS[0], height=0.6)
        ax.set_yticks(y, list(labels))
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for i, n in enumerate(counts):
            ax.annotate(str(n), (n, i), xytext=(2, 0), textcoords="offset points", va="center", fontsize=7)
        _tidy(ax)
        return _svg(fig)
