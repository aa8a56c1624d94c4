"""The dated report: files, CSV = numbers drawn, self-contained HTML, provenance, changes.

One small database is built per module (the bundled sample at a tenth of the synthetic
corpus), so every chart is drawn from the real marts.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coauthor import charts, pipeline, report
from coauthor.cli import main
from coauthor.settings import Settings, load_settings
from tests.conftest import FIXTURES

FIX = FIXTURES / "report"
TODAY = date(2026, 12, 1)
SECRET = "sk-test-do-not-leak-3f9a"
CHROMIUM = Path("/usr/bin/chromium")
ALL_CHARTS = list(report.CHART_ORDER)


def _clean_environment(mp: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("COAUTHOR_"):
            mp.delenv(name)


@pytest.fixture(scope="module")
def settings_built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        _clean_environment(mp)
        mp.setattr(pipeline, "SYNTHETIC_SCALE", 0.1)
        settings = load_settings(
            data_dir=base / "data", reports_dir=base / "reports", openalex_api_key=SECRET
        )
        pipeline.ingest_sample(settings)
        pipeline.build(settings)
    return settings


@pytest.fixture(scope="module")
def written(settings_built: Settings) -> Path:
    """One report, written after three earlier ones: valid, unreadable, and in the future."""
    root = settings_built.reports_dir
    for day, text in (
        ("2026-11-05", (FIX / "previous_manifest.json").read_text(encoding="utf-8")),
        ("2026-11-20", "{ not json"),
        ("2027-01-01", json.dumps({"report_date": "2027-01-01", "key_numbers": {}})),
    ):
        (root / day).mkdir(parents=True, exist_ok=True)
        (root / day / "manifest.json").write_text(text, encoding="utf-8")
    (root / "charts").mkdir(parents=True, exist_ok=True)  # render_charts' folder: not a report
    with pytest.MonkeyPatch.context() as mp:
        _clean_environment(mp)
        return report.write_report(settings_built, today=TODAY)


@pytest.fixture(scope="module")
def manifest(written: Path) -> dict:
    return json.loads((written / "manifest.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- files


def test_report_folder_holds_every_file(written: Path, manifest: dict) -> None:
    assert written.name == TODAY.isoformat() and written.parent.name == "reports"
    for name in ("index.html", "brief.md", "manifest.json"):
        assert (written / name).stat().st_size > 500
    assert [c["id"] for c in manifest["charts"]] == ALL_CHARTS, manifest["skipped"]
    assert manifest["skipped"] == {}
    for chart in manifest["charts"]:
        assert (written / chart["csv"]).exists()
        for lang in ("ja", "en"):
            names = [Path(f).name for f in chart["files"][lang]]
            assert names == [f"{chart['id']}_{lang}.{ext}" for ext in ("png", "svg", "pdf")]
            png = (written / chart["files"][lang][0]).read_bytes()
            assert png.startswith(b"\x89PNG")
            assert _png_dpi(png) == pytest.approx(300, abs=1)
            assert (written / chart["files"][lang][2]).read_bytes().startswith(b"%PDF")
    leftovers = [p.name for p in written.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "temporary folders left behind"


def _png_dpi(data: bytes) -> float:
    at = data.index(b"pHYs")
    x, _y, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # per metre
    return x * 0.0254


# --------------------------------------------------------------------------- CSV = drawn


def _drawn(chart_id: str, fig: Figure) -> dict[str, float]:
    """The numbers on the figure, keyed the way `_expected` keys the CSV rows."""
    ax = fig.axes[0]
    if chart_id in ("international_index", "international_share", "coverage"):
        out = {}
        for line in ax.get_lines():
            if line.get_gid() in (None, "reference"):
                continue
            for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
                out[f"{line.get_gid()}:{int(x)}"] = float(y)
        return out
    if chart_id in ("composition", "top10"):
        return {
            p.get_gid(): float(p.get_width())
            for p in ax.patches
            if isinstance(p, Rectangle) and p.get_gid() and not p.get_gid().endswith("outline")
        }
    if chart_id in ("partners", "growth_ranking"):
        return {
            line.get_gid(): float(np.asarray(line.get_xdata(), float)[0])
            for line in ax.get_lines()
            if line.get_gid() and len(line.get_xdata()) == 1
        }
    if chart_id in ("partner_heatmap", "field_share"):
        (mesh,) = [c for c in ax.collections if c.get_gid() == "heatmap"]
        values = np.ma.filled(np.ma.asarray(mesh.get_array(), dtype=float), np.nan).ravel()
        return {str(i): float(v) for i, v in enumerate(values)}
    raise AssertionError(f"no extractor for {chart_id}")


def _expected(chart_id: str, data: pl.DataFrame) -> dict[str, float]:
    nan = float("nan")

    def val(v: object) -> float:
        return nan if v is None else float(v)  # type: ignore[arg-type]

    rows = data.to_dicts()
    if chart_id == "international_index":
        return {f"{r['country']}:{r['year']}": val(r["index"]) for r in rows}
    if chart_id == "international_share":
        return {f"{r['country']}:{r['year']}": val(r["percent"]) for r in rows}
    if chart_id == "coverage":
        return {f"coverage:{r['year']}": val(r["percent"]) for r in rows}
    if chart_id == "composition":
        return {
            f"{r['country']}:{seg}": val(r[f"pct_{seg}"])
            for r in rows
            for seg in ("domestic", "bilateral", "multilateral")
        }
    if chart_id == "top10":
        return {f"{r['country']}:{r['collaboration']}": val(r["percent"]) for r in rows}
    if chart_id == "partners":
        out = {}
        for r in rows:
            out[f"{r['partner']}:start"] = val(r["joint_works_start"])
            out[f"{r['partner']}:end"] = val(r["joint_works_end"])
        return out
    if chart_id == "growth_ranking":
        return {f"{r['country']}:{r['period']}": val(r["percent"]) for r in rows}
    if chart_id == "partner_heatmap":
        return {str(i): val(r["value"]) for i, r in enumerate(rows)}
    if chart_id == "field_share":
        return {str(i): val(r["percent"]) for i, r in enumerate(rows)}
    raise AssertionError(f"no expectation for {chart_id}")


def test_every_csv_holds_exactly_the_numbers_drawn(
    settings_built: Settings, written: Path, manifest: dict
) -> None:
    frames, info = report.load_frames(settings_built)
    specs = {s.chart_id: s for s in report._specs(settings_built, frames, info)}
    ctx = charts.ChartContext("en", info["data_date"], "whole", ("article",), True, 3)
    for chart in manifest["charts"]:
        spec = specs[chart["id"]]
        data = spec.data()
        shipped = pl.read_csv(written / chart["csv"], schema=data.schema)
        assert shipped.equals(data), chart["id"]
        assert chart["rows"] == shipped.height > 0
        drawn = _drawn(chart["id"], spec.draw(ctx))
        expected = _expected(chart["id"], shipped)
        assert drawn.keys() == expected.keys(), chart["id"]
        keys = sorted(expected)
        np.testing.assert_allclose(
            [drawn[k] for k in keys],
            [expected[k] for k in keys],
            equal_nan=True,
            err_msg=chart["id"],
        )


# --------------------------------------------------------------------------- HTML


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.sections: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(a)
        if tag == "section":
            self.sections.append(a.get("lang", ""))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])


def _decode(uri: str) -> tuple[str, bytes]:
    m = re.fullmatch(r"data:([\w/+.-]+);base64,([A-Za-z0-9+/=]+)", uri)
    assert m, uri[:80]
    return m.group(1), base64.b64decode(m.group(2), validate=True)


def test_every_image_of_the_page_is_embedded_and_valid(written: Path, manifest: dict) -> None:
    page = (written / "index.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(page)
    assert parser.sections == ["ja", "en"]
    assert len(parser.images) == len(manifest["charts"]) * 2
    for img in parser.images:
        assert img["alt"], "every chart has its title as alt text"
        mime, data = _decode(img["src"])
        assert mime == "image/svg+xml" and len(data) > 10_000
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        width = float(re.sub(r"[a-z]+$", "", root.get("width", "0")))
        height = float(re.sub(r"[a-z]+$", "", root.get("height", "0")))
        assert width > 0 and height > 0
        assert b'id="synthetic-banner"' in data  # synthetic data is marked on each chart
    # no external resource: every link is a file of the report folder
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    for href in parser.links:
        assert (written / href).is_file(), href
    font = re.search(r"url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)", page)
    assert font and base64.b64decode(font.group(1))[:4] == b"\x00\x01\x00\x00"


def test_synthetic_data_is_flagged_at_the_top(written: Path) -> None:
    page = (written / "index.html").read_text(encoding="utf-8")
    for section in re.findall(r"<section.*?</section>", page, flags=re.S):
        banner = section.find('class="synthetic"')
        assert 0 < banner < section.find("<figure")
    brief = (written / "brief.md").read_text(encoding="utf-8")
    assert "> **注意：このレポートには合成データが含まれます" in brief
    assert "> **Warning: this report includes synthetic data" in brief


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (/usr/bin/chromium)")
def test_the_page_renders_in_headless_chromium(written: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1400,4000",
            (written / "index.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 50_000, result.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=int)
    assert pixels.shape[:2] == (4000, 1400)
    # the first chart (its lines and the synthetic banner) is painted: Japan's red appears
    jp_red = np.all(np.abs(pixels - np.array([0xBC, 0x00, 0x2D])) < 40, axis=2)
    assert jp_red.sum() > 500
    assert (pixels.min(axis=2) < 128).mean() > 0.01  # not a blank page


# --------------------------------------------------------------------------- provenance


def test_manifest_tells_where_the_numbers_come_from(
    settings_built: Settings, written: Path, manifest: dict
) -> None:
    con = duckdb.connect(str(settings_built.db_path), read_only=True)
    info = json.loads(con.execute("select info from build_info").fetchall()[0][0])
    con.close()
    assert manifest["report_date"] == TODAY.isoformat()
    assert manifest["data_date"] == info["data_date"]
    assert manifest["works"]["in_universe"] == info["works_in_universe"]
    assert manifest["works"]["synthetic"] == info["synthetic_works"] > 0
    assert manifest["synthetic"] is True
    assert manifest["works"]["by_country_in_chart_years"]["JP"]["works_whole"] > 0
    commit = manifest["git_commit"]
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert manifest["settings"]["peers"] == settings_built.peers
    assert manifest["settings"]["openalex_api_key"] == "set"
    for path in written.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_git_commit_is_none_outside_a_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*_a, **_k):
        raise FileNotFoundError("git")

    monkeypatch.setattr(report.subprocess, "run", no_git)
    assert report.git_commit() is None


# --------------------------------------------------------------------------- what changed


def test_summary_compares_with_the_newest_earlier_readable_report(
    manifest: dict, caplog: pytest.LogCaptureFixture
) -> None:
    assert manifest["previous_report"] == {
        "date": "2026-11-05",
        "path": "2026-11-05/manifest.json",
    }
    en = manifest["summary"]["en"]
    assert en[0].startswith(f"In {manifest['key_numbers']['year']}, Japan published")
    assert any(line.startswith("Compared with the previous report (2026-11-05") for line in en)
    jp = manifest["key_numbers"]["countries"]["JP"]
    assert any(f"70 in 2024 → {jp['works_international']:,}" in line for line in en), en
    ja = manifest["summary"]["ja"]
    assert any("前回のレポート（2026-11-05作成" in line for line in ja)


def test_change_summary_sentences() -> None:
    current = {
        "focus": "JP",
        "year": 2025,
        "countries": {
            "JP": {
                "works_whole": 200,
                "works_international": 110,
                "international_share": 0.55,
                "rank_works_international": 7,
                "rank_international_share": 5,
                "cagr_recent": -0.0123,
                "rank_cagr_recent": 7,
            },
            "US": {"rank_works_international": 1, "rank_international_share": 6},
        },
        "growth_windows": [{"period": "recent", "start": 2020, "end": 2025}],
    }
    previous = {
        "report_date": "2026-10-01",
        "data_date": "2026-09-01",
        "key_numbers": {
            "year": 2025,
            "countries": {
                "JP": {
                    "works_international": 100,
                    "international_share": 0.56,
                    "rank_works_international": 7,
                    "rank_international_share": 6,
                },
                "US": {"rank_works_international": 1, "rank_international_share": 5},
            },
        },
    }
    en = report.change_summary(current, previous, "en")
    assert en[1] == (
        "Average annual growth of Japan's international papers, 2020→2025: "
        "\u22121.2% (rank 7 of 2)."
    )
    assert "Japan's international papers in 2025: 100 → 110 (+10, +10.0%)." in en
    assert "Japan's international share: 56.0% → 55.0% (\u22121.0 points)." in en
    assert "Japan moved from 6th to 5th by international share." in en
    assert "United States moved from 5th to 6th by international share." in en
    ja = report.change_summary(current, previous, "ja")
    assert "日本：国際共著率の順位が6位から5位へ。" in ja
    same = report.change_summary(current, {**previous, "key_numbers": current}, "en")
    assert "No rank changed among the peers." in same
    assert any("(unchanged)" in line for line in same)
    first = report.change_summary(current, None, "ja")
    assert first[-1].startswith("比較できる過去のレポートはありません")


# --------------------------------------------------------------------------- skipping, CLI


@pytest.fixture
def bare_settings(settings_built: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the database without the optional marts; charts saved as SVG only (fast)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(settings_built.db_path.resolve(), data / "coauthor.duckdb")
    con = duckdb.connect(str(data / "coauthor.duckdb"))
    for mart in report.OPTIONAL_MARTS:
        con.execute(f"drop table if exists {mart}")
    con.close()
    real_save = charts.save_figure
    monkeypatch.setattr(
        report.charts,
        "save_figure",
        lambda fig, out, name, **_k: real_save(fig, out, name, formats=("svg",)),
    )
    return load_settings(data_dir=data, reports_dir=tmp_path / "reports", chart_langs=["en"])


def test_charts_of_missing_marts_are_skipped_with_a_note(
    bare_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="coauthor")
    result = report.render_charts(bare_settings)
    drawn = [c.chart_id for c in result.charts]
    assert drawn == ["international_index", "international_share", "composition", "coverage"]
    assert set(result.skipped) == {
        "partners",
        "partner_heatmap",
        "field_share",
        "top10",
        "growth_ranking",
    }
    assert result.skipped["top10"] == "mart impact_country_year is not in the database"
    assert "mart partner_window is not in the published database" in caplog.text
    assert sorted(p.name for p in result.out_dir.glob("*.csv")) == sorted(f"{c}.csv" for c in drawn)


def test_report_command_replaces_a_report_of_the_same_day(bare_settings: Settings) -> None:
    out = bare_settings.reports_dir
    runner = CliRunner()
    args = ["--data-dir", str(bare_settings.data_dir), "report", "--lang", "en", "--out", str(out)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    folder = out / date.today().isoformat()
    assert f"report → {folder}" in first.output
    (folder / "stale.txt").write_text("from the first run")
    second = runner.invoke(main, args)
    assert second.exit_code == 0, second.output
    assert not (folder / "stale.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == [folder.name]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["langs"] == ["en"] and manifest["previous_report"] is None
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Charts not drawn" in page and 'lang="ja"' not in page
