"""Every indicator mart on handmade works, against expectations computed by hand.

The works are tabulated in tests/fixtures/indicators/README.md (country sets, fields,
percentiles, FWCI, institutions). Build A: base_year 2020, growth windows 2018-2022 and
2020-2022, no harmonisation. Build B: harmonise_cn on, default windows.

Per country and year (whole / international), read off the table:
        2018   2019   2020   2021   2022
  JP    3/2    2/1    4/3    3/2    6/5
  US    2/2    2/1    2/2    1/1    2/2
  CN    2/1    2/2    1/1    1/0    1/1
  KR    1/1    -      1/1    1/1    1/1
  GB    -      -      1/1    -      1/1
  HK    -      1/1    -      1/1    -
  world international works: 3 (W02 W03 W05), 2 (W07 W09), 4 (W10 W11 W13 W14), 2 (W15 W24),
  5 (W18 W19 W20 W21 W23)
"""

from __future__ import annotations

import pytest

from coauthor.settings import load_settings
from tests.conftest import FIXTURES, build_from, rows

WORKS = FIXTURES / "indicators" / "works.jsonl"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("indicators") / "data",
        base_year=2020,
        growth_windows="2018-2022,2020-2022",
    )
    return build_from(settings, WORKS)


@pytest.fixture(scope="module")
def harmonised(tmp_path_factory):
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("indicators_cn") / "data", harmonise_cn=True
    )
    return build_from(settings, WORKS)


def series(con, country: str, measure: str, column: str) -> dict[int, float | None]:
    return dict(
        rows(
            con,
            f"select year, {column} from growth_country_year"
            f" where country = '{country}' and measure = '{measure}'",
        )
    )


def approx_map(expected: dict) -> dict:
    return {k: (None if v is None else pytest.approx(v)) for k, v in expected.items()}


# -- growth_country_year ------------------------------------------------------------------------
def test_growth_values_moving_average_and_index_for_japan(con) -> None:
    intl = "works_international"
    assert series(con, "JP", intl, "value") == {2018: 2, 2019: 1, 2020: 3, 2021: 2, 2022: 5}
    # 3-year trailing means: 2020 (2+1+3)/3, 2021 (1+3+2)/3, 2022 (3+2+5)/3
    assert series(con, "JP", intl, "value_ma3") == approx_map(
        {2018: None, 2019: None, 2020: 2, 2021: 2, 2022: 10 / 3}
    )
    # base year 2020, value 3: 2/3*100, 1/3*100, 100, 2/3*100, 5/3*100
    assert series(con, "JP", intl, "index_base") == approx_map(
        {2018: 200 / 3, 2019: 100 / 3, 2020: 100, 2021: 200 / 3, 2022: 500 / 3}
    )
    # ma3 base 2020 = 2; 2022: (10/3) / 2 * 100; no ma3 before 2020
    assert series(con, "JP", intl, "index_base_ma3") == approx_map(
        {2018: None, 2019: None, 2020: 100, 2021: 100, 2022: 500 / 3}
    )
    share = "international_share"
    assert series(con, "JP", share, "value") == approx_map(
        {2018: 2 / 3, 2019: 1 / 2, 2020: 3 / 4, 2021: 2 / 3, 2022: 5 / 6}
    )
    # ratio of 3-year sums: 2020 (2+1+3)/(3+2+4), 2021 (1+3+2)/(2+4+3), 2022 (3+2+5)/(4+3+6)
    assert series(con, "JP", share, "value_ma3") == approx_map(
        {2018: None, 2019: None, 2020: 6 / 9, 2021: 6 / 9, 2022: 10 / 13}
    )
    # (5/6) / (3/4) * 100
    assert series(con, "JP", share, "index_base")[2022] == pytest.approx(1000 / 9)
    # fractional JP: 2020 W10 1/2 + W11 1/2 + W12 1 + W13 1/2; 2021 W15 1/3 + W16 1 + W24 1/2;
    # 2022 W18 1/2 + W19 1/2 + W20 (1/2 + 1/4) + W21 1/2 + W22 1 + W23 1/2
    frac = series(con, "JP", "works_fractional", "value")
    assert frac == approx_map({2018: 2, 2019: 4 / 3, 2020: 2.5, 2021: 11 / 6, 2022: 3.75})
    assert series(con, "JP", "works_fractional", "value_ma3")[2022] == pytest.approx(
        (2.5 + 11 / 6 + 3.75) / 3
    )
    assert set(r[0] for r in rows(con, "select distinct base_year from growth_country_year")) == {
        2020
    }


def test_growth_fills_missing_years_with_zero(con) -> None:
    # KR has no work in 2019: value 0 (share null); ma3 2020 = (1 + 0 + 1) / 3;
    # share ma3 2020 = (1 + 0 + 1) / (1 + 0 + 1)
    assert series(con, "KR", "works_whole", "value") == {
        2018: 1,
        2019: 0,
        2020: 1,
        2021: 1,
        2022: 1,
    }
    assert series(con, "KR", "works_whole", "value_ma3")[2020] == pytest.approx(2 / 3)
    assert series(con, "KR", "international_share", "value")[2019] is None
    assert series(con, "KR", "international_share", "value_ma3")[2020] == pytest.approx(1.0)
    # GB starts in 2020: rows 2020-2022 only, 2021 = 0, ma3 2022 = (1 + 0 + 1) / 3
    assert series(con, "GB", "works_whole", "value") == {2020: 1, 2021: 0, 2022: 1}
    assert series(con, "GB", "works_whole", "value_ma3") == approx_map(
        {2020: None, 2021: None, 2022: 2 / 3}
    )


def test_growth_rank_in_peers(con) -> None:
    got = dict(
        rows(
            con,
            "select country, rank_in_peers from growth_country_year"
            " where measure = 'works_international' and year = 2022",
        )
    )
    # 2022 international: JP 5, US 2, CN 1, GB 1, KR 1 (ties share rank 3); HK is no peer
    assert got == {"JP": 1, "US": 2, "CN": 3, "GB": 3, "KR": 3, "HK": None}
    got = dict(
        rows(
            con,
            "select country, rank_in_peers from growth_country_year"
            " where measure = 'works_international' and year = 2019",
        )
    )
    # 2019 international: CN 2, JP 1, US 1, KR 0, HK 1 (not a peer)
    assert got == {"CN": 1, "JP": 2, "US": 2, "KR": 4, "HK": None}
    # a null share has no rank: KR 2019
    got = dict(
        rows(
            con,
            "select country, rank_in_peers from growth_country_year"
            " where measure = 'international_share' and year = 2019",
        )
    )
    # CN 2/2 = 1, JP 1/2, US 1/2
    assert got == {"CN": 1, "JP": 2, "US": 2, "KR": None, "HK": None}


# -- growth_cagr ---------------------------------------------------------------------------------
def test_growth_cagr_over_configured_windows(con) -> None:
    got = {
        (r[0], r[1], r[2]): r[3:]
        for r in rows(
            con,
            "select country, measure, window_start, value_start, value_end, cagr, rank_in_peers"
            " from growth_cagr where window_end = 2022",
        )
    }
    intl = "works_international"
    # JP 2 -> 5 in 4 years; US 2 -> 2; CN 1 -> 1; KR 1 -> 1: JP first, the three at 0 share rank 2
    assert got[("JP", intl, 2018)] == (2, 5, pytest.approx((5 / 2) ** (1 / 4) - 1), 1)
    assert got[("US", intl, 2018)] == (2, 2, 0, 2)
    assert got[("CN", intl, 2018)] == (1, 1, 0, 2)
    assert got[("KR", intl, 2018)] == (1, 1, 0, 2)
    # GB has no data before 2020: no start value, no CAGR, no rank
    assert got[("GB", intl, 2018)] == (None, 1, None, None)
    # 2020-2022: JP 3 -> 5 in 2 years
    assert got[("JP", intl, 2020)] == (3, 5, pytest.approx((5 / 3) ** (1 / 2) - 1), 1)
    assert got[("GB", intl, 2020)] == (1, 1, 0, 2)
    # HK: 0 in 2020 (filled), 0 in 2022 -> no CAGR
    assert got[("HK", intl, 2020)] == (0, 0, None, None)
    # whole counts 2018 -> 2022: JP 3 -> 6, US 2 -> 2, KR 1 -> 1, CN 2 -> 1
    whole = "works_whole"
    assert got[("JP", whole, 2018)] == (3, 6, pytest.approx(2 ** (1 / 4) - 1), 1)
    assert got[("US", whole, 2018)][2:] == (0, 2)
    assert got[("KR", whole, 2018)][2:] == (0, 2)
    assert got[("CN", whole, 2018)] == (2, 1, pytest.approx((1 / 2) ** (1 / 4) - 1), 4)


def test_headline_query_is_one_query_on_one_mart(con) -> None:
    got = rows(
        con,
        "select country, cagr, rank_in_peers from growth_cagr where measure = "
        "'works_international' and window_start = 2018 and window_end = 2022 and is_peer"
        " order by rank_in_peers nulls last, country",
    )
    assert [r[0] for r in got] == ["JP", "CN", "KR", "US", "GB"]


# -- partner_year and partner_window -------------------------------------------------------------
def partner_rows(con, table: str, where: str) -> dict:
    return {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select country, partner, joint_works, partner_share_of_international,"
            f" salton_cosine, collaboration_index, rank from {table} where {where}",
        )
    }


def test_partner_year(con) -> None:
    y2018 = partner_rows(con, "partner_year", "year = 2018 and country = 'JP'")
    # JP 2018: W02 with US, W05 with KR: one each, tie broken by code (KR before US).
    # JP-US: share 1 / JP intl 2; cosine 1 / sqrt(3 * 2); index (1/2) / (US intl 2 / world 3)
    assert y2018[("JP", "US")] == (
        1,
        0.5,
        pytest.approx(1 / 6**0.5),
        pytest.approx(0.5 / (2 / 3)),
        2,
    )
    assert y2018[("JP", "KR")][0] == 1 and y2018[("JP", "KR")][4] == 1
    y2022 = partner_rows(con, "partner_year", "year = 2022")
    # JP-US 2022: W18 W23 = 2; JP intl 5; cosine 2 / sqrt(6 * 2); index (2/5) / (2/5)
    assert y2022[("JP", "US")] == (2, 0.4, pytest.approx(2 / 12**0.5), pytest.approx(1.0), 1)
    # the other direction: share 2 / US intl 2; index (2/2) / (JP intl 5 / world 5)
    assert y2022[("US", "JP")] == (2, 1.0, pytest.approx(2 / 12**0.5), pytest.approx(1.0), 1)
    # JP 2022 partners: US 2, then CN GB KR with 1 each, by code
    ranks = {p: v[4] for (c, p), v in y2022.items() if c == "JP"}
    assert ranks == {"US": 1, "CN": 2, "GB": 3, "KR": 4}
    y2019 = partner_rows(con, "partner_year", "year = 2019")
    # CN-HK 2019 (W09): share 1 / CN intl 2; cosine 1 / sqrt(2 * 1); index (1/2) / (1 / 2)
    assert y2019[("CN", "HK")] == (1, 0.5, pytest.approx(1 / 2**0.5), pytest.approx(1.0), 1)
    # JP-CN 2019 (W07): share 1/1; cosine 1 / sqrt(2 * 2); index (1/1) / (CN intl 2 / world 2)
    assert y2019[("JP", "CN")][:4] == (1, 1.0, pytest.approx(0.5), pytest.approx(1.0))


def test_partner_window_sums_the_window(con) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select country, partner, joint_works, partner_share_of_international,"
            " joint_works_start, joint_works_end, joint_growth_cagr, salton_cosine,"
            " collaboration_index, rank from partner_window"
            " where window_start = 2018 and window_end = 2022 and country = 'JP'",
        )
    }
    # 2018-2022 sums: JP whole 3+2+4+3+6 = 18, intl 2+1+3+2+5 = 13; US whole 9, intl 8;
    # KR whole 4, intl 4; GB whole 2, intl 2; world intl 3+2+4+2+5 = 16.
    # JP-US: W02 W07 W10 W15 W18 W23 = 6; 1 in 2018, 2 in 2022
    assert got[("JP", "US")] == (
        6,
        pytest.approx(6 / 13),
        1,
        2,
        pytest.approx(2 ** (1 / 4) - 1),
        pytest.approx(6 / (18 * 9) ** 0.5),
        pytest.approx((6 / 13) / (8 / 16)),
        1,
    )
    # JP-KR: W05 W13 W15 W21 = 4; 1 in 2018 and in 2022
    assert got[("JP", "KR")] == (
        4,
        pytest.approx(4 / 13),
        1,
        1,
        0,
        pytest.approx(4 / 72**0.5),
        pytest.approx((4 / 13) / (4 / 16)),
        2,
    )
    # JP-GB: W20 only; JP's works of every window year count, even without GB
    assert got[("JP", "GB")] == (
        1,
        pytest.approx(1 / 13),
        0,
        1,
        None,
        pytest.approx(1 / 6),
        pytest.approx((1 / 13) / (2 / 16)),
        4,
    )
    # CN: W07 W11 W19 = 3 (rank 3); HK: W24 = 1 (rank 5, after GB by code)
    assert got[("JP", "CN")][0] == 3 and got[("JP", "CN")][7] == 3
    assert got[("JP", "HK")][0] == 1 and got[("JP", "HK")][7] == 5
    # 2020-2022: JP whole 4+3+6 = 13, intl 3+2+5 = 10; US whole 5, intl 5; world 4+2+5 = 11
    short = rows(
        con,
        "select joint_works, partner_share_of_international, joint_growth_cagr, salton_cosine,"
        " collaboration_index from partner_window"
        " where window_start = 2020 and country = 'JP' and partner = 'US'",
    )
    assert short == [
        (
            4,
            pytest.approx(0.4),
            pytest.approx(2**0.5 - 1),
            pytest.approx(4 / 65**0.5),
            pytest.approx(0.4 / (5 / 11)),
        )
    ]


# -- fields --------------------------------------------------------------------------------------
def test_field_country_year(con) -> None:
    got = {
        (r[0], r[1], r[2]): r[3:]
        for r in rows(
            con,
            "select field_id, country, year, domain_id, domain_name, field_name, works_whole,"
            " works_fractional, works_international, international_share"
            " from field_country_year",
        )
    }
    # JP 2022 F1: W18 (1/2) W20 (1/2 + 1/4) W22 (1); international W18 W20
    assert got[("fields/17", "JP", 2022)] == (
        "domains/3",
        "Physical Sciences",
        "Computer Science",
        3,
        pytest.approx(2.25),
        2,
        pytest.approx(2 / 3),
    )
    # JP 2022 F2: W19 (1/2) W23 (1/2), both international
    assert got[("fields/27", "JP", 2022)][3:] == (2, pytest.approx(1.0), 2, 1.0)
    # no primary topic: W21 (JP 1/2) in 2022, W04 (CN, domestic) in 2018 — kept, unclassified
    assert got[("unclassified", "JP", 2022)] == (
        "unclassified",
        "Unclassified",
        "Unclassified",
        1,
        pytest.approx(0.5),
        1,
        1.0,
    )
    assert got[("unclassified", "CN", 2018)][3:] == (1, pytest.approx(1.0), 0, 0.0)
    # nothing dropped: per country and year the fields add up to country_year
    mismatches = rows(
        con,
        """
        select count(*) from country_year
        full join (
            select country, year, sum(works_whole) as w, sum(works_international) as i,
                sum(works_fractional) as f
            from field_country_year group by all
        ) as f using (country, year)
        where country_year.works_whole is distinct from f.w
            or country_year.works_international is distinct from f.i
            or abs(country_year.works_fractional - f.f) > 1e-9
        """,
    )
    assert mismatches == [(0,)]


def test_field_growth(con) -> None:
    got = {
        (r[0], r[1], r[2], r[3]): r[4:]
        for r in rows(
            con,
            "select field_id, country, measure, window_start, value_start, value_end, cagr"
            " from field_growth",
        )
    }
    # JP F1 whole: 2018 W01 W02 = 2, 2022 W18 W20 W22 = 3; international 1 (W02) -> 2 (W18 W20)
    assert got[("fields/17", "JP", "works_whole", 2018)] == (
        2,
        3,
        pytest.approx((3 / 2) ** (1 / 4) - 1),
    )
    assert got[("fields/17", "JP", "works_international", 2018)] == (
        1,
        2,
        pytest.approx(2 ** (1 / 4) - 1),
    )
    # JP F2 whole 2020-2022: W12 -> W19 W23
    assert got[("fields/27", "JP", "works_whole", 2020)] == (1, 2, pytest.approx(2**0.5 - 1))
    # unclassified: JP 0 -> 1 (no CAGR), CN 1 (W04) -> 0 (CAGR -1)
    assert got[("unclassified", "JP", "works_whole", 2018)] == (0, 1, None)
    assert got[("unclassified", "CN", "works_whole", 2018)] == (1, 0, -1.0)
    # HK has works only in 2019 and 2021, never at a window's ends
    assert not [k for k in got if k[1] == "HK"]


# -- impact --------------------------------------------------------------------------------------
def impact(con, country: str, year: int) -> dict:
    return {
        r[0]: r[1:]
        for r in rows(
            con,
            "select collaboration, works, works_with_percentile, top10_share, top1_share,"
            " works_with_fwci, mean_fwci, works_missing_percentile, works_missing_fwci,"
            " top10_share_fractional"
            f" from impact_country_year where country = '{country}' and year = {year}",
        )
    }


def test_impact_country_year(con) -> None:
    jp19 = impact(con, "JP", 2019)
    # W06 domestic (F,F) fwci 1; W07 multilateral (T,T) fwci 4
    # fractional: W06 weighs 1, W07 1/3 -> top 10 %: (1/3) / (1 + 1/3)
    assert jp19["all"] == (2, 2, 0.5, 0.5, 2, pytest.approx(2.5), 0, 0, pytest.approx(0.25))
    assert jp19["domestic"] == (1, 1, 0.0, 0.0, 1, pytest.approx(1.0), 0, 0, pytest.approx(0.0))
    assert jp19["international"] == (1, 1, 1.0, 1.0, 1, pytest.approx(4.0), 0, 0, 1.0)
    assert jp19["multilateral"] == jp19["international"]
    assert jp19["bilateral"] == (0, 0, None, None, 0, None, 0, 0, None)
    jp22 = impact(con, "JP", 2022)
    # all: W18..W23 = 6; percentile missing for W22 -> 5, top 10 % W19 -> 1/5;
    # FWCI missing for W21 W22 -> 4, mean (1 + 2 + 1 + 1) / 4;
    # fractional: top W19 1/2 over W18 1/2 + W19 1/2 + W20 3/4 + W21 1/2 + W23 1/2 = 2.75
    assert jp22["all"] == (6, 5, 0.2, 0.0, 4, pytest.approx(1.25), 1, 2, pytest.approx(0.5 / 2.75))
    # domestic: W22 alone, no percentile, no FWCI
    assert jp22["domestic"] == (1, 0, None, None, 0, None, 1, 1, None)
    # international = bilateral: W18 W19 W20 W21 W23
    assert jp22["international"][:8] == (5, 5, 0.2, 0.0, 4, pytest.approx(1.25), 0, 1)
    assert jp22["bilateral"] == jp22["international"]
    assert jp22["multilateral"][:2] == (0, 0)
    # CN 2018: W03 (no percentile, no FWCI), W04 (F,F) fwci 0.5
    assert impact(con, "CN", 2018)["all"][:8] == (2, 1, 0.0, 0.0, 1, pytest.approx(0.5), 1, 1)
    # five rows for every country and year of country_year
    assert rows(con, "select count(*) from impact_country_year") == rows(
        con, "select 5 * count(*) from country_year"
    )


# -- institutions --------------------------------------------------------------------------------
def test_institution_rank_for_the_focus_country(con) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select institution_id, window_start, country, institution_name, works_whole,"
            " works_international, international_share, rank, top_partners"
            " from institution_rank",
        )
    }
    assert {k[0] for k in got} == {"I1", "I2"}  # JP institutions only
    # I1 2018-2022: W01 W02 W05 W06 W10 W12 W15 W18 W20 W21 W24 = 11 (W20 once although two
    # authorships); international W02 W05 W10 W15 W18 W20 W21 W24 = 8;
    # partners US W02 W10 W15 W18 = 4, KR W05 W15 W21 = 3, GB W20 = 1, HK W24 = 1 (GB by code)
    assert got[("I1", 2018)] == (
        "JP",
        "University of Tokyo",
        11,
        8,
        pytest.approx(8 / 11),
        1,
        "US:4, KR:3, GB:1",
    )
    # I2: W07 W11 W13 W16 W19 W22 W23 = 7; international W07 W11 W13 W19 W23 = 5;
    # CN W07 W11 W19 = 3, US W07 W23 = 2, KR W13 = 1; the name of the newest record wins
    assert got[("I2", 2018)] == (
        "JP",
        "Kyoto University",
        7,
        5,
        pytest.approx(5 / 7),
        2,
        "CN:3, US:2, KR:1",
    )
    # 2020-2022: I1 W10 W12 W15 W18 W20 W21 W24 = 7, intl 6; I2 W11 W13 W16 W19 W22 W23 = 6,
    # intl 4; I2's KR (W13) and US (W23) tie at 1, ordered by code
    assert got[("I1", 2020)][2:] == (7, 6, pytest.approx(6 / 7), 1, "US:3, KR:2, GB:1")
    assert got[("I2", 2020)][2:] == (6, 4, pytest.approx(4 / 6), 2, "CN:2, KR:1, US:1")


# -- windows, quality, harmonisation -------------------------------------------------------------
def test_default_windows_end_at_the_last_complete_year(harmonised) -> None:
    # latest updated_date 2023-06-01 -> last complete year 2022 -> 2012-2022 and 2017-2022
    got = rows(harmonised, "select window_start, window_end from int_growth_windows order by 1")
    assert got == [(2012, 2022), (2017, 2022)]


def test_quarantine_reason_count(con) -> None:
    got = rows(con, "select reason, records, works from quarantine_reason_count order by 1")
    assert got == [("missing id", 1, 0), ("unusable publication_year", 1, 1)]


def test_data_quality_2020(con) -> None:
    # 2020: W10 W11 W12 W13 W14 W25 = 6; W25 has no country; W10 truncated; W13's first
    # authorship has KR from the raw affiliation only
    got = rows(
        con,
        "select works_in_universe, works_no_country, share_no_country,"
        " works_truncated_authorships, authorships_country_from_raw_affiliation_only"
        " from data_quality_year where year = 2020",
    )
    assert got == [(6, 1, pytest.approx(1 / 6), 1, 1)]


def test_harmonisation_merges_hong_kong_into_china(con, harmonised) -> None:
    cn = "select year, works_whole, works_international from country_year where country = 'CN'"
    # unharmonised CN: 2019 W07 W09 (both international), 2021 W17 (domestic)
    assert dict((r[0], r[1:]) for r in rows(con, cn))[2019] == (2, 2)
    # harmonised: W09 {CN, HK} becomes domestic CN, W24 {JP, HK} becomes {JP, CN}
    got = dict((r[0], r[1:]) for r in rows(harmonised, cn))
    assert got[2019] == (2, 1)
    assert got[2021] == (2, 1)
    for table in ("country_year", "country_pair_year", "partner_year", "growth_country_year"):
        assert rows(harmonised, f"select count(*) from {table} where country = 'HK'") == [(0,)]
    assert rows(
        harmonised,
        "select joint_works from partner_year where country = 'JP' and partner = 'CN'"
        " and year = 2021",
    ) == [(1,)]


def test_harmonisation_never_changes_world_totals(con, harmonised) -> None:
    world = "select year, works_with_country from int_world_year order by year"
    # distinct works with a country: 2018 5, 2019 4, 2020 5 (not W25), 2021 4, 2022 6
    expected = [(2018, 5), (2019, 4), (2020, 5), (2021, 4), (2022, 6)]
    assert rows(con, world) == expected
    assert rows(harmonised, world) == expected
    fractional = "select year, sum(works_fractional) from country_year group by 1 order by 1"
    assert [(y, pytest.approx(float(n))) for y, n in expected] == rows(harmonised, fractional)
    assert rows(con, "select year, works_in_universe from data_quality_year order by 1") == rows(
        harmonised, "select year, works_in_universe from data_quality_year order by 1"
    )


def test_new_marts_carry_comments(con) -> None:
    marts = (
        "growth_country_year",
        "growth_cagr",
        "partner_year",
        "partner_window",
        "field_country_year",
        "field_growth",
        "impact_country_year",
        "institution_rank",
        "quarantine_reason_count",
    )
    for mart in marts:
        table = rows(con, f"select comment from duckdb_tables() where table_name = '{mart}'")
        assert table and table[0][0], mart
        missing = rows(
            con,
            f"select column_name from duckdb_columns() where table_name = '{mart}'"
            " and comment is null",
        )
        assert missing == [], mart
    cagr = rows(
        con,
        "select comment from duckdb_columns() where table_name = 'growth_cagr'"
        " and column_name = 'cagr'",
    )[0][0]
    assert "1 / (window_end - window_start)" in cagr


def test_growth_windows_setting_is_parsed_and_validated() -> None:
    from coauthor.errors import ConfigError

    s = load_settings(growth_windows="2010-2020, 2015-2025,2010-2020")
    assert s.growth_windows == [(2010, 2020), (2015, 2025)]  # duplicates dropped
    assert load_settings(growth_windows=["2014-2024"]).growth_windows == [(2014, 2024)]
    assert load_settings().growth_windows == []  # default: last 10 and 5 complete years
    for bad in ("2020-2010", "2020", "2014-2024,x"):
        with pytest.raises(ConfigError, match="COAUTHOR_GROWTH_WINDOWS"):
            load_settings(growth_windows=bad)
