"""Analyst access: `coauthor sql` refusals and formats, `coauthor quality`, docs/schema.md."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from coauthor import analyst, warehouse
from coauthor.cli import main
from coauthor.errors import ReadOnlyViolation
from coauthor.settings import load_settings
from tests.conftest import FIXTURES, build_from

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("analyst") / "data"
    settings = load_settings(data_dir=base, growth_windows="2018-2022,2020-2022")
    build_from(settings, FIXTURES / "indicators" / "works.jsonl").close()
    return base


def cli(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


# -- refusals ------------------------------------------------------------------------------------
REFUSED = {
    "copy to": "copy country_year to '{tmp}/out.csv'",
    "copy select to": "copy (select * from country_year) to '{tmp}/out.parquet' (format parquet)",
    "attach": "attach '{tmp}/other.duckdb' as other",
    "install": "install httpfs",
    "load": "load httpfs",
    "read_csv": "select * from read_csv('/etc/passwd')",
    "read_csv in a subquery": "select count(*) from (select * from read_csv_auto('/etc/passwd'))",
    "path as table": "select * from '/etc/passwd'",
    "read_text": "select content from read_text('/etc/passwd')",
    "glob": "select * from glob('/etc/*')",
    "read_parquet": "select * from read_parquet('{tmp}/*.parquet')",
    "create table": "create table mine as select 1 as a",
    "create temp table": "create temp table mine as select 1 as a",
    "drop": "drop table country_year",
    "insert": "insert into quarantine values (null, 'x', null, 'y')",
    "update": "update country_year set works_whole = 0",
    "delete": "delete from country_year",
    "multiple statements": "select 1; drop table country_year",
    "two selects": "select 1; select 2",
    "export": "export database '{tmp}/dump'",
    "set": "set enable_external_access = true",
    "pragma that sets": "pragma threads = 1",
    "pragma not listed": "pragma enable_profiling",
    "explain analyze copy": "explain analyze copy country_year to '{tmp}/out.csv'",
    "call": "call pragma_version()",
    "checkpoint": "checkpoint",
    "use": "use memory",
    "detach": "detach coauthor",
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_sql_refuses_writes_and_file_access(data_dir: Path, tmp_path: Path, name: str) -> None:
    query = REFUSED[name].format(tmp=tmp_path)
    result = cli(data_dir, "sql", query)
    assert result.exit_code == ReadOnlyViolation.exit_code, (name, result.output)
    assert "refused" in result.output, result.output
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_run_query_raises_read_only_violation(data_dir: Path) -> None:
    settings = load_settings(data_dir=data_dir)
    with pytest.raises(ReadOnlyViolation, match="read_csv"):
        analyst.run_query(settings, "select * from read_csv('/etc/passwd')")
    with pytest.raises(ReadOnlyViolation, match="2 statements"):
        analyst.run_query(settings, "select 1; select 2")


def test_connection_itself_forbids_files_and_writes(data_dir: Path, tmp_path: Path) -> None:
    """The second layer alone, without the statement check."""
    con = analyst.connect(load_settings(data_dir=data_dir))
    try:
        for query in (
            "select * from read_csv('/etc/passwd')",
            f"copy country_year to '{tmp_path}/x.csv'",
            f"attach '{tmp_path}/x.duckdb'",
        ):
            with pytest.raises(duckdb.PermissionException):
                con.execute(query).fetchall()
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("set enable_external_access = true").fetchall()
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table t as select 1").fetchall()
    finally:
        con.close()
    assert list(tmp_path.iterdir()) == []


def test_sql_allows_read_only_statements(data_dir: Path) -> None:
    for query in (
        "with t as (select 1 as a) select * from t",
        "from country_year limit 1",
        "describe growth_cagr",
        "show tables",
        "summarize country_year",
        "explain select * from country_year",
        "/* why */ explain analyze select count(*) from partner_year",
        "pragma table_info('growth_cagr')",
        "select * from query_table('country_year') limit 1",
    ):
        result = cli(data_dir, "sql", query, "--format", "csv")
        assert result.exit_code == 0, (query, result.output)


def test_sql_reports_missing_database_and_bad_sql(tmp_path: Path, data_dir: Path) -> None:
    result = cli(tmp_path / "empty", "sql", "select 1")
    assert result.exit_code == 1 and "coauthor build" in result.output
    result = cli(data_dir, "sql", "selec 1")
    assert result.exit_code == 1 and "does not parse" in result.output
    result = cli(data_dir, "sql", "select * from no_such_mart")
    assert result.exit_code == 1 and "no_such_mart" in result.output


# -- formats -------------------------------------------------------------------------------------
# 2022 whole counts from tests/fixtures/indicators/README.md: CN 1, GB 1, JP 6, KR 1, US 2
QUERY_2022 = "select country, works_whole from country_year where year = 2022 order by country"
EXPECTED_2022 = [("CN", 1), ("GB", 1), ("JP", 6), ("KR", 1), ("US", 2)]


def test_sql_format_table(data_dir: Path) -> None:
    result = cli(data_dir, "sql", QUERY_2022)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].replace(" ", "") == "|country|works_whole|"
    assert [line.replace(" ", "") for line in lines[2:7]] == [
        f"|{c}|{n}|" for c, n in EXPECTED_2022
    ]
    assert lines[-1] == "(5 rows)"


def test_sql_format_csv_to_stdout_and_file(data_dir: Path, tmp_path: Path) -> None:
    result = cli(data_dir, "sql", QUERY_2022, "--format", "csv")
    assert result.exit_code == 0, result.output
    parsed = list(csv.reader(io.StringIO(result.output)))
    assert parsed == [["country", "works_whole"]] + [[c, str(n)] for c, n in EXPECTED_2022]
    out = tmp_path / "r.csv"
    result = cli(data_dir, "sql", QUERY_2022, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert list(csv.reader(out.open())) == parsed


def test_sql_format_json(data_dir: Path) -> None:
    # sum() of integers is a HUGEINT in DuckDB: JSON still shows a number (6 + 1 + 1 + 1 + 2)
    result = cli(
        data_dir,
        "sql",
        "select sum(works_whole) as works, 'x' as label from country_year where year = 2022",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"works": 11, "label": "x"}]
    result = cli(data_dir, "sql", QUERY_2022, "--format", "json")
    assert json.loads(result.output) == [{"country": c, "works_whole": n} for c, n in EXPECTED_2022]


def test_sql_format_parquet_needs_out(data_dir: Path, tmp_path: Path) -> None:
    result = cli(data_dir, "sql", QUERY_2022, "--format", "parquet")
    assert result.exit_code == 2 and "--out" in result.output
    out = tmp_path / "r.parquet"
    result = cli(data_dir, "sql", QUERY_2022, "--format", "parquet", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(out).rows() == EXPECTED_2022


# -- coauthor quality ----------------------------------------------------------------------------
def test_quality_command(data_dir: Path) -> None:
    result = cli(data_dir, "quality")
    assert result.exit_code == 0, result.output
    by_year = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:8]}
    # works, no country, share, truncated, raw-affiliation-only authorships (fixture README):
    # 2020: W10 W11 W12 W13 W14 W25; W25 has no country; W10 truncated; W13 KR raw only
    assert by_year["2020"] == ["6", "1", "16.7%", "1", "1"]
    assert by_year["2018"] == ["5", "0", "0.0%", "0", "0"]
    # all years: 5 + 4 + 6 + 4 + 6 = 25 works, 1 without a country
    assert result.output.splitlines()[8].split() == ["all", "25", "1", "4.0%", "1", "1"]
    assert "missing id" in result.output and "unusable publication_year" in result.output


# -- docs/schema.md agrees with the model headers and the database ---------------------------------
def test_schema_doc_is_generated_from_the_headers() -> None:
    expected = analyst.schema_markdown()
    current = (DOCS / "schema.md").read_text(encoding="utf-8")
    assert current == expected, (
        "docs/schema.md is out of date: run "
        "`python3 -m uv run python -m coauthor.analyst schema > docs/schema.md`"
    )
    for mart in analyst.marts():
        assert f"### {mart.name}\n" in current
        for column in mart.columns:
            assert f"| `{column}` |" in current, (mart.name, column)
    assert analyst.HEADLINE_QUERY in current


def test_mart_headers_document_exactly_the_built_columns(data_dir: Path) -> None:
    con = warehouse.connect_readonly(load_settings(data_dir=data_dir))
    try:
        for mart in analyst.marts():
            built = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where table_name = ?"
                    " order by column_index",
                    [mart.name],
                ).fetchall()
            ]
            assert built == list(mart.columns), mart.name
            assert mart.grain and mart.description, mart.name
    finally:
        con.close()


def test_every_mart_has_an_example_that_runs(data_dir: Path) -> None:
    settings = load_settings(data_dir=data_dir)
    for mart in analyst.marts():
        example = analyst.model_example(mart)
        assert example, f"{mart.name}: add an `-- example:` header line"
        assert mart.name in example
        analyst.run_query(settings, example)  # valid SQL that passes the read-only checks
