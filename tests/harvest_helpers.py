"""Helpers for the harvest tests: independent expectations from the fixture works."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from coauthor.landing import LandingZone
from tests.reference import read_works

WORKS = Path(__file__).parent / "fixtures" / "oaserver" / "works_sample.jsonl.gz"


def work_countries(w: dict) -> set[str]:
    """What OpenAlex's authorships.countries filter matches (countries ∪ institution codes)."""
    out = set()
    for a in w.get("authorships") or []:
        out |= {c.upper() for c in a.get("countries") or [] if c}
        out |= {
            i["country_code"].upper() for i in a.get("institutions") or [] if i.get("country_code")
        }
    return out


def expected_ids(
    countries: list[str], years: tuple[int, int], types=("article", "review"), path: Path = WORKS
) -> set[str]:
    ids = set()
    for w in read_works(path):
        y = w.get("publication_year")
        if not isinstance(y, int) or not years[0] <= y <= years[1]:
            continue
        if "*" not in types and w.get("type") not in types:
            continue
        if work_countries(w) & set(countries):
            ids.add(w["id"].rsplit("/", 1)[-1])
    return ids


def landed_ids(data_dir: Path) -> list[str]:
    """Every work id in every landed API page (with repeats, to catch duplicates)."""
    ids = []
    with LandingZone(data_dir / "landing") as zone:
        for f in zone.landed_files(source="api"):
            for line in gzip.decompress(f.path.read_bytes()).split(b"\n"):
                if line.strip():
                    ids.append(json.loads(line)["id"].rsplit("/", 1)[-1])
    return ids


def landed_by_slice(data_dir: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with LandingZone(data_dir / "landing") as zone:
        for row in zone.manifest_rows():
            if row["source"] == "api":
                ids = [
                    json.loads(x)["id"]
                    for x in gzip.decompress((zone.root / row["path"]).read_bytes()).split(b"\n")
                    if x.strip()
                ]
                out.setdefault(row["slice"], []).extend(ids)
    return out
