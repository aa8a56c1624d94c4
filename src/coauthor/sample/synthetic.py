"""A deterministic synthetic corpus, OpenAlex-shaped, so the offline sample shows trends.

The 875 real records bundled with coauthor are spread over a century and hold few Japanese works,
so their trends are noise. This corpus is invented: every chart drawn from it says so on its face
(its files land under `source=synthetic`, and marts count them in `works_synthetic`). The shape
follows the policy question: Japan's international co-authorship grows more slowly than its peers'.
It is also the generator behind the benchmarks' larger files.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path

# country: (works per year in 2000 at scale 1, yearly growth of all works, international share
# in 2000, yearly change of that share in percentage points)
PROFILES: dict[str, tuple[float, float, float, float]] = {
    "JP": (260, 1.002, 0.15, 0.30),
    "US": (900, 1.020, 0.22, 0.85),
    "CN": (200, 1.120, 0.16, 0.20),
    "GB": (260, 1.025, 0.38, 1.20),
    "DE": (260, 1.020, 0.40, 1.00),
    "FR": (190, 1.015, 0.42, 1.00),
    "KR": (90, 1.070, 0.25, 0.35),
    "IN": (120, 1.080, 0.15, 0.25),
    "IT": (150, 1.030, 0.38, 0.90),
    "CA": (140, 1.030, 0.40, 0.90),
    "AU": (110, 1.045, 0.40, 1.10),
    "ES": (110, 1.040, 0.36, 1.00),
    "NL": (90, 1.030, 0.48, 1.00),
    "CH": (70, 1.030, 0.60, 0.80),
    "TW": (60, 1.030, 0.20, 0.40),
    "SG": (25, 1.050, 0.50, 0.90),
    "TH": (20, 1.060, 0.50, 0.40),
    "HK": (25, 1.040, 0.50, 0.60),
    "BR": (80, 1.060, 0.28, 0.40),
    "SE": (60, 1.020, 0.50, 1.00),
}
# Partner attraction: a partner is drawn with weight = its size, times these affinities.
AFFINITY = {
    ("JP", "US"): 3.0,
    ("JP", "CN"): 2.6,
    ("JP", "KR"): 2.2,
    ("JP", "TH"): 3.0,
    ("JP", "TW"): 2.0,
    ("US", "CN"): 2.5,
    ("US", "CA"): 3.0,
    ("GB", "US"): 1.8,
    ("DE", "CH"): 3.0,
    ("DE", "FR"): 1.8,
    ("FR", "ES"): 1.6,
    ("CN", "HK"): 6.0,
    ("KR", "US"): 2.2,
    ("CN", "SG"): 2.0,
    ("AU", "CN"): 2.0,
    ("NL", "DE"): 2.0,
}
# (field id, field name, domain id, domain name, weight)
FIELDS = [
    (27, "Medicine", 4, "Health Sciences", 6.0),
    (13, "Biochemistry, Genetics and Molecular Biology", 1, "Life Sciences", 3.0),
    (11, "Agricultural and Biological Sciences", 1, "Life Sciences", 2.0),
    (28, "Neuroscience", 1, "Life Sciences", 1.0),
    (31, "Physics and Astronomy", 3, "Physical Sciences", 2.5),
    (16, "Chemistry", 3, "Physical Sciences", 2.0),
    (25, "Materials Science", 3, "Physical Sciences", 2.0),
    (22, "Engineering", 3, "Physical Sciences", 3.0),
    (17, "Computer Science", 3, "Physical Sciences", 2.5),
    (23, "Environmental Science", 3, "Physical Sciences", 1.5),
    (26, "Mathematics", 3, "Physical Sciences", 1.0),
    (33, "Social Sciences", 2, "Social Sciences", 1.5),
    (20, "Economics, Econometrics and Finance", 2, "Social Sciences", 0.6),
]
ID_BASE = 9_900_000_000  # far above the W ids OpenAlex has issued, so never a real work
UPDATED = "2026-06-01T00:00:00.000000"


def _affinity(a: str, b: str) -> float:
    return AFFINITY.get((a, b)) or AFFINITY.get((b, a)) or 1.0


def generate_works(years: range = range(2000, 2026), scale: float = 1.0, seed: int = 20260601):
    """Yield synthetic work records (dicts) in OpenAlex's 2025 schema, deterministically."""
    rng = random.Random(seed)
    countries = sorted(PROFILES)
    serial = 0
    field_weights = [f[4] for f in FIELDS]
    for year in years:
        t = year - years.start
        size = {c: PROFILES[c][0] * PROFILES[c][1] ** t for c in countries}
        for lead in countries:
            base, _growth, share0, slope = PROFILES[lead]
            n_works = int(round(size[lead] * scale))
            share = min(0.85, share0 + slope * t / 100)
            partners_pool = [c for c in countries if c != lead]
            weights = [size[c] * _affinity(lead, c) for c in partners_pool]
            for _ in range(n_works):
                serial += 1
                work_countries = [lead]
                if rng.random() < share:
                    k = 1 if rng.random() < 0.72 else rng.choice([2, 2, 3, 4])
                    while len(work_countries) < k + 1:
                        pick = rng.choices(partners_pool, weights)[0]
                        if pick not in work_countries:
                            work_countries.append(pick)
                yield _work(
                    rng, serial, year, work_countries, rng.choices(FIELDS, field_weights)[0]
                )


def _work(rng: random.Random, serial: int, year: int, countries: list[str], fld) -> dict:
    authorships = []
    for i, country in enumerate(countries):
        for _ in range(rng.choice([1, 1, 2, 3]) if i else rng.choice([1, 2, 3, 4])):
            inst = f"https://openalex.org/I99{countries.index(country):02d}{rng.randint(0, 40):03d}"
            roll = rng.random()
            if roll < 0.04:  # no country at all
                authorship = {"countries": [], "institutions": []}
            elif roll < 0.10:  # country from the raw affiliation string only
                authorship = {"countries": [country], "institutions": []}
            else:
                authorship = {
                    "countries": [country],
                    "institutions": [{"id": inst, "country_code": country, "type": "education"}],
                }
            authorship["author"] = {"id": f"https://openalex.org/A99{rng.randint(0, 10**7):08d}"}
            authorship["author_position"] = "first" if not authorships else "middle"
            authorships.append(authorship)
    international = len(countries) > 1
    fwci = round(rng.lognormvariate(math.log(1.25 if international else 0.85), 0.8), 3)
    pct = min(0.9999, max(0.0, rng.betavariate(2.4 if international else 2.0, 2.0)))
    kind = rng.random()
    work_type = "article" if kind < 0.86 else ("review" if kind < 0.94 else "book-chapter")
    return {
        "id": f"https://openalex.org/W{ID_BASE + serial}",
        "title": f"Synthetic work {serial}",
        "publication_year": year,
        "publication_date": f"{year}-{rng.randint(1, 12):02d}-15",
        "type": work_type,
        "is_retracted": rng.random() < 0.002,
        "is_paratext": False,
        "updated_date": UPDATED,
        "countries_distinct_count": len(countries),
        "cited_by_count": int(fwci * 10),
        "fwci": fwci,
        "citation_normalized_percentile": {
            "value": round(pct, 4),
            "is_in_top_1_percent": pct >= 0.99,
            "is_in_top_10_percent": pct >= 0.90,
        },
        "primary_topic": {
            "id": f"https://openalex.org/T9{fld[0]}00",
            "display_name": f"Synthetic topic in {fld[1]}",
            "field": {"id": f"https://openalex.org/fields/{fld[0]}", "display_name": fld[1]},
            "domain": {"id": f"https://openalex.org/domains/{fld[2]}", "display_name": fld[3]},
        },
        "authorships": authorships,
    }


def write_corpus(path: Path, scale: float = 1.0, years: range = range(2000, 2026)) -> int:
    """Write the corpus as gzip JSON Lines (byte-identical for the same arguments)."""
    n = 0
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        batch = []
        for work in generate_works(years=years, scale=scale):
            batch.append(json.dumps(work, separators=(",", ":")))
            n += 1
            if len(batch) >= 5000:
                gz.write(("\n".join(batch) + "\n").encode())
                batch.clear()
        if batch:
            gz.write(("\n".join(batch) + "\n").encode())
    return n
