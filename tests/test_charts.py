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
    chart_data_field_share,
    chart_data_growth_ranking,
    chart_data_international_index,
    chart_data_international_share,
    chart_data_partner_heatmap,
    chart_data_partners,
    chart_data_top10,
    composition_chart,
    country_color,
    country_name,
    coverage_chart,
    field_share_chart,
    figure_texts,
    footnote,
    growth_ranking_chart,
    international_index_chart,
    international_share_chart,
    line_style,
    partner_heatmap_chart,
    partners_chart,
    save_figure,
    top10_chart,
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


def _pw(partner: str, ws: int, we: int, rank: int, joint: int, start: int, end: int) -> dict:
    cagr = (end / start) ** (1 / (we - ws)) - 1 if start else None
    return {
        "country": "JP",
        "partner": partner,
        "window_start": ws,
        "window_end": we,
        "joint_works": joint,
        "partner_share_of_international": joint / 1000,
        "joint_works_start": start,
        "joint_works_end": end,
        "joint_growth_cagr": cagr,
        "salton_cosine": 0.1,
        "collaboration_index": 1.0,
        "rank": rank,
    }


# partner_window: two windows; KR has no joint paper at the start of the long one
PARTNER_WINDOW = pl.DataFrame(
    [
        _pw("US", 2003, 2013, 1, 500, 40, 60),
        _pw("CN", 2003, 2013, 2, 400, 20, 50),
        _pw("KR", 2003, 2013, 3, 100, 0, 20),
        _pw("GB", 2003, 2013, 4, 90, 10, 8),
        _pw("CN", 2008, 2013, 1, 300, 30, 50),
        _pw("US", 2008, 2013, 2, 280, 50, 60),
        {**_pw("JP", 2003, 2013, 1, 999, 1, 1), "country": "US"},  # another country's row
    ]
)

# partner_year: no row at all in 2011; DE has no joint paper in 2012
PARTNER_YEAR = pl.DataFrame(
    [
        {
            "country": "JP",
            "partner": p,
            "year": y,
            "joint_works": n,
            "country_works_international": 100,
            "partner_share_of_international": n / 100,
            "salton_cosine": n / 1000,
            "collaboration_index": n / 10,
            "rank": 0,
        }
        for p, y, n in [
            ("US", 2010, 30),
            ("US", 2012, 35),
            ("US", 2013, 40),
            ("CN", 2010, 20),
            ("CN", 2012, 30),
            ("CN", 2013, 45),
            ("DE", 2010, 10),
            ("DE", 2013, 12),
            ("FR", 2010, 1),
            ("FR", 2013, 2),
        ]
    ]
)


def _field(
    fid: str, name: str | None, domain: str | None, country: str, year: int, whole: int, intl: int
) -> dict:
    return {
        "domain_id": domain,
        "domain_name": domain,
        "field_id": fid,
        "field_name": name,
        "country": country,
        "year": year,
        "works_whole": whole,
        "works_fractional": whole * 0.8,
        "works_international": intl,
        "international_share": intl / whole if whole else None,
    }


FIELD_COUNTRY_YEAR = pl.DataFrame(
    [
        _field("fields/27", "Medicine", "Health Sciences", "JP", 2012, 40, 10),
        _field("fields/27", "Medicine", "Health Sciences", "JP", 2013, 60, 20),
        _field("fields/27", "Medicine", "Health Sciences", "US", 2013, 200, 100),
        _field("fields/31", "Physics", "Physical Sciences", "JP", 2013, 50, 40),
        _field("fields/31", "Physics", "Physical Sciences", "US", 2013, 20, 10),  # < 30
        _field("fields/31", "Physics", "Physical Sciences", "JP", 2009, 900, 900),  # too early
        _field("fields/26", "Mathematics", "Physical Sciences", "US", 2013, 5, 1),  # all < 30
        _field("unclassified", "Unclassified", "Unclassified", "US", 2012, 30, 3),
    ]
)


def _impact(country: str, year: int, collab: str, n: int, top10: int) -> dict:
    return {
        "country": country,
        "year": year,
        "collaboration": collab,
        "works": n + 5,
        "works_with_percentile": n,
        "top10_share": top10 / n if n else None,
        "top1_share": None,
        "works_with_fwci": n,
        "mean_fwci": 1.0,
        "works_missing_percentile": 5,
        "works_missing_fwci": 5,
    }


IMPACT_COUNTRY_YEAR = pl.DataFrame(
    [
        _impact("US", 2012, "domestic", 100, 8),
        _impact("US", 2013, "domestic", 100, 12),
        _impact("US", 2012, "international", 50, 9),
        _impact("US", 2013, "international", 150, 21),
        _impact("JP", 2013, "domestic", 200, 14),
        _impact("JP", 2013, "international", 100, 13),
        _impact("JP", 2013, "all", 300, 27),
        _impact("JP", 2010, "international", 100, 90),  # outside the years asked for
        _impact("CN", 2013, "domestic", 0, 0),  # no paper with a percentile
        _impact("CN", 2013, "international", 0, 0),
    ]
)


def _growth(
    country: str, ws: int, we: int, start: float, end: float, measure: str = "works_international"
) -> dict:
    return {
        "country": country,
        "measure": measure,
        "window_start": ws,
        "window_end": we,
        "value_start": start,
        "value_end": end,
        "cagr": (end / start) ** (1 / (we - ws)) - 1 if start else None,
        "rank_in_peers": None,
        "is_peer": True,
        "years": we - ws,
    }


GROWTH_CAGR = pl.DataFrame(
    [
        _growth("JP", 2003, 2013, 100, 121.9),  # ~2.0 %/year
        _growth("JP", 2008, 2013, 110, 121.9),
        _growth("US", 2003, 2013, 100, 162.9),  # ~5.0 %/year
        _growth("US", 2008, 2013, 140, 162.9),
        _growth("CN", 2003, 2013, 100, 259.4),  # ~10 %/year
        _growth("CN", 2008, 2013, 200, 259.4),
        _growth("DE", 2003, 2013, 0, 50),  # no growth rate: no value at the start
        _growth("DE", 2008, 2013, 40, 50),
        _growth("JP", 2003, 2013, 1, 1000, measure="works_whole"),  # another measure
    ]
)


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
    "partners": lambda ctx: partners_chart(PARTNER_WINDOW, ctx, "JP", top_n=10),
    "partner_heatmap": lambda ctx: partner_heatmap_chart(PARTNER_YEAR, ctx, "JP", top_n=3),
    "field_share": lambda ctx: field_share_chart(
        FIELD_COUNTRY_YEAR, ctx, ["US", "JP", "DE"], (2011, 2013)
    ),
    "top10": lambda ctx: top10_chart(IMPACT_COUNTRY_YEAR, ctx, ["US", "JP", "CN"], (2012, 2013)),
    "growth_ranking": lambda ctx: growth_ranking_chart(GROWTH_CAGR, ctx, ["JP", "US", "CN", "DE"]),
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


# --------------------------------------------------------------------------- partners


def _gid_x(fig: Figure) -> dict[str, float]:
    """x of every single-point marker line (dumbbell ends), by gid."""
    return {
        line.get_gid(): float(np.asarray(line.get_xdata(), float)[0])
        for line in fig.axes[0].get_lines()
        if line.get_gid() and len(line.get_xdata()) == 1
    }


def _column_texts(fig: Figure, k: int) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_gid() == f"column-{k}"]


def test_partners_take_the_longest_window_in_rank_order() -> None:
    data = chart_data_partners(PARTNER_WINDOW, "jp")
    assert data["partner"].to_list() == ["US", "CN", "KR", "GB"]
    assert set(data["window_start"]) == {2003} and set(data["window_end"]) == {2013}
    us = data.row(0, named=True)
    assert us["growth_pct"] == pytest.approx((1.5**0.1 - 1) * 100)
    assert data.filter(pl.col("partner") == "KR")["growth_pct"][0] is None
    recent = chart_data_partners(PARTNER_WINDOW, "JP", top_n=1, window=(2008, 2013))
    assert recent["partner"].to_list() == ["CN"]
    assert chart_data_partners(PARTNER_WINDOW, "FR").is_empty()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_partners_drawn_are_the_chart_data(lang: str) -> None:
    fig = partners_chart(PARTNER_WINDOW, ctx_for(lang), "JP")
    data = chart_data_partners(PARTNER_WINDOW, "JP")
    drawn = _gid_x(fig)
    for row in data.iter_rows(named=True):
        assert drawn[f"{row['partner']}:start"] == row["joint_works_start"]
        assert drawn[f"{row['partner']}:end"] == row["joint_works_end"]
    growth = _column_texts(fig, 0)
    assert growth[0] == "+4.1%" and growth[3] == "\u22122.2%"
    assert growth[2] == ("新規" if lang == "ja" else "new")  # no joint paper at the start
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names[:2] == ([country_name("US", lang), country_name("CN", lang)])
    assert any("2003" in t and "2013" in t for t in figure_texts(fig))


# --------------------------------------------------------------------------- heatmaps


def _mesh_values(fig: Figure) -> np.ndarray:
    (mesh,) = [c for c in fig.axes[0].collections if c.get_gid() == "heatmap"]
    return np.ma.filled(np.ma.asarray(mesh.get_array(), dtype=float), np.nan).ravel()


def test_partner_heatmap_is_hand_computed() -> None:
    data = chart_data_partner_heatmap(PARTNER_YEAR, "JP", top_n=3)
    assert data["partner"].unique(maintain_order=True).to_list() == ["US", "CN", "DE"]
    assert data["year"].unique(maintain_order=True).to_list() == [2010, 2011, 2012, 2013]
    us = data.filter(pl.col("partner") == "US")["value"].to_list()
    assert us[0] == pytest.approx(30.0) and us[1] is None and us[2:] == pytest.approx([35, 40])
    de = data.filter(pl.col("partner") == "DE")
    assert de["joint_works"].to_list() == [10, None, 0, 12]  # no joint paper in 2012: 0
    cosine = chart_data_partner_heatmap(PARTNER_YEAR, "JP", 1, (2012, 2013), "salton_cosine")
    # US and CN tie on 75 joint papers in 2012-2013: the code breaks the tie
    assert cosine["partner"].to_list() == ["CN", "CN"]
    assert cosine["value"].to_list() == pytest.approx([0.030, 0.045])
    with pytest.raises(ValueError):
        chart_data_partner_heatmap(PARTNER_YEAR, "JP", measure="joint_works")


def test_field_share_is_pooled_and_small_cells_are_blank() -> None:
    data = chart_data_field_share(FIELD_COUNTRY_YEAR, ["US", "JP", "DE"], (2011, 2013))
    assert data["field_id"].unique(maintain_order=True).to_list() == [
        "fields/27",
        "fields/31",
        "unclassified",  # last; Mathematics (no cell with 30 papers) is left out
    ]
    assert data["country"].unique(maintain_order=True).to_list() == ["JP", "US"]
    assert data["percent"].to_list()[:4] == pytest.approx([30.0, 50.0, 80.0, None])
    physics_us = data.filter((pl.col("field_id") == "fields/31") & (pl.col("country") == "US"))
    assert physics_us["international_share"][0] == pytest.approx(0.5)  # kept, not drawn
    assert data.filter(pl.col("field_id") == "unclassified")["percent"].to_list() == [None, 10.0]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_heatmaps_drawn_are_the_chart_data(lang: str) -> None:
    fig = partner_heatmap_chart(PARTNER_YEAR, ctx_for(lang), "JP", top_n=3)
    data = chart_data_partner_heatmap(PARTNER_YEAR, "JP", top_n=3)
    np.testing.assert_allclose(_mesh_values(fig), _as_array(data["value"]), equal_nan=True)
    fig = field_share_chart(FIELD_COUNTRY_YEAR, ctx_for(lang), ["US", "JP"], (2011, 2013))
    data = chart_data_field_share(FIELD_COUNTRY_YEAR, ["US", "JP"], (2011, 2013))
    np.testing.assert_allclose(_mesh_values(fig), _as_array(data["percent"]), equal_nan=True)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert rows[-1] == ("分類なし（トピック未付与）" if lang == "ja" else "Unclassified (no topic)")
    cells = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "cell-value"]
    assert cells == ["30", "50", "80", "10"]


def _as_array(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(float("nan")).to_numpy()


# --------------------------------------------------------------------------- top 10 %


def test_top10_is_pooled_over_the_years() -> None:
    data = chart_data_top10(IMPACT_COUNTRY_YEAR, ["US", "JP", "CN"], (2012, 2013))
    assert data["country"].to_list() == ["JP", "JP", "US", "US"]  # CN: no percentile
    assert data["collaboration"].to_list() == ["domestic", "international"] * 2
    assert data["percent"].to_list() == pytest.approx([7.0, 13.0, 10.0, 15.0])
    assert data["works_with_percentile"].to_list() == [200, 100, 200, 200]
    # the mart's own count of top-10% papers wins over share × papers
    counted = IMPACT_COUNTRY_YEAR.with_columns(works_top10=pl.lit(50))
    exact = chart_data_top10(counted, ["JP"], (2013, 2013))
    assert exact["top10_works"].to_list() == [50.0, 50.0]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_top10_bars_are_the_chart_data(lang: str) -> None:
    fig = top10_chart(IMPACT_COUNTRY_YEAR, ctx_for(lang), ["US", "JP", "CN"], (2012, 2013))
    bars = {
        p.get_gid(): p.get_width()
        for p in fig.axes[0].patches
        if isinstance(p, Rectangle) and p.get_gid()
    }
    data = chart_data_top10(IMPACT_COUNTRY_YEAR, ["US", "JP", "CN"], (2012, 2013))
    expected = {f"{r['country']}:{r['collaboration']}": r["percent"] for r in data.to_dicts()}
    assert bars == pytest.approx(expected)
    faces = {p.get_gid(): p.get_facecolor() for p in fig.axes[0].patches if p.get_gid()}
    assert faces["JP:domestic"][:3] == (1.0, 1.0, 1.0)  # hollow: domestic
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "footnote")
    assert country_name("CN", lang) in note  # left out, and the note says so


# --------------------------------------------------------------------------- growth


def test_growth_ranking_is_hand_computed() -> None:
    data = chart_data_growth_ranking(GROWTH_CAGR, ["JP", "US", "CN", "DE"])
    recent = data.filter(pl.col("period") == "recent")
    assert recent["country"].to_list() == ["CN", "DE", "US", "JP"]
    assert recent["rank"].to_list() == [1, 2, 3, 4]
    assert recent["percent"].to_list() == pytest.approx(
        [5.3387, 4.5640, 3.0762, 2.0757],
        rel=1e-3,
    )
    long = data.filter(pl.col("period") == "long")
    assert dict(zip(long["country"], long["rank"], strict=True)) == {
        "CN": 1,
        "DE": None,
        "US": 2,
        "JP": 3,
    }
    assert set(zip(data["window_start"], data["window_end"], strict=True)) == {
        (2003, 2013),
        (2008, 2013),
    }
    only = chart_data_growth_ranking(GROWTH_CAGR.filter(pl.col("window_start") == 2008), ["JP"])
    assert only["period"].to_list() == ["recent"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_growth_markers_are_the_chart_data(lang: str) -> None:
    codes = ["JP", "US", "CN", "DE"]
    fig = growth_ranking_chart(GROWTH_CAGR, ctx_for(lang), codes)
    data = chart_data_growth_ranking(GROWTH_CAGR, codes)
    drawn = _gid_x(fig)
    for row in data.iter_rows(named=True):
        x = drawn[f"{row['country']}:{row['period']}"]
        if row["percent"] is None:
            assert np.isnan(x)
        else:
            assert x == pytest.approx(row["percent"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == f"1. {country_name('CN', lang)}"
    assert labels[-1] == f"4. {country_name('JP', lang)}"
    assert _column_texts(fig, 1)[0] == "+5.3%"


def test_new_charts_use_the_country_colours() -> None:
    ctx = ctx_for("en")
    growth = growth_ranking_chart(GROWTH_CAGR, ctx, ["JP", "US", "CN", "DE"])
    partners = partners_chart(PARTNER_WINDOW, ctx, "JP")
    for fig in (growth, partners):
        for line in fig.axes[0].get_lines():
            gid = line.get_gid() or ""
            if gid.endswith((":recent", ":end")):
                assert line.get_markerfacecolor() == country_color(gid.split(":")[0])
