"""Properties of the indicator marts over random OpenAlex-shaped works (hypothesis).

Each example writes random works as JSON Lines, lands them with `ingest_snapshot` and builds the
database twice, with and without CN harmonisation (about a second per build, so few examples).
Every corpus also holds a constant series: FR has the same number of domestic works each year.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coauthor import pipeline
from coauthor.settings import load_settings

YEARS = (2018, 2022)
VALID = {"JP", "US", "CN", "HK", "MO", "KR", "GB"}  # all in sql/seeds/countries.csv
TEXT_CODES = ["JP", "US", "CN", "HK", "MO", "KR", "GB", "jp", " us", "XX", ""]
CODES = st.sampled_from([*TEXT_CODES, None])

institutions = st.lists(
    st.builds(
        lambda code, n: {
            "id": f"https://openalex.org/I{n}",
            "display_name": f"Institution {n}",
            "country_code": code,
        },
        CODES,
        st.integers(1, 6),
    ),
    max_size=2,
)
authorships = st.lists(
    st.builds(
        lambda insts, countries: {"institutions": insts, "countries": countries},
        institutions,
        st.lists(st.sampled_from(TEXT_CODES), max_size=2),
    ),
    max_size=4,
)
percentiles = st.one_of(
    st.none(),
    st.booleans().map(
        lambda top: {
            "value": 0.95 if top else 0.5,
            "is_in_top_1_percent": False,
            "is_in_top_10_percent": top,
        }
    ),
)
topics = st.sampled_from(
    [
        None,
        {
            "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
            "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
        },
        {
            "field": {"id": "https://openalex.org/fields/27", "display_name": "Medicine"},
            "domain": {"id": "https://openalex.org/domains/4", "display_name": "Health Sciences"},
        },
    ]
)
works = st.lists(
    st.fixed_dictionaries(
        {
            "publication_year": st.integers(*YEARS),
            "authorships": authorships,
            "fwci": st.one_of(st.none(), st.floats(0, 10)),
            "citation_normalized_percentile": percentiles,
            "primary_topic": topics,
        }
    ),
    max_size=25,
)


def corpus(random_works: list[dict], constant: int) -> list[dict]:
    """Random works plus `constant` domestic FR works in every year."""
    out = []
    for i, work in enumerate(random_works):
        out.append(
            {
                "id": f"https://openalex.org/W{i}",
                "type": "article",
                "updated_date": "2023-06-01T00:00:00",
                **work,
            }
        )
    for year in range(YEARS[0], YEARS[1] + 1):
        for j in range(constant):
            out.append(
                {
                    "id": f"https://openalex.org/W{year}{j}",
                    "type": "article",
                    "publication_year": year,
                    "updated_date": "2023-06-01T00:00:00",
                    "authorships": [
                        {
                            "institutions": [
                                {"id": "https://openalex.org/I99", "country_code": "FR"}
                            ],
                            "countries": ["FR"],
                        }
                    ],
                }
            )
    return out


def works_with_a_country(records: list[dict]) -> Counter:
    """Independent of the SQL: per year, works with at least one valid code anywhere."""
    counts: Counter = Counter()
    for r in records:
        codes = [c for a in r["authorships"] for c in a["countries"]]
        codes += [i["country_code"] for a in r["authorships"] for i in a["institutions"]]
        if any(c and c.strip().upper() in VALID | {"FR"} for c in codes):
            counts[r["publication_year"]] += 1
    return counts


def build(folder: Path, records: list[dict], harmonise: bool, base_year: int):
    path = folder / "works.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    s = load_settings(
        data_dir=folder / ("cn" if harmonise else "plain"),
        harmonise_cn=harmonise,
        base_year=base_year,
        growth_windows="2018-2022,2019-2021",
    )
    pipeline.ingest_snapshot(s, [path])
    pipeline.build(s)
    return duckdb.connect(str(s.db_path), read_only=True)


def count(con, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


SHARES = [
    ("country_year", "international_share"),
    ("growth_country_year", "value", "measure = 'international_share'"),
    ("growth_country_year", "value_ma3", "measure = 'international_share'"),
    ("partner_year", "partner_share_of_international"),
    ("partner_year", "salton_cosine"),
    ("partner_window", "partner_share_of_international"),
    ("partner_window", "salton_cosine"),
    ("field_country_year", "international_share"),
    ("impact_country_year", "top10_share"),
    ("impact_country_year", "top1_share"),
    ("impact_country_year", "top10_share_fractional"),
    ("institution_rank", "international_share"),
    ("data_quality_year", "share_no_country"),
]


def check_properties(con, records: list[dict], constant: int, base_year: int) -> None:
    expected = works_with_a_country(records)
    # fractional counts add up to the works with a country, per year
    fractional = dict(
        con.execute("select year, sum(works_fractional) from country_year group by 1").fetchall()
    )
    assert set(fractional) == set(expected)
    for year, n in expected.items():
        assert fractional[year] == pytest.approx(n), ("fractional", year)
    world = dict(con.execute("select year, works_with_country from int_world_year").fetchall())
    assert world == dict(expected)
    # pairs are symmetric
    for table, period in (("country_pair_year", "year"), ("partner_window", "window_start")):
        works = "works" if table == "country_pair_year" else "joint_works"
        asymmetric = count(
            con,
            f"select count(*) from {table} as a left join {table} as b"
            f" on a.country = b.partner and a.partner = b.country and a.{period} = b.{period}"
            f" where b.{works} is distinct from a.{works}",
        )
        assert asymmetric == 0, table
    # every share is in [0, 1]
    for table, column, *where in SHARES:
        condition = f"({column} < 0 or {column} > 1 + 1e-12)"
        if where:
            condition += f" and {where[0]}"
        assert count(con, f"select count(*) from {table} where {condition}") == 0, (table, column)
    # a constant series grows by 0
    cagr = con.execute(
        "select measure, cagr from growth_cagr where country = 'FR'"
        " and measure in ('works_whole', 'works_fractional')"
    ).fetchall()
    assert len(cagr) == (4 if constant else 0)  # 2 measures x 2 windows
    for measure, value in cagr:
        assert value == pytest.approx(0, abs=1e-12), measure
    # the index is 100 at its base year
    assert count(con, "select count(distinct base_year) from growth_country_year") <= 1
    off = count(
        con,
        f"select count(*) from growth_country_year where year = {base_year}"
        " and ((value > 0 and abs(index_base - 100) > 1e-9)"
        " or (value_ma3 > 0 and abs(index_base_ma3 - 100) > 1e-9))",
    )
    assert off == 0
    if constant:
        assert (
            count(
                con,
                "select count(*) from growth_country_year where country = 'FR'"
                f" and year = {base_year}"
                " and measure = 'works_whole' and index_base = 100",
            )
            == 1
        )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(random_works=works, constant=st.integers(0, 3), base_year=st.integers(*YEARS))
def test_indicator_properties_hold_on_random_works(random_works, constant, base_year) -> None:
    records = corpus(random_works, constant)
    if not records:
        return  # nothing to build; `coauthor build` refuses an empty landing zone
    with tempfile.TemporaryDirectory() as tmp:
        plain = build(Path(tmp), records, harmonise=False, base_year=base_year)
        merged = build(Path(tmp), records, harmonise=True, base_year=base_year)
        try:
            check_properties(plain, records, constant, base_year)
            check_properties(merged, records, constant, base_year)
            # harmonisation never changes world totals (distinct works per year)
            for sql in (
                "select year, works_with_country from int_world_year order by 1",
                "select year, works_in_universe, works_no_country from data_quality_year"
                " order by 1",
            ):
                assert plain.execute(sql).fetchall() == merged.execute(sql).fetchall(), sql
            # and it leaves no HK or MO behind
            assert (
                count(merged, "select count(*) from country_year where country in ('HK', 'MO')")
                == 0
            )
        finally:
            plain.close()
            merged.close()
