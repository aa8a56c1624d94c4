"""Harvest works from the OpenAlex API into the landing zone, slice by slice, resumably.

The work is split into country × publication-year slices harvested concurrently under one global
rate limit. Each page is landed with its slice's next cursor in the same manifest transaction
(see `coauthor.landing`), so a run killed at any instant resumes at the first page not landed:
no lost works, no duplicated pages, no page requested twice except after a fault.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pyalex import Works

from coauthor.errors import ApiError, BudgetExhausted, CallLimitReached, ConfigError
from coauthor.landing import Checkpoint, LandingZone, write_gzip
from coauthor.openalex.client import OpenAlexClient, Stopped, query_params
from coauthor.settings import Settings

log = logging.getLogger("coauthor")

#: Only the fields the SQL models read (all are valid OpenAlex select fields as of 2026).
SELECT_FIELDS = [
    "id",
    "doi",
    "publication_year",
    "publication_date",
    "type",
    "type_crossref",
    "is_retracted",
    "is_paratext",
    "updated_date",
    "is_authors_truncated",
    "countries_distinct_count",
    "cited_by_count",
    "fwci",
    "citation_normalized_percentile",
    "primary_topic",
    "authorships",
]
LIVE_HOSTS = {"api.openalex.org"}


def known_countries() -> set[str]:
    from coauthor.warehouse import sql_dir

    with open(sql_dir() / "seeds" / "countries.csv", encoding="utf-8") as fh:
        return {row["country"] for row in csv.DictReader(fh)}


def parse_years(text: str) -> tuple[int, int]:
    """'2000-2025' or '2020' → (first, last), refusing inverted or impossible ranges."""
    try:
        first, _, last = text.partition("-")
        y0, y1 = int(first), int(last or first)
    except ValueError:
        raise ConfigError(
            f"--years {text!r}: expected YEAR or FIRST-LAST, e.g. 2000-2025"
        ) from None
    this_year = date.today().year
    if y0 > y1:
        raise ConfigError(f"--years {text!r}: the range is inverted ({y0} > {y1})")
    if y0 < 1500 or y1 > this_year + 1:
        raise ConfigError(f"--years {text!r}: years must lie between 1500 and {this_year + 1}")
    return y0, y1


def parse_countries(text: str | list[str]) -> list[str]:
    codes = text.split(",") if isinstance(text, str) else list(text)
    codes = [c.strip().upper() for c in codes if c.strip()]
    if not codes:
        raise ConfigError("--countries: give at least one ISO alpha-2 code, e.g. JP,US")
    unknown = [c for c in codes if c not in known_countries()]
    if unknown:
        raise ConfigError(
            f"--countries: unknown country code(s) {', '.join(unknown)} "
            "(use ISO 3166-1 alpha-2 codes such as JP, US, CN, GB)"
        )
    return list(dict.fromkeys(codes))


def parse_since(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConfigError(f"--since {text!r}: expected a date like 2026-11-28") from None


def check_key(settings: Settings) -> None:
    """The live API needs a key since February 2026: fail before any call."""
    host = urlsplit(settings.openalex_url).hostname or ""
    if host in LIVE_HOSTS and settings.openalex_api_key is None:
        raise ConfigError(
            "the OpenAlex API needs a key: set COAUTHOR_OPENALEX_API_KEY (free at "
            "openalex.org/settings/api), or use `coauthor ingest snapshot` for files"
        )


def make_client(settings: Settings, max_calls: int | None = None) -> OpenAlexClient:
    check_key(settings)
    return OpenAlexClient(
        settings.openalex_url,
        settings.api_key(),
        rps=settings.rate_limit_rps,
        max_calls=max_calls,
        max_retries=settings.max_retries,
        timeout=(min(10.0, settings.http_timeout_s), settings.http_timeout_s),
        backoff_base=settings.retry_backoff_s,
    )


def base_filter(country: str, types: list[str], since: str | None) -> dict:
    filters: dict = {"authorships": {"countries": country}}
    if "*" not in types:
        filters["type"] = "|".join(types)
    if since:
        filters["from_updated_date"] = since
    return filters


@dataclass(frozen=True)
class Slice:
    """One country and year: small enough to page with a cursor, big enough to fill pages."""

    country: str
    year: int
    since: str | None
    types: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"works:{self.country}:{self.year}" + (f":since={self.since}" if self.since else "")

    @property
    def spec(self) -> str:
        return json.dumps({"types": list(self.types), "select": SELECT_FIELDS}, sort_keys=True)

    def query(self) -> tuple[str, dict[str, str]]:
        q = Works().filter(**base_filter(self.country, list(self.types), self.since))
        q = q.filter(publication_year=self.year).select(SELECT_FIELDS)
        return query_params(q)


@dataclass
class HarvestPlan:
    """Slices with their expected works (from group_by counts) and the calls they will need."""

    slices: list[Slice]
    expected: dict[str, int]
    per_page: int
    planning_calls: int = 0

    def calls_needed(self, done_pages: dict[str, int] | None = None) -> int:
        done_pages = done_pages or {}
        total = 0
        for s in self.slices:
            n = self.expected.get(s.key, 0)
            if n:
                total += max(0, math.ceil(n / self.per_page) + 1 - done_pages.get(s.key, 0))
        return total

    @property
    def works(self) -> int:
        return sum(self.expected.values())


def group_counts(client: OpenAlexClient, query, per_page: int = 200) -> dict[str, int]:
    """All groups of a group_by query, following the cursor past OpenAlex's 200-group pages."""
    path, params = query_params(query)
    out: dict[str, int] = {}
    cursor = "*"
    while cursor:
        body = client.get(path, {**params, "per_page": str(per_page), "cursor": cursor})
        groups = body.get("group_by")
        if not isinstance(groups, list):
            raise ApiError(f"group_by answer without a group_by list for {path}?{params}")
        for g in groups:
            key = str(g["key"]).rsplit("/", 1)[-1]
            out[key] = out.get(key, 0) + int(g["count"])
        cursor = (body.get("meta") or {}).get("next_cursor")
        if not groups:
            break
    return out


def plan_harvest(
    client: OpenAlexClient,
    countries: list[str],
    years: tuple[int, int],
    since: str | None,
    types: list[str],
    per_page: int,
) -> HarvestPlan:
    """One group_by call per country gives every slice's size, so the cost is known up front."""
    slices, expected = [], {}
    calls_before = client.budget.calls

    def count(country: str) -> dict[str, int]:
        q = Works().filter(**base_filter(country, types, since))
        q = q.filter(publication_year=f"{years[0]}-{years[1]}").group_by("publication_year")
        return group_counts(client, q)

    with ThreadPoolExecutor(max_workers=min(8, len(countries))) as pool:
        counts = dict(zip(countries, pool.map(count, countries), strict=True))
    for country in countries:
        by_year = counts[country]
        for year in range(years[0], years[1] + 1):
            s = Slice(country, year, since, tuple(types))
            slices.append(s)
            expected[s.key] = by_year.get(str(year), 0)
    return HarvestPlan(slices, expected, per_page, client.budget.calls - calls_before)


@dataclass
class Progress:
    """Counters shared by the slice threads; `line()` is what the display prints."""

    slices_total: int
    works_expected: int
    slices_done: int = 0
    works: int = 0
    pages: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, works: int, pages: int = 1) -> None:
        with self.lock:
            self.works += works
            self.pages += pages

    def line(self, client: OpenAlexClient) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.works / elapsed
        left = max(self.works_expected - self.works, 0)
        eta = time.strftime("%H:%M:%S", time.gmtime(left / rate)) if rate > 0 else "--:--:--"
        b = client.budget
        budget = f"{int(b.remaining):,}" if b.remaining is not None else "?"
        return (
            f"slices {self.slices_done}/{self.slices_total} | works {self.works:,}"
            f"/{self.works_expected:,} | {rate:,.0f} works/s | ETA {eta} | calls {b.calls:,}"
            f" | budget left {budget} | retries {b.retries}"
        )


@dataclass
class HarvestResult:
    """How a harvest ended."""

    status: str  # complete | budget | max_calls
    works: int
    pages: int
    calls: int
    slices_done: int
    slices_total: int
    expected_works: int
    seconds: float
    resets_at: str | None = None
    faults: dict[str, int] = field(default_factory=dict)


def _write_page(zone: LandingZone, results: list) -> tuple[Path, str, int]:
    tmp = zone.new_tmp()
    lines = "\n".join(json.dumps(r, separators=(",", ":")) for r in results) + "\n"
    sha, nbytes = write_gzip(tmp, [lines.encode()], compresslevel=5)
    return tmp, sha, nbytes


def harvest_slice(
    client: OpenAlexClient,
    zone: LandingZone,
    s: Slice,
    expected: int,
    per_page: int,
    progress: Progress,
) -> None:
    """Page one slice with its cursor from the checkpoint; each page lands with the next cursor."""
    cp = zone.checkpoint(s.key)
    if cp is None or cp.spec != s.spec:
        cp = Checkpoint(s.key, s.spec, "*", 0, 0, expected, False)
    if cp.done:
        return
    if expected == 0:
        zone.save_checkpoint(Checkpoint(s.key, s.spec, None, 0, 0, 0, True))
        return
    path, params = s.query()
    while not cp.done:
        body = client.get(path, {**params, "per_page": str(per_page), "cursor": cp.cursor})
        results = body.get("results")
        meta = body.get("meta") or {}
        if not isinstance(results, list):
            raise ApiError(f"slice {s.key}: the answer has no results list")
        next_cursor = meta.get("next_cursor")
        done = not results or next_cursor is None
        new = Checkpoint(
            s.key,
            s.spec,
            next_cursor,
            cp.pages + 1,
            cp.works + len(results),
            meta.get("count", expected),
            done,
        )
        if results:
            tmp, sha, nbytes = _write_page(zone, results)
            shown = client.redact(f"{client.base_url}{path}?cursor={cp.cursor}")
            zone.commit_file(
                tmp,
                source="api",
                origin=shown,
                name=f"page-{new.pages:06d}.jsonl.gz",
                records=len(results),
                sha256=sha,
                nbytes=nbytes,
                slice_=s.key,
                seq=new.pages,
                checkpoint=new,
            )
        else:
            zone.save_checkpoint(new)
        progress.add(len(results))
        cp = new


def harvest_works(
    settings: Settings,
    countries: list[str],
    years: tuple[int, int],
    since: str | None = None,
    max_calls: int | None = None,
    echo: Callable[[str], None] | None = None,
    progress_every: float = 5.0,
) -> HarvestResult:
    """Plan, show the cost, harvest every pending slice concurrently; stop cleanly on budget."""
    say = echo or (lambda text: log.warning("%s", text))
    client = make_client(settings, max_calls)
    started = time.monotonic()
    run_started = datetime.now(UTC).date().isoformat()
    with LandingZone(settings.landing_dir) as zone:
        plan = plan_harvest(
            client, countries, years, since, list(settings.types), settings.per_page
        )
        saved = {cp.slice: cp for cp in zone.checkpoints()}
        finished = {
            s.key for s in plan.slices if (cp := saved.get(s.key)) and cp.done and cp.spec == s.spec
        }
        needed = plan.calls_needed({key: cp.pages for key, cp in saved.items()})
        budget = client.budget.remaining
        say(
            f"plan: {len(plan.slices)} slices, {plan.works:,} works, about {needed:,} list calls"
            f" at per_page={settings.per_page}"
            + (f"; budget left today: {int(budget):,} calls" if budget is not None else "")
            + (f" → about {math.ceil(needed / budget)} day(s) of budget" if budget else "")
        )
        progress = Progress(len(plan.slices), plan.works)
        progress.slices_done = len(finished)
        stop = threading.Event()

        def report() -> None:
            while not stop.wait(progress_every):
                say(progress.line(client))

        def run(s: Slice) -> None:
            harvest_slice(client, zone, s, plan.expected[s.key], settings.per_page, progress)
            with progress.lock:
                progress.slices_done += 1

        pending = [s for s in plan.slices if s.key not in finished]
        # largest slices first, so the run does not end with one long slice paging alone
        pending.sort(key=lambda s: -plan.expected.get(s.key, 0))
        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()
        errors: list[BaseException] = []
        with ThreadPoolExecutor(max_workers=settings.max_workers) as pool:
            for fut in [pool.submit(run, s) for s in pending]:
                try:
                    fut.result()
                except Stopped:
                    pass
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    client.stop_event.set()
                    errors.append(exc)
        stop.set()
        say(progress.line(client))
        status, resets = "complete", None
        budget_errors = [e for e in errors if isinstance(e, BudgetExhausted)]
        limit_errors = [e for e in errors if isinstance(e, CallLimitReached)]
        other = [e for e in errors if not isinstance(e, BudgetExhausted | CallLimitReached)]
        if other:
            raise other[0]
        if budget_errors:
            status, resets = "budget", budget_errors[0].resets_at
        elif limit_errors:
            status = "max_calls"
        else:
            zone.set_state("last_harvest_success", run_started)
        return HarvestResult(
            status=status,
            works=progress.works,
            pages=progress.pages,
            calls=client.budget.calls,
            slices_done=progress.slices_done,
            slices_total=len(plan.slices),
            expected_works=plan.works,
            seconds=time.monotonic() - started,
            resets_at=resets,
            faults=dict(client.budget.faults),
        )
