"""Charts and the brief from the published database: numbers drawn are the numbers shipped.

Each chart is drawn per language from a tidy frame read from the marts, saved as PNG (300 dpi),
SVG and PDF, and the exact numbers it draws are written beside it as CSV.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from coauthor import charts, warehouse
from coauthor.settings import Settings

log = logging.getLogger("coauthor")
FIRST_CHART_YEAR = 2000


@dataclass
class ChartSet:
    """What `render_charts` wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    csv: list[Path] = field(default_factory=list)
    synthetic: bool = False
    data_date: str | None = None


def build_info(con) -> dict[str, Any]:
    return json.loads(con.execute("select info from build_info").fetchall()[0][0])


def chart_years(data_date: str | None) -> tuple[int, int]:
    """Complete publication years only: the year of the data date is still being indexed."""
    last = (date.fromisoformat(data_date).year if data_date else date.today().year) - 1
    return FIRST_CHART_YEAR, last


def load_frames(settings: Settings) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """The tidy frames the charts draw, read from the published database."""
    con = warehouse.connect_readonly(settings)
    try:
        info = build_info(con)
        y0, y1 = chart_years(info.get("data_date"))
        frames = {
            "country_year": con.sql(
                "select * from country_year where year between ? and ? order by country, year",
                params=[y0, y1],
            ).pl(),
            "data_quality_year": con.sql(
                "select * from data_quality_year where year between ? and ? order by year",
                params=[y0, y1],
            ).pl(),
        }
    finally:
        con.close()
    return frames, info


def _context(settings: Settings, info: dict, lang: str, synthetic: bool) -> charts.ChartContext:
    return charts.ChartContext(
        lang=lang,
        data_date=info.get("data_date") or "unknown",
        counting="whole",
        types=tuple(settings.types),
        synthetic=synthetic,
        moving_average=settings.moving_average,
        harmonise_cn=settings.harmonise_cn,
    )


def render_charts(settings: Settings, out_dir: Path | None = None) -> ChartSet:
    """Draw every chart in every configured language; write PNG, SVG, PDF and CSV."""
    frames, info = load_frames(settings)
    out = Path(out_dir or settings.reports_dir / "charts")
    out.mkdir(parents=True, exist_ok=True)
    cy = frames["country_year"]
    peers = list(dict.fromkeys([settings.focus_country, *settings.peers]))
    drawn = cy.filter(pl.col("country").is_in(peers))
    # any synthetic work in the database marks every chart: coverage and shares mix them in
    synthetic = bool(info.get("synthetic_works")) or bool(drawn["works_synthetic"].sum())
    last_year = int(cy["year"].max()) if cy.height else chart_years(info.get("data_date"))[1]
    base_year = settings.base_year
    ma = settings.moving_average
    result = ChartSet(out, synthetic=synthetic, data_date=info.get("data_date"))
    if drawn.height == 0:
        log.warning("no works for %s in the published database: no charts drawn", peers)
        return result
    specs = {
        "international_index": (
            lambda ctx: charts.international_index_chart(cy, ctx, peers, base_year),
            lambda: charts.chart_data_international_index(cy, peers, base_year, ma),
        ),
        "international_share": (
            lambda ctx: charts.international_share_chart(cy, ctx, peers),
            lambda: charts.chart_data_international_share(cy, peers, ma),
        ),
        "composition": (
            lambda ctx: charts.composition_chart(cy, ctx, peers, last_year),
            lambda: charts.chart_data_composition(cy, peers, last_year),
        ),
        "coverage": (
            lambda ctx: charts.coverage_chart(frames["data_quality_year"], ctx),
            lambda: charts.chart_data_coverage(frames["data_quality_year"]),
        ),
    }
    for name, (draw, data) in specs.items():
        csv_path = out / f"{name}.csv"
        data().write_csv(csv_path)
        result.csv.append(csv_path)
        for lang in settings.chart_langs:
            fig = draw(_context(settings, info, lang, synthetic))
            result.files += charts.save_figure(fig, out, f"{name}_{lang}")
    return result
