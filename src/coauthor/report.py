"""Charts and the dated report from the published database: numbers drawn are numbers shipped.

``render_charts`` draws every chart in every configured language from tidy frames read from
the marts, saves each as PNG (300 dpi), SVG and PDF, and writes the exact numbers it draws
beside it as CSV. ``write_report`` does the same into ``reports/<date>/`` and adds a
self-contained ``index.html``, ``brief.md`` and ``manifest.json`` (provenance, key numbers,
and what changed since the previous report).

Marts that another part of the pipeline may not have built yet (growth, partners, fields,
impact) are read only when they exist; their charts are otherwise skipped with a note.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from coauthor import charts, warehouse
from coauthor.settings import Settings

log = logging.getLogger("coauthor")
FIRST_CHART_YEAR = 2000
TOP_PARTNERS = 10
HEATMAP_PARTNERS = 12
FIELD_MIN_WORKS = 30
GROWTH_MEASURE = "works_international"

REQUIRED_MARTS = ("country_year", "data_quality_year")
OPTIONAL_MARTS = (
    "growth_cagr",
    "partner_year",
    "partner_window",
    "field_country_year",
    "impact_country_year",
)

CHART_ORDER = (
    "international_index",
    "international_share",
    "composition",
    "partners",
    "partner_heatmap",
    "field_share",
    "top10",
    "coverage",
    "growth_ranking",
)
"""Charts in the order of the brief (issue 5): the file stem of each is its id."""

CHART_MART = {
    "international_index": "country_year",
    "international_share": "country_year",
    "composition": "country_year",
    "partners": "partner_window",
    "partner_heatmap": "partner_year",
    "field_share": "field_country_year",
    "top10": "impact_country_year",
    "coverage": "data_quality_year",
    "growth_ranking": "growth_cagr",
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- results


@dataclass
class ChartOutput:
    """One chart: its CSV (the numbers drawn), its files per language, its titles."""

    chart_id: str
    number: int
    csv: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    data: pl.DataFrame | None = None


@dataclass
class ChartSet:
    """What `render_charts` wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    csv: list[Path] = field(default_factory=list)
    synthetic: bool = False
    data_date: str | None = None
    charts: list[ChartOutput] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def build_info(con) -> dict[str, Any]:
    return json.loads(con.execute("select info from build_info").fetchall()[0][0])


def table_exists(con, name: str) -> bool:
    """Whether the database has this table (or view)."""
    n = con.execute(
        "select count(*) from (select table_name as name from duckdb_tables() "
        "union all select view_name from duckdb_views() where not internal) where name = ?",
        [name],
    ).fetchall()[0][0]
    return n > 0


def chart_years(data_date: str | None) -> tuple[int, int]:
    """Complete publication years only: the year of the data date is still being indexed."""
    last = (date.fromisoformat(data_date).year if data_date else date.today().year) - 1
    return FIRST_CHART_YEAR, last


def peer_codes(settings: Settings) -> list[str]:
    """The focus country first, then the peers, without duplicates."""
    return list(dict.fromkeys([settings.focus_country, *settings.peers]))


def load_frames(settings: Settings) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """The tidy frames the charts draw, read from the published database.

    Optional marts that the database lacks are simply absent from the returned dict.
    """
    con = warehouse.connect_readonly(settings)
    try:
        info = build_info(con)
        y0, y1 = chart_years(info.get("data_date"))
        peers = peer_codes(settings)
        focus = settings.focus_country
        queries: dict[str, tuple[str, list]] = {
            "country_year": (
                "select * from country_year where year between ? and ? order by country, year",
                [y0, y1],
            ),
            "data_quality_year": (
                "select * from data_quality_year where year between ? and ? order by year",
                [y0, y1],
            ),
            "growth_cagr": (
                "select * from growth_cagr where list_contains(?, country) "
                "order by measure, window_start, window_end, country",
                [peers],
            ),
            "partner_year": (
                "select * from partner_year where country = ? and year between ? and ? "
                "order by partner, year",
                [focus, y0, y1],
            ),
            "partner_window": (
                "select * from partner_window where country = ? "
                "order by window_start, window_end, partner",
                [focus],
            ),
            "field_country_year": (
                "select * from field_country_year where list_contains(?, country) "
                "and year between ? and ? order by field_id, country, year",
                [peers, y0, y1],
            ),
            "impact_country_year": (
                "select * from impact_country_year where list_contains(?, country) "
                "and year between ? and ? order by country, year, collaboration",
                [peers, y0, y1],
            ),
        }
        frames: dict[str, pl.DataFrame] = {}
        for name, (sql, params) in queries.items():
            if name in OPTIONAL_MARTS and not table_exists(con, name):
                log.info("mart %s is not in the published database: its chart is skipped", name)
                continue
            frames[name] = con.sql(sql, params=params).pl()
    finally:
        con.close()
    return frames, info


# --------------------------------------------------------------------------- drawing


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


@dataclass
class _Spec:
    chart_id: str
    draw: Callable[[charts.ChartContext], Any]
    data: Callable[[], pl.DataFrame]


def _is_synthetic(frames: dict[str, pl.DataFrame], info: dict, peers: list[str]) -> bool:
    """Any synthetic work in the database marks every chart: shares and totals mix them in."""
    cy = frames["country_year"]
    drawn = cy.filter(pl.col("country").is_in(peers))
    return bool(info.get("synthetic_works")) or bool(drawn["works_synthetic"].sum())


def _windows(settings: Settings, last_year: int) -> dict[str, tuple[int, int]]:
    """Year spans of the pooled charts (the moving-average width) and of the heatmap."""
    width = max(1, settings.moving_average)
    return {
        "pooled": (last_year - width + 1, last_year),
        "heatmap": (min(settings.base_year, last_year), last_year),
    }


def _specs(settings: Settings, frames: dict[str, pl.DataFrame], info: dict) -> list[_Spec]:
    cy = frames["country_year"]
    peers = peer_codes(settings)
    focus = settings.focus_country
    last_year = int(cy["year"].max()) if cy.height else chart_years(info.get("data_date"))[1]
    base_year = settings.base_year
    ma = settings.moving_average
    win = _windows(settings, last_year)
    dq = frames["data_quality_year"]
    specs = [
        _Spec(
            "international_index",
            lambda ctx: charts.international_index_chart(cy, ctx, peers, base_year),
            lambda: charts.chart_data_international_index(cy, peers, base_year, ma),
        ),
        _Spec(
            "international_share",
            lambda ctx: charts.international_share_chart(cy, ctx, peers),
            lambda: charts.chart_data_international_share(cy, peers, ma),
        ),
        _Spec(
            "composition",
            lambda ctx: charts.composition_chart(cy, ctx, peers, last_year),
            lambda: charts.chart_data_composition(cy, peers, last_year),
        ),
        _Spec(
            "coverage",
            lambda ctx: charts.coverage_chart(dq, ctx),
            lambda: charts.chart_data_coverage(dq),
        ),
    ]
    if "partner_window" in frames:
        pw = frames["partner_window"]
        specs.append(
            _Spec(
                "partners",
                lambda ctx: charts.partners_chart(pw, ctx, focus, TOP_PARTNERS),
                lambda: charts.chart_data_partners(pw, focus, TOP_PARTNERS),
            )
        )
    if "partner_year" in frames:
        py = frames["partner_year"]
        span = win["heatmap"]
        specs.append(
            _Spec(
                "partner_heatmap",
                lambda ctx: charts.partner_heatmap_chart(py, ctx, focus, HEATMAP_PARTNERS, span),
                lambda: charts.chart_data_partner_heatmap(py, focus, HEATMAP_PARTNERS, span),
            )
        )
    if "field_country_year" in frames:
        fc = frames["field_country_year"]
        pooled = win["pooled"]
        specs.append(
            _Spec(
                "field_share",
                lambda ctx: charts.field_share_chart(fc, ctx, peers, pooled, FIELD_MIN_WORKS),
                lambda: charts.chart_data_field_share(fc, peers, pooled, FIELD_MIN_WORKS),
            )
        )
    if "impact_country_year" in frames:
        im = frames["impact_country_year"]
        pooled = win["pooled"]
        specs.append(
            _Spec(
                "top10",
                lambda ctx: charts.top10_chart(im, ctx, peers, pooled),
                lambda: charts.chart_data_top10(im, peers, pooled),
            )
        )
    if "growth_cagr" in frames:
        gc = frames["growth_cagr"]
        specs.append(
            _Spec(
                "growth_ranking",
                lambda ctx: charts.growth_ranking_chart(gc, ctx, peers, GROWTH_MEASURE),
                lambda: charts.chart_data_growth_ranking(gc, peers, GROWTH_MEASURE),
            )
        )
    return sorted(specs, key=lambda s: CHART_ORDER.index(s.chart_id))


def _title(fig, lang: str) -> str:
    """The chart's title as one line (the figure wraps it)."""
    for text in fig.texts:
        if text.get_gid() == "title":
            return ("" if lang == "ja" else " ").join(text.get_text().split("\n"))
    return ""


def _draw_all(
    settings: Settings, frames: dict[str, pl.DataFrame], info: dict, out: Path
) -> ChartSet:
    out.mkdir(parents=True, exist_ok=True)
    peers = peer_codes(settings)
    synthetic = _is_synthetic(frames, info, peers)
    result = ChartSet(out, synthetic=synthetic, data_date=info.get("data_date"))
    cy = frames["country_year"]
    if cy.filter(pl.col("country").is_in(peers)).height == 0:
        log.warning("no works for %s in the published database: no charts drawn", peers)
        result.skipped = {c: "no works for the peer countries" for c in CHART_ORDER}
        return result
    specs = _specs(settings, frames, info)
    drawn_ids = {s.chart_id for s in specs}
    for chart_id in CHART_ORDER:
        if chart_id not in drawn_ids:
            mart = CHART_MART[chart_id]
            result.skipped[chart_id] = f"mart {mart} is not in the database"
            log.info("chart %s skipped: mart %s is not in the database yet", chart_id, mart)
    for spec in specs:
        data = spec.data()
        if data.is_empty():
            reason = f"no rows to draw in mart {CHART_MART[spec.chart_id]}"
            result.skipped[spec.chart_id] = reason
            log.info("chart %s skipped: %s", spec.chart_id, reason)
            continue
        csv_path = out / f"{spec.chart_id}.csv"
        data.write_csv(csv_path)
        output = ChartOutput(
            spec.chart_id, CHART_ORDER.index(spec.chart_id) + 1, csv_path, data=data
        )
        for lang in settings.chart_langs:
            fig = spec.draw(_context(settings, info, lang, synthetic))
            output.titles[lang] = _title(fig, lang)
            output.files[lang] = charts.save_figure(fig, out, f"{spec.chart_id}_{lang}")
            result.files += output.files[lang]
        result.csv.append(csv_path)
        result.charts.append(output)
    return result


def render_charts(settings: Settings, out_dir: Path | None = None) -> ChartSet:
    """Draw every chart in every configured language; write PNG, SVG, PDF and CSV."""
    frames, info = load_frames(settings)
    out = Path(out_dir or settings.reports_dir / "charts")
    return _draw_all(settings, frames, info, out)


# --------------------------------------------------------------------------- key numbers


def _num(value: Any) -> float | int | None:
    """A JSON-safe number (DuckDB sums can arrive as Decimal)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    f = float(value)
    return int(f) if f.is_integer() and not isinstance(value, float) else f


def _ranks(values: dict[str, float | None]) -> dict[str, int | None]:
    """Competition ranks (1 = largest); None for missing values."""
    present = sorted((v for v in values.values() if v is not None), reverse=True)
    return {k: (present.index(v) + 1 if v is not None else None) for k, v in values.items()}


def key_numbers(
    settings: Settings, frames: dict[str, pl.DataFrame], info: dict, chart_set: ChartSet
) -> dict[str, Any]:
    """The numbers the report's tables and summary state, kept in the manifest for next time."""
    peers = peer_codes(settings)
    cy = frames["country_year"]
    last_year = int(cy["year"].max()) if cy.height else None
    out: dict[str, Any] = {"focus": settings.focus_country, "year": last_year, "peers": peers}
    countries: dict[str, dict[str, Any]] = {}
    rows = cy.filter((pl.col("year") == last_year) & pl.col("country").is_in(peers))
    for row in rows.iter_rows(named=True):
        countries[row["country"]] = {
            "works_whole": _num(row["works_whole"]),
            "works_fractional": _num(row["works_fractional"]),
            "works_international": _num(row["works_international"]),
            "international_share": _num(row["international_share"]),
        }
    for measure in ("works_international", "international_share"):
        ranks = _ranks({c: v[measure] for c, v in countries.items()})
        for c, r in ranks.items():
            countries[c][f"rank_{measure}"] = r
    by_id = {c.chart_id: c.data for c in chart_set.charts}
    growth = by_id.get("growth_ranking")
    if growth is not None and growth.height:
        windows = []
        for period in ("long", "recent"):
            part = growth.filter(pl.col("period") == period)
            if part.is_empty():
                continue
            ws, we = part.select("window_start", "window_end").row(0)
            windows.append({"period": period, "start": ws, "end": we})
            for row in part.iter_rows(named=True):
                entry = countries.setdefault(row["country"], {})
                entry[f"cagr_{period}"] = _num(row["cagr"])
                entry[f"rank_cagr_{period}"] = row["rank"]
        out["growth_windows"] = windows
        out["growth_measure"] = GROWTH_MEASURE
    top10 = by_id.get("top10")
    if top10 is not None and top10.height:
        out["top10_years"] = [int(top10["year_start"][0]), int(top10["year_end"][0])]
        for row in top10.iter_rows(named=True):
            countries.setdefault(row["country"], {})[f"top10_{row['collaboration']}"] = _num(
                row["top10_share"]
            )
    partners = by_id.get("partners")
    if partners is not None and partners.height:
        out["partner_window"] = [int(partners["window_start"][0]), int(partners["window_end"][0])]
        out["partners"] = [
            {
                "partner": r["partner"],
                "rank": _num(r["rank"]),
                "joint_works": _num(r["joint_works"]),
                "share_of_international": _num(r["partner_share_of_international"]),
                "joint_works_start": _num(r["joint_works_start"]),
                "joint_works_end": _num(r["joint_works_end"]),
                "cagr": _num(r["joint_growth_cagr"]),
            }
            for r in partners.iter_rows(named=True)
        ]
    dq = frames["data_quality_year"].filter(pl.col("year") == last_year)
    if dq.height:
        out["share_no_country"] = _num(dq["share_no_country"][0])
    out["countries"] = {c: countries[c] for c in peers if c in countries}
    return out


# --------------------------------------------------------------------------- texts

TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "lang_name": "日本語",
        "title": "国際共著の動向：日本と主要国の比較",
        "subtitle": "レポート作成日 {report_date}（データ: OpenAlex、{data_date}時点）",
        "synthetic": "注意：このレポートには合成データが含まれます（全{total}件中{synthetic}件）。"
        "数値は実際のOpenAlexの集計ではありません。",
        "summary": "前回からの変化と要点",
        "key_numbers": "主要指標（{year}年）",
        "partners": "{country}の主要共著相手国（{start}–{end}年）",
        "charts": "図表",
        "skipped": "作成しなかった図",
        "provenance": "データの出所と再現情報",
        "country": "国",
        "papers": "論文数",
        "intl_papers": "国際共著論文数",
        "intl_share": "国際共著率",
        "rank_papers": "順位（国際共著数）",
        "rank_share": "順位（国際共著率）",
        "cagr": "年平均成長率 {start}→{end}",
        "top10": "Top10%割合 {what}（{start}–{end}年）",
        "domestic": "国内",
        "international": "国際",
        "rank": "順位",
        "partner": "相手国",
        "joint": "共著論文数（期間計）",
        "partner_share": "{country}の国際共著に占める割合",
        "change": "共著数 {start}→{end}",
        "downloads": "ファイル",
        "data_csv": "数値（CSV）",
        "first": "比較できる過去のレポートはありません（今回が最初のレポートです）。",
        "state": "{year}年の{country}の国際共著論文は{intl}件で、論文全体（{whole}件）の"
        "{share}を占めます。主要{n}か国中、国際共著論文数は{rank_n}位、国際共著率は{rank_s}位です。",
        "since": "前回のレポート（{prev_date}作成、データ{prev_data_date}時点）と比べて：",
        "intl_change": "{country}の国際共著論文数（{year}年）：{prev}件 → {cur}件（{delta}）。",
        "intl_change_years": "{country}の国際共著論文数：{prev}件（{prev_year}年）→ {cur}件"
        "（{year}年）（{delta}）。",
        "share_change": "{country}の国際共著率：{prev} → {cur}（{delta}ポイント）。",
        "rank_move": "{country}：{what}の順位が{prev}位から{cur}位へ。",
        "no_rank_move": "主要国間の順位に変化はありません。",
        "growth": "{country}の国際共著論文数の年平均成長率（{start}→{end}年）：{cagr}"
        "（主要{n}か国中{rank}位）。",
        "unchanged": "変化なし",
        "what_intl": "国際共著論文数",
        "what_share": "国際共著率",
        "what_growth": "国際共著論文数の成長率",
        "report_date": "レポート作成日",
        "data_date": "データ時点",
        "built_at": "データベース作成日時",
        "git_commit": "プログラムのバージョン（git commit）",
        "works": "対象論文数（universe）",
        "synthetic_works": "うち合成データ",
        "settings": "設定",
        "skipped_reason": "{chart}：{reason}",
        "none": "なし",
        "coverage": "{year}年の論文のうち国情報がないもの：{share}",
        "unknown": "不明",
    },
    "en": {
        "lang_name": "English",
        "title": "International co-authorship: Japan compared with its peers",
        "subtitle": "Report of {report_date} (data: OpenAlex as of {data_date})",
        "synthetic": "Warning: this report includes synthetic data ({synthetic} of {total} works). "
        "Its numbers are not real OpenAlex figures.",
        "summary": "What changed, in brief",
        "key_numbers": "Key numbers, {year}",
        "partners": "{country}'s main co-authorship partners, {start}–{end}",
        "charts": "Charts",
        "skipped": "Charts not drawn",
        "provenance": "Provenance",
        "country": "Country",
        "papers": "Papers",
        "intl_papers": "International papers",
        "intl_share": "International share",
        "rank_papers": "Rank (international papers)",
        "rank_share": "Rank (share)",
        "cagr": "Growth per year {start}→{end}",
        "top10": "Top 10% share, {what} ({start}–{end})",
        "domestic": "domestic",
        "international": "international",
        "rank": "Rank",
        "partner": "Partner",
        "joint": "Joint papers (period)",
        "partner_share": "Share of {country}'s international papers",
        "change": "Joint papers {start}→{end}",
        "downloads": "Files",
        "data_csv": "numbers (CSV)",
        "first": "No earlier report to compare with: this is the first one.",
        "state": "In {year}, {country} published {intl} internationally co-authored papers, "
        "{share} of its {whole} papers. Among the {n} peers it ranks {rank_n} by international "
        "papers and {rank_s} by international share.",
        "since": "Compared with the previous report ({prev_date}, data as of {prev_data_date}):",
        "intl_change": "{country}'s international papers in {year}: {prev} → {cur} ({delta}).",
        "intl_change_years": "{country}'s international papers: {prev} in {prev_year} → {cur} in "
        "{year} ({delta}).",
        "share_change": "{country}'s international share: {prev} → {cur} ({delta} points).",
        "rank_move": "{country} moved from {prev} to {cur} by {what}.",
        "no_rank_move": "No rank changed among the peers.",
        "growth": "Average annual growth of {country}'s international papers, {start}→{end}: "
        "{cagr} (rank {rank} of {n}).",
        "unchanged": "unchanged",
        "what_intl": "international papers",
        "what_share": "international share",
        "what_growth": "growth of international papers",
        "report_date": "Report date",
        "data_date": "Data as of",
        "built_at": "Database built at",
        "git_commit": "Program version (git commit)",
        "works": "Works in the universe",
        "synthetic_works": "of which synthetic",
        "settings": "Settings",
        "skipped_reason": "{chart}: {reason}",
        "none": "none",
        "coverage": "Papers of {year} without any country: {share}",
        "unknown": "unknown",
    },
}


def _t(lang: str, key: str, **fields: Any) -> str:
    text = TEXTS[lang][key]
    return text.format(**fields) if fields else text


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _int(value: float | int | None) -> str:
    return "–" if value is None else f"{round(value):,}"


def _signed(value: float, digits: int) -> str:
    """'+1,234' / '−0.3' (true minus sign) / '0.0' when it rounds to zero."""
    text = f"{value:+,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return f"{0:.{digits}f}"
    return text.replace("-", "\u2212")


def _ordinal(n: int | None, lang: str) -> str:
    if n is None:
        return "–"
    if lang == "ja":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _name(code: str, lang: str) -> str:
    return charts.country_name(code, lang)


def change_summary(current: dict, previous: dict | None, lang: str) -> list[str]:
    """Short sentences: the focus country's state, and what changed since the last report."""
    focus = current["focus"]
    name = _name(focus, lang)
    countries = current.get("countries", {})
    me = countries.get(focus)
    lines: list[str] = []
    n = len(countries)
    if me:
        lines.append(
            _t(
                lang,
                "state",
                year=current["year"],
                country=name,
                intl=_int(me.get("works_international")),
                whole=_int(me.get("works_whole")),
                share=_pct(me.get("international_share")),
                n=n,
                rank_n=_ordinal(me.get("rank_works_international"), lang),
                rank_s=_ordinal(me.get("rank_international_share"), lang),
            )
        )
        recent = next(
            (w for w in current.get("growth_windows", []) if w["period"] == "recent"), None
        )
        if recent and me.get("cagr_recent") is not None:
            lines.append(
                _t(
                    lang,
                    "growth",
                    country=name,
                    cagr=_signed(me["cagr_recent"] * 100, 1) + "%",
                    start=recent["start"],
                    end=recent["end"],
                    rank=me.get("rank_cagr_recent"),
                    n=n,
                )
            )
    if previous is None:
        lines.append(_t(lang, "first"))
        return lines
    prev_numbers = previous.get("key_numbers") or {}
    prev_countries = prev_numbers.get("countries") or {}
    lines.append(
        _t(
            lang,
            "since",
            prev_date=previous.get("report_date", "?"),
            prev_data_date=previous.get("data_date") or _t(lang, "unknown"),
        )
    )
    prev_me = prev_countries.get(focus)
    if me and prev_me:
        cur_i, prev_i = me.get("works_international"), prev_me.get("works_international")
        if cur_i is None or prev_i is None:
            delta = "–"
        elif cur_i == prev_i:
            delta = _t(lang, "unchanged")
        else:
            delta = _signed(cur_i - prev_i, 0) + (
                f", {_signed((cur_i / prev_i - 1) * 100, 1)}%" if prev_i else ""
            )
        same_year = prev_numbers.get("year") == current["year"]
        lines.append(
            _t(
                lang,
                "intl_change" if same_year else "intl_change_years",
                country=name,
                year=current["year"],
                prev_year=prev_numbers.get("year"),
                prev=_int(prev_i),
                cur=_int(cur_i),
                delta=delta,
            )
        )
        cur_s, prev_s = me.get("international_share"), prev_me.get("international_share")
        lines.append(
            _t(
                lang,
                "share_change",
                country=name,
                prev=_pct(prev_s),
                cur=_pct(cur_s),
                delta="–" if None in (cur_s, prev_s) else _signed((cur_s - prev_s) * 100, 1),
            )
        )
    moves = []
    for code, cur in countries.items():
        before = prev_countries.get(code) or {}
        for key, what in (
            ("rank_works_international", "what_intl"),
            ("rank_international_share", "what_share"),
            ("rank_cagr_recent", "what_growth"),
        ):
            a, b = before.get(key), cur.get(key)
            if a is not None and b is not None and a != b:
                moves.append(
                    _t(
                        lang,
                        "rank_move",
                        country=_name(code, lang),
                        what=_t(lang, what),
                        prev=_ordinal(a, lang),
                        cur=_ordinal(b, lang),
                    )
                )
    lines.extend(moves or [_t(lang, "no_rank_move")])
    return lines


# --------------------------------------------------------------------------- provenance


def git_commit() -> str | None:
    """The commit of the coauthor checkout that made the report; None outside a checkout."""
    here = Path(__file__).resolve()
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=here.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if top.returncode != 0:
            return None
        # only our own checkout: not a git repository that merely contains an installed copy
        if (Path(top.stdout.strip()) / "src" / "coauthor" / "report.py").resolve() != here:
            return None
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return commit if head.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", commit) else None


def _version() -> str | None:
    try:
        return metadata.version("coauthor")
    except metadata.PackageNotFoundError:
        return None


def previous_manifest(out_root: Path, today: date) -> tuple[Path, dict] | None:
    """The newest readable ``<date>/manifest.json`` of a report dated before ``today``."""
    candidates = sorted(
        (
            p
            for p in out_root.glob("*/manifest.json")
            if _ISO_DATE.match(p.parent.name) and p.parent.name < today.isoformat()
        ),
        key=lambda p: p.parent.name,
        reverse=True,
    )
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("previous report %s is unreadable (%s); trying an older one", path, exc)
            continue
        if isinstance(data, dict):
            return path, data
    return None


def works_used(frames: dict[str, pl.DataFrame], info: dict, peers: list[str]) -> dict[str, Any]:
    cy = frames["country_year"]
    dq = frames["data_quality_year"]
    years = [int(cy["year"].min()), int(cy["year"].max())] if cy.height else None
    by_country = (
        cy.filter(pl.col("country").is_in(peers))
        .group_by("country")
        .agg(pl.col("works_whole").sum(), pl.col("works_international").sum())
    )
    return {
        "in_universe": info.get("works_in_universe"),
        "synthetic": info.get("synthetic_works"),
        "landed_records": info.get("landed_records"),
        "chart_years": years,
        "in_chart_years": _num(dq["works_in_universe"].sum()) if dq.height else 0,
        "with_country_in_chart_years": _num(
            (dq["works_in_universe"] - dq["works_no_country"]).sum()
        )
        if dq.height
        else 0,
        "by_country_in_chart_years": {
            r["country"]: {
                "works_whole": _num(r["works_whole"]),
                "works_international": _num(r["works_international"]),
            }
            for r in by_country.sort("country").iter_rows(named=True)
        },
    }


# --------------------------------------------------------------------------- html


@lru_cache(maxsize=1)
def _ja_font_path() -> str:
    import matplotlib_fontja  # noqa: F401 - imported by coauthor.charts already

    return matplotlib_fontja.get_font_ttf_path()


def font_face_css(text: str) -> str:
    """@font-face with IPAex Gothic cut down to the characters of ``text``, as a data URI.

    The page then shows its Japanese text on machines without a Japanese font. (The IPA
    Font License allows fonts embedded in a document for displaying that document.)
    """
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with matplotlib
        return ""
    import io

    chars = {ord(c) for c in text if ord(c) > 0x7F}
    if not chars:
        return ""
    quiet = logging.getLogger("fontTools")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # its INFO lines would flood `coauthor -v`
    try:
        font = TTFont(_ja_font_path())
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
    finally:
        quiet.setLevel(level)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        "@font-face{font-family:'coauthor-ja';"
        f"src:url(data:font/ttf;base64,{data}) format('truetype');"
        "font-weight:normal;font-style:normal;}\n"
    )


CSS = """
:root{--jp:#BC002D;--ink:#1d1d1f;--muted:#555;--rule:#d9d9d9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;
 font-family:'Segoe UI','Helvetica Neue',Arial,'coauthor-ja','Hiragino Sans','Yu Gothic',
 Meiryo,sans-serif;line-height:1.6;font-size:15px}
:lang(ja){font-family:'coauthor-ja','Hiragino Sans','Yu Gothic',Meiryo,sans-serif}
.page{max-width:1080px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6em;margin:.2em 0 .1em}
h2{font-size:1.25em;margin:1.8em 0 .6em;padding-bottom:.2em;border-bottom:2px solid var(--ink)}
h3{font-size:1.05em;margin:1.4em 0 .4em}
.subtitle{color:var(--muted);margin:0 0 1em}
.synthetic{border:2px solid #B00020;background:#FFF3F3;color:#8A0019;padding:10px 14px;
 font-weight:bold;margin:0 0 16px}
.langs{position:absolute;left:-9999px}
nav.switch{display:flex;gap:8px;justify-content:flex-end;margin-bottom:8px}
nav.switch label{border:1px solid var(--rule);padding:3px 12px;cursor:pointer;border-radius:3px}
#lang-ja:checked~.page nav label[for=lang-ja],#lang-en:checked~.page nav label[for=lang-en]
 {background:var(--ink);color:#fff;border-color:var(--ink)}
#lang-ja:checked~.page section.en,#lang-en:checked~.page section.ja{display:none}
ul.summary li{margin:.25em 0}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:.92em}
th,td{border-bottom:1px solid var(--rule);padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f4f4f4;font-weight:600;word-break:keep-all}
th:first-child,td:first-child{text-align:left;white-space:nowrap}
table.partners td:nth-child(2),table.partners th:nth-child(2){text-align:left;white-space:nowrap}
tr.focus td{background:#fbeef1;font-weight:600}
tr.focus td:first-child{color:var(--jp)}
figure{margin:1.2em 0 2em;break-inside:avoid;page-break-inside:avoid}
figure img{display:block;width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:var(--muted);margin-top:.3em}
figcaption a{color:inherit}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:.92em}
dl.prov dt{color:var(--muted)}
dl.prov dd{margin:0;word-break:break-all}
pre{background:#f7f7f7;padding:8px;font-size:.8em;overflow:auto}
@media print{nav.switch{display:none}.page{padding:0;max-width:none}body{font-size:11pt}}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _data_uri(path: Path) -> str:
    mime = {"svg": "image/svg+xml", "png": "image/png"}[path.suffix.lstrip(".")]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _key_table(numbers: dict, lang: str) -> str:
    countries = numbers.get("countries", {})
    focus = numbers["focus"]
    growth = {w["period"]: w for w in numbers.get("growth_windows", [])}
    top10 = numbers.get("top10_years")
    head = [
        _t(lang, "country"),
        _t(lang, "papers"),
        _t(lang, "intl_papers"),
        _t(lang, "intl_share"),
        _t(lang, "rank_papers"),
        _t(lang, "rank_share"),
    ]
    for period in ("long", "recent"):
        if period in growth:
            head.append(_t(lang, "cagr", start=growth[period]["start"], end=growth[period]["end"]))
    if top10:
        for what in ("domestic", "international"):
            head.append(_t(lang, "top10", what=_t(lang, what), start=top10[0], end=top10[1]))
    rows = []
    for code, v in countries.items():
        cells = [
            _name(code, lang),
            _int(v.get("works_whole")),
            _int(v.get("works_international")),
            _pct(v.get("international_share")),
            _ordinal(v.get("rank_works_international"), lang),
            _ordinal(v.get("rank_international_share"), lang),
        ]
        for period in ("long", "recent"):
            if period in growth:
                c = v.get(f"cagr_{period}")
                cells.append("–" if c is None else _signed(c * 100, 1) + "%")
        if top10:
            cells += [_pct(v.get("top10_domestic")), _pct(v.get("top10_international"))]
        cls = ' class="focus"' if code == focus else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return (
        '<table class="key-numbers"><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _partner_table(numbers: dict, lang: str) -> str:
    partners = numbers.get("partners")
    if not partners:
        return ""
    start, end = numbers["partner_window"]
    name = _name(numbers["focus"], lang)
    head = [
        _t(lang, "rank"),
        _t(lang, "partner"),
        _t(lang, "joint"),
        _t(lang, "partner_share", country=name),
        _t(lang, "change", start=start, end=end),
        _t(lang, "cagr", start=start, end=end),
    ]
    rows = []
    for p in partners:
        cells = [
            _int(p["rank"]),
            _name(p["partner"], lang),
            _int(p["joint_works"]),
            _pct(p["share_of_international"]),
            f"{_int(p['joint_works_start'])} → {_int(p['joint_works_end'])}",
            "–" if p["cagr"] is None else _signed(p["cagr"] * 100, 1) + "%",
        ]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return (
        f"<h3>{_e(_t(lang, 'partners', country=name, start=start, end=end))}</h3>"
        '<table class="partners"><thead><tr>'
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _section(lang: str, ctx: dict, root: Path) -> str:
    numbers = ctx["key_numbers"]
    manifest = ctx["manifest"]
    parts = [f'<section class="{lang}" lang="{lang}">']
    parts.append(f"<h1>{_e(_t(lang, 'title'))}</h1>")
    parts.append(
        '<p class="subtitle">'
        + _e(
            _t(
                lang,
                "subtitle",
                report_date=manifest["report_date"],
                data_date=manifest["data_date"] or _t(lang, "unknown"),
            )
        )
        + "</p>"
    )
    if manifest["synthetic"]:
        parts.append(
            '<div class="synthetic" role="alert">'
            + _e(
                _t(
                    lang,
                    "synthetic",
                    synthetic=_int(manifest["works"]["synthetic"]),
                    total=_int(manifest["works"]["in_universe"]),
                )
            )
            + "</div>"
        )
    parts.append(f"<h2>{_e(_t(lang, 'summary'))}</h2><ul class='summary'>")
    parts += [f"<li>{_e(line)}</li>" for line in manifest["summary"][lang]]
    parts.append("</ul>")
    if numbers.get("year") is not None:
        parts.append(f"<h2>{_e(_t(lang, 'key_numbers', year=numbers['year']))}</h2>")
        parts.append(_key_table(numbers, lang))
        if numbers.get("share_no_country") is not None:
            parts.append(
                "<p>"
                + _e(
                    _t(
                        lang,
                        "coverage",
                        year=numbers["year"],
                        share=_pct(numbers["share_no_country"], 2),
                    )
                )
                + "</p>"
            )
        parts.append(_partner_table(numbers, lang))
    parts.append(f"<h2>{_e(_t(lang, 'charts'))}</h2>")
    for chart in ctx["charts"]:
        files = chart.files.get(lang, [])
        svg = next((f for f in files if f.suffix == ".svg"), None)
        png = next((f for f in files if f.suffix == ".png"), None)
        image = svg or png
        if image is None:
            continue
        title = chart.titles.get(lang, chart.chart_id)
        links = " · ".join(
            f'<a href="{_e(f.relative_to(root).as_posix())}">{f.suffix.lstrip(".").upper()}</a>'
            for f in files
        )
        csv_link = (
            f'<a href="{_e(chart.csv.relative_to(root).as_posix())}">{_e(_t(lang, "data_csv"))}</a>'
        )
        parts.append(
            f'<figure id="{chart.chart_id}-{lang}" data-chart="{chart.chart_id}">'
            f'<img src="{_data_uri(image)}" alt="{_e(title)}">'
            f"<figcaption>{chart.number}. {_e(title)} — {_e(_t(lang, 'downloads'))}: "
            f"{links} · {csv_link}</figcaption></figure>"
        )
    if ctx["skipped"]:
        parts.append(f"<h3>{_e(_t(lang, 'skipped'))}</h3><ul>")
        parts += [
            f"<li>{_e(_t(lang, 'skipped_reason', chart=cid, reason=reason))}</li>"
            for cid, reason in ctx["skipped"].items()
        ]
        parts.append("</ul>")
    parts.append(f"<h2>{_e(_t(lang, 'provenance'))}</h2><dl class='prov'>")
    prov = [
        ("report_date", manifest["report_date"]),
        ("data_date", manifest["data_date"] or _t(lang, "unknown")),
        ("built_at", manifest.get("built_at") or _t(lang, "unknown")),
        ("git_commit", manifest["git_commit"] or _t(lang, "none")),
        ("works", _int(manifest["works"]["in_universe"])),
        ("synthetic_works", _int(manifest["works"]["synthetic"])),
    ]
    parts += [f"<dt>{_e(_t(lang, k))}</dt><dd>{_e(v)}</dd>" for k, v in prov]
    parts.append("</dl>")
    parts.append(
        f"<details><summary>{_e(_t(lang, 'settings'))}</summary><pre>"
        + _e(json.dumps(manifest["settings"], ensure_ascii=False, indent=1))
        + "</pre></details>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def render_html(langs: list[str], ctx: dict, root: Path) -> str:
    """The self-contained page: charts as data URIs, one section per language."""
    body = "\n".join(_section(lang, ctx, root) for lang in langs)
    switch = ""
    inputs = ""
    if len(langs) > 1:
        inputs = "".join(
            f'<input type="radio" class="langs" name="lang" id="lang-{lang}"'
            + (" checked" if i == 0 else "")
            + ">"
            for i, lang in enumerate(langs)
        )
        switch = (
            '<nav class="switch">'
            + "".join(
                f'<label for="lang-{lang}" lang="{lang}">{_e(_t(lang, "lang_name"))}</label>'
                for lang in langs
            )
            + "</nav>"
        )
    visible_text = re.sub(r"<[^>]+>", "", body + switch)
    first = langs[0]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{first}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(_t(first, 'title'))} {ctx['manifest']['report_date']}</title>"
        f"<style>{font_face_css(visible_text)}{CSS}</style></head>\n<body>"
        f'{inputs}<div class="page">{switch}\n{body}\n</div></body></html>\n'
    )


def render_brief(langs: list[str], ctx: dict, root: Path) -> str:
    """The brief in Markdown: summary, key numbers and the charts as linked PNGs."""
    manifest = ctx["manifest"]
    numbers = ctx["key_numbers"]
    out: list[str] = []
    for lang in langs:
        out.append(f"# {_t(lang, 'title')}\n")
        out.append(
            _t(
                lang,
                "subtitle",
                report_date=manifest["report_date"],
                data_date=manifest["data_date"] or _t(lang, "unknown"),
            )
            + "\n"
        )
        if manifest["synthetic"]:
            warn = _t(
                lang,
                "synthetic",
                synthetic=_int(manifest["works"]["synthetic"]),
                total=_int(manifest["works"]["in_universe"]),
            )
            out.append(f"> **{warn}**\n")
        out.append(f"## {_t(lang, 'summary')}\n")
        out += [f"- {line}" for line in manifest["summary"][lang]]
        out.append("")
        if numbers.get("year") is not None:
            out.append(f"## {_t(lang, 'key_numbers', year=numbers['year'])}\n")
            out.append(_markdown_table(_key_table(numbers, lang)))
            partner_html = _partner_table(numbers, lang)
            if partner_html:
                heading, _, table = partner_html.partition("</h3>")
                out.append(f"### {html.unescape(re.sub('<[^>]+>', '', heading))}\n")
                out.append(_markdown_table(table))
        out.append(f"## {_t(lang, 'charts')}\n")
        for chart in ctx["charts"]:
            png = next((f for f in chart.files.get(lang, []) if f.suffix == ".png"), None)
            if png is None:
                continue
            title = chart.titles.get(lang, chart.chart_id)
            out.append(f"### {chart.number}. {title}\n")
            out.append(f"![{title}]({png.relative_to(root).as_posix()})\n")
            links = ", ".join(
                f"[{f.suffix.lstrip('.').upper()}]({f.relative_to(root).as_posix()})"
                for f in chart.files.get(lang, [])
            )
            out.append(
                f"{_t(lang, 'downloads')}: {links}, "
                f"[{_t(lang, 'data_csv')}]({chart.csv.relative_to(root).as_posix()})\n"
            )
        if ctx["skipped"]:
            out.append(f"### {_t(lang, 'skipped')}\n")
            out += [
                f"- {_t(lang, 'skipped_reason', chart=c, reason=r)}"
                for c, r in ctx["skipped"].items()
            ]
            out.append("")
        out.append(f"## {_t(lang, 'provenance')}\n")
        out.append(f"- {_t(lang, 'report_date')}: {manifest['report_date']}")
        out.append(f"- {_t(lang, 'data_date')}: {manifest['data_date']}")
        out.append(f"- {_t(lang, 'git_commit')}: {manifest['git_commit'] or _t(lang, 'none')}")
        out.append(f"- {_t(lang, 'works')}: {_int(manifest['works']['in_universe'])}")
        out.append(f"- {_t(lang, 'synthetic_works')}: {_int(manifest['works']['synthetic'])}")
        out.append("\n")
    return "\n".join(out)


def _markdown_table(table_html: str) -> str:
    """An HTML table of ours (no spans, escaped text) as a Markdown table."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, flags=re.S)
    lines = []
    for i, row in enumerate(rows):
        cells = [
            html.unescape(c).replace("|", "\\|")
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append(
                "|" + "|".join("---" if j == 0 else "---:" for j in range(len(cells))) + "|"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the report


def write_report(
    settings: Settings, out_root: Path | None = None, *, today: date | None = None
) -> Path:
    """Write ``<out_root>/<today>/`` (default root: settings.reports_dir) and return it.

    The folder holds ``index.html`` (self-contained), ``brief.md``, ``manifest.json`` and
    ``charts/`` (PNG, SVG, PDF per chart and language, and one CSV per chart with exactly
    the numbers drawn). It is written beside and then renamed into place, so a reader
    never sees half a report; a second report on the same day replaces the first.
    """
    today = today or date.today()
    root = Path(out_root or settings.reports_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / today.isoformat()
    work = root / f".{today.isoformat()}.{uuid.uuid4().hex}.tmp"
    frames, info = load_frames(settings)
    previous = previous_manifest(root, today)
    try:
        chart_set = _draw_all(settings, frames, info, work / "charts")
        numbers = key_numbers(settings, frames, info, chart_set)
        langs = list(settings.chart_langs)
        manifest: dict[str, Any] = {
            "report_date": today.isoformat(),
            "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "data_date": info.get("data_date"),
            "built_at": info.get("built_at"),
            "git_commit": git_commit(),
            "coauthor_version": _version(),
            "synthetic": chart_set.synthetic,
            "works": works_used(frames, info, peer_codes(settings)),
            "settings": settings.public_dict(),
            "langs": langs,
            "marts_used": sorted(frames),
            "charts": [
                {
                    "id": c.chart_id,
                    "number": c.number,
                    "csv": c.csv.relative_to(work).as_posix(),
                    "rows": c.data.height if c.data is not None else None,
                    "titles": c.titles,
                    "files": {
                        lang: [f.relative_to(work).as_posix() for f in fs]
                        for lang, fs in c.files.items()
                    },
                }
                for c in chart_set.charts
            ],
            "skipped": chart_set.skipped,
            "key_numbers": numbers,
            "previous_report": None,
            "summary": {},
        }
        prev_data = None
        if previous is not None:
            prev_path, prev_data = previous
            manifest["previous_report"] = {
                "date": prev_path.parent.name,
                "path": prev_path.parent.name + "/manifest.json",
            }
        manifest["summary"] = {lang: change_summary(numbers, prev_data, lang) for lang in langs}
        ctx = {
            "manifest": manifest,
            "key_numbers": numbers,
            "charts": chart_set.charts,
            "skipped": chart_set.skipped,
        }
        (work / "index.html").write_text(render_html(langs, ctx, work), encoding="utf-8")
        (work / "brief.md").write_text(render_brief(langs, ctx, work), encoding="utf-8")
        (work / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
        old = None
        if final.exists():
            old = root / f".{today.isoformat()}.{uuid.uuid4().hex}.old"
            final.rename(old)
        work.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("report written to %s", final)
    return final
