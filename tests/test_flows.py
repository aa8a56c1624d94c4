"""Prefect flows: backfill on a 2-worker Dask cluster, retries, publish under a reader, rollback."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from prefect.testing.utilities import prefect_test_harness

from coauthor import pipeline, warehouse
from coauthor.devtools.oaserver import FaultPlan, OpenAlexServer
from coauthor.errors import CoauthorError
from coauthor.sample.synthetic import generate_works, write_corpus
from coauthor.settings import load_settings
from tests.conftest import HANDMADE
from tests.harvest_helpers import WORKS

pytestmark = pytest.mark.slow
MARTS = ("country_year", "country_pair_year", "data_quality_year", "quarantine")


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _snapshot(folder: Path, parts: int = 4) -> Path:
    """An OpenAlex snapshot works/ folder: manifest + updated_date=*/part_*.gz (synthetic)."""
    works = list(generate_works(years=range(2015, 2021), scale=0.02))
    entries = []
    for i in range(parts):
        part = folder / f"updated_date=2026-0{i + 1}-01" / "part_000.gz"
        part.parent.mkdir(parents=True)
        chunk = works[i::parts]
        part.write_bytes(
            gzip.compress("".join(json.dumps(w) + "\n" for w in chunk).encode(), mtime=0)
        )
        entries.append(
            {
                "url": f"s3://openalex/data/works/{part.parent.name}/part_000.gz",
                "meta": {"content_length": part.stat().st_size, "record_count": len(chunk)},
            }
        )
    (folder / "manifest").write_text(json.dumps({"entries": entries, "meta": {}}))
    return folder


def _marts(db: Path) -> dict[str, list]:
    """Mart rows, floats rounded to 9 places (summation order differs between runs)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for m in MARTS:
            sql = (
                f"select * exclude (source_file) from {m} order by all"
                if m == "quarantine"
                else f"select * from {m} order by all"
            )
            out[m] = [
                tuple(round(v, 9) if isinstance(v, float) else v for v in row)
                for row in con.execute(sql).fetchall()
            ]
        return out
    finally:
        con.close()


def test_backfill_on_two_dask_workers_equals_single_process(tmp_path: Path, harness) -> None:
    from prefect_dask import DaskTaskRunner

    from coauthor.flows import backfill

    snap = _snapshot(tmp_path / "works")
    single = load_settings(data_dir=tmp_path / "single")
    pipeline.ingest_snapshot(single, [snap])
    pipeline.build(single)

    runner = DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )
    summary = backfill.with_options(task_runner=runner)(str(snap), data_dir=str(tmp_path / "dask"))
    assert summary["parts"] == 4 and len(summary["parquet"]) == 4
    assert all(Path(p).exists() for p in summary["parquet"])
    got, want = _marts(tmp_path / "dask" / "coauthor.duckdb"), _marts(single.db_path)
    assert want["country_year"] and got["country_year"] == want["country_year"]
    assert got == want


def test_a_task_that_fails_once_succeeds_on_retry(tmp_path: Path, harness, monkeypatch) -> None:
    from coauthor.flows import nightly

    with OpenAlexServer([WORKS], faults=FaultPlan(fail_first_n=1)) as srv:
        for k, v in {
            "COAUTHOR_OPENALEX_URL": srv.url,
            "COAUTHOR_MAX_RETRIES": "0",
            "COAUTHOR_HARVEST_COUNTRIES": "US,GB",
            "COAUTHOR_HARVEST_YEARS": "2000-2025",
            "COAUTHOR_PER_PAGE": "5",
            "COAUTHOR_REPORTS_DIR": str(tmp_path / "reports"),
        }.items():
            monkeypatch.setenv(k, v)
        summary = nightly(data_dir=str(tmp_path / "data"), sample=False, run_harvest=True)
        statuses = [r["status"] for r in srv.requests_log]
    assert statuses[0] == 503  # the harvest task's first attempt failed with no client retry
    assert summary["harvest"]["status"] == "complete"
    assert (tmp_path / "reports" / "run_summary.json").exists()
    assert "works in the universe" in (tmp_path / "reports" / "run_summary.md").read_text()


READER = """
import sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
import os
while not os.path.exists(stop):
    con = duckdb.connect(path, read_only=True)
    print(con.execute("select sum(works_whole) from country_year").fetchall()[0][0], flush=True)
    con.close()
"""


def _sum_in_new_process(db: Path) -> int:
    code = (
        "import duckdb,sys; c = duckdb.connect(sys.argv[1], read_only=True);"
        "print(c.execute('select sum(works_whole) from country_year').fetchall()[0][0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True)
    return int(out.stdout.strip())


def test_publish_under_a_concurrent_reader(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    pipeline.ingest_snapshot(settings, [HANDMADE / "works.jsonl"])
    pipeline.build(settings)
    # an analyst holding the database open for the whole build, in another process
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys,time; c = duckdb.connect(sys.argv[1],"
            " read_only=True); time.sleep(600)",
            str(settings.db_path),
        ]
    )
    before = _sum_in_new_process(settings.db_path)
    stop = tmp_path / "stop"
    loop = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.db_path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        corpus = tmp_path / "more.jsonl.gz"
        write_corpus(corpus, scale=0.01, years=range(2019, 2021))
        pipeline.ingest_snapshot(settings, [corpus])
        started = time.monotonic()
        pipeline.build(settings)  # builds and publishes while both readers are open
        elapsed = time.monotonic() - started
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = loop.communicate(timeout=60)
        holder.kill()
    after = _sum_in_new_process(settings.db_path)
    seen = {int(x) for x in out.split()}
    assert loop.returncode == 0, err  # no reader ever failed or saw a half-built file
    assert after > before
    assert seen == {before, after}, "readers saw only the old or the new complete database"
    assert elapsed < 60  # the open reader did not block the build


def test_rollback_publishes_the_previous_build(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", keep_versions=3)
    pipeline.ingest_snapshot(settings, [HANDMADE / "works.jsonl"])
    first = pipeline.build(settings)
    pipeline.ingest_snapshot(settings, [WORKS])
    second = pipeline.build(settings)
    assert first.works_in_universe != second.works_in_universe
    warehouse.rollback(settings)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    n = con.execute("select info->>'works_in_universe' from build_info").fetchall()[0][0]
    assert int(n) == first.works_in_universe
    with pytest.raises(CoauthorError, match="older build"):
        warehouse.rollback(settings, steps=5)


def _pages(data: Path) -> int:
    """Landed API pages, read without ever creating or locking the manifest for writing."""
    db = data / "landing" / "manifest.sqlite"
    if not db.exists():
        return 0
    con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=1)
    try:
        return con.execute("select count(*) from files where source='api'").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        con.close()


def test_nightly_killed_midway_reruns_without_refetching(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl.gz"
    write_corpus(corpus, scale=0.03, years=range(2016, 2021))
    home = tmp_path / "home"
    home.mkdir()
    with OpenAlexServer([corpus], faults=FaultPlan(rate_slow=1.0, slow_seconds=0.05)) as srv:
        env = {
            **os.environ,
            "HOME": str(home),
            "COAUTHOR_OPENALEX_URL": srv.url,
            "COAUTHOR_DATA_DIR": str(tmp_path / "data"),
            "COAUTHOR_REPORTS_DIR": str(tmp_path / "reports"),
            "COAUTHOR_HARVEST_COUNTRIES": "JP,US",
            "COAUTHOR_HARVEST_YEARS": "2016-2020",
            "COAUTHOR_PER_PAGE": "10",
            "COAUTHOR_MAX_WORKERS": "2",
        }
        cmd = [sys.executable, "-m", "coauthor", "run", "--no-sample", "--harvest"]
        first_log = tmp_path / "first-run.log"
        with first_log.open("wb") as log:
            # its own process group, so the kill takes Prefect's temporary server too, as a
            # machine-level kill would; a lone SIGKILL leaves that server running (operations.md)
            proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            deadline = time.monotonic() + 300
            while _pages(tmp_path / "data") < 8 and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        landed_at_kill = _pages(tmp_path / "data")
        assert landed_at_kill >= 8, first_log.read_text(errors="replace")[-4000:]
        log_at_kill = len(srv.requests_log)
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        answered = Counter(
            (r["query"].get("filter"), r["query"].get("cursor"))
            for r in srv.requests_log
            if r["status"] == 200 and "group_by" not in r["query"]
        )
        before_kill = {
            (r["query"].get("filter"), r["query"].get("cursor"))
            for r in srv.requests_log[:log_at_kill]
            if r["status"] == 200 and "group_by" not in r["query"]
        }
    repeated = [k for k, n in answered.items() if n > 1]
    # only pages in flight at the kill (at most one per worker) were asked again
    assert len(repeated) <= 2 and set(repeated) <= before_kill
    assert "database:" in out.stdout


def test_normalizing_a_part_larger_than_the_memory_cap(tmp_path: Path) -> None:
    """A backfill task's memory is capped by DuckDB, whatever the part size."""
    part = tmp_path / "part_000.gz"
    n = write_corpus(part, scale=2, years=range(2000, 2026))
    raw_mb = len(gzip.decompress(part.read_bytes())) / 2**20
    assert raw_mb > 300  # the uncompressed part is larger than the cap below
    out = warehouse.normalize_file(part, tmp_path / "part.parquet", memory_limit="300MB")
    con = duckdb.connect()
    assert con.execute("select count(*) from read_parquet(?)", [str(out)]).fetchall() == [(n,)]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [(None, ("180", "false")), ("45", ("45", "false"))],
)
def test_local_prefect_defaults_fill_only_what_the_operator_left_unset(preset, expected) -> None:
    """A fresh HOME's first Prefect start can take over 20 s on a busy machine (CI failed so)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    if preset:
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = preset
    code = (
        "import coauthor.flows, prefect.settings as s; "
        "print(s.PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), "
        "str(s.get_current_settings().server.analytics_enabled).lower())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert tuple(out.stdout.split()) == expected
