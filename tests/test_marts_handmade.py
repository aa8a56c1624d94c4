"""Both public marts on handmade works, against expectations computed by hand.

Universe in 2020 (see tests/fixtures/handmade/works.jsonl): W1 W2 W3 W4 W5 W6 W7 W8 W12 W15.
Left out: W9 paratext, W10 retracted, W11 no year, W13 book, W16 no id, W17 year "abc".
W8 appears twice; the newer version (updated 2025) is domestic JP, the older one JP+US.
Country sets: W1 {JP}  W2 {JP,US}  W3 {JP,US,CN}  W4 {JP,GB,US}  W5 {KR,JP}  W6 {DE,FR}
              W7 {JP}  W8 {JP}  W12 {}  W15 {JP} (code "jp" upper-cased; "XX" dropped)
2021: W14 (review) {US,CN}.
"""

from __future__ import annotations

import pytest

from tests.conftest import HANDMADE, build_from, rows

# Fractional JP 2020, authorship by authorship:
#   W1 1 (both authorships JP)      W2 1/2     W3 1/3
#   W4 author 1 is JP+GB, author 2 US: 1/2 * 1/2 = 1/4
#   W5 1/2    W7 1 (the only authorship with a country)    W8 1    W15 1 (XX authorship has none)
JP_FRAC = 1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 2 + 1 + 1 + 1
EXPECTED_COUNTRY_YEAR = {
    # (country, year): whole, fractional, international, bilateral, multilateral, domestic
    ("JP", 2020): (8, JP_FRAC, 4, 2, 2, 4),  # intl W2 W3 W4 W5; domestic W1 W7 W8 W15
    ("US", 2020): (3, 1 / 2 + 1 / 3 + 1 / 2, 3, 1, 2, 0),  # W2 W3 W4
    ("CN", 2020): (1, 1 / 3, 1, 0, 1, 0),  # W3
    ("GB", 2020): (1, 1 / 4, 1, 0, 1, 0),  # W4
    ("KR", 2020): (1, 1 / 2, 1, 1, 0, 0),  # W5
    ("DE", 2020): (1, 1 / 2, 1, 1, 0, 0),  # W6 (old schema, legacy journal-article)
    ("FR", 2020): (1, 1 / 2, 1, 1, 0, 0),  # W6
    ("US", 2021): (1, 1 / 2, 1, 1, 0, 0),  # W14
    ("CN", 2021): (1, 1 / 2, 1, 1, 0, 0),  # W14
}
EXPECTED_PAIRS = {
    ("JP", "US", 2020): 3,  # W2 W3 W4
    ("JP", "CN", 2020): 1,  # W3
    ("US", "CN", 2020): 1,  # W3
    ("JP", "GB", 2020): 1,  # W4
    ("GB", "US", 2020): 1,  # W4
    ("JP", "KR", 2020): 1,  # W5
    ("DE", "FR", 2020): 1,  # W6
    ("US", "CN", 2021): 1,  # W14
}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from coauthor.settings import load_settings

    base = tmp_path_factory.mktemp("handmade")
    settings = load_settings(data_dir=base / "data")
    return build_from(settings, HANDMADE / "works.jsonl")


def test_country_year_matches_hand_computation(con) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select country, year, works_whole, works_fractional, works_international,"
            " works_bilateral, works_multilateral, works_domestic, international_share"
            " from country_year",
        )
    }
    assert set(got) == set(EXPECTED_COUNTRY_YEAR)
    for key, (whole, frac, intl, bi, multi, dom) in EXPECTED_COUNTRY_YEAR.items():
        g = got[key]
        assert g[0] == whole, key
        assert g[1] == pytest.approx(frac), key
        assert g[2:6] == (intl, bi, multi, dom), key
        assert g[6] == pytest.approx(intl / whole), key


def test_country_pair_year_matches_hand_computation_both_directions(con) -> None:
    got = {(r[0], r[1], r[2]): r[3] for r in rows(con, "select * from country_pair_year")}
    expected = {}
    for (a, b, y), n in EXPECTED_PAIRS.items():
        expected[(a, b, y)] = n
        expected[(b, a, y)] = n
    assert got == expected


def test_quarantine_lists_unusable_records_with_reasons(con) -> None:
    got = sorted(rows(con, "select coalesce(work_id, '-'), reason, detail from quarantine"))
    assert got == [
        ("-", "missing id", None),
        ("W11", "missing publication_year", None),
        ("W17", "unusable publication_year", "abc"),
    ]


def test_data_quality_2020(con) -> None:
    # 10 universe works in 2020; W12 has no country; "XX" is the one invalid code; W7's second
    # authorship has one institution with a null country_code; W5's KR authorship has a country
    # from authorships[].countries only.
    got = rows(
        con,
        "select works_in_universe, works_no_country, share_no_country, invalid_country_codes,"
        " null_institution_country_codes, authorships_country_from_raw_affiliation_only"
        " from data_quality_year where year = 2020",
    )
    assert got == [(10, 1, 0.1, 1, 1, 1)]


def test_fractional_sums_to_works_with_a_country(con) -> None:
    # 2020: W1 W2 W3 W4 W5 W6 W7 W8 W15 have a country → 9; 2021: W14 → 1
    got = dict(rows(con, "select year, sum(works_fractional) from country_year group by 1"))
    assert got[2020] == pytest.approx(9)
    assert got[2021] == pytest.approx(1)


def test_marts_carry_comments(con) -> None:
    comment = rows(
        con,
        "select comment from duckdb_columns() where table_name = 'country_year'"
        " and column_name = 'works_fractional'",
    )[0][0]
    assert "fractional" in comment.lower()
    table_comment = rows(
        con, "select comment from duckdb_tables() where table_name = 'country_pair_year'"
    )[0][0]
    assert "both directions" in table_comment
