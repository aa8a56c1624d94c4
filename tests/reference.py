"""An independent, plain-Python reading of OpenAlex works, for checking the SQL models.

Written from the definitions in docs/indicators.md, deliberately without sharing code with the
SQL: json.loads per line, dicts and sets.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
with open(ROOT / "sql/seeds/countries.csv") as _fh:
    VALID = {row["country"] for row in csv.DictReader(_fh)}
LEGACY = {"journal-article": "article", "proceedings-article": "article"}


def read_works(path: Path) -> list[dict]:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        return [json.loads(line) for line in fh.read().split(b"\n") if line.strip()]


def latest(works: list[dict]) -> dict[str, dict]:
    """Latest version per id by updated_date (ISO strings compare in time order)."""
    out: dict[str, dict] = {}
    for w in works:
        if not w.get("id"):
            continue
        wid = w["id"].rsplit("/", 1)[-1]
        if wid not in out or str(w.get("updated_date") or "") > str(
            out[wid].get("updated_date") or ""
        ):
            out[wid] = w
    return out


def authorship_countries(a: dict) -> set[str]:
    codes = list(a.get("countries") or [])
    codes += [i.get("country_code") for i in (a.get("institutions") or [])]
    return {c.strip().upper() for c in codes if c and c.strip().upper() in VALID}


def in_universe(w: dict, types=("article", "review")) -> bool:
    year = w.get("publication_year")
    if not isinstance(year, int):
        return False
    t = LEGACY.get(w.get("type"), w.get("type"))
    return t in types and not w.get("is_retracted") and not w.get("is_paratext")


def country_year(works: list[dict]) -> dict[tuple[str, int], dict]:
    """country_year computed the slow, obvious way, with exact fractions."""
    out: dict[tuple[str, int], dict] = defaultdict(
        lambda: {"whole": 0, "frac": Fraction(0), "intl": 0, "bi": 0, "multi": 0, "dom": 0}
    )
    for w in latest(works).values():
        if not in_universe(w):
            continue
        auths = [authorship_countries(a) for a in w.get("authorships") or []]
        auths = [a for a in auths if a]
        cset = set().union(*auths) if auths else set()
        for c in cset:
            row = out[(c, w["publication_year"])]
            row["whole"] += 1
            n = len(cset)
            row["intl"] += n >= 2
            row["bi"] += n == 2
            row["multi"] += n >= 3
            row["dom"] += n == 1
            row["frac"] += sum(Fraction(1, len(auths) * len(a)) for a in auths if c in a)
    return dict(out)
