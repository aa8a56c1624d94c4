"""Policy-brief charts of the ``country_year`` mart.

Each chart is a pair: ``chart_data_<id>`` returns exactly the numbers drawn (so the report
can write them next to the figure as CSV), and ``<id>_chart`` draws them. To add a chart,
add its texts to ``style.LABELS`` and write the same pair.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from coauthor.charts.style import (
    EMPHASIS,
    SIZES,
    ChartContext,
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
