"""Policy-brief charts: numbers drawn, texts, fonts, colours, files, in Japanese and English."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coauthor.charts import (
    ChartContext,
    chart_data_composition,
    chart_data_coverage,
    chart_data_international_index,
    chart_data_international_share,
    composition_chart,
    country_color,
    country_name,
    coverage_chart,
    figure_texts,
    footnote,
    international_index_chart,
    international_share_chart,
    line_style,
    save_figure,
)

DATE = "2026-11-29"
BANNER = {
    "en": "SYNTHETIC DATA — not real OpenAlex figures",
    "ja": "合成データ（実データではありません）",
}
COUNTRIES = ["US", "CN", "JP", "DE"]


def _row(country: str, year: int, domestic: int, bilateral: int, multilateral: int) -> dict:
    whole = domestic + bilateral + multilateral
    international = bilateral + multilateral
    return {
        "country": country,
        "year": year,
        "works_whole": whole,
        "works_fractional": whole * 0.75,
        "works_international": international,
        "works_bilateral": bilateral,
        "works_multilateral": multilateral,
        "works_domestic": domestic,
        "international_share": international / whole,
    }


# JP international: 50, 60, 75, 90; DE has no international paper in 2010.
COUNTRY_YEAR = pl.DataFrame(
    [
        _row("JP", 2010, 150, 30, 20),
        _row("JP", 2011, 140, 35, 25),
        _row("JP", 2012, 125, 45, 30),
        _row("JP", 2013, 110, 50, 40),
        _row("US", 2010, 300, 60, 40),
        _row("US", 2011, 300, 70, 50),
        _row("US", 2012, 280, 80, 60),
        _row("US", 2013, 260, 90, 70),
        _row("CN", 2010, 400, 30, 10),
        _row("CN", 2011, 420, 40, 20),
        _row("CN", 2012, 450, 60, 30),
        _row("CN", 2013, 480, 80, 40),
        _row("DE", 2010, 50, 0, 0),
        _row("DE", 2011, 50, 20, 10),
        _row("DE", 2012, 50, 25, 15),
        _row("DE", 2013, 50, 30, 20),
        _row("GB", 2010, 10, 10, 10),  # in the frame but not asked for
    ]
)

COVERAGE = pl.DataFrame(
    {
        "year": [2010, 2011, 2012, 2013],
        "works_in_universe": [1000, 1100, 1200, 1300],
        "works_no_country": [200, 165, 120, 65],
    }
).with_columns(share_no_country=pl.col("works_no_country") / pl.col("works_in_universe"))


def ctx_for(lang: str, **changes: object) -> ChartContext:
    fields: dict = {
        "lang": lang,
        "data_date": DATE,
        "counting": "whole",
        "types": ("article", "review"),
        "synthetic": False,
        "moving_average": None,
    }
    fields.update(changes)
    return ChartContext(**fields)


CHARTS: dict[str, Callable[[ChartContext], Figure]] = {
    "international_index": lambda ctx: international_index_chart(
        COUNTRY_YEAR, ctx, COUNTRIES, 2010
    ),
    "international_share": lambda ctx: international_share_chart(COUNTRY_YEAR, ctx, COUNTRIES),
    "composition": lambda ctx: composition_chart(COUNTRY_YEAR, ctx, COUNTRIES, 2012),
    "coverage": lambda ctx: coverage_chart(COVERAGE, ctx),
}


def lines_by_country(fig: Figure) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        line.get_gid(): (np.asarray(line.get_xdata()), np.asarray(line.get_ydata(), float))
        for line in fig.axes[0].get_lines()
        if line.get_gid() not in (None, "reference")
    }


def expected_lines(data: pl.DataFrame, value: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        code: (
            part["year"].to_numpy(),
            part[value].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        )
        for (code,), part in data.group_by("country", maintain_order=True)
    }


def assert_same_lines(drawn: dict, expected: dict) -> None:
    assert list(drawn) == list(expected)
    for code, (x, y) in expected.items():
        np.testing.assert_array_equal(drawn[code][0], x)
        np.testing.assert_allclose(drawn[code][1], y, equal_nan=True)


# --------------------------------------------------------------------------- drawing, saving


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("chart", list(CHARTS))
def test_chart_draws_and_saves_without_any_warning(
    chart: str, lang: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Missing glyphs, font fallbacks and layout problems would all surface as warnings."""
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = CHARTS[chart](ctx_for(lang, synthetic=True, moving_average=2, harmonise_cn=True))
        paths = save_figure(fig, tmp_path, f"{chart}_{lang}", dpi=100)
    assert isinstance(fig, Figure)
    assert [p.name for p in paths] == [f"{chart}_{lang}.{ext}" for ext in ("png", "svg", "pdf")]
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in paths[1].read_bytes()[:2000]
    assert paths[2].read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.tmp")), "temporary files left behind"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("chart", list(CHARTS))
def test_texts_stay_inside_the_figure_and_off_the_axes(chart: str, lang: str) -> None:
    fig = CHARTS[chart](ctx_for(lang, synthetic=True, extra_note="x " * 80))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    for text in fig.texts:
        box = text.get_window_extent(renderer)
        if text.get_gid() == "synthetic-watermark":
            continue
        assert page.x0 <= box.x0 and box.x1 <= page.x1 + 0.5, (text.get_text(), box)
        assert page.y0 <= box.y0 and box.y1 <= page.y1 + 0.5, (text.get_text(), box)
    axes_box = fig.axes[0].get_tightbbox(renderer)  # incl. tick labels, axis labels, legend
    assert page.x0 <= axes_box.x0 and axes_box.x1 <= page.x1
    by_gid = {t.get_gid(): t.get_window_extent(renderer) for t in fig.texts}
    assert by_gid["footnote"].y1 <= axes_box.y0, "footnote overlaps the plot"
    assert by_gid["title"].y0 >= axes_box.y1, "title overlaps the plot"
    assert not by_gid["title"].overlaps(by_gid["synthetic-banner"])


@pytest.mark.parametrize("chart", ["international_index", "international_share", "coverage"])
def test_years_are_integer_ticks(chart: str) -> None:
    fig = CHARTS[chart](ctx_for("en"))
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"\d{4}", s) for s in labels), labels


# --------------------------------------------------------------------------- numbers


def test_index_is_hand_computed() -> None:
    data = chart_data_international_index(COUNTRY_YEAR, COUNTRIES, 2010)
    jp = data.filter(pl.col("country") == "JP")
    assert jp["year"].to_list() == [2010, 2011, 2012, 2013]
    assert jp["works_international"].to_list() == [50, 60, 75, 90]
    assert jp["index"].to_list() == pytest.approx([100.0, 120.0, 150.0, 180.0])
    us = data.filter(pl.col("country") == "US")["index"].to_list()
    assert us == pytest.approx([100.0, 120.0, 140.0, 160.0])
    assert data.columns == ["country", "year", "works_international", "index"]


def test_index_leaves_out_a_country_with_nothing_in_the_base_year() -> None:
    data = chart_data_international_index(COUNTRY_YEAR, COUNTRIES, 2010)
    assert data["country"].unique(maintain_order=True).to_list() == ["US", "CN", "JP"]
    for lang, name in (("en", "Germany"), ("ja", "ドイツ")):
        fig = international_index_chart(COUNTRY_YEAR, ctx_for(lang), COUNTRIES, 2010)
        assert "DE" not in lines_by_country(fig)
        note = next(t.get_text() for t in fig.texts if t.get_gid() == "footnote")
        assert name in note and "2010" in note


def test_index_with_moving_average() -> None:
    data = chart_data_international_index(COUNTRY_YEAR, ["JP"], 2011, moving_average=2)
    # 2-year means of 50, 60, 75, 90: -, 55, 67.5, 82.5; indexed to 2011.
    assert data["works_international"].to_list()[1:] == pytest.approx([55.0, 67.5, 82.5])
    assert data["index"][0] is None
    assert data["index"].to_list()[1:] == pytest.approx([100.0, 122.7272727, 150.0])


def test_share_and_its_moving_average() -> None:
    plain = chart_data_international_share(COUNTRY_YEAR, ["JP"])
    assert plain["percent"].to_list() == pytest.approx([25.0, 30.0, 37.5, 45.0])
    smooth = chart_data_international_share(COUNTRY_YEAR, ["JP"], moving_average=2)
    # ratio of 2-year sums: (50+60)/(200+200), (60+75)/(200+200), (75+90)/(200+200)
    assert smooth["percent"].to_list()[1:] == pytest.approx([27.5, 33.75, 41.25])


def test_composition_is_hand_computed_with_japan_first() -> None:
    data = chart_data_composition(COUNTRY_YEAR, COUNTRIES, 2012)
    assert data["country"].to_list() == ["JP", "US", "CN", "DE"]
    jp = data.row(0, named=True)
    assert (jp["pct_domestic"], jp["pct_bilateral"], jp["pct_multilateral"]) == pytest.approx(
        (62.5, 22.5, 15.0)
    )
    totals = data.select(pl.sum_horizontal("pct_domestic", "pct_bilateral", "pct_multilateral"))
    assert totals.to_series().to_list() == pytest.approx([100.0] * 4)


def test_coverage_data() -> None:
    data = chart_data_coverage(COVERAGE)
    assert data["percent"].to_list() == pytest.approx([20.0, 15.0, 10.0, 5.0])


@pytest.mark.parametrize("moving_average", [None, 2])
def test_drawn_lines_are_the_chart_data(moving_average: int | None) -> None:
    ctx = ctx_for("en", moving_average=moving_average)
    assert_same_lines(
        lines_by_country(international_index_chart(COUNTRY_YEAR, ctx, COUNTRIES, 2011)),
        expected_lines(
            chart_data_international_index(COUNTRY_YEAR, COUNTRIES, 2011, moving_average),
            "index",
        ),
    )
    assert_same_lines(
        lines_by_country(international_share_chart(COUNTRY_YEAR, ctx, COUNTRIES)),
        expected_lines(
            chart_data_international_share(COUNTRY_YEAR, COUNTRIES, moving_average), "percent"
        ),
    )
    (line,) = coverage_chart(COVERAGE, ctx).axes[0].get_lines()
    data = chart_data_coverage(COVERAGE)
    np.testing.assert_array_equal(line.get_xdata(), data["year"].to_numpy())
    np.testing.assert_allclose(line.get_ydata(), data["percent"].to_numpy())


def test_drawn_bars_are_the_chart_data() -> None:
    fig = composition_chart(COUNTRY_YEAR, ctx_for("ja"), COUNTRIES, 2012)
    bars = {
        p.get_gid(): p.get_width()
        for p in fig.axes[0].patches
        if isinstance(p, Rectangle) and p.get_gid() and not p.get_gid().endswith("outline")
    }
    data = chart_data_composition(COUNTRY_YEAR, COUNTRIES, 2012)
    expected = {
        f"{row['country']}:{seg}": row[f"pct_{seg}"]
        for row in data.iter_rows(named=True)
        for seg in ("domestic", "bilateral", "multilateral")
    }
    assert bars == pytest.approx(expected)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names == ["日本", "米国", "中国", "ドイツ"]


def test_gaps_in_years_are_gaps_not_interpolations() -> None:
    holey = COUNTRY_YEAR.filter(~((pl.col("country") == "JP") & (pl.col("year") == 2012)))
    data = chart_data_international_index(holey, ["JP", "US"], 2010)
    jp = data.filter(pl.col("country") == "JP")
    assert jp["year"].to_list() == [2010, 2011, 2012, 2013]
    assert jp["index"][2] is None
    drawn = lines_by_country(international_index_chart(holey, ctx_for("en"), ["JP", "US"], 2010))
    assert np.isnan(drawn["JP"][1][2])


# --------------------------------------------------------------------------- style


def test_a_country_has_the_same_colour_in_every_chart() -> None:
    ctx = ctx_for("en")
    index = international_index_chart(COUNTRY_YEAR, ctx, COUNTRIES, 2011)
    share = international_share_chart(COUNTRY_YEAR, ctx, ["JP", "US", "CN", "DE"][::-1])
    for code in COUNTRIES:
        colours = {
            line.get_color()
            for fig in (index, share)
            for line in fig.axes[0].get_lines()
            if line.get_gid() == code
        }
        assert colours == {country_color(code)}
    assert country_color("JP") == "#BC002D"
    assert country_color("br") == country_color("BR")  # stable fallback, any case
    assert line_style("JP")["linewidth"] > line_style("US")["linewidth"]
    assert line_style("JP")["zorder"] > line_style("US")["zorder"]


def test_footnote_says_date_counting_types_and_smoothing() -> None:
    en = footnote(ctx_for("en", moving_average=3, harmonise_cn=True))
    assert DATE in en and "whole counting" in en and "article, review" in en
    assert "3-year moving average" in en and "HK and MO merged into CN" in en
    ja = footnote(ctx_for("ja", counting="fractional", moving_average=3, harmonise_cn=True))
    assert DATE in ja and "分数カウント" in ja and "3年移動平均" in ja and "香港・マカオ" in ja
    assert "整数カウント" in footnote(ctx_for("ja", counting="fractional"), counting="whole")
    assert "moving average" not in footnote(ctx_for("en", moving_average=1))
    fig = international_share_chart(COUNTRY_YEAR, ctx_for("en"), COUNTRIES)
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "footnote")
    assert DATE in note and "whole counting" in note


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_synthetic_data_is_marked_on_the_figure(lang: str) -> None:
    for chart in CHARTS.values():
        assert BANNER[lang] in figure_texts(chart(ctx_for(lang, synthetic=True)))
        assert BANNER[lang] not in figure_texts(chart(ctx_for(lang, synthetic=False)))


def test_country_names_come_from_pycountry() -> None:
    assert country_name("JP", "ja") == "日本"
    # pycountry's Japanese catalogue translates "United States" as 米国 (the usual form in
    # Japanese government statistics); アメリカ appears only in the official long name.
    assert country_name("US", "ja") == "米国"
    assert country_name("US", "en") == "United States"
    assert country_name("KR", "en") == "South Korea"
    assert country_name("KR", "ja") == "韓国"
    assert country_name("gb", "en") == "United Kingdom"
    assert country_name("CD", "en") == "Democratic Republic of the Congo"
    assert country_name("XK", "ja") == "XK"  # OpenAlex's Kosovo code is not in ISO 3166
    with pytest.raises(ValueError):
        country_name("JP", "fr")


def test_context_is_validated() -> None:
    with pytest.raises(ValueError):
        ctx_for("de")
    with pytest.raises(ValueError):
        ctx_for("en", counting="harmonic")


def test_save_figure_rejects_paths_as_names(tmp_path: Path) -> None:
    fig = CHARTS["coverage"](ctx_for("en"))
    with pytest.raises(ValueError):
        save_figure(fig, tmp_path, "../escape")
    assert save_figure(fig, tmp_path / "new", "cov", formats=("png",), dpi=50) == [
        tmp_path / "new" / "cov.png"
    ]


def test_charts_can_be_built_in_threads() -> None:
    jobs = [(chart, lang) for chart in CHARTS for lang in ("ja", "en")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        figs = list(pool.map(lambda job: CHARTS[job[0]](ctx_for(job[1], synthetic=True)), jobs))
    for fig in figs:
        fig.canvas.draw()
    assert all(isinstance(f, Figure) for f in figs)


def test_importing_charts_leaves_global_font_settings_alone() -> None:
    code = (
        "import matplotlib; before = list(matplotlib.rcParams['font.family']);"
        "import coauthor.charts;"
        "assert list(matplotlib.rcParams['font.family']) == before, "
        "matplotlib.rcParams['font.family']"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_saved_files_are_reproducible(tmp_path: Path) -> None:
    """Same data, same bytes: re-running a report does not churn the published charts."""
    digests = []
    for run in ("a", "b"):
        fig = CHARTS["international_index"](ctx_for("ja", synthetic=True))
        paths = save_figure(fig, tmp_path / run, "index", dpi=50)
        digests.append([p.read_bytes() for p in paths])
    assert digests[0] == digests[1]
