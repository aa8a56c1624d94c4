"""Prefect flows: the nightly run and `coauthor run` are the same flow, so there is one path.

Tasks are thin: each calls one plain function of coauthor. Flow parameters are plain options,
never the settings object, so the API key is never stored in Prefect's database; every task
loads the settings from the environment itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from coauthor import pipeline, report, warehouse
from coauthor.errors import BudgetExhausted, CallLimitReached, ConfigError, QualityGateFailed
from coauthor.landing import LandingZone, file_sha256
from coauthor.settings import Settings, load_settings

log = logging.getLogger("coauthor")


def _transient(task, task_run, state) -> bool:
    """Retry what may pass on its own; never a spent budget, a call limit or a bad setting."""
    try:
        state.result()
    except (BudgetExhausted, CallLimitReached, ConfigError):
        return False
    except Exception:  # noqa: BLE001 - anything else may be transient
        return True
    return True


RETRIES = {"retries": 3, "retry_delay_seconds": [2, 10, 30], "retry_condition_fn": _transient}


def _settings(overrides: dict[str, Any]) -> Settings:
    return load_settings(**overrides)


@task(cache_policy=NO_CACHE)
def ingest_sample(overrides: dict[str, Any]) -> int:
    """Land the bundled sample (real records and the synthetic corpus)."""
    return pipeline.ingest_sample(_settings(overrides)).records


@task(cache_policy=NO_CACHE)
def ingest_files(overrides: dict[str, Any], paths: list[str]) -> int:
    """Land configured files; identical files landed before are skipped."""
    return pipeline.ingest_snapshot(_settings(overrides), [Path(p) for p in paths]).records


@task(cache_policy=NO_CACHE, **RETRIES)
def harvest(overrides: dict[str, Any], since: str | None) -> dict[str, Any]:
    """Incremental API harvest; resumes from checkpoints on retry."""
    from coauthor.openalex.harvest import harvest_works, parse_countries, parse_years

    settings = _settings(overrides)
    countries = parse_countries(settings.harvest_countries or settings.peers)
    years = parse_years(settings.harvest_years or f"2000-{date.today().year}")
    with LandingZone(settings.landing_dir) as zone:
        since = since or zone.get_state("last_harvest_success")
    result = harvest_works(settings, countries, years, since)
    return asdict(result)


@task(cache_policy=NO_CACHE, **RETRIES)
def counts(overrides: dict[str, Any]) -> int:
    """Counts mode totals for the peer set."""
    from coauthor.openalex.counts import fetch_counts
    from coauthor.openalex.harvest import parse_countries, parse_years

    settings = _settings(overrides)
    countries = parse_countries(settings.harvest_countries or settings.peers)
    years = parse_years(settings.harvest_years or f"2000-{date.today().year}")
    return fetch_counts(settings, countries, years).rows


@task(cache_policy=NO_CACHE)
def build(overrides: dict[str, Any]) -> dict[str, Any]:
    """Build every model into a new database file (not yet published)."""
    result = warehouse.build(_settings(overrides), publish_after=False)
    out = asdict(result)
    return {k: str(v) if isinstance(v, Path) else v for k, v in out.items()}


@task(cache_policy=NO_CACHE)
def quality_gates(overrides: dict[str, Any], build_path: str) -> list[str]:
    """Compare the new build with the published one; raise with the reasons if a gate fails."""
    return pipeline.quality_gates(_settings(overrides), Path(build_path))


@task(cache_policy=NO_CACHE)
def publish(overrides: dict[str, Any], build_path: str) -> str:
    """Switch analysts to the new database with one atomic rename."""
    return str(warehouse.publish(_settings(overrides), Path(build_path)))


@task(cache_policy=NO_CACHE)
def charts(overrides: dict[str, Any], out_dir: str | None) -> dict[str, Any]:
    """Draw the charts from the published database."""
    result = report.render_charts(_settings(overrides), Path(out_dir) if out_dir else None)
    return {
        "out_dir": str(result.out_dir),
        "files": [str(f) for f in result.files],
        "synthetic": result.synthetic,
    }


@task(cache_policy=NO_CACHE)
def dated_report(overrides: dict[str, Any]) -> str:
    """Write reports/<date>/: index.html, brief.md, charts with their CSV, manifest.json."""
    return str(report.write_report(_settings(overrides)))


@task(cache_policy=NO_CACHE, **RETRIES)
def land_part(overrides: dict[str, Any], part: str) -> dict[str, str]:
    """Copy one snapshot part into the landing zone (skipped when already landed)."""
    from coauthor import readers

    settings = _settings(overrides)
    with LandingZone(settings.landing_dir) as zone:
        landed = readers.ingest_file(zone, Path(part), source="snapshot")
        if landed is None:
            landed = zone.find_by_origin_sha(file_sha256(Path(part)))
    assert landed is not None
    return {"path": str(landed.path), "sha256": landed.sha256, "records": str(landed.records)}


@task(cache_policy=NO_CACHE, **RETRIES)
def normalize_part(overrides: dict[str, Any], landed: dict[str, str]) -> str:
    """One landed part → normalized Parquet, with DuckDB's memory capped per task."""
    settings = _settings(overrides)
    out = warehouse.normalized_dir(settings.landing_dir) / f"{landed['sha256']}.parquet"
    return str(warehouse.normalize_file(Path(landed["path"]), out, settings.task_memory_limit))


@flow(name="coauthor-backfill", log_prints=True)
def backfill(snapshot: str, data_dir: str | None = None, publish_build: bool = True) -> dict:
    """Full backfill from an OpenAlex snapshot works/ folder: land and normalize every part in
    parallel (local threads, or Dask when the flow runs with a DaskTaskRunner), then build."""
    from coauthor import readers

    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    parts = [str(p) for p in readers.discover([Path(snapshot)])]
    landed = land_part.map(unmapped(overrides), parts)
    parquet = normalize_part.map(unmapped(overrides), landed).result()
    built = build(overrides)
    summary = {"parts": len(parts), "parquet": parquet, "build": built}
    if publish_build:
        summary["database"] = publish(overrides, built["build_path"])
    return summary


def backfill_with_runner(snapshot: str, dask_address: str | None = None, **kw: Any) -> dict:
    """Run the backfill locally (threads) or on a Dask cluster at `dask_address`."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return backfill.with_options(task_runner=DaskTaskRunner(address=dask_address))(
            snapshot, **kw
        )
    return backfill(snapshot, **kw)


@flow(name="coauthor-nightly", log_prints=True)
def nightly(
    data_dir: str | None = None,
    sample: bool | None = None,
    inputs: list[str] | None = None,
    run_harvest: bool | None = None,
    run_counts: bool | None = None,
    since: str | None = None,
    charts_dir: str | None = None,
) -> dict[str, Any]:
    """Ingest (as configured) → build → quality gates → publish → charts."""
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    settings = _settings(overrides)
    inputs = inputs if inputs is not None else [str(p) for p in settings.run_inputs]
    do_harvest = settings.run_harvest if run_harvest is None else run_harvest
    do_counts = settings.run_counts if run_counts is None else run_counts
    if sample is None:
        sample = settings.run_sample
    if sample is None:
        sample = not (inputs or do_harvest or do_counts)
    summary: dict[str, Any] = {"ingested": {}}
    if sample:
        summary["ingested"]["sample"] = ingest_sample(overrides)
    if inputs:
        summary["ingested"]["files"] = ingest_files(overrides, inputs)
    if do_counts:
        summary["ingested"]["counts_rows"] = counts(overrides)
    if do_harvest:
        try:
            summary["harvest"] = harvest(overrides, since)
        except BudgetExhausted as exc:  # build what is landed; the next night continues
            summary["harvest"] = {"status": "budget", "message": str(exc)}
    built = build(overrides)
    summary["build"] = built
    gates = quality_gates(overrides, built["build_path"])
    summary["database"] = publish(overrides, built["build_path"])
    summary["report"] = dated_report(overrides)  # draws every chart into <report>/charts
    if charts_dir:  # an extra copy of the charts only where one was asked for
        summary["charts"] = charts(overrides, charts_dir)
    else:
        manifest = json.loads((Path(summary["report"]) / "manifest.json").read_text())
        summary["charts"] = {
            "out_dir": str(Path(summary["report"]) / "charts"),
            "synthetic": bool(manifest.get("synthetic")),
        }
    summary["gates"] = gates
    run_summary(overrides, summary)
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary people read in Prefect's UI (and in run_summary.md)."""
    b = summary["build"]
    lines = [
        "# coauthor nightly run",
        "",
        f"- works in the universe: **{b['works_in_universe']:,}** "
        f"(from {b['works_landed_records']:,} landed records; data as of {b['data_date']})",
        f"- quarantined: {b['quarantined'] or 'none'}",
        f"- ingested: {summary['ingested']}",
    ]
    if "harvest" in summary:
        h = summary["harvest"]
        lines.append(
            f"- harvest: {h.get('status')} ({h.get('works', 0):,} works, "
            f"{h.get('calls', 0):,} calls)"
        )
    lines += [f"- gate: {note}" for note in summary.get("gates", [])]
    for name, value in summary.get("headline", {}).items():
        lines.append(f"- {name}: {value}")
    lines += [
        f"- database: `{summary['database']}`",
        f"- charts: `{summary['charts']['out_dir']}`",
    ]
    if summary.get("report"):
        lines.append(f"- report: `{summary['report']}`")
    if summary["charts"].get("synthetic"):
        lines.append("- **the data includes the synthetic sample corpus**")
    return "\n".join(lines) + "\n"


@task(cache_policy=NO_CACHE)
def run_summary(overrides: dict[str, Any], summary: dict[str, Any]) -> str:
    """Headline numbers, what changed, where things are: a Prefect artifact and JSON on disk."""
    from prefect.artifacts import create_markdown_artifact

    settings = _settings(overrides)
    summary["headline"] = pipeline.headline(settings)
    text = summary_markdown(summary)
    create_markdown_artifact(
        markdown=text, key="coauthor-run-summary", description="coauthor nightly run summary"
    )
    out = settings.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    folders = [out, *([Path(summary["report"])] if summary.get("report") else [])]
    for folder in folders:  # the latest beside the reports, and a copy in the dated report
        (folder / "run_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        (folder / "run_summary.md").write_text(text)
    return text


__all__ = ["QualityGateFailed", "backfill", "backfill_with_runner", "nightly"]
