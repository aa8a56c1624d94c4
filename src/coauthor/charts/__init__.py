"""Charts for the policy briefs (Japanese and English), built without pyplot.

Each chart function takes a tidy Polars frame and a ``ChartContext`` and returns a
``matplotlib.figure.Figure``; ``chart_data_*`` returns exactly the numbers it draws;
``save_figure`` writes PNG/SVG/PDF.
"""

from coauthor.charts.figures import (
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
    coverage_chart,
    field_share_chart,
    growth_ranking_chart,
    international_index_chart,
    international_share_chart,
    partner_heatmap_chart,
    partners_chart,
    top10_chart,
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
    "ChartContext",
    "FALLBACK_PALETTE",
    "LABELS",
    "apply_frame",
    "chart_data_composition",
    "chart_data_coverage",
    "chart_data_field_share",
    "chart_data_growth_ranking",
    "chart_data_international_index",
    "chart_data_international_share",
    "chart_data_partner_heatmap",
    "chart_data_partners",
    "chart_data_top10",
    "composition_chart",
    "country_color",
    "country_name",
    "coverage_chart",
    "field_share_chart",
    "figure_texts",
    "footnote",
    "growth_ranking_chart",
    "international_index_chart",
    "international_share_chart",
    "line_style",
    "partner_heatmap_chart",
    "partners_chart",
    "save_figure",
    "top10_chart",
]
