"""Policy-brief charts of the ``country_year`` mart.

Each chart is a pair: ``chart_data_<id>`` returns exactly the numbers drawn (so the report
can write them next to the figure as CSV), and ``<id>_chart`` draws them. To add a chart,
add its texts to ``style.LABELS`` and write the same pair.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import matplotlib
import numpy as np
import polars as pl
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from coauthor.charts.style import (
    EMPHASIS,
    FIGSIZE,
    SIZES,
    ChartContext,
    _text_size_in,
    add_legend,
    apply_frame,
    country_color,
    country_name,
    font,
    footnote,
    label,
    line_style,
    name_list,
    new_chart,
    year_axis,
)

COMPOSITION_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    # (segment, column of the mart, fill): greys, so they never look like a country colour
    ("domestic", "works_domestic", "#D0D0D0"),
    ("bilateral", "works_bilateral", "#8A8A8A"),
    ("multilateral", "works_multilateral", "#3A3A3A"),
)
COVERAGE_COLOR = "#3B3B3B"
MARKERS_UP_TO_YEARS = 12  # mark the points when there are few years


# --------------------------------------------------------------------------- helpers


def _require(df: pl.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"input frame lacks column(s) {missing}; has {df.columns}")


def _codes(countries: Sequence[str]) -> list[str]:
    """Upper-case codes, duplicates dropped, order kept."""
    if isinstance(countries, str):
        raise TypeError("countries must be a sequence of ISO codes, not one string")
    return list(dict.fromkeys(c.strip().upper() for c in countries))


def _country_years(
    df: pl.DataFrame, countries: Sequence[str], columns: Sequence[str]
) -> pl.DataFrame:
    """The countries' rows on a complete year grid (missing years are null: gaps).

    Rows come in the order of ``countries``, then by year; countries without any row
    are dropped.
    """
    _require(df, ["country", "year", *columns])
    codes = _codes(countries)
    sub = df.select(
        pl.col("country").cast(pl.String).str.strip_chars().str.to_uppercase(),
        pl.col("year").cast(pl.Int64),
        *[pl.col(c) for c in columns],
    ).filter(pl.col("country").is_in(codes) & pl.col("year").is_not_null())
    if sub.select(pl.struct("country", "year").is_duplicated().any()).item():
        raise ValueError("input frame has more than one row for a (country, year)")
    present = [c for c in codes if c in set(sub["country"].to_list())]
    if not present:
        return sub.clear()
    years = pl.DataFrame({"year": range(sub["year"].min(), sub["year"].max() + 1)})
    order = pl.DataFrame({"country": present, "_order": range(len(present))})
    grid = order.join(years, how="cross")
    return grid.join(sub, on=["country", "year"], how="left").sort("_order", "year").drop("_order")


def _moving(expr: pl.Expr, window: int | None, how: str = "mean") -> pl.Expr:
    """Trailing moving mean/sum per country; null until a full window of years exists."""
    if not window or window <= 1:
        return expr
    if how == "sum":
        return expr.rolling_sum(window_size=window, min_samples=window).over("country")
    return expr.rolling_mean(window_size=window, min_samples=window).over("country")


def _as_float_array(series: pl.Series) -> np.ndarray:
    """Values to draw: null becomes NaN, which matplotlib leaves as a gap."""
    return series.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _with_note(ctx: ChartContext, note: str | None, **changes: object) -> ChartContext:
    """The context with a chart-specific note appended (and any other field changed)."""
    notes = [n for n in (ctx.extra_note, note) if n]
    return dataclasses.replace(ctx, extra_note="; ".join(notes) or None, **changes)


def _excluded(requested: Sequence[str], shown: Sequence[str]) -> list[str]:
    shown_set = set(shown)
    return [c for c in _codes(requested) if c not in shown_set]


def _legend_order(codes: Sequence[str]) -> list[str]:
    """Japan first in legends, then the requested order."""
    return sorted(codes, key=lambda c: c != EMPHASIS)


def _line_chart(
    data: pl.DataFrame, value: str, ctx: ChartContext, *, reference: float | None = None
) -> tuple[Figure, list[str]]:
    """One line per country (colour and weight from the style); returns figure, codes drawn."""
    fig, ax = new_chart(ctx)
    shown = list(dict.fromkeys(data["country"].to_list()))
    n_years = data["year"].n_unique() if data.height else 0
    handles: dict[str, Line2D] = {}
    for code in shown:
        rows = data.filter(pl.col("country") == code)
        style = line_style(code)
        big = code == EMPHASIS
        (line,) = ax.plot(
            rows["year"].to_numpy(),
            _as_float_array(rows[value]),
            color=country_color(code),
            label=country_name(code, ctx.lang),
            gid=code,
            solid_capstyle="round",
            marker="o" if n_years <= MARKERS_UP_TO_YEARS else None,
            markersize=4.5 if big else 3.2,
            **style,
        )
        handles[code] = line
    if reference is not None:
        ax.axhline(
            reference, color="#888888", linewidth=0.9, linestyle="--", zorder=1, gid="reference"
        )
    year_axis(ax)
    order = _legend_order(shown)
    add_legend(ax, ctx, [handles[c] for c in order], [country_name(c, ctx.lang) for c in order])
    return fig, shown


# --------------------------------------------------------------------------- 1. index


def chart_data_international_index(
    df: pl.DataFrame,
    countries: Sequence[str],
    base_year: int,
    moving_average: int | None = None,
) -> pl.DataFrame:
    """Internationally co-authored papers indexed to ``base_year`` = 100, per country.

    Columns: country, year, works_international (the value indexed: the trailing moving
    average when ``moving_average`` > 1), index. Countries with no or zero papers in the
    base year are left out (an index of them would be undefined).
    """
    rows = _country_years(df, countries, ["works_international"])
    if moving_average and moving_average > 1:
        rows = rows.with_columns(
            _moving(pl.col("works_international").cast(pl.Float64), moving_average)
        )
    base = pl.col("works_international").filter(pl.col("year") == base_year).first().over("country")
    return (
        rows.with_columns(_base=base)
        .filter(pl.col("_base").is_not_null() & (pl.col("_base") > 0))
        .with_columns(index=pl.col("works_international") / pl.col("_base") * 100.0)
        .select("country", "year", "works_international", "index")
    )


def international_index_chart(
    df: pl.DataFrame, ctx: ChartContext, countries: Sequence[str], base_year: int
) -> Figure:
    """Growth of international co-authorship, comparable across countries of any size."""
    data = chart_data_international_index(df, countries, base_year, ctx.moving_average)
    fig, shown = _line_chart(data, "index", ctx, reference=100.0)
    left_out = _excluded(countries, shown)
    note = (
        label(
            "international_index",
            "excluded",
            ctx.lang,
            base_year=base_year,
            names=name_list(left_out, ctx.lang),
        )
        if left_out
        else None
    )
    apply_frame(
        fig,
        fig.axes[0],
        ctx,
        label("international_index", "title", ctx.lang, base_year=base_year),
        label("international_index", "ylabel", ctx.lang),
        footnote(_with_note(ctx, note), counting="whole"),
    )
    return fig


# --------------------------------------------------------------------------- 2. share


def chart_data_international_share(
    df: pl.DataFrame, countries: Sequence[str], moving_average: int | None = None
) -> pl.DataFrame:
    """Share of each country's papers that are internationally co-authored.

    Columns: country, year, international_share (0-1), percent (drawn). With a moving
    average the share is the ratio of the window's sums (international / whole), not a
    mean of yearly ratios, so small years do not weigh as much as large ones.
    """
    if moving_average and moving_average > 1:
        rows = _country_years(df, countries, ["works_international", "works_whole"])
        rows = rows.with_columns(
            international_share=_moving(
                pl.col("works_international").cast(pl.Float64), moving_average, "sum"
            )
            / _moving(pl.col("works_whole").cast(pl.Float64), moving_average, "sum")
        )
    else:
        rows = _country_years(df, countries, ["international_share"])
    rows = rows.with_columns(pl.col("international_share").cast(pl.Float64))
    has_data = pl.col("international_share").is_not_null().any().over("country")
    return rows.filter(has_data).select(
        "country",
        "year",
        "international_share",
        percent=pl.col("international_share") * 100.0,
    )


def international_share_chart(
    df: pl.DataFrame, ctx: ChartContext, countries: Sequence[str]
) -> Figure:
    """How open each country's research is: share of papers with a foreign co-author."""
    data = chart_data_international_share(df, countries, ctx.moving_average)
    fig, shown = _line_chart(data, "percent", ctx)
    ax = fig.axes[0]
    ax.set_ylim(bottom=0)
    left_out = _excluded(countries, shown)
    note = (
        label("international_share", "excluded", ctx.lang, names=name_list(left_out, ctx.lang))
        if left_out
        else None
    )
    apply_frame(
        fig,
        ax,
        ctx,
        label("international_share", "title", ctx.lang),
        label("international_share", "ylabel", ctx.lang),
        footnote(_with_note(ctx, note), counting="whole"),
    )
    return fig


# --------------------------------------------------------------------------- 3. composition


def chart_data_composition(df: pl.DataFrame, countries: Sequence[str], year: int) -> pl.DataFrame:
    """Domestic / bilateral / multilateral shares of each country's papers in one year.

    Columns: country, year, works_whole, works_domestic, works_bilateral,
    works_multilateral, pct_domestic, pct_bilateral, pct_multilateral. Japan first, then
    the requested order; countries without papers that year are left out.
    """
    count_cols = ["works_whole", *(col for _seg, col, _c in COMPOSITION_SEGMENTS)]
    rows = _country_years(df, countries, count_cols).filter(pl.col("year") == year)
    rows = rows.filter(pl.col("works_whole").is_not_null() & (pl.col("works_whole") > 0))
    order = {c: i for i, c in enumerate(_legend_order(_codes(countries)))}
    return (
        rows.with_columns(
            *[
                (pl.col(col).cast(pl.Float64) / pl.col("works_whole") * 100.0).alias(f"pct_{seg}")
                for seg, col, _c in COMPOSITION_SEGMENTS
            ],
            _order=pl.col("country").replace_strict(order, return_dtype=pl.Int64),
        )
        .sort("_order")
        .drop("_order")
    )


def composition_chart(
    df: pl.DataFrame, ctx: ChartContext, countries: Sequence[str], year: int
) -> Figure:
    """How much of each country's output is domestic, bilateral or multilateral."""
    data = chart_data_composition(df, countries, year)
    lang = ctx.lang
    fig, ax = new_chart(ctx)
    codes = data["country"].to_list()
    positions = np.arange(len(codes))
    left = np.zeros(len(codes))
    handles = []
    for seg, _col, fill in COMPOSITION_SEGMENTS:
        widths = _as_float_array(data[f"pct_{seg}"])
        bars = ax.barh(
            positions,
            widths,
            left=left,
            height=0.62,
            color=fill,
            edgecolor="white",
            linewidth=0.6,
            label=label("composition", seg, lang),
        )
        for code, bar in zip(codes, bars, strict=True):
            bar.set_gid(f"{code}:{seg}")
        dark = seg != "domestic"
        for y, x0, w in zip(positions, left, widths, strict=True):
            if w >= 6:
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontproperties=font(ctx, SIZES["tick"]),
                    color="white" if dark else "#111111",
                )
        left = left + np.nan_to_num(widths)
        handles.append(
            Patch(facecolor=fill, edgecolor="none", label=label("composition", seg, lang))
        )
    if EMPHASIS in codes:  # outline Japan's bar in its colour
        i = codes.index(EMPHASIS)
        ax.barh(
            i,
            100,
            height=0.62,
            fill=False,
            edgecolor=country_color(EMPHASIS),
            linewidth=2.0,
            zorder=5,
            gid=f"{EMPHASIS}:outline",
        )
    ax.set_yticks(positions, [country_name(c, lang) for c in codes])
    for code, tick in zip(codes, ax.get_yticklabels(), strict=True):
        if code == EMPHASIS:
            tick.set_color(country_color(code))
            tick.set_fontproperties(font(ctx, SIZES["tick"], "bold"))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 20))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    add_legend(ax, ctx, handles, [h.get_label() for h in handles])
    left_out = _excluded(countries, codes)
    note = (
        label("composition", "excluded", lang, year=year, names=name_list(left_out, lang))
        if left_out
        else None
    )
    apply_frame(
        fig,
        ax,
        ctx,
        label("composition", "title", lang, year=year),
        "",
        footnote(_with_note(ctx, note, moving_average=None), counting="whole"),
        xlabel=label("composition", "xlabel", lang),
    )
    return fig


# --------------------------------------------------------------------------- 4. coverage


def chart_data_coverage(df: pl.DataFrame) -> pl.DataFrame:
    """Share of the universe's works with no country, by year (complete year range).

    Columns: year, works_in_universe, works_no_country, share_no_country, percent (drawn).
    """
    cols = ["year", "works_in_universe", "works_no_country", "share_no_country"]
    _require(df, cols)
    rows = df.select(cols).with_columns(pl.col("year").cast(pl.Int64)).drop_nulls("year")
    if rows["year"].is_duplicated().any():
        raise ValueError("coverage frame has more than one row for a year")
    if rows.is_empty():
        return rows.with_columns(percent=pl.lit(None, dtype=pl.Float64))
    years = pl.DataFrame({"year": range(rows["year"].min(), rows["year"].max() + 1)})
    return (
        years.join(rows, on="year", how="left")
        .sort("year")
        .with_columns(percent=pl.col("share_no_country").cast(pl.Float64) * 100.0)
    )


def coverage_chart(df: pl.DataFrame, ctx: ChartContext) -> Figure:
    """How many works OpenAlex leaves without a country: the indicators' blind spot."""
    data = chart_data_coverage(df)
    fig, ax = new_chart(ctx)
    ax.plot(
        data["year"].to_numpy(),
        _as_float_array(data["percent"]),
        color=COVERAGE_COLOR,
        linewidth=2.0,
        marker="o",
        markersize=3.5,
        gid="coverage",
    )
    ax.set_ylim(bottom=0)
    year_axis(ax)
    apply_frame(
        fig,
        ax,
        ctx,
        label("coverage", "title", ctx.lang),
        label("coverage", "ylabel", ctx.lang),
        footnote(dataclasses.replace(ctx, moving_average=None), counting="none"),
    )
    return fig


# --------------------------------------------------------------------------- shared parts

HALO = patheffects.withStroke(linewidth=2.4, foreground="white")  # text over lines stays legible
RING = {"markersize": 10.0, "markerfacecolor": "none", "markeredgewidth": 1.8}
DOT = {"markersize": 7.0, "markeredgewidth": 0.0}
# dumbbells: a ring is the earlier value (or the longer period), a dot inside a smaller one
# the later value; drawn on top of the ring, so equal values show as a dot in a ring
CHANGE_COLOR = "#A6A6A6"
HEATMAP_CMAP = "YlGnBu"  # sequential, light to dark: prints in greys in the same order
HEATMAP_BAD = "#EFEFEF"  # cells with no (or too little) data
ANNOTATE_UP_TO_COLUMNS = 16


def _country_ticks(
    ax,
    ctx: ChartContext,
    positions: Sequence[float],
    codes: Sequence[str],
    labels: Sequence[str] | None = None,
    axis: str = "y",
) -> None:
    """Country names as tick labels, the emphasised country in bold and its colour."""
    names = labels if labels is not None else [country_name(c, ctx.lang) for c in codes]
    if axis == "y":
        ax.set_yticks(positions, names)
        ticks = ax.get_yticklabels()
    else:
        ax.set_xticks(positions, names)
        ticks = ax.get_xticklabels()
    for code, tick in zip(codes, ticks, strict=True):
        tick.set_fontproperties(font(ctx, SIZES["tick"]))
        if code == EMPHASIS:
            tick.set_color(country_color(code))
            tick.set_fontproperties(font(ctx, SIZES["tick"], "bold"))


def _legend_above(ax, ctx: ChartContext, handles: Sequence, labels: Sequence[str]) -> None:
    """A one-row legend between the title and the plot (keeps the right side free)."""
    if not handles:
        return
    ax.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        borderaxespad=0.0,
        frameon=False,
        ncol=len(handles),
        prop=font(ctx, SIZES["legend"]),
        handlelength=1.6,
        columnspacing=1.6,
    )


def _right_columns(
    ax,
    ctx: ChartContext,
    positions: Sequence[float],
    columns: Sequence[tuple[str, Sequence[str]]],
) -> None:
    """Columns of numbers right of the plot, one row per bar, each under its header.

    Texts are annotations of the axes (so constrained layout makes room for them),
    right-aligned in columns as wide as their widest text.
    """
    prop = font(ctx, SIZES["tick"])
    x = 8.0  # points right of the axes
    for k, (header, texts) in enumerate(columns):
        width = max(_text_size_in(t, prop)[0] for t in [header, *texts]) * 72
        x += width
        for y, text in zip(positions, texts, strict=True):
            ax.annotate(
                text,
                xy=(1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(x, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontproperties=prop,
                color="#222222",
                annotation_clip=False,
                gid=f"column-{k}",
            )
        ax.annotate(
            header,
            xy=(1.0, 1.0),
            xycoords="axes fraction",
            xytext=(x, 4),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontproperties=prop,
            color="#555555",
            annotation_clip=False,
            gid=f"column-{k}-header",
        )
        x += 12.0


def _marker_handle(ring: bool) -> Line2D:
    """Legend entry of a dumbbell end, in grey (the colours are the countries')."""
    style = RING if ring else {**DOT, "markerfacecolor": "#555555"}
    return Line2D([], [], linestyle="none", marker="o", markeredgecolor="#555555", **style)


def _signed_pct(value: float | None, digits: int = 1) -> str:
    """'+1.2%', '−0.3%' (a true minus sign, as on the axes), '0.0%' when it rounds to 0."""
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:+.{digits}f}%"
    if float(text[:-1]) == 0:
        return f"{0:.{digits}f}%"
    return text.replace("-", "\u2212")


def _empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=columns)


def _text_color_on(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell colour (WCAG relative luminance)."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(float(c)) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 0.30 else "white"


def _heatmap(
    fig: Figure,
    ax,
    ctx: ChartContext,
    matrix: np.ndarray,
    *,
    fmt: str,
    cbar_label: str,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Cells as vector quads (crisp in SVG/PDF), optional numbers in the cells, colour bar."""
    cmap = matplotlib.colormaps[HEATMAP_CMAP].with_extremes(bad=HEATMAP_BAD)
    masked = np.ma.masked_invalid(matrix)
    finite = matrix[np.isfinite(matrix)]
    if vmin is None:
        vmin = 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size and finite.max() > vmin else vmin + 1.0
    mesh = ax.pcolormesh(
        masked,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        edgecolors="white",
        linewidth=0.6,
        gid="heatmap",
    )
    ax.set_xlim(0, matrix.shape[1])
    ax.set_ylim(matrix.shape[0], 0)  # first row at the top
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    if matrix.shape[1] <= ANNOTATE_UP_TO_COLUMNS:
        prop = font(ctx, SIZES["tick"] - 1.5)
        for (i, j), value in np.ndenumerate(matrix):
            if not np.isfinite(value):
                continue
            rgba = cmap(mesh.norm(value))
            ax.text(
                j + 0.5,
                i + 0.5,
                fmt.format(value),
                ha="center",
                va="center",
                fontproperties=prop,
                color=_text_color_on(rgba),
                gid="cell-value",
            )
    cbar = fig.colorbar(mesh, ax=ax, fraction=0.035, pad=0.02, aspect=30)
    cbar.outline.set_visible(False)
    cbar.ax.tick_params(labelsize=SIZES["tick"], labelfontfamily=ctx.font_family, length=2)
    cbar.set_label(cbar_label, fontproperties=font(ctx, SIZES["label"] - 0.5), color="#222222")
    return mesh


def _heatmap_figsize(rows: int) -> tuple[float, float]:
    return (FIGSIZE[0], max(4.5, 0.27 * rows + 2.3))


# --------------------------------------------------------------------------- 5. partners

PARTNER_WINDOW_COLUMNS = (
    "country",
    "partner",
    "window_start",
    "window_end",
    "joint_works",
    "partner_share_of_international",
    "joint_works_start",
    "joint_works_end",
    "joint_growth_cagr",
    "rank",
)


def _pick_window(rows: pl.DataFrame, window: tuple[int, int] | None) -> tuple[int, int] | None:
    """The window asked for, else the longest (ties: the latest)."""
    windows = rows.select(
        pl.col("window_start").cast(pl.Int64), pl.col("window_end").cast(pl.Int64)
    ).unique()
    if windows.is_empty():
        return None
    if window is not None:
        return (int(window[0]), int(window[1]))
    best = windows.sort(
        (pl.col("window_end") - pl.col("window_start")), "window_end", descending=True
    ).row(0)
    return int(best[0]), int(best[1])


def chart_data_partners(
    df: pl.DataFrame, country: str, top_n: int = 10, window: tuple[int, int] | None = None
) -> pl.DataFrame:
    """A country's top partners in one window, with joint papers at its start and end.

    Input: the ``partner_window`` mart. The window is ``window`` (start, end) or else the
    longest in the frame. Partners in the mart's ``rank`` order (then most joint papers).
    Columns: country, partner, window_start, window_end, rank, joint_works,
    partner_share_of_international, joint_works_start, joint_works_end (the two points
    drawn), joint_growth_cagr, growth_pct (the number printed right of each row).
    """
    _require(df, PARTNER_WINDOW_COLUMNS)
    code = _codes([country])[0]
    rows = df.with_columns(
        pl.col("country").cast(pl.String).str.to_uppercase(),
        pl.col("partner").cast(pl.String).str.to_uppercase(),
    ).filter((pl.col("country") == code) & (pl.col("partner") != code))
    chosen = _pick_window(rows, window)
    columns = [
        *PARTNER_WINDOW_COLUMNS[:2],
        "window_start",
        "window_end",
        "rank",
        "joint_works",
        "partner_share_of_international",
        "joint_works_start",
        "joint_works_end",
        "joint_growth_cagr",
    ]
    if chosen is None:
        return rows.select(columns).with_columns(growth_pct=pl.lit(None, pl.Float64)).clear()
    rows = rows.filter(
        (pl.col("window_start").cast(pl.Int64) == chosen[0])
        & (pl.col("window_end").cast(pl.Int64) == chosen[1])
    )
    if rows.select(pl.col("partner").is_duplicated().any()).item():
        raise ValueError("partner frame has more than one row for a partner and window")
    return (
        rows.sort(
            pl.col("rank"),
            pl.col("joint_works"),
            "partner",
            descending=[False, True, False],
            nulls_last=True,
        )
        .head(top_n)
        .select(
            *columns[:2],
            pl.col("window_start").cast(pl.Int64),
            pl.col("window_end").cast(pl.Int64),
            *columns[4:],
        )
        .with_columns(growth_pct=pl.col("joint_growth_cagr").cast(pl.Float64) * 100.0)
    )


def partners_chart(
    df: pl.DataFrame,
    ctx: ChartContext,
    country: str,
    top_n: int = 10,
    window: tuple[int, int] | None = None,
) -> Figure:
    """With whom the country writes most, and how that changed: a dumbbell per partner."""
    data = chart_data_partners(df, country, top_n, window)
    lang = ctx.lang
    code = _codes([country])[0]
    fig, ax = new_chart(ctx)
    partners = data["partner"].to_list()
    positions = np.arange(len(partners))
    start_year = int(data["window_start"][0]) if data.height else None
    end_year = int(data["window_end"][0]) if data.height else None
    growth_texts = []
    for i, row in enumerate(data.iter_rows(named=True)):
        colour = country_color(row["partner"])
        x0 = float("nan") if row["joint_works_start"] is None else float(row["joint_works_start"])
        x1 = float("nan") if row["joint_works_end"] is None else float(row["joint_works_end"])
        ax.plot(
            [x0, x1],
            [i, i],
            color=CHANGE_COLOR,
            linewidth=2.2,
            zorder=2,
            solid_capstyle="round",
            gid=f"{row['partner']}:change",
        )
        ax.plot(
            [x0],
            [i],
            linestyle="none",
            marker="o",
            markeredgecolor=colour,
            zorder=3,
            gid=f"{row['partner']}:start",
            **RING,
        )
        ax.plot(
            [x1],
            [i],
            linestyle="none",
            marker="o",
            markerfacecolor=colour,
            zorder=4,
            gid=f"{row['partner']}:end",
            **DOT,
        )
        if row["growth_pct"] is None and (row["joint_works_start"] or 0) == 0 and x1 > 0:
            growth_texts.append(label("partners", "new", lang))
        else:
            growth_texts.append(_signed_pct(row["growth_pct"]))
    _country_ticks(ax, ctx, positions, partners)
    ax.set_ylim(len(partners) - 0.5, -0.8)
    ax.set_xlim(left=0)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    if partners:
        _right_columns(ax, ctx, positions, [(label("partners", "growth", lang), growth_texts)])
        handles = [_marker_handle(ring=True), _marker_handle(ring=False)]
        _legend_above(
            ax,
            ctx,
            handles,
            [
                label("partners", "year", lang, year=start_year),
                label("partners", "year", lang, year=end_year),
            ],
        )
    note = label("partners", "note", lang, start=start_year, end=end_year) if partners else None
    name = country_name(code, lang)
    apply_frame(
        fig,
        ax,
        ctx,
        label("partners", "title", lang, country=name, n=len(partners)),
        "",
        footnote(_with_note(ctx, note, moving_average=None), counting="whole"),
        xlabel=label("partners", "xlabel", lang, country=name),
    )
    return fig


# --------------------------------------------------------------------------- 6. partner heatmap

HEATMAP_MEASURES: dict[str, tuple[float, str]] = {
    # measure: (scale drawn, cell number format)
    "partner_share_of_international": (100.0, "{:.0f}"),
    "salton_cosine": (1.0, "{:.2f}"),
    "collaboration_index": (1.0, "{:.1f}"),
}


def chart_data_partner_heatmap(
    df: pl.DataFrame,
    country: str,
    top_n: int = 12,
    years: tuple[int, int] | None = None,
    measure: str = "partner_share_of_international",
) -> pl.DataFrame:
    """Partner × year matrix of a country's collaboration with its top partners.

    Input: the ``partner_year`` mart. Partners: the ``top_n`` with most joint papers over
    the years shown, most first. Years: ``years`` (first, last), else all in the frame.
    A partner without a row in a year in which the country has rows had no joint paper:
    its value is 0; a year without any row is missing (null, drawn blank).
    Columns: country, partner, year, joint_works, <measure>, value (drawn: the measure,
    in per cent for the share).
    """
    if measure not in HEATMAP_MEASURES:
        raise ValueError(f"measure must be one of {list(HEATMAP_MEASURES)}, got {measure!r}")
    _require(df, ["country", "partner", "year", "joint_works", measure])
    code = _codes([country])[0]
    scale, _fmt = HEATMAP_MEASURES[measure]
    rows = df.select(
        pl.col("country").cast(pl.String).str.to_uppercase(),
        pl.col("partner").cast(pl.String).str.to_uppercase(),
        pl.col("year").cast(pl.Int64),
        pl.col("joint_works").cast(pl.Int64),
        pl.col(measure).cast(pl.Float64),
    ).filter((pl.col("country") == code) & (pl.col("partner") != code))
    if years is not None:
        rows = rows.filter(pl.col("year").is_between(years[0], years[1]))
    schema = {
        "country": pl.String,
        "partner": pl.String,
        "year": pl.Int64,
        "joint_works": pl.Int64,
        measure: pl.Float64,
        "value": pl.Float64,
    }
    if rows.is_empty():
        return _empty(schema)
    if rows.select(pl.struct("partner", "year").is_duplicated().any()).item():
        raise ValueError("partner frame has more than one row for a (partner, year)")
    top = (
        rows.group_by("partner")
        .agg(pl.col("joint_works").sum().alias("_total"))
        .sort(["_total", "partner"], descending=[True, False])
        .head(top_n)
        .with_row_index("_order")
    )
    first, last = years if years is not None else (rows["year"].min(), rows["year"].max())
    year_frame = pl.DataFrame({"year": range(int(first), int(last) + 1)}, schema={"year": pl.Int64})
    years_with_data = rows.select(pl.col("year").unique())
    grid = top.select("_order", "partner").join(year_frame, how="cross")
    out = (
        grid.join(rows, on=["partner", "year"], how="left")
        .join(years_with_data.with_columns(_has=pl.lit(True)), on="year", how="left")
        .with_columns(
            pl.lit(code).alias("country"),
            pl.when(pl.col("_has")).then(pl.col("joint_works").fill_null(0)).alias("joint_works"),
            pl.when(pl.col("_has")).then(pl.col(measure).fill_null(0.0)).alias(measure),
        )
        .with_columns(value=pl.col(measure) * scale)
        .sort("_order", "year")
    )
    return out.select(list(schema))


def partner_heatmap_chart(
    df: pl.DataFrame,
    ctx: ChartContext,
    country: str,
    top_n: int = 12,
    years: tuple[int, int] | None = None,
    measure: str = "partner_share_of_international",
) -> Figure:
    """How strongly the country works with each top partner, year by year."""
    data = chart_data_partner_heatmap(df, country, top_n, years, measure)
    lang = ctx.lang
    code = _codes([country])[0]
    partners = list(dict.fromkeys(data["partner"].to_list()))
    year_list = list(dict.fromkeys(data["year"].to_list()))
    matrix = (
        _as_float_array(data["value"]).reshape(len(partners), len(year_list))
        if data.height
        else np.zeros((0, 0))
    )
    fig, ax = new_chart(ctx, _heatmap_figsize(len(partners)))
    name = country_name(code, lang)
    if data.height:
        _heatmap(
            fig,
            ax,
            ctx,
            matrix,
            fmt=HEATMAP_MEASURES[measure][1],
            cbar_label=label("partner_heatmap", measure, lang, country=name),
        )
        _country_ticks(ax, ctx, np.arange(len(partners)) + 0.5, partners)
        step = 1 if len(year_list) <= 12 else 2 if len(year_list) <= 26 else 5
        shown = [(j, y) for j, y in enumerate(year_list) if (year_list[-1] - y) % step == 0]
        ax.set_xticks([j + 0.5 for j, _y in shown], [str(y) for _j, y in shown])
    first = year_list[0] if year_list else (years[0] if years else "")
    last = year_list[-1] if year_list else (years[1] if years else "")
    note = label("partner_heatmap", "note", lang, n=len(partners))
    apply_frame(
        fig,
        ax,
        ctx,
        label("partner_heatmap", "title", lang, country=name, start=first, end=last),
        label("partner_heatmap", "ylabel", lang),
        footnote(_with_note(ctx, note, moving_average=None), counting="whole"),
        watermark_over=True,
    )
    return fig


# --------------------------------------------------------------------------- 7. field share

FIELD_COLUMNS = (
    "field_id",
    "field_name",
    "domain_name",
    "country",
    "year",
    "works_whole",
    "works_international",
)
UNCLASSIFIED = "unclassified"


def chart_data_field_share(
    df: pl.DataFrame,
    countries: Sequence[str],
    years: tuple[int, int],
    min_works: int = 30,
) -> pl.DataFrame:
    """Field × country share of internationally co-authored papers, pooled over years.

    Input: the ``field_country_year`` mart. Share = sum of international papers / sum of
    papers over ``years`` (first, last), so large years weigh more. ``percent`` (drawn)
    is null when the cell has fewer than ``min_works`` papers; fields where no country
    reaches ``min_works`` are left out. Rows by domain, then field name, ``unclassified``
    last; countries with the emphasised one first.
    Columns: field_id, field_name, domain_name, country, year_start, year_end,
    works_whole, works_international, international_share, percent.
    """
    _require(df, FIELD_COLUMNS)
    codes = _legend_order(_codes(countries))
    first, last = int(years[0]), int(years[1])
    rows = df.select(
        pl.col("field_id").cast(pl.String),
        pl.col("field_name").cast(pl.String),
        pl.col("domain_name").cast(pl.String),
        pl.col("country").cast(pl.String).str.to_uppercase(),
        pl.col("year").cast(pl.Int64),
        pl.col("works_whole").cast(pl.Int64),
        pl.col("works_international").cast(pl.Int64),
    ).filter(pl.col("country").is_in(codes) & pl.col("year").is_between(first, last))
    pooled = rows.group_by("field_id", "country").agg(
        pl.col("works_whole").sum(), pl.col("works_international").sum()
    )
    fields = (
        rows.group_by("field_id")
        .agg(pl.col("field_name").drop_nulls().first(), pl.col("domain_name").drop_nulls().first())
        .with_columns(_unclassified=(pl.col("field_id") == UNCLASSIFIED))
        .sort(["_unclassified", "domain_name", "field_name", "field_id"], nulls_last=True)
        .with_row_index("_row")
    )
    present = [c for c in codes if c in set(rows["country"].to_list())]
    order = pl.DataFrame(
        {"country": present, "_col": range(len(present))},
        schema={"country": pl.String, "_col": pl.Int64},
    )
    out = (
        fields.join(order, how="cross")
        .join(pooled, on=["field_id", "country"], how="left")
        .with_columns(
            pl.col("works_whole").fill_null(0),
            pl.col("works_international").fill_null(0),
            year_start=pl.lit(first, pl.Int64),
            year_end=pl.lit(last, pl.Int64),
        )
        .with_columns(
            international_share=pl.when(pl.col("works_whole") > 0).then(
                pl.col("works_international") / pl.col("works_whole")
            )
        )
        .with_columns(
            percent=pl.when(pl.col("works_whole") >= min_works).then(
                pl.col("international_share") * 100.0
            )
        )
        .filter(pl.col("percent").is_not_null().any().over("field_id"))
        .sort("_row", "_col")
    )
    return out.select(
        "field_id",
        "field_name",
        "domain_name",
        "country",
        "year_start",
        "year_end",
        "works_whole",
        "works_international",
        "international_share",
        "percent",
    )


def field_share_chart(
    df: pl.DataFrame,
    ctx: ChartContext,
    countries: Sequence[str],
    years: tuple[int, int],
    min_works: int = 30,
) -> Figure:
    """In which fields each country's papers are most international."""
    data = chart_data_field_share(df, countries, years, min_works)
    lang = ctx.lang
    fields = data.select("field_id", "field_name", "domain_name").unique(maintain_order=True)
    codes = list(dict.fromkeys(data["country"].to_list()))
    matrix = (
        _as_float_array(data["percent"]).reshape(fields.height, len(codes))
        if data.height
        else np.zeros((0, 0))
    )
    fig, ax = new_chart(ctx, _heatmap_figsize(fields.height))
    if data.height:
        _heatmap(
            fig,
            ax,
            ctx,
            matrix,
            fmt="{:.0f}",
            cbar_label=label("field_share", "cbar", lang),
            vmin=0.0,
            vmax=100.0,
        )
        names = [
            label("field_share", "unclassified", lang) if fid == UNCLASSIFIED else (fname or fid)
            for fid, fname in zip(fields["field_id"], fields["field_name"], strict=True)
        ]
        ax.set_yticks(np.arange(fields.height) + 0.5, names)
        for tick in ax.get_yticklabels():
            tick.set_fontproperties(font(ctx, SIZES["tick"] - 0.5))
        _country_ticks(ax, ctx, np.arange(len(codes)) + 0.5, codes, axis="x")
        ax.xaxis.tick_top()
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_ha("left")
            tick.set_rotation_mode("anchor")
        domains = fields["domain_name"].to_list()
        for i in range(1, len(domains)):  # a rule between domains
            if domains[i] != domains[i - 1]:
                ax.axhline(i, color="#555555", linewidth=0.9, gid="domain-rule")
        if EMPHASIS in codes:
            j = codes.index(EMPHASIS)
            ax.add_patch(
                Rectangle(
                    (j, 0),
                    1,
                    fields.height,
                    fill=False,
                    edgecolor=country_color(EMPHASIS),
                    linewidth=2.0,
                    zorder=5,
                    clip_on=False,
                    gid=f"{EMPHASIS}:outline",
                )
            )
    left_out = _excluded(countries, codes)
    notes = [label("field_share", "note", lang, start=years[0], end=years[1], min_works=min_works)]
    if left_out:
        notes.append(label("top10", "excluded", lang, names=name_list(left_out, lang)))
    apply_frame(
        fig,
        ax,
        ctx,
        label("field_share", "title", lang, start=years[0], end=years[1]),
        "",
        footnote(_with_note(ctx, "; ".join(notes), moving_average=None), counting="whole"),
        xlabel="",
        watermark_over=True,
    )
    return fig


# --------------------------------------------------------------------------- 8. top 10%

IMPACT_COLUMNS = ("country", "year", "collaboration", "works_with_percentile", "top10_share")
TOP10_GROUPS = ("domestic", "international")


def chart_data_top10(
    df: pl.DataFrame, countries: Sequence[str], years: tuple[int, int]
) -> pl.DataFrame:
    """Share of domestic and of international papers among the world's top 10%, per country.

    Input: the ``impact_country_year`` mart. Pooled over ``years``: top-10% papers
    (``works_top10`` when the mart has it, else top10_share × works_with_percentile,
    summed) over papers with a percentile.
    Columns: country, collaboration (domestic, international), year_start, year_end,
    works_with_percentile, top10_works, top10_share, percent (drawn). Countries with no
    paper with a percentile are left out; emphasised country first.
    """
    _require(df, IMPACT_COLUMNS)
    codes = _legend_order(_codes(countries))
    first, last = int(years[0]), int(years[1])
    # top-10% papers: the mart's count when it has one, else share × papers with a percentile
    top10 = (
        pl.col("works_top10").cast(pl.Float64)
        if "works_top10" in df.columns
        else pl.col("top10_share").cast(pl.Float64)
        * pl.col("works_with_percentile").cast(pl.Float64)
    )
    rows = df.select(
        pl.col("country").cast(pl.String).str.to_uppercase(),
        pl.col("year").cast(pl.Int64),
        pl.col("collaboration").cast(pl.String),
        pl.col("works_with_percentile").cast(pl.Int64),
        top10.alias("top10_works"),
    ).filter(
        pl.col("country").is_in(codes)
        & pl.col("year").is_between(first, last)
        & pl.col("collaboration").is_in(TOP10_GROUPS)
    )
    pooled = rows.group_by("country", "collaboration").agg(
        pl.col("works_with_percentile").fill_null(0).sum(),
        pl.col("top10_works").fill_null(0.0).sum(),
    )
    present = [
        c
        for c in codes
        if pooled.filter((pl.col("country") == c) & (pl.col("works_with_percentile") > 0)).height
    ]
    grid = pl.DataFrame(
        [(c, g, i * 2 + k) for i, c in enumerate(present) for k, g in enumerate(TOP10_GROUPS)],
        schema={"country": pl.String, "collaboration": pl.String, "_order": pl.Int64},
        orient="row",
    )
    return (
        grid.join(pooled, on=["country", "collaboration"], how="left")
        .with_columns(
            pl.col("works_with_percentile").fill_null(0),
            pl.col("top10_works").fill_null(0.0),
            year_start=pl.lit(first, pl.Int64),
            year_end=pl.lit(last, pl.Int64),
        )
        .with_columns(
            top10_share=pl.when(pl.col("works_with_percentile") > 0).then(
                pl.col("top10_works") / pl.col("works_with_percentile")
            )
        )
        .with_columns(percent=pl.col("top10_share") * 100.0)
        .sort("_order")
        .select(
            "country",
            "collaboration",
            "year_start",
            "year_end",
            "works_with_percentile",
            "top10_works",
            "top10_share",
            "percent",
        )
    )


def top10_chart(
    df: pl.DataFrame, ctx: ChartContext, countries: Sequence[str], years: tuple[int, int]
) -> Figure:
    """Are internationally co-authored papers cited more? Top-10% shares side by side."""
    data = chart_data_top10(df, countries, years)
    lang = ctx.lang
    fig, ax = new_chart(ctx)
    codes = list(dict.fromkeys(data["country"].to_list()))
    positions = np.arange(len(codes))
    height = 0.36
    prop = font(ctx, SIZES["tick"] - 0.5)
    vmax = 0.0
    for k, group in enumerate(TOP10_GROUPS):
        part = data.filter(pl.col("collaboration") == group)
        widths = _as_float_array(part["percent"])
        offset = (k - 0.5) * height
        for y, code, w in zip(positions, codes, widths, strict=True):
            colour = country_color(code)
            ax.barh(
                y + offset,
                w,
                height=height * 0.92,
                color=colour if group == "international" else "white",
                edgecolor=colour,
                linewidth=1.3,
                gid=f"{code}:{group}",
            )
            if np.isfinite(w):
                vmax = max(vmax, w)
                ax.annotate(
                    f"{w:.1f}%",
                    xy=(w, y + offset),
                    xytext=(3, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontproperties=prop,
                    color="#222222",
                    path_effects=[HALO],
                    zorder=6,
                    gid="bar-value",
                )
    ax.axvline(10.0, color="#666666", linewidth=1.0, linestyle="--", zorder=1, gid="reference")
    _country_ticks(ax, ctx, positions, codes)
    ax.set_ylim(len(codes) - 0.45, -0.55)
    ax.set_xlim(0, max(vmax * 1.16, 12.0))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    handles = [
        Patch(facecolor="white", edgecolor="#555555", linewidth=1.3),
        Patch(facecolor="#555555", edgecolor="#555555", linewidth=1.3),
        Line2D([], [], color="#666666", linewidth=1.0, linestyle="--"),
    ]
    _legend_above(
        ax,
        ctx,
        handles,
        [
            label("top10", "domestic", lang),
            label("top10", "international", lang),
            label("top10", "reference", lang),
        ],
    )
    left_out = _excluded(countries, codes)
    notes = [label("top10", "note", lang, start=years[0], end=years[1])]
    if left_out:
        notes.append(label("top10", "excluded", lang, names=name_list(left_out, lang)))
    apply_frame(
        fig,
        ax,
        ctx,
        label("top10", "title", lang, start=years[0], end=years[1]),
        "",
        footnote(_with_note(ctx, "; ".join(notes), moving_average=None), counting="whole"),
        xlabel=label("top10", "xlabel", lang),
    )
    return fig


# --------------------------------------------------------------------------- 9. growth ranking

GROWTH_COLUMNS = (
    "country",
    "measure",
    "window_start",
    "window_end",
    "value_start",
    "value_end",
    "cagr",
)
GROWTH_MEASURES = ("works_international", "works_whole", "works_fractional", "international_share")


def chart_data_growth_ranking(
    df: pl.DataFrame, countries: Sequence[str], measure: str = "works_international"
) -> pl.DataFrame:
    """Compound annual growth of one measure per country over two windows, ranked.

    Input: the ``growth_cagr`` mart. Periods: ``long`` is the longest window in the frame
    (ties: the latest), ``recent`` the one starting last (ties: the shortest); with a
    single window both are the same. ``rank`` is the rank among the countries shown
    (1 = fastest). Rows sorted by the recent period's growth, fastest first.
    Columns: country, measure, period, window_start, window_end, value_start, value_end,
    cagr, percent (drawn), rank.
    """
    if measure not in GROWTH_MEASURES:
        raise ValueError(f"measure must be one of {GROWTH_MEASURES}, got {measure!r}")
    _require(df, GROWTH_COLUMNS)
    codes = _codes(countries)
    rows = df.select(
        pl.col("country").cast(pl.String).str.to_uppercase(),
        pl.col("measure").cast(pl.String),
        pl.col("window_start").cast(pl.Int64),
        pl.col("window_end").cast(pl.Int64),
        pl.col("value_start").cast(pl.Float64),
        pl.col("value_end").cast(pl.Float64),
        pl.col("cagr").cast(pl.Float64),
    ).filter(pl.col("country").is_in(codes) & (pl.col("measure") == measure))
    schema = {
        "country": pl.String,
        "measure": pl.String,
        "period": pl.String,
        "window_start": pl.Int64,
        "window_end": pl.Int64,
        "value_start": pl.Float64,
        "value_end": pl.Float64,
        "cagr": pl.Float64,
        "percent": pl.Float64,
        "rank": pl.Int64,
    }
    windows = rows.select("window_start", "window_end").unique()
    if windows.is_empty():
        return _empty(schema)
    span = pl.col("window_end") - pl.col("window_start")
    long = windows.sort(span, "window_end", descending=True).row(0)
    recent = windows.sort("window_start", span, descending=[True, False]).row(0)
    periods = [("long", long), ("recent", recent)] if long != recent else [("recent", recent)]
    parts = []
    for period, (ws, we) in periods:
        part = rows.filter((pl.col("window_start") == ws) & (pl.col("window_end") == we))
        if part.select(pl.col("country").is_duplicated().any()).item():
            raise ValueError("growth frame has more than one row for a country and window")
        parts.append(
            part.with_columns(
                period=pl.lit(period),
                percent=pl.col("cagr") * 100.0,
                rank=pl.col("cagr").rank("min", descending=True).cast(pl.Int64),
            )
        )
    out = pl.concat(parts)
    order = (
        out.filter(pl.col("period") == "recent")
        .sort(["cagr", "country"], descending=[True, False], nulls_last=True)
        .with_row_index("_order")
        .select("country", "_order")
    )
    out = out.join(order, on="country", how="left").with_columns(
        _period=pl.col("period").replace_strict({"long": 0, "recent": 1}, return_dtype=pl.Int64)
    )
    return out.sort(["_order", "_period"], nulls_last=True).select(list(schema))


def growth_ranking_chart(
    df: pl.DataFrame,
    ctx: ChartContext,
    countries: Sequence[str],
    measure: str = "works_international",
) -> Figure:
    """Who grows fastest, and is it speeding up? Two periods per country, ranked."""
    data = chart_data_growth_ranking(df, countries, measure)
    lang = ctx.lang
    fig, ax = new_chart(ctx)
    codes = list(dict.fromkeys(data["country"].to_list()))
    positions = np.arange(len(codes))
    periods = list(dict.fromkeys(data["period"].to_list()))
    windows = {
        p: data.filter(pl.col("period") == p).select("window_start", "window_end").row(0)
        for p in periods
    }
    right_texts: dict[str, list[str]] = {p: [] for p in periods}
    rank_of = {}
    for i, code in enumerate(codes):
        colour = country_color(code)
        rows = {
            r["period"]: r for r in data.filter(pl.col("country") == code).iter_rows(named=True)
        }
        xs = [
            float("nan") if rows.get(p, {}).get("percent") is None else rows[p]["percent"]
            for p in periods
        ]
        if len(xs) == 2:
            ax.plot(
                xs,
                [i, i],
                color=CHANGE_COLOR,
                linewidth=2.2,
                zorder=2,
                solid_capstyle="round",
                gid=f"{code}:change",
            )
        for p, x in zip(periods, xs, strict=True):
            hollow = p == "long"
            ax.plot(
                [x],
                [i],
                linestyle="none",
                marker="o",
                markeredgecolor=colour,
                zorder=3 if hollow else 4,
                gid=f"{code}:{p}",
                **(RING if hollow else {**DOT, "markerfacecolor": colour}),
            )
        for p, x in zip(periods, xs, strict=True):
            right_texts[p].append(_signed_pct(x))
        rank_of[code] = rows.get("recent", {}).get("rank")
    labels = [
        f"{rank_of[c]}. {country_name(c, lang)}"
        if rank_of[c] is not None
        else country_name(c, lang)
        for c in codes
    ]
    _country_ticks(ax, ctx, positions, codes, labels)
    ax.axvline(0.0, color="#666666", linewidth=0.9, zorder=1, gid="reference")
    ax.set_ylim(len(codes) - 0.5, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:+.0f}" if x else "0"))

    def window_text(p: str) -> str:
        ws, we = windows[p]
        return label("growth_ranking", "window", lang, start=ws, end=we, n=we - ws)

    if codes:
        _right_columns(
            ax,
            ctx,
            positions,
            [(f"{windows[p][0]}→{windows[p][1]}", right_texts[p]) for p in periods],
        )
        handles = [_marker_handle(ring=p == "long") for p in periods]
        _legend_above(ax, ctx, handles, [window_text(p) for p in periods])
    left_out = _excluded(countries, codes)
    notes = []
    if "recent" in windows:
        ws, we = windows["recent"]
        notes.append(label("growth_ranking", "note", lang, start=ws, end=we))
    if left_out:
        notes.append(label("growth_ranking", "excluded", lang, names=name_list(left_out, lang)))
    counting = "fractional" if measure == "works_fractional" else "whole"
    apply_frame(
        fig,
        ax,
        ctx,
        label("growth_ranking", "title", lang, measure=label("growth_ranking", measure, lang)),
        "",
        footnote(_with_note(ctx, "; ".join(notes) or None, moving_average=None), counting=counting),
        xlabel=label("growth_ranking", "xlabel", lang),
    )
    return fig
