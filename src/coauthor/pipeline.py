"""Plain functions behind the CLI verbs and the Prefect tasks: one path for every caller."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

from coauthor import readers, warehouse
from coauthor.landing import LandingZone
from coauthor.sample import REAL_WORKS
from coauthor.sample.synthetic import write_corpus
from coauthor.settings import Settings

log = logging.getLogger("coauthor")
SYNTHETIC_SCALE = 0.4


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


def quality_gates(settings: Settings, build_path: Path) -> list[str]:
    """Compare a new build with the published database; raise QualityGateFailed on a jump."""
    import duckdb

    from coauthor.errors import QualityGateFailed

    if not settings.db_path.exists():
        return ["first build: nothing published to compare with"]
    focus = settings.focus_country
    sql_focus = "select coalesce(sum(works_whole), 0) from country_year where country = ?"
    sql_dq = (
        "select coalesce(sum(works_no_country) / nullif(sum(works_in_universe), 0), 0)"
        " from data_quality_year"
    )
    with (
        duckdb.connect(str(build_path), read_only=True) as new,
        warehouse.connect_readonly(settings) as old,
    ):
        before, after = (c.execute(sql_focus, [focus]).fetchall()[0][0] for c in (old, new))
        dq_before, dq_after = (c.execute(sql_dq).fetchall()[0][0] for c in (old, new))
    notes, failures = [], []
    if before:
        drop = 100 * (before - after) / before
        notes.append(f"{focus} works {before:,} → {after:,} ({-drop:+.1f}%)")
        if drop > settings.gate_max_drop_pct:
            failures.append(
                f"{focus} works dropped {drop:.1f}% ({before:,} → {after:,}), more than "
                f"COAUTHOR_GATE_MAX_DROP_PCT={settings.gate_max_drop_pct}"
            )
    jump = 100 * (dq_after - dq_before)
    notes.append(f"share with no country {100 * dq_before:.1f}% → {100 * dq_after:.1f}%")
    if jump > settings.gate_max_no_country_jump_pp:
        failures.append(
            f"share of works with no country rose {jump:.1f} points, more than "
            f"COAUTHOR_GATE_MAX_NO_COUNTRY_JUMP_PP={settings.gate_max_no_country_jump_pp}"
        )
    if failures:
        raise QualityGateFailed(
            "quality gate failed, nothing published: "
            + "; ".join(failures)
            + f". The build is kept at {build_path} for inspection."
        )
    return notes


def headline(settings: Settings) -> dict[str, str]:
    """The focus country's international works and share in the last complete year, with rank."""
    from coauthor.report import build_info, chart_years

    peers = list(dict.fromkeys([settings.focus_country, *settings.peers]))
    con = warehouse.connect_readonly(settings)
    try:
        year = chart_years(build_info(con).get("data_date"))[1]
        rows = con.execute(
            """
            select
                country,
                works_international,
                international_share,
                rank() over (order by works_international desc) as peer_rank,
            from country_year
            where year = ? and list_contains(?, country)
            """,
            [year, peers],
        ).fetchall()
    finally:
        con.close()
    out = {}
    for country, intl, share, rank in rows:
        if country == settings.focus_country:
            out[f"{country} {year}"] = (
                f"{intl:,} internationally co-authored works ({100 * share:.1f}% of its works),"
                f" rank {rank} of {len(rows)} in the peer set"
            )
    return out
