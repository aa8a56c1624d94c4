"""API harvesting against the local OpenAlex-compatible server and recorded responses."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from coauthor.cli import main
from coauthor.devtools.oaserver import FaultPlan, OpenAlexServer
from coauthor.errors import ApiError, BudgetExhausted, ConfigError
from coauthor.landing import LandingZone
from coauthor.openalex import harvest
from coauthor.openalex.client import OpenAlexClient
from coauthor.settings import load_settings
from tests.conftest import REAL
from tests.harvest_helpers import WORKS, expected_ids, landed_by_slice, landed_ids

KEY = "sk-test-5f3c9e0d7a1b"  # a fake key; the tests look for it in every output
COUNTRIES = ["US", "GB", "JP", "DE"]
YEARS = (1990, 2025)


def make_settings(tmp_path: Path, url: str, **kw):
    values = dict(
        data_dir=tmp_path / "data",
        openalex_url=url,
        openalex_api_key=KEY,
        per_page=2,
        rate_limit_rps=100,
        max_workers=3,
        retry_backoff_s=0.01,
        http_timeout_s=5,
    )
    values.update(kw)
    return load_settings(**values)


def requests_per_page(server: OpenAlexServer) -> Counter:
    """How often each (filter, cursor) page was answered with 200."""
    return Counter(
        (r["query"].get("filter"), r["query"].get("cursor"))
        for r in server.requests_log
        if r["status"] == 200 and "cursor" in r["query"] and "group_by" not in r["query"]
    )


def test_harvest_lands_every_matching_work_exactly_once_per_slice(tmp_path: Path) -> None:
    with OpenAlexServer([WORKS], require_key=KEY) as srv:
        settings = make_settings(tmp_path, srv.url)
        result = harvest.harvest_works(settings, COUNTRIES, YEARS, echo=lambda s: None)
        pages = requests_per_page(srv)
    assert result.status == "complete"
    assert set(landed_ids(settings.data_dir)) == expected_ids(COUNTRIES, YEARS)
    for slice_key, ids in landed_by_slice(settings.data_dir).items():
        assert len(ids) == len(set(ids)), f"duplicate works in {slice_key}"
    assert max(pages.values()) == 1, "a page was requested twice without a fault"
    assert result.works == sum(len(v) for v in landed_by_slice(settings.data_dir).values())


def test_api_and_file_ingestion_give_identical_marts(tmp_path: Path) -> None:
    from tests.harvest_helpers import work_countries
    from tests.reference import read_works

    every = sorted(set().union(*(work_countries(w) for w in read_works(WORKS))))
    with OpenAlexServer([WORKS]) as srv:
        api = make_settings(tmp_path / "api", srv.url, types="*", per_page=50)
        harvest.harvest_works(api, every, (1900, 2025), echo=lambda s: None)
    files = load_settings(data_dir=tmp_path / "files" / "data", types="*")
    from coauthor import pipeline

    pipeline.ingest_snapshot(files, [WORKS])
    tables = {}
    for s in (api, files):
        pipeline.build(s)
        import duckdb

        con = duckdb.connect(str(s.db_path), read_only=True)
        tables[s.data_dir] = [
            con.execute(f"select * from {t} order by all").fetchall()
            for t in ("country_year", "country_pair_year")
        ]
        con.close()
    a, f = tables.values()
    assert a[0] and len(a[0]) == len(f[0]) and a[1] == f[1]
    for ra, rf in zip(a[0], f[0], strict=True):
        assert ra[:3] == rf[:3] and ra[4:] == rf[4:], (ra, rf)
        assert ra[3] == pytest.approx(rf[3], rel=1e-12)  # fractional: summation order differs


@pytest.mark.parametrize(
    "fault",
    [
        FaultPlan(rate_429=0.3, retry_after_429=0.05, seed=1),
        FaultPlan(rate_403=0.2, seed=11),  # "Rate limit exceeded; slow down" as a 403
        FaultPlan(rate_500=0.3, seed=2),
        FaultPlan(rate_503=0.3, seed=3),
        FaultPlan(rate_truncated=0.3, seed=4),
        FaultPlan(rate_drop=0.3, seed=5),
        FaultPlan(rate_invalid_json=0.3, seed=6),
        FaultPlan(rate_slow=0.2, slow_seconds=1.5, seed=7),  # longer than the 0.5 s timeout
        FaultPlan(fail_first_n=3),
    ],
    ids=[
        "429",
        "403_slow_down",
        "500",
        "503",
        "truncated",
        "drop",
        "invalid_json",
        "timeout",
        "first_503s",
    ],
)
def test_each_fault_is_retried_and_nothing_is_lost(tmp_path: Path, fault: FaultPlan) -> None:
    # only the timeout case needs a short read timeout; a loaded CI machine is slow otherwise
    timeout = 0.5 if fault.rate_slow else 5
    with OpenAlexServer([WORKS], faults=fault) as srv:
        settings = make_settings(tmp_path, srv.url, http_timeout_s=timeout, max_retries=12)
        result = harvest.harvest_works(settings, COUNTRIES, YEARS, echo=lambda s: None)
        faults_seen = Counter(r["fault"] for r in srv.requests_log if r["fault"])
    assert result.status == "complete"
    assert sum(faults_seen.values()) > 0, "the fault plan injected nothing"
    assert sum(result.faults.values()) >= sum(faults_seen.values()) - 1
    ids = landed_ids(settings.data_dir)
    assert set(ids) == expected_ids(COUNTRIES, YEARS)
    for slice_key, slice_ids in landed_by_slice(settings.data_dir).items():
        assert len(slice_ids) == len(set(slice_ids)), slice_key


def test_budget_spent_stops_cleanly_and_resumes_next_day(tmp_path: Path) -> None:
    with OpenAlexServer([WORKS], daily_budget_calls=12) as srv:
        settings = make_settings(tmp_path, srv.url, max_workers=1)
        result = harvest.harvest_works(settings, COUNTRIES, YEARS, echo=lambda s: None)
        first_log = list(srv.requests_log)
    assert result.status == "budget"
    assert result.resets_at is not None
    assert sum(r["status"] == 429 for r in first_log) == 1, "stopped at the first budget 429"
    partial = landed_ids(settings.data_dir)
    assert 0 < len(partial) < len(expected_ids(COUNTRIES, YEARS))
    # the next day: a fresh budget; the rerun continues from the checkpoints
    with OpenAlexServer([WORKS]) as srv2:
        settings2 = make_settings(tmp_path, srv2.url, max_workers=1)
        result2 = harvest.harvest_works(settings2, COUNTRIES, YEARS, echo=lambda s: None)
        second = requests_per_page(srv2)
    assert result2.status == "complete"
    assert set(landed_ids(settings.data_dir)) == expected_ids(COUNTRIES, YEARS)
    first = Counter(
        (r["query"].get("filter"), r["query"].get("cursor"))
        for r in first_log
        if r["status"] == 200 and "group_by" not in r["query"]
    )
    assert not (set(first) & set(second)), "a page landed on day one was requested again"


def test_budget_exit_code_and_message_from_the_cli(tmp_path: Path) -> None:
    with OpenAlexServer([WORKS], daily_budget_calls=3) as srv:
        env = {
            "COAUTHOR_OPENALEX_URL": srv.url,
            "COAUTHOR_OPENALEX_API_KEY": KEY,
            "COAUTHOR_PER_PAGE": "2",
            "COAUTHOR_RETRY_BACKOFF_S": "0.01",
        }
        result = CliRunner().invoke(
            main,
            [
                "--data-dir",
                str(tmp_path / "d"),
                "ingest",
                "api",
                "--countries",
                "US,GB",
                "--years",
                "1990-2025",
            ],
            env=env,
        )
    assert result.exit_code == BudgetExhausted.exit_code == 75
    assert "resets at" in result.output
    assert KEY not in result.output


def test_max_calls_stops_at_n(tmp_path: Path) -> None:
    with OpenAlexServer([WORKS]) as srv:
        settings = make_settings(tmp_path, srv.url, max_workers=2)
        result = harvest.harvest_works(settings, COUNTRIES, YEARS, max_calls=9, echo=lambda s: None)
        sent = len(srv.requests_log)
    assert result.status == "max_calls"
    assert result.calls == 9 and sent == 9


def test_cursor_chain_from_recorded_pages_ends_on_null_cursor(tmp_path: Path) -> None:
    """Recorded keypaper pages: page 1 has 2 works and a cursor, page 2 `results: []` and null."""
    pages = [json.loads((REAL / "api" / f"results_page_{i}.json").read_text()) for i in (1, 2)]
    assert pages[1]["meta"]["next_cursor"] is None and pages[1]["results"] == []

    class Recorded(OpenAlexClient):
        def get(self, path, params):  # noqa: D401 - replays the recording
            self.seen.append(params["cursor"])
            return pages[len(self.seen) - 1]

    client = Recorded("http://127.0.0.1:9", None)
    client.seen = []
    settings = load_settings(data_dir=tmp_path / "data")
    with LandingZone(settings.landing_dir) as zone:
        s = harvest.Slice("US", 2017, None, ("article",))
        harvest.harvest_slice(client, zone, s, 2, 200, harvest.Progress(1, 2))
        cp = zone.checkpoint(s.key)
    assert client.seen == ["*", pages[0]["meta"]["next_cursor"]]
    assert cp.done and cp.works == 2 and cp.pages == 2
    assert len(landed_ids(settings.data_dir)) == 2


def test_group_by_pages_past_the_page_size(tmp_path: Path) -> None:
    from pyalex import Works

    with OpenAlexServer([WORKS]) as srv:
        client = OpenAlexClient(srv.url, None, rps=100)
        q = Works().filter(publication_year="1900-2025").group_by("authorships.countries")
        got = harvest.group_counts(client, q, per_page=5)
        calls = client.budget.calls
    from tests.harvest_helpers import work_countries
    from tests.reference import read_works

    expected = Counter(
        c
        for w in read_works(WORKS)
        if isinstance(w.get("publication_year"), int)
        for c in work_countries(w)
    )
    assert got == dict(expected)
    assert calls >= len(expected) // 5 + 1  # really paged


def test_counts_mode_matches_independent_counts(tmp_path: Path) -> None:
    from coauthor import pipeline
    from coauthor.openalex.counts import fetch_counts

    with OpenAlexServer([WORKS]) as srv:
        settings = make_settings(tmp_path, srv.url)
        result = fetch_counts(settings, ["US", "JP"], (2000, 2025), echo=lambda s: None)
    assert result.countries_done == 2
    pipeline.build(settings)
    import duckdb

    con = duckdb.connect(str(settings.db_path), read_only=True)
    got = dict(
        ((c, y), (n, i))
        for c, y, n, i in con.execute(
            "select country, year, works, works_international from api_country_year_counts"
            " where works > 0"
        ).fetchall()
    )
    pairs = {
        (c, p, y): n
        for c, p, y, n in con.execute(
            "select country, partner, year, works from api_country_pair_year_counts"
        ).fetchall()
    }
    from tests.harvest_helpers import work_countries
    from tests.reference import read_works

    exp, exp_pairs = Counter(), Counter()
    for w in read_works(WORKS):
        y, cs = w.get("publication_year"), work_countries(w)
        if w.get("type") not in ("article", "review") or not isinstance(y, int):
            continue
        if not 2000 <= y <= 2025:
            continue
        for c in {"US", "JP"} & cs:
            exp[(c, y, "all")] += 1
            # countries_distinct_count as OpenAlex gives it (the server's filter uses it)
            cdc = w.get("countries_distinct_count", len(cs))
            exp[(c, y, "intl")] += cdc > 1
            for p in cs - {c}:
                exp_pairs[(c, p, y)] += 1
    want = {(c, y): (exp[(c, y, "all")], exp[(c, y, "intl")]) for (c, y, k) in exp if k == "all"}
    assert got == want
    assert pairs == dict(exp_pairs)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--countries", "JP,XQ", "--years", "2020"], "XQ"),
        (["--countries", "JP", "--years", "2025-2020"], "inverted"),
        (["--countries", "JP", "--years", "1200-2020"], "between"),
        (["--countries", "JP", "--years", "2020", "--since", "yesterday"], "--since"),
    ],
)
def test_bad_options_fail_before_any_call(tmp_path: Path, args, needle) -> None:
    with OpenAlexServer([WORKS]) as srv:
        result = CliRunner().invoke(
            main,
            ["--data-dir", str(tmp_path / "d"), "ingest", "api", *args],
            env={"COAUTHOR_OPENALEX_URL": srv.url},
        )
        assert srv.requests_log == []
    assert result.exit_code == ConfigError.exit_code
    assert needle in result.output


def test_live_api_without_key_fails_before_any_call(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")  # default URL is the live API
    with pytest.raises(ConfigError, match="COAUTHOR_OPENALEX_API_KEY"):
        harvest.harvest_works(settings, ["JP"], (2020, 2020))


def test_wrong_key_is_a_clear_error_without_the_key(tmp_path: Path) -> None:
    with OpenAlexServer([WORKS], require_key="the-right-key") as srv:
        settings = make_settings(tmp_path, srv.url)
        with pytest.raises(ApiError) as err:
            harvest.harvest_works(settings, ["JP"], (2020, 2020), echo=lambda s: None)
    assert "COAUTHOR_OPENALEX_API_KEY" in str(err.value) and KEY not in str(err.value)


def test_key_never_appears_in_any_output(tmp_path: Path, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    with OpenAlexServer(
        [WORKS], require_key=KEY, faults=FaultPlan(rate_500=0.2, rate_drop=0.1, seed=9)
    ) as srv:
        env = {
            "COAUTHOR_OPENALEX_URL": srv.url,
            "COAUTHOR_OPENALEX_API_KEY": KEY,
            "COAUTHOR_PER_PAGE": "3",
            "COAUTHOR_RETRY_BACKOFF_S": "0.01",
        }
        data = tmp_path / "d"
        runner = CliRunner()
        out = runner.invoke(
            main,
            [
                "-vv",
                "--data-dir",
                str(data),
                "ingest",
                "api",
                "--countries",
                "US,JP",
                "--years",
                "2000-2025",
            ],
            env=env,
        )
        out2 = runner.invoke(
            main,
            [
                "-vv",
                "--data-dir",
                str(data),
                "ingest",
                "counts",
                "--countries",
                "JP",
                "--years",
                "2019-2021",
            ],
            env=env,
        )
        out3 = runner.invoke(main, ["-vv", "--data-dir", str(data), "build"], env=env)
    assert out.exit_code == 0, out.output
    assert out2.exit_code == 0, out2.output
    assert out3.exit_code == 0, out3.output
    captured = capfd.readouterr()
    texts = [out.output, out2.output, out3.output, caplog.text, captured.out, captured.err]
    for text in texts:
        assert KEY not in text
    for path in data.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_since_lands_changed_works_and_the_newer_version_wins(tmp_path: Path) -> None:
    import copy

    import duckdb

    from coauthor import pipeline
    from tests.reference import read_works

    works = read_works(WORKS)
    with OpenAlexServer(works=works) as srv:
        settings = make_settings(tmp_path, srv.url)
        harvest.harvest_works(settings, ["JP"], YEARS, echo=lambda s: None)
    # OpenAlex changes one Japanese work (an article of 2019 by DE and JP): a new
    # updated_date and an added KR authorship
    target = next(w for w in works if w["id"].endswith("/W2965202507"))
    changed = copy.deepcopy(target)
    changed["updated_date"] = "2026-11-28T00:00:00"
    changed["authorships"].append({"countries": ["KR"], "institutions": []})
    newer = [changed if w["id"] == target["id"] else w for w in works]
    with OpenAlexServer(works=newer) as srv:
        settings = make_settings(tmp_path, srv.url)
        result = harvest.harvest_works(
            settings, ["JP"], YEARS, since="2026-11-01", echo=lambda s: None
        )
        filters = {r["query"].get("filter", "") for r in srv.requests_log}
    assert result.works == 1  # only the changed work was updated since 2026-11-01
    assert all("from_updated_date:2026-11-01" in f for f in filters)
    pipeline.build(settings)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    wid = target["id"].rsplit("/", 1)[-1]
    got = con.execute(
        "select versions_seen, countries_in_work from int_works_latest"
        " join int_work_countries using (work_id) where work_id = ?",
        [wid],
    ).fetchall()
    assert got and got[0] == (2, 3)  # two versions landed; the newer one (DE, JP, KR) counts
