"""Ingestion of every input format and schema generation in the real OpenAlex fixtures."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from coauthor import pipeline
from coauthor.errors import InputFormatError
from coauthor.landing import LandingZone, file_sha256
from coauthor.settings import load_settings
from tests import reference
from tests.conftest import REAL, build_from, rows

ALL_WORKS = REAL / "all_works_dedup.jsonl.gz"


@pytest.fixture(scope="module")
def every_type(tmp_path_factory):
    """All 875 real works with a universe of every type, retracted and paratext included."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("real") / "data",
        types="*",
        include_retracted=True,
        include_paratext=True,
    )
    return build_from(settings, ALL_WORKS)


def test_countries_distinct_count_reproduced(every_type) -> None:
    works = reference.read_works(ALL_WORKS)
    have_cdc = {
        w["id"].rsplit("/", 1)[-1]: w["countries_distinct_count"]
        for w in works
        if w.get("countries_distinct_count") is not None and not w.get("is_authors_truncated")
    }
    assert len(have_cdc) > 700  # the fixture really exercises this
    ours = dict(
        rows(
            every_type,
            "select work_id, any_value(countries_in_work) from int_work_countries group by 1",
        )
    )
    mismatches = {w: (cdc, ours.get(w, 0)) for w, cdc in have_cdc.items() if ours.get(w, 0) != cdc}
    assert mismatches == {}


def test_truncated_works_are_flagged(every_type) -> None:
    # SOURCES.md: 5 works carry is_authors_truncated: true
    works = reference.read_works(ALL_WORKS)
    assert sum(bool(w.get("is_authors_truncated")) for w in works) == 5
    got = rows(every_type, "select sum(works_truncated_authorships) from data_quality_year")[0][0]
    assert got == 5


def test_marts_equal_independent_python_reference(settings) -> None:
    con = build_from(settings, ALL_WORKS)
    expected = reference.country_year(reference.read_works(ALL_WORKS))
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select country, year, works_whole, works_fractional, works_international,"
            " works_bilateral, works_multilateral, works_domestic from country_year",
        )
    }
    assert set(got) == set(expected)
    for key, e in expected.items():
        g = got[key]
        assert (g[0], g[2], g[3], g[4], g[5]) == (
            e["whole"],
            e["intl"],
            e["bi"],
            e["multi"],
            e["dom"],
        ), key
        assert g[1] == pytest.approx(float(e["frac"])), key


@pytest.mark.parametrize(
    "path, records",
    [
        # counts from SOURCES.md of shared/data/openalex
        (REAL / "api" / "results_page_1.json", 2),  # cursor page, 2026 schema
        (REAL / "api" / "results_page_2.json", 0),  # end of a cursor chain: results []
        (REAL / "api" / "works_page_2020_2023_per_page_50.json", 50),  # truncated authorships
        (REAL / "api" / "works_array_sample.json", 100),  # a JSON array of works
        (REAL / "snapshot" / "works" / "W2741809807", 1),  # a single work object, no suffix
        (ALL_WORKS, 875),  # JSON Lines with U+2028 inside strings
    ],
)
def test_each_input_format_lands_every_record(settings, path: Path, records: int) -> None:
    result = pipeline.ingest_snapshot(settings, [path])
    assert result.records == records
    with LandingZone(settings.landing_dir) as zone:
        (landed,) = zone.landed_files()
        assert landed.sha256 == file_sha256(landed.path)
        assert landed.records == records
        assert landed.path.name.endswith(".jsonl.gz")
    # the landed file holds exactly the records, one per line
    lines = [x for x in gzip.decompress(landed.path.read_bytes()).split(b"\n") if x.strip()]
    assert len(lines) == records


def test_snapshot_folder_lands_parts_and_checks_manifest(settings) -> None:
    result = pipeline.ingest_snapshot(settings, [REAL / "snapshot" / "works"])
    # updated_date=2021-11-03 (50 works) and updated_date=2023-05-16 (27, empty authorships)
    assert sorted(f.records for f in result.landed) == [27, 50]
    snapshot_part = REAL / "snapshot/works/updated_date=2021-11-03/part_000.gz"
    landed = {Path(f.origin).name + f.origin[-30:]: f for f in result.landed}
    assert any(f.sha256 == file_sha256(snapshot_part) for f in landed.values()), (
        "gzip parts are landed byte for byte"
    )


def test_reingesting_same_file_is_a_no_op(settings) -> None:
    first = pipeline.ingest_snapshot(settings, [ALL_WORKS])
    second = pipeline.ingest_snapshot(settings, [ALL_WORKS])
    assert first.records == 875
    assert second.landed == [] and second.skipped == [str(ALL_WORKS)]


def test_u2028_lines_are_not_split(settings) -> None:
    raw = gzip.decompress(ALL_WORKS.read_bytes())
    assert "\u2028".encode() in raw  # the fixture really has it
    pipeline.ingest_snapshot(settings, [ALL_WORKS])
    con = build_from(settings)
    assert rows(con, "select count(*) from stg_openalex__works")[0][0] == 875


def test_old_and_new_schema_together(settings) -> None:
    con = build_from(
        settings,
        REAL / "snapshot" / "works",  # 2021 snapshot records without authorships[].countries
        REAL / "api" / "works_page_2020_2023_per_page_50.json",  # 2025 API page
    )
    n, ids = rows(con, "select count(*), count(distinct work_id) from stg_openalex__works")[0]
    assert (n, ids) == (127, 127)
    # 2021 part: SOURCES.md says 19 of its 50 works have a country (institutions only)
    old = rows(
        con,
        "select count(distinct w.work_id) from stg_openalex__works w, unnest(w.authorships) a,"
        " unnest(a.unnest.institutions) i where w.source_file like '%part_000%'"
        " and i.unnest.country_code is not null and w.updated_at < '2022-01-01'",
    )[0][0]
    assert old == 19


def test_manifest_records_origin_checksum_and_count_and_verify_finds_damage(settings) -> None:
    import json

    pipeline.ingest_snapshot(settings, [ALL_WORKS])
    pipeline.build(settings)
    rows = [
        json.loads(x)
        for x in (settings.landing_dir / "manifest.jsonl").read_text().split("\n")
        if x
    ]
    assert len(rows) == 1
    assert rows[0]["origin"] == str(ALL_WORKS.resolve())
    assert rows[0]["records"] == 875 and len(rows[0]["sha256"]) == 64
    with LandingZone(settings.landing_dir) as zone:
        assert zone.verify() == []
        path = zone.landed_files()[0].path
        path.write_bytes(path.read_bytes()[:-10])
        assert zone.verify() == [str(path)]


def test_parquet_parts_give_the_same_marts_as_json_lines(tmp_path) -> None:
    """The snapshot's Parquet edition: a part written as Parquet from the same real works."""
    import duckdb

    part = tmp_path / "updated_date=2026-01-01" / "part_000.parquet"
    part.parent.mkdir()
    with duckdb.connect() as con:
        con.execute(f"copy (select * from read_json('{ALL_WORKS}')) to '{part}' (format parquet)")
    marts = []
    for name, path in (("parquet", part), ("jsonl", ALL_WORKS)):
        s = load_settings(data_dir=tmp_path / name)
        result = pipeline.ingest_snapshot(s, [path])
        assert result.records == 875
        con = build_from(s)
        marts.append(
            [
                # floats rounded: the order of summation differs between the two files
                [
                    tuple(round(v, 9) if isinstance(v, float) else v for v in r)
                    for r in rows(con, f"select * from {m} order by all")
                ]
                for m in ("country_year", "country_pair_year", "data_quality_year")
            ]
        )
    assert marts[0][0] and marts[0] == marts[1]


def test_a_parquet_file_of_institutions_is_refused(tmp_path) -> None:
    import duckdb

    part = tmp_path / "institutions.parquet"
    inst = REAL / "snapshot/institutions/updated_date=2023-09-04/part_000.gz"
    with duckdb.connect() as con:
        con.execute(f"copy (select id, display_name from read_json('{inst}')) to '{part}'")
    settings = load_settings(data_dir=tmp_path / "d")
    with pytest.raises(InputFormatError, match="institution") as err:
        pipeline.ingest_snapshot(settings, [part])
    assert err.value.line == 1
