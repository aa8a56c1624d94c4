"""The local OpenAlex server must behave like the real API, or client tests prove nothing.

Expected values are computed here from the fixture records with plain Python, never taken
from the server's own output.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import math
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from coauthor.devtools.oaserver import FaultPlan, OpenAlexServer

FIXTURE = Path(__file__).parent / "fixtures" / "oaserver" / "works_sample.jsonl.gz"
KEY = "test-key-7f3a91c2"
Work = dict[str, Any]


# -- independent reference computations ---------------------------------------------------------


def read_fixture() -> list[Work]:
    """Split on b"\\n" only: some titles contain U+2028."""
    raw = gzip.decompress(FIXTURE.read_bytes())
    return [json.loads(line) for line in raw.split(b"\n") if line.strip()]


def countries(work: Work) -> set[str]:
    codes: set[str] = set()
    for authorship in work.get("authorships") or []:
        codes.update(authorship.get("countries") or [])
        for inst in authorship.get("institutions") or []:
            if inst.get("country_code"):
                codes.add(inst["country_code"])
    return codes


def inst_countries(work: Work) -> set[str]:
    return {
        inst["country_code"]
        for authorship in work.get("authorships") or []
        for inst in authorship.get("institutions") or []
        if inst.get("country_code")
    }


def distinct_count(work: Work) -> int:
    if "countries_distinct_count" in work:
        return work["countries_distinct_count"]
    return len({c for a in work.get("authorships") or [] for c in a.get("countries") or []})


def id_num(work: Work) -> int:
    return int(work["id"].rsplit("/W", 1)[1])


def seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return (midnight - now).total_seconds()


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def works() -> list[Work]:
    return read_fixture()


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAlexServer]:
    with OpenAlexServer([FIXTURE]) as srv:
        yield srv


def get(srv: OpenAlexServer, **params: Any) -> requests.Response:
    return requests.get(f"{srv.url}/works", params=params, timeout=10)


def cursor_chain(srv: OpenAlexServer, **params: Any) -> tuple[list[Work], list[dict[str, Any]]]:
    """Follow next_cursor to the end; returns all results and every response body."""
    bodies = []
    results: list[Work] = []
    cursor = "*"
    for _ in range(1000):
        resp = get(srv, cursor=cursor, **params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        bodies.append(body)
        results.extend(body["results"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return results, bodies
    raise AssertionError("cursor chain did not end")


# -- paging -------------------------------------------------------------------------------------


def test_cursor_chain_returns_each_work_once_and_ends_like_openalex(server, works) -> None:
    expected = {w["id"] for w in works if (w.get("publication_year") or 0) > 1999}
    results, bodies = cursor_chain(server, filter="publication_year:>1999", per_page=7)

    ids = [w["id"] for w in results]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert len(bodies) == math.ceil(len(expected) / 7) + 1
    last, final = bodies[-2], bodies[-1]
    assert last["results"] and last["meta"]["next_cursor"] is not None
    assert final["results"] == [] and final["meta"]["next_cursor"] is None
    for body in bodies:
        meta = body["meta"]
        assert meta["page"] is None and meta["per_page"] == 7
        assert meta["count"] == len(expected)
        assert meta["groups_count"] is None and "cost_usd" in meta
    assert ids == sorted(ids, key=lambda i: int(i.rsplit("/W", 1)[1]))


def test_cursor_encodes_a_position_that_survives_data_changes(works) -> None:
    ordered = sorted(works, key=id_num)
    with OpenAlexServer(works=works) as full:
        first = get(full, cursor="*", per_page=5, select="id").json()
    cursor = first["meta"]["next_cursor"]
    assert ordered[4]["id"] in base64.b64decode(cursor).decode()
    # A server without the first three works must still continue after the fifth.
    with OpenAlexServer(works=ordered[3:]) as smaller:
        nxt = get(smaller, cursor=cursor, per_page=5, select="id").json()
    assert [w["id"] for w in nxt["results"]] == [w["id"] for w in ordered[5:10]]


def test_page_paging_covers_everything_and_has_no_cursor(server, works) -> None:
    seen = []
    for page in range(1, math.ceil(len(works) / 30) + 1):
        body = get(server, page=page, per_page=30, select="id").json()
        assert body["meta"]["page"] == page and "next_cursor" not in body["meta"]
        seen.extend(w["id"] for w in body["results"])
    assert seen == [w["id"] for w in sorted(works, key=id_num)]
    assert get(server).json()["meta"]["per_page"] == 25


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"page": 51, "per_page": 200}, "Maximum results size of 10,000 records is exceeded"),
        ({"page": 10001}, "Maximum results size of 10,000 records is exceeded"),
        ({"per_page": 201}, "per-page parameter must be between 1 and 200"),
        ({"per_page": 0}, "per-page parameter must be between 1 and 200"),
        ({"cursor": "not-base64!"}, "Invalid cursor value"),
        ({"cursor": base64.b64encode(b'"[1, 2, 3]"').decode()}, "Invalid cursor value"),
        ({"cursor": "null"}, "Cursor is null"),
        ({"cursor": "*", "page": 2}, "Cannot use page parameter with cursor"),
    ],
)
def test_paging_errors_are_400_with_openalex_messages(server, params, fragment) -> None:
    resp = get(server, **params)
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"error", "message"} and fragment in body["message"]


# -- filters, select, sort ----------------------------------------------------------------------

FILTER_CASES: list[tuple[str, Callable[[Work], bool]]] = [
    ("authorships.countries:JP", lambda w: "JP" in countries(w)),
    ("authorships.countries:countries/jp|US", lambda w: bool({"JP", "US"} & countries(w))),
    ("authorships.countries:!US", lambda w: "US" not in countries(w)),
    ("institutions.country_code:GB", lambda w: "GB" in inst_countries(w)),
    ("publication_year:2005-2010", lambda w: 2005 <= (w.get("publication_year") or 0) <= 2010),
    ("publication_year:<2000", lambda w: (w.get("publication_year") or 9999) < 2000),
    ("publication_year:2020", lambda w: w.get("publication_year") == 2020),
    ("type:article|review", lambda w: w.get("type") in ("article", "review")),
    ("type:types/book", lambda w: w.get("type") == "book"),
    ("type:!article", lambda w: w.get("type") != "article"),
    ("from_updated_date:2025-11-01", lambda w: w["updated_date"][:10] >= "2025-11-01"),
    ("to_updated_date:2025-10-31", lambda w: w["updated_date"][:10] <= "2025-10-31"),
    ("from_publication_date:2010-06-01", lambda w: w["publication_date"] >= "2010-06-01"),
    ("countries_distinct_count:>1", lambda w: distinct_count(w) > 1),
    (
        "authorships.countries:JP,countries_distinct_count:>1",
        lambda w: "JP" in countries(w) and distinct_count(w) > 1,
    ),
    ("is_paratext:true", lambda w: w.get("is_paratext") is True),
    ("is_paratext:false", lambda w: w.get("is_paratext") is not True),
]


@pytest.mark.parametrize(("flt", "predicate"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_filters_match_an_independent_count(server, works, flt, predicate) -> None:
    expected = {w["id"] for w in works if predicate(w)}
    assert 0 < len(expected) < len(works), "the case must discriminate"
    results, bodies = cursor_chain(server, filter=flt, per_page=200, select="id")
    assert {w["id"] for w in results} == expected
    assert bodies[0]["meta"]["count"] == len(expected)


def test_openalex_id_filter_takes_a_list(server, works) -> None:
    picked = [works[3]["id"], works[40]["id"].rsplit("/", 1)[1]]
    body = get(server, filter=f"openalex_id:{'|'.join(picked)}").json()
    assert {w["id"] for w in body["results"]} == {works[3]["id"], works[40]["id"]}


def test_unknown_filter_is_400_like_the_recorded_cassette(server) -> None:
    resp = get(server, filter="DOESNTEXIST:1")
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "Invalid query parameters error."
    assert body["message"].startswith("DOESNTEXIST is not a valid field.")


def test_select_returns_only_the_named_fields(server, works) -> None:
    by_id = {w["id"]: w for w in works}
    body = get(server, select="id,publication_year,countries_distinct_count", per_page=50).json()
    for result in body["results"]:
        assert set(result) == {"id", "publication_year", "countries_distinct_count"}
        original = by_id[result["id"]]
        assert result["publication_year"] == original["publication_year"]
        assert result["countries_distinct_count"] == original.get("countries_distinct_count")
    resp = get(server, select="id,DOESNTEXIST")
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("DOESNTEXIST is not a valid select field.")


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("publication_year", lambda w: (w["publication_year"], id_num(w))),
        ("publication_year:desc", lambda w: (-w["publication_year"], id_num(w))),
        ("cited_by_count:desc", lambda w: (-w["cited_by_count"], id_num(w))),
    ],
)
def test_sort_orders_with_id_tiebreak_also_across_cursor_pages(server, works, sort, key) -> None:
    expected = [w["id"] for w in sorted(works, key=key)]
    results, _ = cursor_chain(server, sort=sort, per_page=9, select="id")
    assert [w["id"] for w in results] == expected


def test_full_records_round_trip_unchanged(server, works) -> None:
    by_id = {w["id"]: w for w in works}
    results, _ = cursor_chain(server, per_page=200)
    assert len(results) == len(works)
    assert all(r == by_id[r["id"]] for r in results)  # incl. strings with U+2028


# -- group_by -----------------------------------------------------------------------------------


def _expected_groups(works: list[Work], field: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for w in works:
        if field == "authorships.countries":
            counts.update(f"https://openalex.org/countries/{c}" for c in countries(w))
        elif field == "publication_year":
            counts[str(w["publication_year"])] += 1
        elif field == "type" and w.get("type"):
            counts[f"https://openalex.org/types/{w['type']}"] += 1
        elif field == "countries_distinct_count":
            counts[str(distinct_count(w))] += 1
    return counts


@pytest.mark.parametrize(
    "field", ["authorships.countries", "publication_year", "type", "countries_distinct_count"]
)
def test_group_by_counts_equal_independent_counts(server, works, field) -> None:
    body = get(server, group_by=field).json()
    expected = _expected_groups(works, field)
    got = {g["key"]: g["count"] for g in body["group_by"]}
    assert got == dict(expected)
    assert body["results"] == []
    assert body["meta"]["count"] == len(works)
    assert body["meta"]["groups_count"] == len(expected)
    order = [(-g["count"], g["key"]) for g in body["group_by"]]
    assert [c for c, _ in order] == sorted(c for c, _ in order)  # count descending


def test_group_by_with_filter_and_display_names(server, works) -> None:
    subset = [w for w in works if (w.get("publication_year") or 0) >= 2010]
    body = get(server, group_by="authorships.countries", filter="publication_year:>2009").json()
    assert body["meta"]["count"] == len(subset)
    assert {g["key"]: g["count"] for g in body["group_by"]} == dict(
        _expected_groups(subset, "authorships.countries")
    )
    names = {
        g["key"]: g["key_display_name"]
        for g in get(server, group_by="authorships.countries").json()["group_by"]
    }
    assert names["https://openalex.org/countries/JP"] == "Japan"
    assert names["https://openalex.org/countries/US"] == "United States"


def test_group_by_cursor_paging_returns_every_group_once(server, works) -> None:
    expected = _expected_groups(works, "authorships.countries")
    seen: list[dict[str, Any]] = []
    cursor, bodies = "*", []
    while cursor is not None:
        body = get(server, group_by="authorships.countries", per_page=2, cursor=cursor).json()
        bodies.append(body)
        seen.extend(body["group_by"])
        cursor = body["meta"]["next_cursor"]
    assert len(bodies) == math.ceil(len(expected) / 2) + 1 > 2
    assert bodies[-1]["group_by"] == [] and bodies[-2]["meta"]["next_cursor"] is not None
    keys = [g["key"] for g in seen]
    assert len(keys) == len(set(keys))
    assert {g["key"]: g["count"] for g in seen} == dict(expected)
    assert all(b["meta"]["groups_count"] == len(expected) for b in bodies)


def test_group_by_without_cursor_gives_only_the_first_page(server, works) -> None:
    body = get(server, group_by="authorships.countries", per_page=3).json()
    assert len(body["group_by"]) == 3 and "next_cursor" not in body["meta"]
    top = sorted(
        _expected_groups(works, "authorships.countries").items(), key=lambda kv: (-kv[1], kv[0])
    )
    assert [(g["key"], g["count"]) for g in body["group_by"]] == top[:3]


# -- auth, errors, methods ----------------------------------------------------------------------


def test_api_key_is_required_and_never_logged() -> None:
    with OpenAlexServer([FIXTURE], require_key=KEY) as srv:
        missing = get(srv)
        wrong = get(srv, api_key="nope")
        ok = get(srv, api_key=KEY, per_page=1)
        bearer = requests.get(
            f"{srv.url}/works", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
        )
        assert missing.status_code == wrong.status_code == 401
        assert set(missing.json()) == {"error", "message"}
        assert ok.status_code == bearer.status_code == 200
        assert KEY not in json.dumps(srv.requests_log) and KEY not in repr(srv)
        assert srv.requests_log[2]["query"] == {"per_page": "1"}


def test_other_paths_404_and_other_methods_405(server) -> None:
    resp = requests.get(f"{server.url}/authors", timeout=10)
    assert resp.status_code == 404 and set(resp.json()) == {"error", "message"}
    assert requests.head(f"{server.url}/works", timeout=10).status_code == 405
    assert requests.post(f"{server.url}/works", data=b"x", timeout=10).status_code == 405


def test_200_carries_rate_limit_headers(server) -> None:
    resp = get(server, per_page=1)
    assert resp.headers["Content-Type"] == "application/json"
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert int(resp.headers[name]) >= 0
    assert abs(int(resp.headers["X-RateLimit-Reset"]) - seconds_to_midnight()) < 5


# -- budget, rate limit, faults -----------------------------------------------------------------


def test_daily_budget_runs_out_with_a_long_retry_after() -> None:
    with OpenAlexServer([FIXTURE], daily_budget_calls=3) as srv:
        remaining = [get(srv, per_page=1).headers["X-RateLimit-Remaining"] for _ in range(3)]
        over = get(srv, per_page=1)
        assert remaining == ["2", "1", "0"]
        assert over.status_code == 429
        assert abs(int(over.headers["Retry-After"]) - seconds_to_midnight()) < 5
        assert over.headers["X-RateLimit-Remaining"] == "0"
        assert "Daily budget exhausted" in over.json()["message"]
        assert srv.billed_calls == 3


def test_fault_budget_calls_then_429() -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(budget_calls=2)) as srv:
        codes = [get(srv, per_page=1).status_code for _ in range(4)]
        assert codes == [200, 200, 429, 429]
        assert [e["fault"] for e in srv.requests_log] == [None, None, "budget_429", "budget_429"]


@pytest.mark.parametrize(
    ("plan", "status", "fault"),
    [
        (FaultPlan(rate_429=1.0, retry_after_429=1), 429, "429"),
        (FaultPlan(rate_budget_429=1.0), 429, "budget_429"),
        (FaultPlan(rate_500=1.0), 500, "500"),
        (FaultPlan(rate_503=1.0), 503, "503"),
        (FaultPlan(fail_first_n=5), 503, "fail_first_n"),
    ],
    ids=["429", "budget_429", "500", "503", "fail_first_n"],
)
def test_error_faults(plan, status, fault) -> None:
    with OpenAlexServer([FIXTURE], faults=plan) as srv:
        resp = get(srv, per_page=1)
        assert resp.status_code == status
        assert srv.requests_log[-1]["fault"] == fault and srv.billed_calls == 0
        if fault == "429":
            assert resp.headers["Retry-After"] == "1"
            assert "too many requests per second" in resp.json()["message"]
        if fault == "budget_429":
            assert int(resp.headers["Retry-After"]) > seconds_to_midnight() - 5
            assert "Daily budget exhausted" in resp.json()["message"]


def test_fail_first_n_then_success() -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(fail_first_n=2)) as srv:
        codes = [requests.get(f"{srv.url}/anything", timeout=10).status_code for _ in range(2)]
        assert codes == [503, 503]
        assert get(srv, per_page=1).status_code == 200


def test_slow_fault_delays_a_normal_answer() -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(rate_slow=1.0, slow_seconds=0.3)) as srv:
        t0 = time.perf_counter()
        resp = get(srv, per_page=2)
        assert time.perf_counter() - t0 >= 0.3
        assert resp.status_code == 200 and len(resp.json()["results"]) == 2
        with pytest.raises(requests.Timeout):
            requests.get(f"{srv.url}/works", timeout=0.1)


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_truncated_body_is_an_incomplete_read(encoding) -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(rate_truncated=1.0)) as srv:
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            requests.get(f"{srv.url}/works", headers={"Accept-Encoding": encoding}, timeout=10)
        assert srv.requests_log[-1]["fault"] == "truncated" and srv.billed_calls == 0


def test_dropped_connection_is_a_connection_error() -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(rate_drop=1.0)) as srv:
        with pytest.raises(requests.ConnectionError):
            get(srv)
        assert srv.requests_log[-1]["fault"] == "drop"


def test_invalid_json_is_200_that_does_not_parse() -> None:
    with OpenAlexServer([FIXTURE], faults=FaultPlan(rate_invalid_json=1.0)) as srv:
        resp = get(srv, per_page=3)
        assert resp.status_code == 200
        with pytest.raises(requests.exceptions.JSONDecodeError):
            resp.json()
        assert srv.billed_calls == 0


def _run_mixed(seed: int, n: int) -> list[str | None]:
    plan = FaultPlan(
        rate_429=0.1, rate_budget_429=0.1, rate_500=0.1, rate_503=0.1, rate_slow=0.1,
        slow_seconds=0.01, rate_truncated=0.1, rate_drop=0.1, rate_invalid_json=0.1, seed=seed,
    )  # fmt: skip
    with OpenAlexServer([FIXTURE], faults=plan) as srv, requests.Session() as session:
        for _ in range(n):
            with contextlib.suppress(requests.RequestException, ValueError):
                session.get(f"{srv.url}/works", params={"per_page": 1}, timeout=10).json()
        log = srv.requests_log
        billed = srv.billed_calls
    assert billed == sum(1 for e in log if e["status"] == 200 and e["fault"] in (None, "slow"))
    return [e["fault"] for e in log]


def test_every_fault_kind_is_observed_and_seeded_runs_repeat() -> None:
    faults = _run_mixed(seed=11, n=120)
    kinds = {"429", "budget_429", "500", "503", "slow", "truncated", "drop", "invalid_json"}
    assert kinds <= set(faults) and None in faults
    assert _run_mixed(seed=11, n=40) == faults[:40]


def test_fault_plan_rejects_impossible_rates() -> None:
    with pytest.raises(ValueError):
        FaultPlan(rate_500=1.5)
    with pytest.raises(ValueError):
        FaultPlan(rate_500=0.6, rate_503=0.6)


def test_rps_limit_answers_short_429s_that_are_not_billed() -> None:
    with OpenAlexServer([FIXTURE], rps=5) as srv, requests.Session() as session:
        resps = [session.get(f"{srv.url}/works", params={"per_page": 1}) for _ in range(15)]
        limited = [r for r in resps if r.status_code == 429]
        assert limited and all(r.headers["Retry-After"] == "1" for r in limited)
        assert all("too many requests per second" in r.json()["message"] for r in limited)
        assert srv.billed_calls == sum(r.status_code == 200 for r in resps)


def test_rps_cap_is_a_one_second_window_like_the_live_api() -> None:
    """2R requests at once: the first R are answered, the other R get a short 429.

    OpenAlex's cap is "100 requests per second"; a recorded probe of the live API sent 101
    requests at once with a key and got exactly one 429.
    """
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def one() -> None:
        with requests.Session() as session:
            barrier.wait()
            codes.append(session.get(f"{srv.url}/works", params={"per_page": 1}).status_code)

    with OpenAlexServer([FIXTURE], rps=10) as srv:
        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        first = min(r["t"] for r in srv.requests_log)
        spread = max(r["t"] for r in srv.requests_log) - first
    assert spread < 1.0  # all 20 arrived within one second, so exactly 10 fit
    assert sorted(codes) == [200] * 10 + [429] * 10


def test_concurrent_clients_and_rate_limit() -> None:
    codes: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            for _ in range(6):
                code = session.get(f"{srv.url}/works", params={"per_page": 5}).status_code
                with lock:
                    codes.append(code)

    with OpenAlexServer([FIXTURE], rps=20) as srv:
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(codes) == 48 and set(codes) == {200, 429}


def test_concurrent_cursor_chains_are_independent(server, works) -> None:
    outcomes: list[set[str]] = []

    def chain() -> None:
        results, _ = cursor_chain(server, per_page=13, select="id")
        outcomes.append({w["id"] for w in results})

    threads = [threading.Thread(target=chain) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [{w["id"] for w in works}] * 6


def test_stop_is_fast_with_keep_alive_and_slow_requests_in_flight() -> None:
    srv = OpenAlexServer([FIXTURE], faults=FaultPlan(rate_slow=1.0, slow_seconds=30)).start()
    session = requests.Session()
    errors: list[BaseException] = []

    def slow_request() -> None:
        try:
            session.get(f"{srv.url}/works", params={"per_page": 1}, timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    waiter = threading.Thread(target=slow_request)
    waiter.start()
    deadline = time.monotonic() + 5
    while not srv.requests_log and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - t0 < 1.0
    waiter.join(timeout=5)
    assert not waiter.is_alive() and errors  # the in-flight request was cut, not served
    with pytest.raises(requests.ConnectionError):
        session.get(f"{srv.url}/works", timeout=2)
    session.close()


# -- loading and command line -------------------------------------------------------------------


def test_loads_jsonl_plain_arrays_and_api_pages(tmp_path, works) -> None:
    tricky = [w for w in works if "\u2028" in json.dumps(w, ensure_ascii=False)]
    assert tricky, "fixture should keep a record with U+2028"
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(
        b"\n".join(json.dumps(w, ensure_ascii=False).encode() for w in works[:10] + tricky)
    )
    array = tmp_path / "b.json"
    array.write_text(json.dumps(works[10:20]))
    page = tmp_path / "c.json"
    page.write_text(json.dumps({"meta": {"count": 5}, "results": works[20:25]}))
    with OpenAlexServer([jsonl, array, page]) as srv:
        results, _ = cursor_chain(srv, per_page=200)
    assert {w["id"] for w in results} == {w["id"] for w in works[:25] + tricky}
    by_id = {w["id"]: w for w in results}
    assert all(by_id[w["id"]] == w for w in tricky)


@pytest.mark.slow
def test_command_line_prints_url_and_serves(tmp_path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "coauthor.devtools.oaserver", "--works", str(FIXTURE),
         "--require-key", KEY, "--fault-500", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        resp = requests.get(f"{url}/works", params={"api_key": KEY, "per_page": 1}, timeout=10)
        assert resp.status_code == 200 and resp.json()["meta"]["count"] == len(read_fixture())
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert KEY not in out + err
