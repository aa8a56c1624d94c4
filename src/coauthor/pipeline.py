"""Plain functions behind the CLI verbs and the Prefect tasks: one path for every caller."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coauthor import readers, warehouse
from coauthor.landing import LandingZone
from coauthor.sample import REAL_WORKS
from coauthor.sample.synthetic import write_corpus
from coauthor.settings import Settings

log = logging.getLogger("coauthor")
SYNTHETIC_SCALE = 0.25


def ingest_snapshot(settings: Settings, paths: Iterable[Path]) -> readers.IngestResult:
    """Land OpenAlex works files, snapshot folders, API pages or arrays."""
    with LandingZone(settings.landing_dir) as zone:
        return readers.ingest_paths(zone, [Path(p) for p in paths], source="snapshot")


def ingest_sample(settings: Settings, synthetic: bool = True) -> readers.IngestResult:
    """Land the bundled real records and, unless told not to, the synthetic corpus."""
    with LandingZone(settings.landing_dir) as zone:
        result = readers.ingest_paths(zone, [REAL_WORKS], source="sample")
        if synthetic:
            with tempfile.TemporaryDirectory() as tmp:
                corpus = Path(tmp) / "synthetic_works.jsonl.gz"
                write_corpus(corpus, scale=SYNTHETIC_SCALE)
                more = readers.ingest_paths(zone, [corpus], source="synthetic")
            result.landed += more.landed
            result.skipped += more.skipped
    return result


def build(settings: Settings) -> warehouse.BuildResult:
    """Rebuild all marts from the landing zone and publish them atomically."""
    return warehouse.build(settings)


@dataclass
class RunResult:
    """Where everything a run produced is."""

    ingest: readers.IngestResult
    build: warehouse.BuildResult
    charts: list[Path]
    charts_dir: Path
    report: Path | None
