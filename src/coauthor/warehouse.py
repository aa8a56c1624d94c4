"""DuckDB: the SQL model runner, key checks, comments, and atomic publish.

Models are plain `.sql` files in `sql/staging`, `sql/intermediate` and `sql/marts`. The run order
follows from the names each model reads (a topological sort), never from a hand-kept list.
Staging and intermediate models are views unless their header says `-- materialized: table`;
marts are tables with `COMMENT ON` taken from their header. A build writes a new database file
under `builds/`; publishing hard-links it to `coauthor.duckdb` with an atomic rename, so analysts
never see a half-built database and a reader never blocks the build.
"""

from __future__ import annotations

import graphlib
import gzip
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from coauthor.errors import BuildError, CoauthorError
from coauthor.landing import LandingZone, fsync
from coauthor.settings import Settings

log = logging.getLogger("coauthor")
LAYERS = ("staging", "intermediate", "marts")
MIN_YEAR = 1500


def sql_dir() -> Path:
    """The models: packaged as coauthor/sql in a wheel, or the repository's sql/ in a checkout."""
    packaged = Path(str(resources.files("coauthor"))) / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sql"


@dataclass
class Model:
    """One SQL file and what its header declares."""

    name: str
    layer: str
    path: Path
    sql: str
    materialized: str
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    unique: list[str] = field(default_factory=list)
    not_null: list[str] = field(default_factory=list)
    grain: str = ""


_HEADER = re.compile(r"^--\s*(\w+)(?:\s+(\w+))?:\s*(.*)$")


def parse_model(path: Path, layer: str) -> Model:
    text = path.read_text(encoding="utf-8")
    model = Model(
        name=path.stem,
        layer=layer,
        path=path,
        sql=text,
        materialized="table" if layer == "marts" else "view",
    )
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, arg, value = m.group(1), m.group(2), m.group(3).strip()
        if key == "materialized":
            model.materialized = value
        elif key == "description":
            model.description = value
        elif key == "grain":
            model.grain = value
        elif key == "column" and arg:
            model.columns[arg] = value
        elif key == "unique":
            model.unique = [c.strip() for c in value.split(",")]
        elif key == "not_null":
            model.not_null = [c.strip() for c in value.split(",")]
    return model


def discover_models(root: Path | None = None) -> dict[str, Model]:
    root = root or sql_dir()
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((root / layer).glob("*.sql")):
            model = parse_model(path, layer)
            if model.name in models:
                raise BuildError(f"two models are named {model.name}: rename one of {path}")
            models[model.name] = model
    return models


def seed_names(root: Path | None = None) -> list[str]:
    root = root or sql_dir()
    return [f"seed_{p.stem}" for p in sorted((root / "seeds").glob("*.csv"))]


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def dependencies(models: dict[str, Model]) -> dict[str, set[str]]:
    """Which models each model reads, found from the names in its SQL."""
    deps: dict[str, set[str]] = {}
    for name, model in models.items():
        words = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", _strip_comments(model.sql).lower()))
        deps[name] = {other for other in models if other != name and other in words}
    return deps


def run_order(models: dict[str, Model]) -> list[str]:
    try:
        return list(graphlib.TopologicalSorter(dependencies(models)).static_order())
    except graphlib.CycleError as exc:
        raise BuildError(f"SQL models read each other in a cycle: {exc.args[1]}") from None


def _empty_jsonl(folder: Path) -> Path:
    """read_json needs at least one file; an empty one stands in when an area has none."""
    path = folder / ".empty.jsonl.gz"
    if not path.exists():
        with gzip.open(path, "wb"):
            pass
    return path


# -- normalized Parquet ---------------------------------------------------------------------------
def normalize_query() -> str:
    return (sql_dir() / "normalize" / "works.sql").read_text(encoding="utf-8")


def normalized_dir(landing_dir: Path) -> Path:
    """Parquet cache keyed by the normalizing query, so a changed projection re-normalizes."""
    key = hashlib.sha256(normalize_query().encode()).hexdigest()[:12]
    return Path(landing_dir) / "normalized" / "works" / key


def normalize_file(src: Path, dst: Path, memory_limit: str = "1GB", threads: int = 2) -> Path:
    """One landed file → typed Parquet; DuckDB streams, so memory stays bounded.

    A landed Parquet part (the snapshot's Parquet edition) is first written out as JSON Lines
    by DuckDB, so that one projection (sql/normalize/works.sql) types every input alike.
    """
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    as_json = dst.with_name(f".{dst.name}.{os.getpid()}.jsonl.gz")
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": threads})
    try:
        con.execute("set enable_progress_bar = false")
        con.execute("set preserve_insertion_order = false")
        read = src
        if src.name.endswith(".parquet"):
            con.execute(
                "copy (select * from read_parquet(?)) to ? (format json, compression gzip)",
                [str(src), str(as_json)],
            )
            read = as_json
        con.execute("set variable normalize_file = ?", [str(read)])
        con.execute("set variable normalize_landed = ?", [str(src)])
        con.execute(
            f"copy ({normalize_query()}) to '{tmp}'"
            " (format parquet, compression zstd, row_group_size 20000)"
        )
    except duckdb.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"normalizing {src} failed: {exc}") from None
    finally:
        con.close()
        as_json.unlink(missing_ok=True)
    os.replace(tmp, dst)
    return dst


def ensure_normalized(landing_dir: Path, files: list[Path], shas: list[str]) -> list[Path]:
    """The Parquet of every landed works file, normalizing the ones not done yet."""
    out_dir = normalized_dir(landing_dir)
    return [
        normalize_file(f, out_dir / f"{sha}.parquet") for f, sha in zip(files, shas, strict=True)
    ]


def set_variables(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    works_parquet: list[str],
    counts_files: list[str],
) -> None:
    """Values the models read with getvariable(); the same settings Python uses."""
    values: dict[str, Any] = {
        "landing_works_parquet": works_parquet,
        "landing_counts_files": counts_files,
        "universe_types": list(settings.types),
        "include_retracted": settings.include_retracted,
        "include_paratext": settings.include_paratext,
        "harmonise_cn": settings.harmonise_cn,
        "min_year": MIN_YEAR,
        "max_year": date.today().year + 1,
        "data_dir": str(settings.data_dir),
        "focus_country": settings.focus_country,
        "peers": list(settings.peers),
        "base_year": settings.base_year,
        "growth_windows": [list(w) for w in settings.growth_windows],
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = ?", [value])


def load_seeds(con: duckdb.DuckDBPyConnection, root: Path | None = None) -> None:
    root = root or sql_dir()
    for path in sorted((root / "seeds").glob("*.csv")):
        con.execute(
            f"create or replace table seed_{path.stem} as"
            " select * from read_csv(?, header = true, all_varchar = false)",
            [str(path)],
        )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def run_models(con: duckdb.DuckDBPyConnection, models: dict[str, Model]) -> dict[str, float]:
    """Create every model in dependency order; returns seconds per model."""
    timings: dict[str, float] = {}
    for name in run_order(models):
        model = models[name]
        kind = "table" if model.materialized == "table" else "view"
        started = time.perf_counter()
        try:
            con.execute(f"create or replace {kind} {name} as\n{model.sql}")
        except duckdb.Error as exc:
            raise BuildError(f"model {name} ({model.path.name}) failed: {exc}") from None
        timings[name] = time.perf_counter() - started
        if model.description:
            con.execute(f"comment on {kind} {name} is {_quote(model.description)}")
        for column, text in model.columns.items():
            try:
                con.execute(f"comment on column {name}.{column} is {_quote(text)}")
            except duckdb.Error as exc:
                raise BuildError(f"model {name}: header documents unknown column {column}") from exc
        log.debug("model %s built as %s in %.2fs", name, kind, timings[name])
    return timings


def check_models(con: duckdb.DuckDBPyConnection, models: dict[str, Model]) -> list[str]:
    """Key checks declared in model headers: unique grain and not-null keys."""
    failures = []
    for model in models.values():
        if model.unique:
            cols = ", ".join(model.unique)
            dupes = con.execute(
                f"select count(*) from (select {cols} from {model.name} group by all"
                " having count(*) > 1)"
            ).fetchall()[0][0]  # type: ignore[index]
            if dupes:
                failures.append(f"{model.name}: {dupes} duplicate key(s) on ({cols})")
        for col in model.not_null:
            nulls = con.execute(
                f"select count(*) from {model.name} where {col} is null"
            ).fetchall()[0][0]  # type: ignore[index]
            if nulls:
                failures.append(f"{model.name}.{col}: {nulls} null value(s)")
    return failures


@dataclass
class BuildResult:
    """What a build produced, for the run summary."""

    database: Path
    build_path: Path
    seconds: float
    works_landed_records: int
    works_in_universe: int
    quarantined: dict[str, int]
    model_seconds: dict[str, float]
    data_date: str | None


def build(settings: Settings, *, publish_after: bool = True) -> BuildResult:
    """Rebuild every model from the landing zone into a new file, check it, then publish."""
    started = time.perf_counter()
    with LandingZone(settings.landing_dir) as zone:
        landed = zone.landed_files()
        counts = zone.landed_files(area="counts")
        zone.export_manifest(settings.landing_dir / "manifest.jsonl")  # readable copy
    if not landed and not counts:
        raise CoauthorError(
            f"nothing is landed in {settings.landing_dir}: run `coauthor ingest snapshot PATH`, "
            "`coauthor ingest api ...` or `coauthor run` first"
        )
    builds = settings.data_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = builds / f"coauthor-{stamp}.duckdb"
    tmp = builds / f".building-{stamp}.duckdb"
    models = discover_models()
    con = duckdb.connect(str(tmp))
    con.execute("set enable_progress_bar = false")
    try:
        placeholder = _empty_jsonl(builds)
        parquet = ensure_normalized(
            settings.landing_dir, [f.path for f in landed], [f.sha256 for f in landed]
        ) or [normalize_file(placeholder, builds / ".empty.parquet")]
        set_variables(
            con,
            settings,
            [str(p) for p in parquet],
            [str(f.path) for f in counts] or [str(placeholder)],
        )
        load_seeds(con)
        timings = run_models(con, models)
        failures = check_models(con, models)
        if failures:
            raise BuildError("key checks failed: " + "; ".join(failures))
        summary = _summarise(con, settings, landed_records=sum(f.records for f in landed))
        summary["landed_count_rows"] = sum(f.records for f in counts)
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)
    fsync(builds)
    result = BuildResult(
        database=settings.db_path,
        build_path=target,
        seconds=time.perf_counter() - started,
        works_landed_records=summary["landed_records"],
        works_in_universe=summary["works_in_universe"],
        quarantined=summary["quarantined"],
        model_seconds=timings,
        data_date=summary["data_date"],
    )
    if publish_after:
        publish(settings, target)
    return result


def _summarise(con: duckdb.DuckDBPyConnection, settings: Settings, landed_records: int) -> dict:
    works = con.execute("select count(*) from int_works_universe").fetchall()[0][0]  # type: ignore[index]
    quarantined = dict(
        con.execute("select reason, count(*) from quarantine group by 1 order by 1").fetchall()
    )
    data_date = con.execute(
        "select max(updated_at)::date::varchar from int_works_latest"
    ).fetchall()[0][0]  # type: ignore[index]
    synthetic = con.execute(
        "select count(*) filter (where is_synthetic), count(*) from int_works_universe"
    ).fetchall()[0]
    meta = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_date": data_date,
        "landed_records": landed_records,
        "works_in_universe": works,
        "synthetic_works": synthetic[0] if synthetic else 0,
        "quarantined": quarantined,
        "settings": settings.public_dict(),
    }
    con.execute("create or replace table build_info as select ?::json as info", [json.dumps(meta)])
    con.execute("comment on table build_info is 'When and how this database was built (JSON).'")
    return meta


# -- publish and rollback -----------------------------------------------------------------------
def published_builds(settings: Settings) -> list[Path]:
    builds = settings.data_dir / "builds"
    return sorted(builds.glob("coauthor-*.duckdb")) if builds.exists() else []


def publish(settings: Settings, build_path: Path) -> Path:
    """Point coauthor.duckdb at a build with one atomic rename; keep the newest N builds."""
    db = settings.db_path
    link_tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    link_tmp.unlink(missing_ok=True)
    os.link(build_path, link_tmp)
    os.replace(link_tmp, db)
    fsync(db.parent)
    (settings.data_dir / "builds" / "CURRENT").write_text(build_path.name + "\n")
    for old in published_builds(settings)[: -settings.keep_versions]:
        if old != build_path:
            old.unlink(missing_ok=True)
    log.info("published %s as %s", build_path.name, db)
    return db


def rollback(settings: Settings, steps: int = 1) -> Path:
    """Publish the build `steps` versions before the current one."""
    builds = published_builds(settings)
    current_file = settings.data_dir / "builds" / "CURRENT"
    current = current_file.read_text().strip() if current_file.exists() else None
    names = [b.name for b in builds]
    if current not in names:
        raise CoauthorError("no published build to roll back from; run `coauthor build` first")
    index = names.index(current) - steps
    if index < 0:
        raise CoauthorError(
            f"only {names.index(current)} older build(s) are kept (COAUTHOR_KEEP_VERSIONS="
            f"{settings.keep_versions}); cannot roll back {steps}"
        )
    publish(settings, builds[index])
    return builds[index]


def connect_readonly(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the published database the way analysts do."""
    if not settings.db_path.exists():
        raise CoauthorError(
            f"{settings.db_path} does not exist yet: run `coauthor build` (or `coauthor run`)"
        )
    con = duckdb.connect(str(settings.db_path), read_only=True)
    con.execute("set enable_progress_bar = false")
    return con
