"""Benchmark: file ingestion (works/s), build seconds and peak memory.

    .tools/bin/uv run python benchmarks/bench_ingest_build.py [--scale 4]

Each step runs as its own `coauthor` subprocess so peak memory (max RSS) is per step. Inputs:
the bundled real sample (875 works) and a synthetic corpus written by
`coauthor.sample.synthetic.write_corpus` at the given scale (scale 1 ≈ 147,000 works).
Results go to benchmarks/results/ingest_build.json with the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coauthor.sample import REAL_WORKS
from coauthor.sample.synthetic import write_corpus

OUT = Path(__file__).parent / "results"


def timed(cmd: list[str], env: dict) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    wrapped = ["/usr/bin/time", "-f", "%M"] + cmd
    proc = subprocess.run(wrapped, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=4.0)
    args = ap.parse_args()
    results: dict = {"command": " ".join([sys.executable, *sys.argv]), "machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "synthetic.jsonl.gz"
        t = time.perf_counter()
        n_big = write_corpus(big, scale=args.scale)
        results["generate_seconds"] = round(time.perf_counter() - t, 1)
        coauthor = [sys.executable, "-m", "coauthor"]
        for label, path, n in (("real_sample", REAL_WORKS, 875), ("synthetic", big, n_big)):
            env = {**os.environ, "COAUTHOR_DATA_DIR": str(tmp / label)}
            ingest = timed([*coauthor, "ingest", "snapshot", str(path)], env)
            build = timed([*coauthor, "build"], env)
            rebuild = timed([*coauthor, "build"], env)  # normalized Parquet already cached
            results[label] = {
                "works": n,
                "file_mb": round(path.stat().st_size / 2**20, 1),
                "ingest": {**ingest, "works_per_s": round(n / ingest["seconds"])},
                "build_first": build,
                "build_again": rebuild,
            }
            print(label, json.dumps(results[label]), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "ingest_build.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
