"""A real harvest subprocess killed with SIGKILL at several points resumes without loss."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from coauthor.devtools.oaserver import FaultPlan, OpenAlexServer
from coauthor.sample.synthetic import write_corpus
from tests.harvest_helpers import expected_ids, landed_by_slice, landed_ids

pytestmark = pytest.mark.slow
COUNTRIES = "JP,US,CN"
YEARS = (2015, 2020)


def _landed_pages(data: Path) -> int:
    db = data / "landing" / "manifest.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("select count(*) from files where source = 'api'").fetchone()[0]
    except sqlite3.Error:
        return 0


def _harvest(url: str, data: Path, kill_after_pages: int | None) -> int | None:
    env = {
        **os.environ,
        "COAUTHOR_OPENALEX_URL": url,
        "COAUTHOR_PER_PAGE": "10",
        "COAUTHOR_MAX_WORKERS": "3",
        "COAUTHOR_RATE_LIMIT_RPS": "100",
        "COAUTHOR_DATA_DIR": str(data),
    }
    cmd = [
        sys.executable,
        "-m",
        "coauthor",
        "ingest",
        "api",
        "--countries",
        COUNTRIES,
        "--years",
        f"{YEARS[0]}-{YEARS[1]}",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after_pages is None:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
        return None
    deadline = time.monotonic() + 120
    while _landed_pages(data) < kill_after_pages and proc.poll() is None:
        assert time.monotonic() < deadline, "harvest made no progress"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return _landed_pages(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "works.jsonl.gz"
    write_corpus(path, scale=0.04, years=range(YEARS[0], YEARS[1] + 1))
    return path


def test_killed_harvest_resumes_to_the_same_works(tmp_path: Path, corpus: Path) -> None:
    countries = COUNTRIES.split(",")
    expected = expected_ids(countries, YEARS, path=corpus)
    assert len(expected) > 300  # enough pages for kills to land mid-harvest

    # slow answers (30 ms) so that kills fall between and during page writes
    slow = FaultPlan(rate_slow=1.0, slow_seconds=0.03)
    with OpenAlexServer([corpus], faults=slow) as srv:
        _harvest(srv.url, tmp_path / "straight", None)
    straight = landed_by_slice(tmp_path / "straight")

    with OpenAlexServer([corpus], faults=slow) as srv:
        killed_at = [_harvest(srv.url, tmp_path / "killed", n) for n in (2, 15, 40, 70)]
        _harvest(srv.url, tmp_path / "killed", None)
        answered = Counter(
            (r["query"].get("filter"), r["query"].get("cursor"))
            for r in srv.requests_log
            if r["status"] == 200 and "group_by" not in r["query"]
        )
    resumed = landed_by_slice(tmp_path / "killed")
    assert killed_at == sorted(killed_at) and killed_at[0] >= 2  # really killed mid-run
    assert {k: sorted(v) for k, v in resumed.items()} == {k: sorted(v) for k, v in straight.items()}
    ids = landed_ids(tmp_path / "killed")
    assert set(ids) == expected
    for slice_ids in resumed.values():
        assert len(slice_ids) == len(set(slice_ids)), "a page was landed twice"
    # a page may be asked again only if a kill cut it between the answer and its landing:
    # at most one in-flight page per worker per kill
    repeats = sum(n - 1 for n in answered.values() if n > 1)
    assert repeats <= 3 * len(killed_at)
