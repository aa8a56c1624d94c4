"""Benchmark: API harvest against the local OpenAlex server limited to R requests/s.

    .tools/bin/uv run python benchmarks/bench_harvest.py [--rps 20] [--scale 0.5]

The server runs in its own process (`python -m coauthor.devtools.oaserver --rps R`) serving a
synthetic corpus; the harvest runs here with COAUTHOR_RATE_LIMIT_RPS=R. Reports the sustained
request rate (answered list calls per second, planning included), pages requested twice, works/s
landed and CPU seconds of the harvesting process per 1,000 works.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_ingest_build import OUT, machine

from coauthor.openalex.harvest import harvest_works
from coauthor.sample.synthetic import write_corpus
from coauthor.settings import load_settings


def _process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of a running process, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rps", type=float, default=20)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--per-page", type=int, default=100)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "works.jsonl.gz"
        write_corpus(corpus, scale=args.scale, years=range(2015, 2026))
        log = tmp / "server.log"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coauthor.devtools.oaserver",
                "--works",
                str(corpus),
                "--rps",
                str(args.rps),
                "--port",
                "0",
                "--log-file",
                str(log),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        url = server.stdout.readline().strip()
        try:
            settings = load_settings(
                data_dir=tmp / "data",
                openalex_url=url,
                rate_limit_rps=args.rps,
                per_page=args.per_page,
                max_workers=args.workers,
            )
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            result = harvest_works(
                settings,
                ["JP", "US", "CN", "GB", "DE", "FR", "KR"],
                (2015, 2025),
                echo=lambda s: None,
            )
            seconds = time.perf_counter() - started
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = _process_cpu_seconds(server.pid)
        finally:
            server.terminate()
            server.wait()
        entries = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    ok = [e for e in entries if e["status"] == 200]
    pages = Counter(
        (e["query"].get("filter"), e["query"].get("cursor"))
        for e in ok
        if "group_by" not in e["query"]
    )
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    # The whole-run figure above includes start-up, the plan calls and the drain of the last
    # slices; the paging phase runs from the first to the last answered page request.
    page_times = sorted(e["t"] for e in ok if "group_by" not in e["query"])
    paging_s = page_times[-1] - page_times[0]
    per_second = Counter(int(t - page_times[0]) for t in page_times)
    full_seconds = [per_second[i] for i in range(int(paging_s))]  # whole 1-s bins only
    res = {
        "command": " ".join([sys.executable, *sys.argv]),
        "machine": machine(),
        "rps_limit": args.rps,
        "status": result.status,
        "works_landed": result.works,
        "calls_answered_200": len(ok),
        "calls_429": sum(e["status"] == 429 for e in entries),
        "seconds": round(seconds, 2),
        "sustained_rps": round(len(ok) / seconds, 2),
        "sustained_fraction_of_limit": round(len(ok) / seconds / args.rps, 3),
        "paging_phase_seconds": round(paging_s, 2),
        "paging_phase_rps": round((len(page_times) - 1) / paging_s, 2),
        "paging_phase_fraction_of_limit": round((len(page_times) - 1) / paging_s / args.rps, 3),
        "one_second_bins_at_or_above_0_9_r": f"{sum(n >= 0.9 * args.rps for n in full_seconds)}"
        f"/{len(full_seconds)}",
        "pages_requested_twice": sum(1 for n in pages.values() if n > 1),
        "works_per_s": round(result.works / seconds),
        "cpu_seconds_per_1000_works": round(1000 * cpu / max(result.works, 1), 3),
        "harvest_process_cpu_share": round(cpu / seconds, 2),
        "server_process_cpu_share": round(server_cpu / seconds, 2) if server_cpu else None,
    }
    print(json.dumps(res, indent=2))
    OUT.mkdir(exist_ok=True)
    (OUT / f"harvest_rps{int(args.rps)}.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
