"""The bulletin's charts: three PNGs from the figures, Chinese labels in a CJK font."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from matplotlib import font_manager

from audit.bulletin import charts
from audit.bulletin.charts import ChartSet, draw_charts, find_cjk_font
from audit.bulletin.figures import (
    Changes,
    Count,
    Figures,
    FindingRow,
    Overview,
    Period,
    Rate,
    Rectification,
    SiteRow,
    TrendPoint,
    Unfiled,
)

UTC = dt.UTC


def trend_point(month: str, icp: float | None, police: float | None, open_: int) -> TrendPoint:
    both = None if icp is None or police is None else min(icp, police) - 0.05
    return TrendPoint(month=month, reachable=400, icp_rate=icp, police_rate=police,
                      both_rate=both, open_findings=open_, unfiled_sites=open_ // 4)  # fmt: skip


def make_figures(
    *,
    trend: list[TrendPoint] | None = None,
    districts: list[tuple[str, int]] | None = None,
    unfiled_sites: list[SiteRow] | None = None,
    open_findings: list[FindingRow] | None = None,
    rectified: list[FindingRow] | None = None,
    overdue: list[FindingRow] | None = None,
) -> Figures:
    """The figures of November 2026 with the parts a test cares about; the rest is filler."""
    period = Period("2026-11", dt.datetime(2026, 10, 31, 16, tzinfo=UTC),
                    dt.datetime(2026, 11, 30, 16, tzinfo=UTC))  # fmt: skip
    previous = Period("2026-10", dt.datetime(2026, 9, 30, 16, tzinfo=UTC), period.start)
    if trend is None:
        trend = [
            trend_point("2026-06", 0.62, 0.41, 310),
            trend_point("2026-07", 0.66, None, 290),  # a month without a police rate: a gap
            trend_point("2026-08", 0.71, 0.50, 260),
            trend_point("2026-09", 0.75, 0.55, 240),
            trend_point("2026-10", 0.80, 0.61, 205),
            trend_point("2026-11", 0.84, 0.66, 180),
        ]
    if districts is None:
        districts = [("盐湖区", 62), ("永济市", 31), ("河津市", 27), ("临猗县", 19),
                     ("万荣县", 12), ("闻喜县", 9), ("稷山县", 0)]  # fmt: skip
    overview = Overview(
        runs=4, monitored=Count(420, 410), crawled=Count(415, 405), reachable=Count(400, 396),
        icp=Rate(336, 400, 317, 396), police=Rate(264, 400, 242, 396),
        both=Rate(250, 400, 230, 396), new_sites=12, new_discovered=5, retired_sites=2,
        sites=Changes(12, 2, 30, 376),
    )  # fmt: skip
    unfiled = Unfiled(
        sites=Count(45, 51), new=6, carried=39, fixed=12, missing_icp=Count(64, 79),
        missing_police=Count(136, 154), by_district=[], by_category=[],
        findings=Changes(6, 12, 0, 39),
    )  # fmt: skip
    rectification = Rectification(
        notified=Count(20, 18), inspected=Count(3, 2), fixed=Count(11, 9), overdue=Count(4, 5),
        in_progress=17, by_district=[],
    )  # fmt: skip
    return Figures(
        period=period,
        previous=previous,
        as_of=period.end,
        complete=True,
        compared=True,
        overview=overview,
        unfiled=unfiled,
        rectification=rectification,
        threats=[],
        warnings=[],
        trend=trend,
        findings_by_district=districts,
        unfiled_sites=unfiled_sites or [],
        open_findings=open_findings or [],
        rectified=rectified or [],
        overdue=overdue or [],
    )


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, read from its IHDR chunk (checks the signature too)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def system_has_chinese_fonts() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


needs_chinese_fonts = pytest.mark.skipif(
    not system_has_chinese_fonts(), reason="no Chinese font installed (fc-list :lang=zh)"
)


def test_three_charts_as_png_at_a4_text_width(tmp_path: Path) -> None:
    drawn = draw_charts(make_figures(), tmp_path / "charts")
    assert set(drawn.paths) == {"rates", "open_findings", "districts"}
    for key, path in drawn.paths.items():
        assert path == tmp_path / "charts" / f"{key}.png"
        width, height = png_size(path)
        # 16 cm at 150 dpi is 945 px; 7.5 cm is 443 px
        assert 900 <= width <= 990, (key, width)
        assert 400 <= height <= 500, (key, height)
        assert path.stat().st_size > 10_000
    assert not list((tmp_path / "charts").glob("*.part"))


@needs_chinese_fonts
def test_a_cjk_font_is_found_and_the_charts_carry_no_warning(tmp_path: Path) -> None:
    font = find_cjk_font()
    assert font is not None and font.path.exists()
    assert font.family in charts.CJK_FAMILIES or font.source != "matplotlib"
    assert draw_charts(make_figures(), tmp_path).warnings == []


@needs_chinese_fonts
@pytest.mark.parametrize("source", ["fc-list", "scan"])
def test_fonts_missing_from_matplotlibs_cache_are_found_as_files(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "scan":  # no fontconfig: look in the font directories
        monkeypatch.setattr(charts, "_fc_list_files", lambda: [])
        if not charts._scan_font_files():
            pytest.skip("no CJK font file in the usual directories")
    # A font cache built before the fonts were installed: a manager that knows no CJK font.
    stale = font_manager.FontManager.__new__(font_manager.FontManager)
    stale.__dict__.update(font_manager.fontManager.__dict__)
    stale.ttflist = [e for e in font_manager.fontManager.ttflist if not charts._covers(e.fname)]
    found = charts._find_cjk_font(stale)
    assert found is not None and found.source == source
    assert any(e.name == found.family for e in stale.ttflist)


def test_without_a_cjk_font_the_charts_are_drawn_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "find_cjk_font", lambda: None)
    drawn = draw_charts(make_figures(), tmp_path)
    assert all(path is not None and path.exists() for path in drawn.paths.values())
    assert drawn.warnings == [charts.NO_FONT_WARNING]
    assert "fonts-noto-cjk" in drawn.warnings[0]


def test_empty_data_draws_empty_charts(tmp_path: Path) -> None:
    drawn = draw_charts(make_figures(trend=[], districts=[]), tmp_path)
    assert all(path is not None and png_size(path)[0] > 900 for path in drawn.paths.values())
    assert any("no trend points" in w for w in drawn.warnings)


def test_one_month_of_trend_and_a_missing_rate(tmp_path: Path) -> None:
    drawn = draw_charts(make_figures(trend=[trend_point("2026-11", None, 0.5, 3)]), tmp_path)
    assert all(path is not None for path in drawn.paths.values())


def test_dollar_signs_in_district_names_are_text_not_mathtext(tmp_path: Path) -> None:
    districts = [("$\\frac{1}{0}$区", 5), ("$盐湖区", 3), ("a$b$c\\", 2), ("", 1),
                 ("\x1b[2J\u202e盐湖区\x9b", 1)]  # fmt: skip
    drawn = draw_charts(make_figures(districts=districts), tmp_path)
    assert drawn.paths["districts"] is not None and drawn.paths["districts"].exists()
    assert charts._literal("$\\frac{1}{0}$区", 16) == "\\$\\frac{1}{0}\\$区"
    assert charts._literal("\x1b[2J\u202e盐湖区\x9b", 16) == "[2J盐湖区"  # controls dropped


def test_many_districts_make_a_taller_chart(tmp_path: Path) -> None:
    districts = [(f"第{i}区", i) for i in range(40)]
    drawn = draw_charts(make_figures(districts=districts), tmp_path)
    assert drawn.paths["districts"] is not None
    assert png_size(drawn.paths["districts"])[1] > 700  # 25 bars: 24 and "其他16个区县"


def test_drawing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first: ChartSet = draw_charts(make_figures(), tmp_path / "a")
    second = draw_charts(make_figures(), tmp_path / "b")
    for key, path in first.paths.items():
        assert path is not None and second.paths[key] is not None
        assert path.read_bytes() == second.paths[key].read_bytes(), key
