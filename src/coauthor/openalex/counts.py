"""Counts mode: national whole-count totals from group_by, a few calls per country and year.

For each country: works per year (one group_by=publication_year call), international works per
year (the same with countries_distinct_count:>1), and partner countries per year
(group_by=authorships.countries, paged past 200 groups with the cursor). Each country's rows land
as one JSON Lines file under `landing/counts/`, so the marts `api_country_year_counts` and
`api_country_pair_year_counts` rebuild from the landing zone like everything else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pyalex import Works

from coauthor.landing import Checkpoint, LandingZone, write_gzip
from coauthor.openalex.harvest import base_filter, group_counts, make_client
from coauthor.settings import Settings

log = logging.getLogger("coauthor")


@dataclass
class CountsResult:
    """What counts mode fetched."""

    countries_done: int
    countries_total: int
    rows: int
    calls: int


def country_counts(client, country: str, years: tuple[int, int], types: list[str]) -> list[dict]:
    """Rows for one country: a total row per year and a partner row per partner and year."""
    y0, y1 = years
    base = base_filter(country, types, None)
    span = f"{y0}-{y1}"
    all_works = group_counts(
        client, Works().filter(**base).filter(publication_year=span).group_by("publication_year")
    )
    international = group_counts(
        client,
        Works()
        .filter(**base)
        .filter(publication_year=span, countries_distinct_count=">1")
        .group_by("publication_year"),
    )
    retrieved = datetime.now(UTC).isoformat(timespec="seconds")
    rows: list[dict] = []
    for year in range(y0, y1 + 1):
        total = all_works.get(str(year), 0)
        rows.append(
            {
                "kind": "total",
                "country": country,
                "partner": None,
                "year": year,
                "works": total,
                "works_international": international.get(str(year), 0),
                "types": types,
                "retrieved_at": retrieved,
            }
        )
        if not total:
            continue
        partners = group_counts(
            client,
            Works().filter(**base).filter(publication_year=year).group_by("authorships.countries"),
        )
        for partner, n in sorted(partners.items()):
            partner = partner.upper()
            if partner != country:
                rows.append(
                    {
                        "kind": "partner",
                        "country": country,
                        "partner": partner,
                        "year": year,
                        "works": n,
                        "works_international": n,
                        "types": types,
                        "retrieved_at": retrieved,
                    }
                )
    return rows


def fetch_counts(
    settings: Settings,
    countries: list[str],
    years: tuple[int, int],
    max_calls: int | None = None,
    echo: Callable[[str], None] | None = None,
) -> CountsResult:
    """Fetch and land counts per country; a country already fetched today is skipped on rerun."""
    say = echo or (lambda text: log.warning("%s", text))
    client = make_client(settings, max_calls)
    types = list(settings.types)
    today = datetime.now(UTC).date().isoformat()
    done = rows_total = 0
    with LandingZone(settings.landing_dir) as zone:
        for country in countries:
            key = f"counts:{country}:{years[0]}-{years[1]}:{today}"
            spec = json.dumps({"types": types})
            cp = zone.checkpoint(key)
            if cp and cp.done and cp.spec == spec:
                done += 1
                continue
            rows = country_counts(client, country, years, types)
            tmp = zone.new_tmp()
            sha, nbytes = write_gzip(tmp, [("".join(json.dumps(r) + "\n" for r in rows)).encode()])
            zone.commit_file(
                tmp,
                source="api_counts",
                origin=client.redact(f"{client.base_url}/works?group_by (country {country})"),
                name=f"counts-{country}-{years[0]}-{years[1]}.jsonl.gz",
                records=len(rows),
                sha256=sha,
                nbytes=nbytes,
                slice_=key,
                checkpoint=Checkpoint(key, spec, None, 1, len(rows), None, True),
                area="counts",
            )
            done += 1
            rows_total += len(rows)
            say(f"counts: {country} done ({len(rows)} rows, {client.budget.calls} calls so far)")
    return CountsResult(done, len(countries), rows_total, client.budget.calls)
