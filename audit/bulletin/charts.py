"""The bulletin's charts: three PNGs drawn with matplotlib from the figures.

``rates``          备案信息展示率趋势: ICP, public-security and both display rates by month
``open_findings``  未整改问题与未备案网站趋势: open findings (bars) and unfiled sites (line)
``districts``      各区县未整改问题数: open findings at the month's end by district

Each is about 16 cm × 7.5 cm at 150 dpi (the A4 text width); the districts chart grows
taller when there are many districts. Drawing uses :class:`matplotlib.figure.Figure` and
the Agg canvas directly (no pyplot, no backend switch, no figures left open); the style is
applied with a style context over matplotlib's defaults (a user's matplotlibrc does not
leak in), under a lock because rcParams are process-wide. Re-rendering the same figures
gives byte-identical files (no version stamp in the PNG).

Chinese text needs a CJK font. :func:`find_cjk_font` looks for one at run time, not only
in matplotlib's font cache (a cache built before the fonts were installed does not list
them). Without one the charts are still drawn (the Chinese shows as boxes) and the chart
set carries a warning saying which package to install.

Empty data (no trend points, no districts) gives a chart with the title and "无数据";
no trend points at all is also a warning (the trend always holds the bulletin's month).
A chart that fails to draw is None in ``paths``, with a warning: the bulletin then prints
its caption and "（图表未生成）" (:class:`audit.bulletin.blocks.Chart`). A chart that cannot
be written (a full or read-only disk) is not a drawing problem: the ``OSError`` is raised,
and the bulletin is not issued.

District names (and anything else from data) go through :func:`_literal`: a ``$`` would
otherwise start mathtext.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import shutil
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib import font_manager, ft2font
from matplotlib import style as mpl_style
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from audit.bulletin.figures import Figures, TrendPoint
from audit.display import display_text
from audit.files import write_atomic

logger = logging.getLogger(__name__)

CHART_KEYS = ("rates", "open_findings", "districts")
CHART_TITLES = {
    "rates": "备案信息展示率趋势",
    "open_findings": "未整改问题与未备案网站趋势",
    "districts": "各区县未整改问题数",
}
NO_DATA = "无数据"
NO_FONT_WARNING = (
    "no CJK font found: chart labels will show as boxes; install fonts-noto-cjk "
    "(apt-get install fonts-noto-cjk) or fonts-wqy-microhei"
)

CM = 1 / 2.54
WIDTH_CM = 16.0
HEIGHT_CM = 7.5
MAX_HEIGHT_CM = 22.0
DPI = 150
MAX_DISTRICTS = 25  # more are summed into one "其他" bar

# Chart font families, best first: sans faces for Simplified Chinese, then serif, then
# other CJK regions (their Chinese glyphs differ in details only), then broad fallbacks.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "Noto Serif SC",
    "SimSun",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Serif CJK TC",
    "Noto Serif CJK JP",
    "Arial Unicode MS",
)
# A font "is CJK" when it has these (every chart title uses them).
PROBE = "备案展示率问题网站区县无数据"
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
FONT_FILE_HINTS = ("cjk", "wqy", "sourcehan", "droidsansfallback", "simhei", "msyh", "pingfang")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")

# colours: muted, distinguishable in greyscale print by marker and line style as well
BLUE = "#1f5fa8"
RED = "#c0392b"
GREEN = "#2e8b57"
BAR = "#5b8cc9"
ORANGE = "#d9822b"


@dataclass(frozen=True)
class FontChoice:
    """The CJK font the charts use. ``source``: ``matplotlib`` (it knew the font already),
    ``fc-list`` or ``scan`` (found as a file and registered with matplotlib here)."""

    family: str
    path: Path
    source: str


@dataclass
class ChartSet:
    """The PNG of each chart by key (None when it could not be drawn), and what went wrong."""

    paths: dict[str, Path | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --- fonts -------------------------------------------------------------------------------


@functools.cache
def find_cjk_font() -> FontChoice | None:
    """A CJK-capable font, registered with matplotlib's font manager; None if there is none.
    Found once per process."""
    return _find_cjk_font(font_manager.fontManager)


def _find_cjk_font(manager: font_manager.FontManager) -> FontChoice | None:
    known = _best_entry(manager.ttflist)
    if known is not None:
        return FontChoice(known.name, Path(known.fname), "matplotlib")
    # Not in matplotlib's list (its cache may predate the fonts): look for files, first
    # where fontconfig says, then in the usual directories.
    tried: set[str] = set()
    for source, find in (("fc-list", _fc_list_files), ("scan", _scan_font_files)):
        files = [path for path in find() if path not in tried]
        tried.update(files)
        for path in sorted(files, key=_file_rank):
            entry = _register(manager, path)
            if entry is not None:
                logger.info("CJK font for charts: %s (%s, via %s)", entry.name, path, source)
                return FontChoice(entry.name, Path(path), source)
    return None


def _register(manager: font_manager.FontManager, path: str) -> font_manager.FontEntry | None:
    """Add the font file to matplotlib (unless it has it) and return its best CJK face."""
    if not any(entry.fname == path for entry in manager.ttflist):
        try:
            manager.addfont(path)
        except Exception as exc:  # a broken or unsupported file: the caller tries the next
            logger.debug("cannot register font %s: %s", path, exc)
            return None
    entries = [entry for entry in manager.ttflist if entry.fname == path]
    # a family known by name, else whatever the file calls itself if it has the glyphs
    entry = _best_entry(entries) or next((e for e in entries if _covers(path)), None)
    if entry is None or not _resolves(manager, entry.name):
        return None
    return entry


def _best_entry(entries: Iterable[font_manager.FontEntry]) -> font_manager.FontEntry | None:
    rank = {name.lower(): i for i, name in enumerate(CJK_FAMILIES)}

    def order(entry: font_manager.FontEntry) -> tuple[int, int, str]:
        weight = entry.weight  # a number or a name
        if isinstance(weight, str):
            weight = font_manager.weight_dict.get(weight, weight)
        regular = abs(weight - 400) if isinstance(weight, int) else 1000
        return rank[entry.name.lower()], regular, entry.fname

    known = sorted((e for e in entries if e.name.lower() in rank), key=order)
    return next((entry for entry in known if _covers(entry.fname)), None)


@functools.cache
def _covers(path: str) -> bool:
    """Whether the font file (its first face) has glyphs for the probe characters."""
    try:
        font = ft2font.FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in PROBE)
    except Exception:
        return False


def _resolves(manager: font_manager.FontManager, family: str) -> bool:
    prop = font_manager.FontProperties(family=family)
    try:
        manager.findfont(prop, fallback_to_default=False, rebuild_if_missing=False)
    except ValueError:
        return False
    return True


def _fc_list_files() -> list[str]:
    """Font files fontconfig says cover Chinese (none without fc-list)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        done = subprocess.run(
            [fc_list, ":lang=zh", "--format", "%{file}\n"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("fc-list failed: %s", exc)
        return []
    files = {
        line.strip()
        for line in done.stdout.splitlines()
        if line.strip().lower().endswith(FONT_SUFFIXES)
    }
    return sorted(files)


def _scan_font_files() -> list[str]:
    found = []
    for directory in FONT_DIRS:
        root = Path(directory).expanduser()
        if not root.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                lower = name.lower()
                if lower.endswith(FONT_SUFFIXES) and (
                    lower.endswith(".ttc") or any(hint in lower for hint in FONT_FILE_HINTS)
                ):
                    found.append(os.path.join(dirpath, name))
    return sorted(found)


def _file_rank(path: str) -> tuple[int, int, str]:
    name = os.path.basename(path).lower().replace("-", "").replace("_", "")
    order = ("notosanscjk", "sourcehansans", "wqymicrohei", "wqyzenhei", "msyh", "simhei")
    hint = next((i for i, h in enumerate(order) if h in name), len(order))
    bold = 1 if any(w in name for w in ("bold", "black", "heavy", "light", "thin")) else 0
    return hint, bold, path


# --- drawing -----------------------------------------------------------------------------

_LOCK = threading.Lock()
_warned_no_font = False


def draw_charts(figures: Figures, out_dir: Path) -> ChartSet:
    """Draw the three charts as ``<key>.png`` in ``out_dir`` (created if need be), each
    written whole (:func:`audit.files.write_atomic`)."""
    global _warned_no_font
    out_dir = Path(out_dir)
    charts = ChartSet()
    font = find_cjk_font()
    if font is None:
        charts.warnings.append(NO_FONT_WARNING)
        if not _warned_no_font:
            _warned_no_font = True
            logger.warning(NO_FONT_WARNING)
    if not figures.trend:
        charts.warnings.append("no trend points: the trend charts are drawn empty (无数据)")
    drawers: dict[str, Callable[[Figures], Figure]] = {
        "rates": _rates_chart,
        "open_findings": _open_findings_chart,
        "districts": _districts_chart,
    }
    with _LOCK, mpl_style.context(["default", _rc(font)]), warnings.catch_warnings():
        if font is None:  # one warning above, not one per missing glyph
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        for key, draw in drawers.items():
            try:
                data = _png(draw(figures))
            except Exception as exc:
                logger.exception("chart %s not drawn", key)
                charts.paths[key] = None
                charts.warnings.append(f"chart {key} not drawn: {type(exc).__name__}: {exc}")
                continue
            charts.paths[key] = write_atomic(out_dir / f"{key}.png", data)
    return charts


def _has_bold(family: str) -> bool:
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        weight = entry.weight
        if isinstance(weight, str):
            weight = font_manager.weight_dict.get(weight, 400)
        if entry.name == family and isinstance(weight, int) and weight >= 600:
            return True
    return False


def _rc(font: FontChoice | None) -> dict[str, object]:
    families = [font.family, "DejaVu Sans"] if font else ["DejaVu Sans"]
    # A CJK font with one weight (WenQuanYi Micro Hei) has no bold: asked for one,
    # matplotlib warns on every chart and draws the regular anyway.
    titles = "bold" if font is None or _has_bold(font.family) else "normal"
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "font.size": 8,
        "axes.titlesize": 10,
        "axes.titleweight": titles,
        "figure.titlesize": 10,
        "figure.titleweight": titles,
        "axes.labelsize": 8,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
        "legend.fontsize": 7.5,
        "axes.unicode_minus": False,
        "text.usetex": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#666666",
        "axes.axisbelow": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
        "xtick.color": "#333333",
        "ytick.color": "#333333",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
    }


def _new_figure(title: str, height_cm: float = HEIGHT_CM) -> Figure:
    figure = Figure(figsize=(WIDTH_CM * CM, height_cm * CM), dpi=DPI, layout="constrained")
    figure.suptitle(title)
    return figure


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    # no "Software: matplotlib x.y" stamp: the same figures give the same bytes
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _no_data(ax: Axes) -> None:
    ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center",
            fontsize=12, color="#888888")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _rates_chart(figures: Figures) -> Figure:
    figure = _new_figure(CHART_TITLES["rates"])
    ax = figure.add_subplot()
    points = figures.trend
    if not points:
        _no_data(ax)
        return figure
    x = list(range(len(points)))
    series = (
        ("ICP备案号", [p.icp_rate for p in points], BLUE, "o", "-"),
        ("公安备案号", [p.police_rate for p in points], RED, "s", "--"),
        ("两者均展示", [p.both_rate for p in points], GREEN, "^", "-."),
    )
    for label, rates, colour, marker, style in series:
        # None is a gap in the line (NaN), not a zero
        values = [math.nan if r is None else r * 100 for r in rates]
        ax.plot(x, values, label=label, color=colour, marker=marker, linestyle=style,
                linewidth=1.6, markersize=3.5, clip_on=False)  # fmt: skip
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("展示率")
    ax.grid(axis="y")
    _month_axis(ax, points)
    figure.legend(loc="outside lower center", ncol=3, frameon=False)
    return figure


def _open_findings_chart(figures: Figures) -> Figure:
    figure = _new_figure(CHART_TITLES["open_findings"])
    ax = figure.add_subplot()
    points = figures.trend
    if not points:
        _no_data(ax)
        return figure
    x = list(range(len(points)))
    # no value labels: they would collide with the line (the numbers are in the tables)
    ax.bar(x, [p.open_findings for p in points], width=0.6, color=BAR, label="未整改问题",
           zorder=2)  # fmt: skip
    ax.set_ylabel("未整改问题（个）")
    ax.set_ylim(0, _headroom(p.open_findings for p in points))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.grid(axis="y")
    right = ax.twinx()
    right.spines["right"].set_visible(True)
    right.plot(x, [p.unfiled_sites for p in points], color=ORANGE, marker="o",
               linewidth=1.8, markersize=3.5, label="未备案网站", clip_on=False)  # fmt: skip
    right.set_ylabel("未备案网站（个）")
    right.set_ylim(0, _headroom(p.unfiled_sites for p in points))
    right.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    _month_axis(ax, points)
    figure.legend(loc="outside lower center", ncol=2, frameon=False)
    return figure


def _districts_chart(figures: Figures) -> Figure:
    rows = sorted(figures.findings_by_district, key=lambda r: (-r[1], r[0]))
    if len(rows) > MAX_DISTRICTS:
        rest = rows[MAX_DISTRICTS - 1 :]
        rows = [*rows[: MAX_DISTRICTS - 1], (f"其他{len(rest)}个区县", sum(n for _, n in rest))]
    height = min(MAX_HEIGHT_CM, max(HEIGHT_CM, 2.2 + 0.45 * len(rows)))
    figure = _new_figure(CHART_TITLES["districts"], height)
    ax = figure.add_subplot()
    if not rows:
        _no_data(ax)
        return figure
    y = list(range(len(rows)))
    bars = ax.barh(y, [n for _, n in rows], height=0.6, color=BAR, zorder=2)
    ax.bar_label(bars, fontsize=7, padding=2, color="#333333")
    ax.set_yticks(y, labels=[_literal(name, 16) or "（未注明）" for name, _ in rows])
    ax.invert_yaxis()  # largest on top
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_xlim(left=0)
    ax.margins(x=0.08)
    ax.set_xlabel("未整改问题（个）")
    ax.grid(axis="x")
    return figure


def _headroom(values: Iterable[int]) -> float:
    """An axis top a little above the largest value (and above zero)."""
    return max(1, *values) * 1.12


def _month_axis(ax: Axes, points: Sequence[TrendPoint]) -> None:
    """Months on x: "3月" within one year, "2025-12" across years; slanted when many."""
    years = {p.month[:4] for p in points}
    if len(years) == 1:
        labels = [f"{int(p.month[5:7])}月" if len(p.month) >= 7 else p.month for p in points]
    else:
        labels = [p.month for p in points]
    ax.set_xticks(range(len(points)), labels=[_literal(label, 10) for label in labels])
    ax.set_xlim(-0.6, len(points) - 0.4)
    if len(points) > 12:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")


def _literal(text: str, limit: int) -> str:
    """Data as plain text: one line without control or bidi characters, at most ``limit``
    characters, ``$`` escaped so that matplotlib does not read it as mathtext."""
    text = " ".join(display_text(str(text), how="drop").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("$", r"\$")
