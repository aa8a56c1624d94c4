"""Analyst access: read-only SQL on the published database, the quality summary, docs/schema.md.

`coauthor sql` must never write, read files or change settings. Three layers enforce it, each
enough on its own for most attacks:

1. the statement check (`check_query`): exactly one statement, of type SELECT (which covers
   WITH, FROM-first, VALUES, DESCRIBE, SHOW, SUMMARIZE), EXPLAIN of such a statement, or a
   PRAGMA from a short read-only list; the parsed query is also searched for file-reading
   functions (read_csv, read_parquet, glob, ...) and file paths used as tables;
2. the connection (`connect`): the database is opened read-only with
   `enable_external_access = false` (no file system, no extensions, no ATTACH, no COPY),
   `python_enable_replacements = false` (no scans of Python variables) and
   `lock_configuration = true` (no SET can undo that);
3. errors DuckDB raises for writes or file access become `ReadOnlyViolation`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from coauthor import warehouse
from coauthor.errors import CoauthorError, ReadOnlyViolation
from coauthor.settings import Settings

FORMATS = ("table", "csv", "json", "parquet")

_ALLOWED_PRAGMAS = frozenset(
    {
        "collations",
        "database_list",
        "database_size",
        "functions",
        "platform",
        "show",
        "show_tables",
        "show_tables_expanded",
        "storage_info",
        "table_info",
        "version",
    }
)
_FILE_FUNCTIONS = frozenset({"glob", "sniff_csv", "load_aws_credentials", "http_get", "http_post"})
_FILE_PREFIXES = ("read_", "parquet_", "iceberg_", "delta_")
_FILE_SUFFIXES = ("_scan", "_attach")
_LEAD = r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*"  # blanks and comments before the keyword
_EXPLAIN = re.compile(
    _LEAD + r"explain\s+(?:analy[sz]e\s+)?(?:\([^)]*\)\s*)?(?P<inner>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_PRAGMA = re.compile(_LEAD + r"pragma\s+(?P<name>\w+)\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_WHAT_IS_ALLOWED = (
    "coauthor sql runs one read-only query: SELECT (also WITH, FROM, VALUES, DESCRIBE, SHOW, "
    "SUMMARIZE), EXPLAIN of one, or PRAGMA table_info/show_tables/..."
)


# -- the statement check -----------------------------------------------------------------------
def _parser() -> duckdb.DuckDBPyConnection:
    """An in-memory connection used only to parse; it can touch nothing either."""
    return duckdb.connect(
        config={
            "enable_external_access": False,
            "python_enable_replacements": False,
            "lock_configuration": True,
        }
    )


def _is_file_function(name: str) -> bool:
    name = name.lower()
    return (
        name in _FILE_FUNCTIONS or name.startswith(_FILE_PREFIXES) or name.endswith(_FILE_SUFFIXES)
    )


def _walk(node: Any) -> list[str]:
    """Problems found in a serialized query tree: file functions and paths used as tables."""
    problems: list[str] = []
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str) and _is_file_function(name):
            problems.append(f"{name}() reads files")
        if node.get("type") == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if "/" in table or "\\" in table or re.search(r"\.\w+$", table):
                problems.append(f"'{table}' is a file path, not a table")
        for value in node.values():
            problems += _walk(value)
    elif isinstance(node, list):
        for value in node:
            problems += _walk(value)
    return problems


def _check_select(parser: duckdb.DuckDBPyConnection, sql: str) -> None:
    tree = json.loads(parser.execute("select json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        return  # a SELECT the serializer does not cover; the connection still forbids files
    problems = _walk(tree.get("statements", []))
    if problems:
        raise ReadOnlyViolation(
            "refused: " + "; ".join(dict.fromkeys(problems)) + ". coauthor sql reads the "
            "published database only; no file access."
        )


def _statements(parser: duckdb.DuckDBPyConnection, query: str) -> list[Any]:
    try:
        return parser.extract_statements(query)
    except duckdb.Error as exc:
        raise CoauthorError(f"the query does not parse: {_first_line(exc)}") from None


def check_query(query: str) -> str:
    """Return the one statement of `query` if it is read-only; raise ReadOnlyViolation if not."""
    if not query.strip():
        raise CoauthorError("the query is empty")
    parser = _parser()
    try:
        statements = _statements(parser, query)
        if len(statements) != 1:
            raise ReadOnlyViolation(
                f"refused: {len(statements)} statements; {_WHAT_IS_ALLOWED}, one at a time"
            )
        statement = statements[0]
        kind = statement.type
        sql = statement.query.strip().rstrip(";").strip()
        if kind == duckdb.StatementType.SELECT:
            _check_select(parser, sql)
        elif kind == duckdb.StatementType.EXPLAIN:
            m = _EXPLAIN.match(sql)
            inner = _statements(parser, m.group("inner")) if m else []
            if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
                raise ReadOnlyViolation(
                    f"refused: EXPLAIN of a non-SELECT statement. {_WHAT_IS_ALLOWED}"
                )
            _check_select(parser, inner[0].query)
        elif kind == duckdb.StatementType.PRAGMA:
            m = _PRAGMA.match(sql)
            if not m or m.group("name").lower() not in _ALLOWED_PRAGMAS or "=" in m.group("rest"):
                raise ReadOnlyViolation(
                    "refused: this PRAGMA may change settings. Allowed: "
                    + ", ".join(sorted(_ALLOWED_PRAGMAS))
                )
        else:
            name = str(kind).rsplit(".", 1)[-1]
            raise ReadOnlyViolation(f"refused: {name} statement. {_WHAT_IS_ALLOWED}")
        return sql
    finally:
        parser.close()


# -- running a query ---------------------------------------------------------------------------
def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The published database, read-only, with no file or extension access and settings locked."""
    if not settings.db_path.exists():
        return warehouse.connect_readonly(settings)  # raises the usual "run coauthor build"
    return duckdb.connect(
        str(settings.db_path),
        read_only=True,
        config={
            "enable_external_access": False,
            "python_enable_replacements": False,
            "lock_configuration": True,
        },
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_query(settings: Settings, query: str) -> pl.DataFrame:
    """Run one read-only query on the published database and return the result as Polars."""
    sql = check_query(query)
    con = connect(settings)
    try:
        return con.sql(sql).pl()
    except duckdb.PermissionException as exc:
        raise ReadOnlyViolation(f"refused: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        text = _first_line(exc)
        if "read-only" in text or "read only" in text:
            raise ReadOnlyViolation(f"refused: {text}") from None
        raise CoauthorError(f"the query failed: {text}") from None
    finally:
        con.close()


def _plain_numbers(df: pl.DataFrame) -> pl.DataFrame:
    """Decimals (e.g. DuckDB's HUGEINT sums) as integers or floats, so JSON shows numbers."""
    casts = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Decimal):
            target = pl.Int64 if dtype.scale == 0 else pl.Float64
            casts.append(pl.col(name).cast(target, strict=False))
    return df.with_columns(casts) if casts else df


def render(df: pl.DataFrame, fmt: str, out: Path | None = None) -> str | None:
    """Format a result: returns the text when out is None, else writes out and returns None."""
    if fmt not in FORMATS:
        raise CoauthorError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if out is None:
            raise CoauthorError("--format parquet needs --out FILE (Parquet is binary)")
        df.write_parquet(out)
        return None
    if fmt == "table":
        with pl.Config(
            tbl_formatting="ASCII_MARKDOWN",
            tbl_hide_column_data_types=True,
            tbl_hide_dataframe_shape=True,
            tbl_rows=-1,
            tbl_cols=-1,
            fmt_str_lengths=1000,
            tbl_width_chars=65_000,  # polars caps it at 2**16 - 1
        ):
            text = f"{df}\n({df.height:,} row{'s' if df.height != 1 else ''})\n"
    elif fmt == "csv":
        nested = [n for n, t in df.schema.items() if t.is_nested()]
        if nested:
            raise CoauthorError(
                f"CSV cannot hold the nested column(s) {', '.join(nested)}: use --format json "
                "or parquet, or select scalar columns"
            )
        text = df.write_csv()
    else:
        text = _plain_numbers(df).write_json() + "\n"
    if out is None:
        return text
    Path(out).write_text(text, encoding="utf-8")
    return None


# -- the quality summary -----------------------------------------------------------------------
@dataclass
class QualityReport:
    """What `coauthor quality` prints: per year coverage, then quarantined records by reason."""

    years: pl.DataFrame
    quarantine: pl.DataFrame


def quality_report(settings: Settings) -> QualityReport:
    """Read data_quality_year and quarantine_reason_count from the published database."""
    con = connect(settings)
    try:
        years = con.sql(
            """
            select
                year,
                works_in_universe,
                works_no_country,
                share_no_country,
                works_truncated_authorships,
                authorships_country_from_raw_affiliation_only,
            from data_quality_year
            order by year
            """
        ).pl()
        quarantine = con.sql(
            "select reason, records from quarantine_reason_count order by reason"
        ).pl()
    except duckdb.CatalogException as exc:
        raise CoauthorError(
            f"{settings.db_path} lacks a quality table ({_first_line(exc)}): rebuild with "
            "`coauthor build`"
        ) from None
    finally:
        con.close()
    return QualityReport(years=years, quarantine=quarantine)


def format_quality(report: QualityReport) -> str:
    """A plain-text table per year and the quarantine counts."""
    header = (
        f"{'year':>6}  {'works':>10}  {'no country':>10}  {'share':>7}  "
        f"{'truncated':>9}  {'raw-affiliation-only authorships':>32}"
    )
    lines = [header, "-" * len(header)]
    totals = [0, 0, 0, 0]
    for r in report.years.iter_rows(named=True):
        lines.append(
            f"{r['year']:>6}  {r['works_in_universe']:>10,}  {r['works_no_country']:>10,}  "
            f"{100 * r['share_no_country']:>6.1f}%  {r['works_truncated_authorships']:>9,}  "
            f"{r['authorships_country_from_raw_affiliation_only']:>32,}"
        )
        totals[0] += r["works_in_universe"]
        totals[1] += r["works_no_country"]
        totals[2] += r["works_truncated_authorships"]
        totals[3] += r["authorships_country_from_raw_affiliation_only"]
    share = 100 * totals[1] / totals[0] if totals[0] else 0.0
    lines.append("-" * len(header))
    lines.append(
        f"{'all':>6}  {totals[0]:>10,}  {totals[1]:>10,}  {share:>6.1f}%  {totals[2]:>9,}  "
        f"{totals[3]:>32,}"
    )
    lines.append("")
    if report.quarantine.height:
        lines.append("quarantined records (table quarantine):")
        for reason, records in report.quarantine.iter_rows():
            lines.append(f"  {reason:<28} {records:>8,}")
    else:
        lines.append("quarantined records: none")
    return "\n".join(lines) + "\n"


# -- docs/schema.md ------------------------------------------------------------------------------
# Examples for marts whose .sql this module's authors do not edit; other marts carry an
# `-- example: <one-line query>` header line.
EXAMPLES = {
    "country_year": (
        "select country, year, works_whole, works_international, international_share\n"
        "from country_year\nwhere country in ('JP', 'US', 'CN') and year >= 2015\n"
        "order by country, year"
    ),
    "country_pair_year": (
        "select partner, year, works\nfrom country_pair_year\nwhere country = 'JP'\n"
        "order by year desc, works desc\nlimit 20"
    ),
    "data_quality_year": (
        "select year, works_in_universe, share_no_country, works_truncated_authorships\n"
        "from data_quality_year\norder by year"
    ),
    "quarantine": "select reason, count(*) as records\nfrom quarantine\ngroup by reason",
    "api_country_year_counts": (
        "select country, year, works, international_share\nfrom api_country_year_counts\n"
        "where types = 'article,review'\norder by country, year"
    ),
    "api_country_pair_year_counts": (
        "select partner, year, works\nfrom api_country_pair_year_counts\n"
        "where country = 'JP'\norder by year, works desc"
    ),
}
HEADLINE_QUERY = (
    "select country, cagr, rank_in_peers\nfrom growth_cagr\n"
    "where measure = 'works_international' and window_start = 2014 and window_end = 2024\n"
    "order by rank_in_peers"
)
_MART_ORDER = (
    "country_year",
    "country_pair_year",
    "growth_country_year",
    "growth_cagr",
    "partner_year",
    "partner_window",
    "field_country_year",
    "field_growth",
    "impact_country_year",
    "institution_rank",
    "data_quality_year",
    "quarantine",
    "quarantine_reason_count",
    "api_country_year_counts",
    "api_country_pair_year_counts",
)
_EXAMPLE_HEADER = re.compile(r"^--\s*example:\s*(.*)$")


def model_example(model: warehouse.Model) -> str | None:
    """The mart's example query: its `-- example:` header lines, else EXAMPLES."""
    lines = []
    for line in model.sql.splitlines():
        if not line.startswith("--"):
            break
        m = _EXAMPLE_HEADER.match(line)
        if m:
            lines.append(m.group(1).rstrip())
    return "\n".join(lines) if lines else EXAMPLES.get(model.name)


def marts(root: Path | None = None) -> list[warehouse.Model]:
    """Every mart, in reading order: public contract, new indicators, quality, counts mode."""
    models = [m for m in warehouse.discover_models(root).values() if m.layer == "marts"]
    rank = {name: i for i, name in enumerate(_MART_ORDER)}
    return sorted(models, key=lambda m: (rank.get(m.name, len(rank)), m.name))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_SCHEMA_INTRO = """\
# Schema of the published database

<!-- Generated from the model headers in sql/marts/ by `python -m coauthor.analyst schema >
docs/schema.md`; tests/test_analyst.py fails when this file and the headers disagree. -->

`data/coauthor.duckdb` holds one table per mart below. Open it read-only
(`duckdb -readonly data/coauthor.duckdb`, `duckdb.connect(path, read_only=True)`) or ask it
through `coauthor sql "QUERY" [--format table|csv|json|parquet] [--out FILE]`, which refuses
anything but one read-only query. The same descriptions are in the database as
`COMMENT ON TABLE/COLUMN` (`select table_name, comment from duckdb_tables()`).
Definitions, formulas and the references they follow are in `docs/indicators.md`.

## The headline question

Does Japan's internationally co-authored output grow more slowly than its peers'? One query on
one mart (use the window ends your build has: `select * from int_growth_windows`):

```sql
{headline}
```

## Marts
"""


def schema_markdown(root: Path | None = None) -> str:
    """docs/schema.md, generated from the mart headers (grain, columns, keys, example)."""
    parts = [_SCHEMA_INTRO.format(headline=HEADLINE_QUERY)]
    all_marts = marts(root)
    parts.append("| mart | grain |\n|---|---|")
    parts.append(
        "\n".join(f"| [`{m.name}`](#{m.name}) | {_cell(m.grain or '—')} |" for m in all_marts)
    )
    for model in all_marts:
        section = [f"\n### {model.name}\n", model.description, ""]
        section.append(f"Grain: {model.grain or '—'}.")
        if model.unique:
            section.append(f"Unique key: ({', '.join(model.unique)}).")
        section += ["", "| column | meaning |", "|---|---|"]
        section += [f"| `{c}` | {_cell(text)} |" for c, text in model.columns.items()]
        example = model_example(model)
        if example:
            section += ["", "```sql", example, "```"]
        parts.append("\n".join(section))
    others = [
        m
        for m in warehouse.discover_models(root).values()
        if m.layer != "marts" and m.materialized == "table"
    ]
    parts.append("\n## Also in the database\n")
    parts.append(
        "- `build_info`: one JSON row: when the database was built, the data date (latest "
        "`updated_date`), record counts and the settings used."
    )
    parts += [f"- `{m.name}`: {m.description}" for m in sorted(others, key=lambda m: m.name)]
    parts.append(
        "- `seed_*`: the CSV seeds of `sql/seeds/` (countries, country harmonisation, type "
        "mapping)."
    )
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m coauthor.analyst schema`
    if sys.argv[1:] != ["schema"]:
        sys.exit("usage: python -m coauthor.analyst schema > docs/schema.md")
    sys.stdout.write(schema_markdown())
