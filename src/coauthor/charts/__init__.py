"""Charts for the policy briefs (Japanese and English), built without pyplot.

Each chart function takes a tidy Polars frame and a ``ChartContext`` and returns a
``matplotlib.figure.Figure``; ``chart_data_*`` returns exactly the numbers it draws;
``save_figure`` writes PNG/SVG/PDF.
"""

from coauthor.charts.figures import (
    chart_data_composition,
    chart_data_coverage,
    chart_data_international_index,
    chart_data_international_share,
    composition_chart,
    coverage_chart,
    international_index_chart,
    international_share_chart,
)
from coauthor.charts.style import (
    COUNTRY_COLORS,
    FALLBACK_PALETTE,
    LABELS,
    ChartContext,
    apply_frame,
    country_color,
    country_name,
    figure_texts,
    footnote,
    line_style,
    save_figure,
)

__all__ = [
    "COUNTRY_COLORS",
    "FALLBACK_PALETTE",
    "LABELS",
    "ChartContext",
    "apply_frame",
    "chart_data_composition",
    "chart_data_coverage",
    "chart_data_international_index",
    "chart_data_international_share",
    "composition_chart",
    "country_color",
    "country_name",
    "coverage_chart",
    "figure_texts",
    "footnote",
    "international_index_chart",
    "international_share_chart",
    "line_style",
    "save_figure",
]
