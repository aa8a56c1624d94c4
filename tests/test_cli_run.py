"""The CLI in-process, `coauthor run` (the Prefect flow) on the bundled sample, and properties."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from prefect.testing.utilities import prefect_test_harness

from coauthor.cli import main
from coauthor.sample import REAL_WORKS
from tests import reference
from tests.conftest import HANDMADE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, prefect_harness):
    base = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(base / "data"), "run", "--charts-dir", str(base / "charts")],
        env={"COAUTHOR_REPORTS_DIR": str(base / "reports")},
    )
    assert result.exit_code == 0, result.output
    return base, result.output


def test_ingest_then_build_in_process(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    r1 = runner.invoke(main, ["--data-dir", data, "ingest", "snapshot", str(HANDMADE)])
    assert r1.exit_code == 0, r1.output
    assert "18 records" in r1.output.replace(",", "")
    r2 = runner.invoke(main, ["--data-dir", data, "build"])
    assert r2.exit_code == 0, r2.output
    assert "quarantined: 1 missing id, 1 missing publication_year, 1 unusable" in r2.output
    con = duckdb.connect(str(tmp_path / "data" / "coauthor.duckdb"), read_only=True)
    assert con.execute("select count(*) from country_year").fetchall() == [(9,)]


def test_build_with_nothing_landed_says_what_to_do(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "build"])
    assert r.exit_code == 1 and "coauthor ingest snapshot" in r.output


def test_run_prints_where_everything_is(sample_run) -> None:
    base, output = sample_run
    assert f"database: {(base / 'data' / 'coauthor.duckdb').resolve()}" in output
    assert f"charts:   {(base / 'charts').resolve()}" in output
    for name in ("international_index", "international_share"):
        for lang in ("ja", "en"):
            for ext in ("png", "svg", "pdf"):
                assert (base / "charts" / f"{name}_{lang}.{ext}").stat().st_size > 1000
        assert (base / "charts" / f"{name}.csv").exists()
    assert "synthetic" in output


def test_sample_lands_once(sample_run) -> None:
    from coauthor.pipeline import ingest_sample
    from coauthor.settings import load_settings

    base, _ = sample_run
    again = ingest_sample(load_settings(data_dir=base / "data"))
    assert again.landed == [] and len(again.skipped) == 2  # real records and synthetic corpus
    con = duckdb.connect(str(base / "data" / "coauthor.duckdb"), read_only=True)
    info = con.execute("select info->>'landed_records' from build_info").fetchall()[0][0]
    assert int(info) == 875 + _synthetic_count()


def _synthetic_count() -> int:
    from coauthor.pipeline import SYNTHETIC_SCALE
    from coauthor.sample.synthetic import generate_works

    return sum(1 for _ in generate_works(scale=SYNTHETIC_SCALE))


def test_properties_on_the_sample(sample_run) -> None:
    base, _ = sample_run
    con = duckdb.connect(str(base / "data" / "coauthor.duckdb"), read_only=True)
    # independent: works with at least one country per year, from the raw records in Python
    from coauthor.pipeline import SYNTHETIC_SCALE
    from coauthor.sample.synthetic import generate_works

    works = reference.read_works(REAL_WORKS) + list(generate_works(scale=SYNTHETIC_SCALE))
    with_country: dict[int, int] = defaultdict(int)
    for w in reference.latest(works).values():
        if reference.in_universe(w) and any(
            reference.authorship_countries(a) for a in w.get("authorships") or []
        ):
            with_country[w["publication_year"]] += 1
    frac = dict(
        con.execute("select year, sum(works_fractional) from country_year group by 1").fetchall()
    )
    assert set(frac) == set(with_country)
    for year, n in with_country.items():
        assert frac[year] == pytest.approx(n), year
    asym = con.execute(
        "select count(*) from country_pair_year a left join country_pair_year b"
        " on a.country = b.partner and a.partner = b.country and a.year = b.year"
        " where b.works is distinct from a.works"
    ).fetchall()[0][0]
    assert asym == 0
    bad = con.execute(
        "select count(*) from country_year where works_international > works_whole"
        " or works_domestic + works_international <> works_whole"
        " or works_bilateral + works_multilateral <> works_international"
        " or international_share not between 0 and 1"
    ).fetchall()[0][0]
    assert bad == 0


def test_serve_schedules_the_nightly_flow_in_tokyo_time(tmp_path: Path, monkeypatch) -> None:
    from coauthor import flows

    seen = {}
    monkeypatch.setattr(flows.nightly, "serve", lambda **kw: seen.update(kw), raising=False)
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "serve"])
    assert r.exit_code == 0, r.output
    (schedule,) = seen["schedules"]
    assert schedule.cron == "0 3 * * *" and schedule.timezone == "Asia/Tokyo"
    assert seen["name"] == "coauthor-nightly"
