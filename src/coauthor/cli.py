"""The `coauthor` command: one group, each command calls one library function."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from coauthor import pipeline
from coauthor.errors import BudgetExhausted, CoauthorError
from coauthor.settings import Settings, load_settings


class _Group(click.Group):
    """Print CoauthorError messages without a traceback, with their own exit code."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CoauthorError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Overrides COAUTHOR_DATA_DIR.")
@click.option("--peers", help="Comma-separated ISO codes; overrides COAUTHOR_PEERS.")
@click.option("-v", "--verbose", count=True, help="-v info, -vv debug.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, peers: str | None, verbose: int) -> None:
    """coauthor: OpenAlex → international co-authorship indicators."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(message)s")
    ctx.obj = {"data_dir": data_dir, "peers": peers}


def settings_from(ctx: click.Context, **extra) -> Settings:
    obj = ctx.find_root().obj or {}
    return load_settings(data_dir=obj.get("data_dir"), peers=obj.get("peers"), **extra)


@main.group()
def ingest() -> None:
    """Land OpenAlex works in the landing zone."""


@ingest.command("snapshot")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def ingest_snapshot(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Land works files: JSON Lines (.jsonl, .gz), snapshot works/ folders, API pages, arrays."""
    settings = settings_from(ctx)
    result = pipeline.ingest_snapshot(settings, paths)
    for f in result.landed:
        click.echo(f"landed {f.records:>9,} records  {f.origin}")
    for s in result.skipped:
        click.echo(f"skipped (already landed, same checksum)  {s}")
    click.echo(f"{len(result.landed)} file(s), {result.records:,} records → {settings.landing_dir}")


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


@ingest.command("api")
@click.option("--countries", required=True, help="Comma-separated ISO codes, e.g. JP,US,CN.")
@click.option("--years", required=True, help="FIRST-LAST or YEAR, e.g. 2000-2025.")
@click.option("--since", help="Only works updated since this date (from_updated_date).")
@click.option("--max-calls", type=click.IntRange(min=1), help="Stop cleanly after N API calls.")
@click.option("--per-page", type=click.IntRange(1, 200), help="Overrides COAUTHOR_PER_PAGE.")
@click.option("--workers", type=click.IntRange(1, 64), help="Overrides COAUTHOR_MAX_WORKERS.")
@click.pass_context
def ingest_api(
    ctx: click.Context,
    countries: str,
    years: str,
    since: str | None,
    max_calls: int | None,
    per_page: int | None,
    workers: int | None,
) -> None:
    """Harvest works from the OpenAlex API into the landing zone (resumable)."""
    from coauthor.openalex import harvest

    settings = settings_from(ctx, per_page=per_page, max_workers=workers)
    codes = harvest.parse_countries(countries)
    span = harvest.parse_years(years)
    day = harvest.parse_since(since)
    result = harvest.harvest_works(settings, codes, span, day, max_calls, echo=_echo_err)
    click.echo(
        f"{result.status}: {result.works:,} works in {result.pages:,} pages, "
        f"{result.calls:,} calls, {result.slices_done}/{result.slices_total} slices, "
        f"{result.seconds:.1f}s" + (f", retried faults {result.faults}" if result.faults else "")
    )
    if result.status == "budget":
        click.echo(
            f"the daily budget is spent; it resets at {result.resets_at}. Run the same "
            "command then to continue.",
            err=True,
        )
        ctx.exit(BudgetExhausted.exit_code)
    if result.status == "max_calls":
        click.echo("stopped at --max-calls; run the same command again to continue.", err=True)


@ingest.command("counts")
@click.option("--countries", required=True, help="Comma-separated ISO codes, e.g. JP,US,CN.")
@click.option("--years", required=True, help="FIRST-LAST or YEAR, e.g. 2000-2025.")
@click.option("--max-calls", type=click.IntRange(min=1), help="Stop cleanly after N API calls.")
@click.pass_context
def ingest_counts(ctx: click.Context, countries: str, years: str, max_calls: int | None) -> None:
    """National totals and partner counts via group_by: a few calls per country and year."""
    from coauthor.openalex import counts, harvest

    settings = settings_from(ctx)
    codes = harvest.parse_countries(countries)
    span = harvest.parse_years(years)
    result = counts.fetch_counts(settings, codes, span, max_calls, echo=_echo_err)
    click.echo(
        f"counts: {result.countries_done}/{result.countries_total} countries, "
        f"{result.rows:,} rows, {result.calls:,} calls; run `coauthor build` to update the marts"
    )


@main.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Rebuild the marts from the landing zone and publish the database atomically."""
    settings = settings_from(ctx)
    result = pipeline.build(settings)
    _echo_build(result)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default reports/charts).")
@click.option("--lang", type=click.Choice(["ja", "en", "both"]), default="both")
@click.pass_context
def charts(ctx: click.Context, out: Path | None, lang: str) -> None:
    """Draw the indicator charts (PNG, SVG, PDF) and their CSV from the published database."""
    from coauthor import report

    langs = ["ja", "en"] if lang == "both" else [lang]
    result = report.render_charts(settings_from(ctx, chart_langs=langs), out)
    click.echo(f"{len(result.files)} chart files → {result.out_dir}")
    if result.synthetic:
        click.echo("note: the database holds synthetic sample data; the charts say so")


@main.command("report")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Root folder (default: the reports dir)."
)
@click.option("--lang", type=click.Choice(["ja", "en", "both"]), default="both")
@click.pass_context
def report_command(ctx: click.Context, out: Path | None, lang: str) -> None:
    """Write OUT/<today>/: index.html, brief.md, charts with their CSV and manifest.json."""
    from coauthor import report

    langs = ["ja", "en"] if lang == "both" else [lang]
    folder = report.write_report(settings_from(ctx, chart_langs=langs), out)
    click.echo(f"report → {folder}")
    click.echo(f"open {folder / 'index.html'}")


@main.command()
@click.option("--sample/--no-sample", default=None, help="Land the bundled sample (offline).")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also ingest these files or folders (repeatable).",
)
@click.option(
    "--harvest/--no-harvest",
    "run_harvest",
    default=None,
    help="Harvest the API incrementally (needs COAUTHOR_OPENALEX_API_KEY).",
)
@click.option("--counts/--no-counts", "run_counts", default=None, help="Fetch counts mode.")
@click.option("--charts-dir", type=click.Path(path_type=Path))
@click.pass_context
def run(
    ctx: click.Context,
    sample: bool | None,
    inputs: tuple[Path, ...],
    run_harvest: bool | None,
    run_counts: bool | None,
    charts_dir: Path | None,
) -> None:
    """Ingest (as configured) → build → quality gates → publish → charts: the nightly flow."""
    from coauthor.flows import nightly

    settings = settings_from(ctx)
    summary = nightly(
        data_dir=str(settings.data_dir),
        sample=sample,
        inputs=[str(p) for p in inputs] or None,
        run_harvest=run_harvest,
        run_counts=run_counts,
        charts_dir=str(charts_dir) if charts_dir else None,
    )
    b = summary["build"]
    click.echo("")
    click.echo(
        f"built {b['works_in_universe']:,} works in the universe from "
        f"{b['works_landed_records']:,} landed records in {b['seconds']:.1f}s"
    )
    if b["quarantined"]:
        parts = ", ".join(f"{n} {reason}" for reason, n in b["quarantined"].items())
        click.echo(f"quarantined: {parts} (table quarantine)")
    click.echo(f"database: {Path(summary['database']).resolve()}")
    click.echo(f"charts:   {Path(summary['charts']['out_dir']).resolve()}")
    if summary.get("report"):
        click.echo(f"report:   {Path(summary['report']).resolve()}")
    if summary["charts"]["synthetic"]:
        click.echo("note: the sample includes a synthetic corpus; every chart says so on its face")


@main.command()
@click.option("--steps", default=1, show_default=True, type=click.IntRange(min=1))
@click.pass_context
def rollback(ctx: click.Context, steps: int) -> None:
    """Publish an earlier build again (the newest COAUTHOR_KEEP_VERSIONS are kept)."""
    from coauthor import warehouse

    build = warehouse.rollback(settings_from(ctx), steps)
    click.echo(f"published {build.name} again as {settings_from(ctx).db_path}")


@main.command()
@click.option("--cron", help="Overrides COAUTHOR_SCHEDULE_CRON (default 0 3 * * *).")
@click.pass_context
def serve(ctx: click.Context, cron: str | None) -> None:
    """Run the nightly flow on its schedule in this process (Prefect's local mode)."""
    from prefect.schedules import Cron

    from coauthor.flows import nightly

    settings = settings_from(ctx)
    schedule = Cron(cron or settings.schedule_cron, timezone=settings.schedule_timezone)
    click.echo(f"serving coauthor-nightly at '{schedule.cron}' {settings.schedule_timezone}")
    nightly.serve(
        name="coauthor-nightly",
        schedules=[schedule],
        parameters={"data_dir": str(settings.data_dir.resolve())},
    )


@main.command()
@click.argument("snapshot", type=click.Path(exists=True, path_type=Path))
@click.option("--dask", "dask_address", help="Dask scheduler address, e.g. tcp://host:8786.")
@click.pass_context
def backfill(ctx: click.Context, snapshot: Path, dask_address: str | None) -> None:
    """Rebuild from a synced OpenAlex snapshot works/ folder, in parallel (Dask if given)."""
    from coauthor.flows import backfill_with_runner

    settings = settings_from(ctx)
    summary = backfill_with_runner(str(snapshot), dask_address, data_dir=str(settings.data_dir))
    click.echo(f"{summary['parts']} part(s) normalized; database: {summary.get('database')}")


@main.command("sql")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
)
@click.option("--out", type=click.Path(path_type=Path), help="Write here (needed for parquet).")
@click.pass_context
def sql_command(ctx: click.Context, query: str, fmt: str, out: Path | None) -> None:
    """Run one read-only query on the published database (no writes, no file access)."""
    from coauthor import analyst

    settings = settings_from(ctx)
    if fmt == "parquet" and out is None:
        raise click.UsageError("--format parquet needs --out FILE")
    result = analyst.run_query(settings, query)
    text = analyst.render(result, fmt, out)
    if text is not None:
        click.echo(text, nl=False)
    else:
        click.echo(f"{result.height:,} rows → {out}", err=True)


@main.command()
@click.pass_context
def quality(ctx: click.Context) -> None:
    """Per year: universe works, works with no country, truncated authorships, quarantine."""
    from coauthor import analyst

    click.echo(analyst.format_quality(analyst.quality_report(settings_from(ctx))), nl=False)


def _echo_build(result) -> None:
    click.echo(
        f"built {result.works_in_universe:,} works in the universe from "
        f"{result.works_landed_records:,} landed records in {result.seconds:.1f}s"
    )
    if result.quarantined:
        parts = ", ".join(f"{n} {reason}" for reason, n in result.quarantined.items())
        click.echo(f"quarantined: {parts} (see table quarantine)")
    click.echo(f"database: {result.database}")
