"""Shared look of the policy-brief charts: fonts, colours, names, texts and the frame.

Everything here is explicit per figure (font family on every text, sizes, colours), so
building charts never depends on, nor changes, matplotlib's global rcParams, and figures
can be built in several threads at once.
"""

from __future__ import annotations

import gettext
import os
import re
import threading
import unicodedata
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
import pycountry
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

# matplotlib_fontja calls japanize() when imported, which sets the global font family.
# That import is the only supported way to get at its bundled font, so undo the global
# change: charts name their fonts explicitly and other code keeps its own defaults.
with matplotlib.rc_context():
    import matplotlib_fontja


def _register_ja_font() -> str:
    """Make the IPAex Gothic font shipped by matplotlib-fontja known; return its family."""
    path = os.path.realpath(matplotlib_fontja.get_font_ttf_path())
    known = {os.path.realpath(f.fname) for f in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(path)
    return FontProperties(fname=path).get_name()


JA_FONT = _register_ja_font()
"""Family name of the Japanese font (IPAex Gothic, bundled with matplotlib-fontja)."""

# Font fallback lists (matplotlib >= 3.6): each glyph comes from the first family that
# has it, so an English chart with a Japanese note (or the reverse) never loses glyphs.
FONT_FAMILIES: dict[str, list[str]] = {
    "ja": [JA_FONT, "DejaVu Sans"],
    "en": ["DejaVu Sans", JA_FONT],
}

FIGSIZE: tuple[float, float] = (7.5, 4.5)
"""Inches: fits an A4 page with 2 cm margins at full size, readable when printed."""

SIZES = {"title": 12.0, "label": 9.5, "tick": 8.5, "legend": 8.5, "note": 7.5, "banner": 8.5}
MARGIN_IN = 0.12  # inches kept free at the figure edges
GAP_IN = 0.08  # inches between stacked frame elements
LINE_SPACING = 1.3
WRAP_SLACK = 0.93  # share of the free width that wrapped text may fill

LANGS = ("ja", "en")
COUNTINGS = ("whole", "fractional")

# --------------------------------------------------------------------------- colours

JP_RED = "#BC002D"

COUNTRY_COLORS: dict[str, str] = {
    "JP": JP_RED,  # the flag's red; only Japan uses a red
    "US": "#0072B2",  # Okabe-Ito blue
    "CN": "#E69F00",  # Okabe-Ito orange
    "GB": "#009E73",  # Okabe-Ito bluish green
    "DE": "#4D4D4D",  # dark grey (Okabe-Ito black, softened for print)
    "FR": "#56B4E9",  # Okabe-Ito sky blue
    "KR": "#CC79A7",  # Okabe-Ito reddish purple
}
"""Fixed colour per peer country, the same in every chart."""

FALLBACK_PALETTE: tuple[str, ...] = (
    "#332288",  # Paul Tol "muted": indigo (its rose and wine look too much like JP red)
    "#44AA99",  # teal
    "#999933",  # olive
    "#AA4499",  # purple
    "#997700",  # dark yellow (Tol "high contrast"), readable on white unlike sand
    "#8C564B",  # brown (Tableau)
)
"""Colour-blind-safe colours for other countries, picked by a stable hash of the code."""

EMPHASIS = "JP"


def _code(code: str) -> str:
    return code.strip().upper()


def country_color(code: str) -> str:
    """Colour of a country: fixed for JP and peers, else a stable pick from the palette.

    The pick uses CRC-32 of the code (not ``hash``, which changes between processes), so
    a country keeps its colour across charts and runs; two non-peer countries may share
    a colour.
    """
    code = _code(code)
    if code in COUNTRY_COLORS:
        return COUNTRY_COLORS[code]
    return FALLBACK_PALETTE[zlib.crc32(code.encode("ascii", "replace")) % len(FALLBACK_PALETTE)]


def line_style(code: str) -> dict[str, Any]:
    """Line width, drawing order, opacity and dash: Japan thick and on top, peers thinner.

    Countries outside the fixed peers are dashed, so a palette colour that resembles a
    peer's is never mistaken for it.
    """
    code = _code(code)
    if code == EMPHASIS:
        return {"linewidth": 3.0, "zorder": 10, "alpha": 1.0, "linestyle": "-"}
    if code in COUNTRY_COLORS:
        return {"linewidth": 1.6, "zorder": 3, "alpha": 0.9, "linestyle": "-"}
    return {"linewidth": 1.6, "zorder": 2, "alpha": 0.9, "linestyle": (0, (4, 1.5))}


# --------------------------------------------------------------------------- names

_INVERTED = re.compile(r"^(?P<head>[^,]+), (?P<tail>.+ of(?: the)?)$")


@lru_cache(maxsize=1)
def _ja_translation() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"])


def _english_name(country: Any) -> str:
    """Short English name: common name, else official name or un-inverted ISO name."""
    common = getattr(country, "common_name", None)
    if common:
        return common
    name: str = country.name
    if "," in name:
        official = getattr(country, "official_name", None)
        if official and "," not in official:
            return re.sub(r"^the ", "", official)
        m = _INVERTED.match(name)
        if m:  # "Congo, The Democratic Republic of the" -> "Democratic Republic of the Congo"
            return re.sub(r"^The ", "", f"{m['tail']} {m['head']}")
    return name


@lru_cache(maxsize=512)
def country_name(code: str, lang: str) -> str:
    """Display name of an ISO 3166-1 alpha-2 code, from pycountry (and its ja locale).

    Unknown codes (e.g. OpenAlex's XK) are shown as the code itself.
    """
    _check_lang(lang)
    country = pycountry.countries.get(alpha_2=_code(code))
    if country is None:
        return _code(code)
    if lang == "en":
        return _english_name(country)
    translation = _ja_translation()
    for msgid in (getattr(country, "common_name", None), country.name):
        if msgid:
            translated = translation.gettext(msgid)
            if translated != msgid:
                return translated
    return _english_name(country)


# --------------------------------------------------------------------------- texts

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "common": {
        "ja": {
            "xlabel_year": "出版年",
            "synthetic_banner": "合成データ（実データではありません）",
            "synthetic_watermark": "合成データ",
            "source": "出典: OpenAlex（{date}時点のデータ）",
            "whole": "整数カウント",
            "fractional": "分数カウント",
            "types": "文献種別: {types}",
            "moving_average": "{n}年移動平均（当該年と前{m}年の平均）",
            "harmonise_cn": "香港・マカオを中国に統合",
            "list_sep": "、",
        },
        "en": {
            "xlabel_year": "Publication year",
            "synthetic_banner": "SYNTHETIC DATA — not real OpenAlex figures",
            "synthetic_watermark": "SYNTHETIC DATA",
            "source": "Source: OpenAlex (data as of {date})",
            "whole": "whole counting",
            "fractional": "fractional counting",
            "types": "types: {types}",
            "moving_average": "{n}-year moving average (mean of the year and the {m} before)",
            "harmonise_cn": "HK and MO merged into CN",
            "list_sep": ", ",
        },
    },
    "international_index": {
        "ja": {
            "title": "国際共著論文数の推移（{base_year}年=100）",
            "ylabel": "指数（基準年=100）",
            "excluded": "基準年（{base_year}年）の値がない（または0）ため除外: {names}",
        },
        "en": {
            "title": "Internationally co-authored papers, indexed ({base_year} = 100)",
            "ylabel": "Index (base year = 100)",
            "excluded": "Not shown (no or zero value in base year {base_year}): {names}",
        },
    },
    "international_share": {
        "ja": {
            "title": "国際共著論文の割合",
            "ylabel": "国際共著率（%）",
            "excluded": "データがないため除外: {names}",
        },
        "en": {
            "title": "Share of papers that are internationally co-authored",
            "ylabel": "Internationally co-authored share (%)",
            "excluded": "Not shown (no data): {names}",
        },
    },
    "composition": {
        "ja": {
            "title": "共著形態別の論文構成（{year}年）",
            "xlabel": "論文数に占める割合（%）",
            "domestic": "国内のみ",
            "bilateral": "二国間共著",
            "multilateral": "多国間共著（3か国以上）",
            "excluded": "{year}年の論文がないため除外: {names}",
        },
        "en": {
            "title": "Papers by type of co-authorship, {year}",
            "xlabel": "Share of papers (%)",
            "domestic": "Domestic only",
            "bilateral": "Bilateral (2 countries)",
            "multilateral": "Multilateral (3+ countries)",
            "excluded": "Not shown (no papers in {year}): {names}",
        },
    },
    "coverage": {
        "ja": {
            "title": "国情報のない論文の割合（データの網羅性）",
            "ylabel": "国情報のない論文の割合（%）",
        },
        "en": {
            "title": "Works without country information (coverage check)",
            "ylabel": "Works with unknown country (%)",
        },
    },
    "partners": {
        "ja": {
            "title": "{country}の主要共著相手国（上位{n}か国）：共著論文数の変化",
            "xlabel": "{country}との共著論文数（件/年）",
            "year": "{year}年",
            "growth": "年平均伸び率",
            "new": "新規",
            "note": "{start}–{end}年の共著論文数の合計で順位付け; "
            "伸び率は{start}年から{end}年への年平均成長率",
        },
        "en": {
            "title": "{country}'s top {n} co-authorship partners: change in joint papers",
            "xlabel": "Papers co-authored with {country} (per year)",
            "year": "{year}",
            "growth": "Growth per year",
            "new": "new",
            "note": "ranked by joint papers in {start}–{end}; "
            "growth = compound annual growth rate from {start} to {end}",
        },
    },
    "partner_heatmap": {
        "ja": {
            "title": "{country}の国際共著に占める相手国別の割合（{start}–{end}年）",
            "ylabel": "相手国",
            "partner_share_of_international": "{country}の国際共著論文に占める割合（%）",
            "salton_cosine": "Saltonのコサイン係数（共著の強さ）",
            "collaboration_index": "共著指数（期待値=1）",
            "note": "共著論文数の期間合計で上位{n}か国; "
            "複数の相手国と共著した論文はそれぞれに数える; 空欄はデータなし",
        },
        "en": {
            "title": "Partners' share of {country}'s international papers, {start}–{end}",
            "ylabel": "Partner country",
            "partner_share_of_international": "Share of {country}'s international papers (%)",
            "salton_cosine": "Salton's cosine (collaboration strength)",
            "collaboration_index": "Collaboration index (expected = 1)",
            "note": "top {n} partners by joint papers over the period; "
            "a paper with several partners counts for each; blank: no data",
        },
    },
    "field_share": {
        "ja": {
            "title": "分野別の国際共著率（{start}–{end}年）",
            "cbar": "国際共著率（%）",
            "unclassified": "分類なし（トピック未付与）",
            "note": "{start}–{end}年の合計で算出; 論文数{min_works}件未満は非表示（灰色）; "
            "分野はOpenAlexの主トピックによる（分野名は英語）",
        },
        "en": {
            "title": "International co-authorship share by field, {start}–{end}",
            "cbar": "Internationally co-authored share (%)",
            "unclassified": "Unclassified (no topic)",
            "note": "pooled over {start}–{end}; cells with fewer than {min_works} papers are "
            "grey; field of each work's primary topic in OpenAlex",
        },
    },
    "top10": {
        "ja": {
            "title": "国内論文と国際共著論文のTop10%論文割合（{start}–{end}年）",
            "xlabel": "Top10%論文の割合（%）",
            "domestic": "国内のみ",
            "international": "国際共著",
            "reference": "世界水準（10%）",
            "excluded": "データがないため除外: {names}",
            "note": "OpenAlexの被引用数パーセンタイル（分野・出版年で標準化）による; "
            "{start}–{end}年の合計; 直近年は被引用の蓄積途中のため暫定値",
        },
        "en": {
            "title": "Papers in the world's top 10% most cited: domestic vs international, "
            "{start}–{end}",
            "xlabel": "Share of papers in the top 10% (%)",
            "domestic": "Domestic only",
            "international": "Internationally co-authored",
            "reference": "World level (10%)",
            "excluded": "Not shown (no data): {names}",
            "note": "OpenAlex citation percentile normalised by field and year; pooled over "
            "{start}–{end}; recent years are provisional while citations accrue",
        },
    },
    "growth_ranking": {
        "ja": {
            "title": "{measure}の年平均成長率：国別の順位と2期間の比較",
            "xlabel": "年平均成長率（%/年）",
            "window": "{start}→{end}年（{n}年間）",
            "works_international": "国際共著論文数",
            "works_whole": "論文数",
            "works_fractional": "論文数（分数カウント）",
            "international_share": "国際共著率",
            "excluded": "データがないため除外: {names}",
            "note": "並び順は{start}→{end}年の成長率; 数字はその順位",
        },
        "en": {
            "title": "Growth of {measure}: ranking across peers in two periods",
            "xlabel": "Compound annual growth rate (% per year)",
            "window": "{start}→{end} ({n} years)",
            "works_international": "internationally co-authored papers",
            "works_whole": "papers",
            "works_fractional": "papers (fractional counting)",
            "international_share": "the international co-authorship share",
            "excluded": "Not shown (no data): {names}",
            "note": "sorted by growth {start}→{end}; numbers are the rank",
        },
    },
}
"""Every fixed text of the charts, by chart id (``common`` for shared texts) and language."""


def label(chart_id: str, key: str, lang: str, **fields: object) -> str:
    """A text from LABELS in the chart's language, with its ``{fields}`` filled in."""
    _check_lang(lang)
    text = LABELS[chart_id][lang][key]
    return text.format(**fields) if fields else text


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")


@dataclass
class ChartContext:
    """What a reader must know about the data behind a chart, and its language."""

    lang: str
    data_date: str
    counting: str
    types: tuple[str, ...]
    synthetic: bool
    moving_average: int | None
    harmonise_cn: bool = False
    extra_note: str | None = None

    def __post_init__(self) -> None:
        _check_lang(self.lang)
        if self.counting not in COUNTINGS:
            raise ValueError(f"counting must be one of {COUNTINGS}, got {self.counting!r}")
        if self.moving_average is not None and self.moving_average < 1:
            raise ValueError(f"moving_average must be >= 1 or None, got {self.moving_average}")
        self.types = tuple(self.types)

    @property
    def smoothing(self) -> int | None:
        """Window of the moving average actually applied (None when 1 or unset)."""
        return self.moving_average if self.moving_average and self.moving_average > 1 else None

    @property
    def font_family(self) -> list[str]:
        return FONT_FAMILIES[self.lang]


def footnote(ctx: ChartContext, counting: str | None = None) -> str:
    """Source line under each chart: data date, counting, types, smoothing, merges, notes.

    ``counting`` overrides ``ctx.counting`` for charts whose numbers use one method
    whatever the context says; ``"none"`` leaves the counting method out.
    """
    lang = ctx.lang
    counting = ctx.counting if counting is None else counting
    if counting not in (*COUNTINGS, "none"):
        raise ValueError(f"counting must be one of {COUNTINGS} or 'none', got {counting!r}")
    parts = [label("common", "source", lang, date=ctx.data_date)]
    if counting != "none":
        parts.append(label("common", counting, lang))
    if ctx.types:
        parts.append(label("common", "types", lang, types=", ".join(ctx.types)))
    if ctx.smoothing:
        n = ctx.smoothing
        parts.append(label("common", "moving_average", lang, n=n, m=n - 1))
    if ctx.harmonise_cn:
        parts.append(label("common", "harmonise_cn", lang))
    if ctx.extra_note:
        parts.append(ctx.extra_note)
    return "; ".join(parts)


def name_list(codes: Sequence[str], lang: str) -> str:
    """Country names joined the way the language lists them."""
    return label("common", "list_sep", lang).join(country_name(c, lang) for c in codes)


# --------------------------------------------------------------------------- figure


def font(ctx: ChartContext, size: float, weight: str = "normal") -> FontProperties:
    """Font for one text element in the chart's language."""
    # IPAex Gothic has a single weight: asking it for bold (even as a fallback) makes
    # matplotlib log a warning, so Japanese text stays regular (emphasis by size and
    # colour) and English bold text uses DejaVu Sans alone (bold texts are LABELS only).
    if weight == "normal":
        return FontProperties(family=ctx.font_family, size=size)
    if ctx.lang == "en":
        return FontProperties(family=["DejaVu Sans"], size=size, weight=weight)
    return FontProperties(family=ctx.font_family, size=size)


def new_chart(ctx: ChartContext, figsize: tuple[float, float] | None = None) -> tuple[Figure, Axes]:
    """An empty figure and axes with the house style, on an Agg canvas, no pyplot.

    ``figsize`` (inches) overrides the default for charts with many rows (heatmaps);
    keep the width so that every chart prints at the same scale.
    """
    fig = Figure(figsize=figsize or FIGSIZE, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor("none")  # lets the synthetic-data watermark show behind the data
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#555555")
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(
        labelsize=SIZES["tick"], labelfontfamily=ctx.font_family, colors="#333333", length=3
    )
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def year_axis(ax: Axes) -> None:
    """Years as plain integers (no 2,010.5, no offset)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins="auto"))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{round(x):d}"))


def add_legend(ax: Axes, ctx: ChartContext, handles: Sequence[Any], labels: Sequence[str]) -> None:
    """Legend to the right of the axes, off the data (constrained layout makes room)."""
    if not handles:
        return
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        frameon=False,
        prop=font(ctx, SIZES["legend"]),
        handlelength=2.2,
    )


def _text_size_in(text: str, prop: FontProperties) -> tuple[float, float]:
    """Width and height in inches of one line of text, from the unhinted glyph outlines.

    Rendered widths vary by a few per cent with the output dpi (hinting), so callers
    keep a safety margin (WRAP_SLACK) rather than trusting one renderer's measurement.
    """
    w, h, _d = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return w / 72, h / 72


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Break points for wrapping: after spaces, and between CJK characters."""
    tokens: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch == " " or _is_wide(ch):
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    return tokens


def wrap_text(text: str, prop: FontProperties, width_in: float) -> list[str]:
    """Greedy wrap to a width in inches: whole '; ' parts first, then words or characters."""
    fits = lambda s: _text_size_in(s.strip(), prop)[0] <= width_in  # noqa: E731
    lines: list[str] = []
    current = ""
    for i, part in enumerate(text.split("; ")):
        piece = part if i == 0 else "; " + part
        if fits(current + piece):
            current += piece
            continue
        if current:
            lines.append(current.rstrip())
            current = ""
        piece = piece.removeprefix("; ")
        for token in _tokens(piece):
            if fits(current + token) or not current:
                current += token
            else:
                lines.append(current.rstrip())
                current = token
    if current:
        lines.append(current.rstrip())
    return lines


def apply_frame(
    fig: Figure,
    ax: Axes,
    ctx: ChartContext,
    title: str,
    ylabel: str,
    footnote_text: str,
    *,
    xlabel: str | None = None,
    watermark_over: bool = False,
) -> None:
    """Title, axis labels, footnote and synthetic-data marks, all inside the figure.

    The synthetic-data watermark sits behind the (transparent) axes; charts whose plot is
    opaque (heatmaps) pass ``watermark_over=True`` to draw it, fainter, over the plot.

    Title and footnote are figure texts outside the constrained-layout area, whose
    margins are measured from the wrapped texts, so nothing is clipped or overlaps.
    """
    lang = ctx.lang
    family = ctx.font_family
    width_in, height_in = fig.get_size_inches()
    text_width = (width_in - 2 * MARGIN_IN) * WRAP_SLACK

    ax.set_ylabel(ylabel, fontsize=SIZES["label"], fontfamily=family, color="#222222")
    ax.set_xlabel(
        label("common", "xlabel_year", lang) if xlabel is None else xlabel,
        fontsize=SIZES["label"],
        fontfamily=family,
        color="#222222",
    )

    top = MARGIN_IN
    if ctx.synthetic:
        banner = label("common", "synthetic_banner", lang)
        banner_prop = font(ctx, SIZES["banner"], "bold")
        bw, bh = _text_size_in(banner, banner_prop)
        fig.text(
            1 - (MARGIN_IN + 0.06) / width_in,
            1 - (top + 0.06) / height_in,
            banner,
            ha="right",
            va="top",
            fontproperties=banner_prop,
            color="#B00020",
            bbox={
                "boxstyle": "square,pad=0.35",
                "facecolor": "#FFF3F3",
                "edgecolor": "#B00020",
                "linewidth": 1.5,
            },
            zorder=20,
            gid="synthetic-banner",
        )
        banner_height = bh + 0.12 + GAP_IN
        title_width = text_width - bw - 0.3  # title shares the row when it fits
        title_prop = font(ctx, SIZES["title"], "bold")
        if _text_size_in(title, title_prop)[0] > title_width:
            top += banner_height
        fig.text(
            0.5,
            0.48,
            label("common", "synthetic_watermark", lang),
            ha="center",
            va="center",
            rotation=22,
            fontproperties=font(ctx, 46, "bold"),
            color="#B00020",
            alpha=0.08 if watermark_over else 0.11,
            zorder=10 if watermark_over else -1,  # behind transparent axes: never hides data
            gid="synthetic-watermark",
        )

    title_prop = font(ctx, SIZES["title"], "bold")
    title_lines = wrap_text(title, title_prop, text_width)
    line_h = SIZES["title"] * LINE_SPACING / 72
    fig.text(
        MARGIN_IN / width_in,
        1 - top / height_in,
        "\n".join(title_lines),
        ha="left",
        va="top",
        fontproperties=title_prop,
        color="#111111",
        linespacing=LINE_SPACING,
        gid="title",
    )
    top += line_h * len(title_lines) + GAP_IN

    note_prop = font(ctx, SIZES["note"])
    note_lines = wrap_text(footnote_text, note_prop, text_width)
    note_h = SIZES["note"] * LINE_SPACING / 72 * len(note_lines)
    fig.text(
        MARGIN_IN / width_in,
        MARGIN_IN / height_in,
        "\n".join(note_lines),
        ha="left",
        va="bottom",
        fontproperties=note_prop,
        color="#444444",
        linespacing=LINE_SPACING,
        gid="footnote",
    )
    bottom = MARGIN_IN + note_h + GAP_IN

    fig.get_layout_engine().set(  # type: ignore[union-attr, call-arg]
        rect=(0.0, bottom / height_in, 1.0, 1 - (top + bottom) / height_in),
        w_pad=0.06,
        h_pad=0.06,
    )


def figure_texts(fig: Figure) -> list[str]:
    """All text on a figure (figure, axes, legends, ticks): for tests and checks."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


# --------------------------------------------------------------------------- saving

_SAVE_LOCK = threading.Lock()
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def save_figure(
    fig: Figure,
    out_dir: Path,
    name: str,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 300,
) -> list[Path]:
    """Write the figure once per format, atomically, with reproducible file contents.

    PDFs embed the fonts as TrueType (Type 42) so Japanese text prints and can be
    copied; SVGs draw text as paths so they look the same without the font installed.
    """
    if not _SAFE_NAME.match(name):
        raise ValueError(f"figure name must be a plain file stem, got {name!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, dict[str, Any]] = {
        "pdf": {"CreationDate": None, "ModDate": None},
        "svg": {"Date": None},
        "png": {"Software": None},
    }
    rc = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path", "svg.hashsalt": name}
    written: list[Path] = []
    for fmt in formats:
        fmt = fmt.lower().lstrip(".")
        target = out_dir / f"{name}.{fmt}"
        # A unique name in the same directory (not mkstemp, whose 0600 mode would stick).
        tmp_name = out_dir / f".{name}.{uuid.uuid4().hex}.{fmt}.tmp"
        try:
            # savefig reads these from the global rcParams; the lock keeps our own
            # concurrent saves from restoring each other's values mid-write.
            with _SAVE_LOCK, matplotlib.rc_context(rc):
                fig.savefig(
                    tmp_name,
                    format=fmt,
                    dpi=dpi,
                    facecolor="white",
                    metadata=metadata.get(fmt),
                )
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
