"""Local OpenAlex-compatible ``/works`` server, so the real API client can be tested offline.

A development tool for tests and benchmarks only; users of coauthor never need it. It serves
works loaded from files on 127.0.0.1 with OpenAlex's paging (page and cursor), filter,
select, sort, group_by and error semantics as recorded from the real API in 2026, plus a
daily call budget, a requests-per-second limit and injected faults (429, 500, 503, slow,
truncated, dropped and non-JSON responses) chosen with a seeded random generator.

Start it in a test::

    with OpenAlexServer([Path("works.jsonl.gz")], faults=FaultPlan(rate_500=0.1)) as srv:
        requests.get(f"{srv.url}/works", params={"filter": "publication_year:2020"})

or from a shell: ``python -m coauthor.devtools.oaserver --works works.jsonl.gz --port 8765``.
Standard library only, so it runs in any environment that has the package.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import contextlib
import gzip
import hmac
import json
import math
import random
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FaultPlan", "OpenAlexServer", "load_works", "main"]

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25
MAX_PAGED_RESULTS = 10_000
UNLIMITED_CALLS = 1_000_000  # X-RateLimit-Limit when no daily budget is configured
COST_USD = 0.0001  # meta.cost_usd of one list call in the recorded 2026 responses
_QUERY_ERROR = "Invalid query parameters error."
_PAGING_ERROR = "Pagination error."
_RATE_ERROR = "Rate limit exceeded"

# Country display names as the OpenAlex API configuration lists them
# (ourresearch/openalex-elastic-api config/countries.yaml); used for group_by key_display_name.
_COUNTRY_TABLE = (
    "AD=Andorra;AE=United Arab Emirates;AF=Afghanistan;AG=Antigua and Barbuda;AI=Anguilla;"
    "AL=Albania;AM=Armenia;AO=Angola;AQ=Antarctica;AR=Argentina;AS=American Samoa;AT=Austria;"
    "AU=Australia;AW=Aruba;AX=Åland Islands;AZ=Azerbaijan;BA=Bosnia & Herzegovina;"
    "BB=Barbados;BD=Bangladesh;BE=Belgium;BF=Burkina Faso;BG=Bulgaria;BH=Bahrain;BI=Burundi;"
    "BJ=Benin;BL=Saint Barthélemy;BM=Bermuda;BN=Brunei;BO=Bolivia;BQ=Caribbean Netherlands;"
    "BR=Brazil;BS=Bahamas;BT=Bhutan;BV=Bouvet Island;BW=Botswana;BY=Belarus;BZ=Belize;"
    "CA=Canada;CC=Cocos (Keeling) Islands;CD=DR Congo;CF=Central African Republic;CG=Congo;"
    "CH=Switzerland;CI=Ivory Coast;CK=Cook Islands;CL=Chile;CM=Cameroon;CN=China;CO=Colombia;"
    "CR=Costa Rica;CU=Cuba;CV=Cabo Verde;CW=Curaçao;CX=Christmas Island;CY=Cyprus;CZ=Czechia;"
    "DE=Germany;DJ=Djibouti;DK=Denmark;DM=Dominica;DO=Dominican Rep.;DZ=Algeria;EC=Ecuador;"
    "EE=Estonia;EG=Egypt;ER=Eritrea;ES=Spain;ET=Ethiopia;FI=Finland;FJ=Fiji;"
    "FK=Falkland Islands;FM=Micronesia;FO=Faroe Islands;FR=France;GA=Gabon;GB=United Kingdom;"
    "GD=Grenada;GE=Georgia;GF=French Guiana;GG=Guernsey;GH=Ghana;GI=Gibraltar;GL=Greenland;"
    "GM=Gambia;GN=Guinea;GP=Guadeloupe;GQ=Equatorial Guinea;GR=Greece;"
    "GS=South Georgia & South Sandwich Is.;GT=Guatemala;GU=Guam;GW=Guinea-Bissau;GY=Guyana;"
    "HK=Hong Kong;HM=Heard & McDonald Islands;HN=Honduras;HR=Croatia;HT=Haiti;HU=Hungary;"
    "ID=Indonesia;IE=Ireland;IL=Israel;IM=Isle of Man;IN=India;"
    "IO=British Indian Ocean Territory;IQ=Iraq;IR=Iran;IS=Iceland;IT=Italy;JE=Jersey;"
    "JM=Jamaica;JO=Jordan;JP=Japan;KE=Kenya;KG=Kyrgyzstan;KH=Cambodia;KI=Kiribati;KM=Comoros;"
    "KN=St. Kitts & Nevis;KP=North Korea;KR=South Korea;KW=Kuwait;KY=Cayman Islands;"
    "KZ=Kazakhstan;LA=Laos;LB=Lebanon;LC=Saint Lucia;LI=Liechtenstein;LK=Sri Lanka;"
    "LR=Liberia;LS=Lesotho;LT=Lithuania;LU=Luxembourg;LV=Latvia;LY=Libya;MA=Morocco;"
    "MC=Monaco;MD=Moldova;ME=Montenegro;MF=Saint Martin;MG=Madagascar;MH=Marshall Islands;"
    "MK=North Macedonia;ML=Mali;MM=Myanmar;MN=Mongolia;MO=Macao;MP=Northern Mariana Is.;"
    "MQ=Martinique;MR=Mauritania;MS=Montserrat;MT=Malta;MU=Mauritius;MV=Maldives;MW=Malawi;"
    "MX=Mexico;MY=Malaysia;MZ=Mozambique;NA=Namibia;NC=New Caledonia;NE=Niger;"
    "NF=Norfolk Island;NG=Nigeria;NI=Nicaragua;NL=Netherlands;NO=Norway;NP=Nepal;NR=Nauru;"
    "NU=Niue;NZ=New Zealand;OM=Oman;PA=Panama;PE=Peru;PF=French Polynesia;"
    "PG=Papua New Guinea;PH=Philippines;PK=Pakistan;PL=Poland;PM=St. Pierre & Miquelon;"
    "PN=Pitcairn;PR=Puerto Rico;PS=Palestine;PT=Portugal;PW=Palau;PY=Paraguay;QA=Qatar;"
    "RE=Réunion;RO=Romania;RS=Serbia;RU=Russia;RW=Rwanda;SA=Saudi Arabia;SB=Solomon Islands;"
    "SC=Seychelles;SD=Sudan;SE=Sweden;SG=Singapore;SH=Saint Helena;SI=Slovenia;"
    "SJ=Svalbard and Jan Mayen;SK=Slovakia;SL=Sierra Leone;SM=San Marino;SN=Senegal;"
    "SO=Somalia;SR=Suriname;SS=South Sudan;ST=São Tomé & Príncipe;SV=El Salvador;"
    "SX=Sint Maarten;SY=Syria;SZ=Eswatini;TC=Turks & Caicos Islands;TD=Chad;TG=Togo;"
    "TH=Thailand;TJ=Tajikistan;TK=Tokelau;TL=Timor-Leste;TM=Turkmenistan;TN=Tunisia;TO=Tonga;"
    "TR=Turkey;TT=Trinidad & Tobago;TV=Tuvalu;TW=Taiwan;TZ=Tanzania;UA=Ukraine;UG=Uganda;"
    "US=United States;UY=Uruguay;UZ=Uzbekistan;VA=Vatican City;VC=St. Vincent & Grenadines;"
    "VE=Venezuela;VG=British Virgin Islands;VI=US Virgin Islands;VN=Vietnam;VU=Vanuatu;"
    "WF=Wallis & Futuna;WS=Samoa;XK=Kosovo;YE=Yemen;YT=Mayotte;ZA=South Africa;ZM=Zambia;"
    "ZW=Zimbabwe;"
)
COUNTRY_NAMES: dict[str, str] = dict(
    item.split("=", 1) for item in _COUNTRY_TABLE.split(";") if item
)

# Valid select fields, copied from the 400 message the real API returned in 2026-05.
_SELECT_FIELDS_TEXT = (
    "id doi title display_name relevance_score publication_year publication_date ids language "
    "primary_location sources type type_crossref indexed_in open_access authorships "
    "institution_assertions institutions countries_distinct_count institutions_distinct_count "
    "corresponding_author_ids corresponding_institution_ids apc_list apc_paid fwci "
    "is_authors_truncated has_fulltext fulltext_origin cited_by_count "
    "citation_normalized_percentile cited_by_percentile_year biblio is_retracted is_paratext "
    "is_xpac primary_topic topics keywords concepts mesh locations_count locations "
    "best_oa_location sustainable_development_goals awards funders datasets versions "
    "has_content content_urls referenced_works_count referenced_works related_works "
    "abstract_inverted_index cited_by_api_url counts_by_year updated_date created_date"
)
_SELECT_FIELDS = frozenset(_SELECT_FIELDS_TEXT.split())

# Query parameters the real API accepts (core/validate.py); the second set is accepted by
# OpenAlex but not implemented here, and answers 400 so a test never silently gets wrong data.
_VALID_PARAMS_TEXT = (
    "apc_sum api-key api_key cited_by_count_sum cursor data_version data-version filter format "
    "include_xpac include-xpac group_by group-by group_bys group-bys mailto page per_page "
    "per-page q sample seed search select sort warm"
)
_VALID_PARAMS = tuple(_VALID_PARAMS_TEXT.split())
_UNSUPPORTED_PARAMS = frozenset(
    {"apc_sum", "cited_by_count_sum", "format", "group_bys", "group-bys", "q", "sample", "seed"}
    | {"search"}
)
_HIDDEN_PARAMS = frozenset({"bypass_cache"})
_KEY_PARAMS = ("api_key", "api-key")

_W_ID = re.compile(r"^(?:https?://openalex\.org/)?(W\d+)$", re.IGNORECASE)


class ApiError(Exception):
    """An error answer in OpenAlex's ``{"error", "message"}`` shape."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def _bad(message: str) -> ApiError:
    return ApiError(400, _QUERY_ERROR, message)


def _paging(message: str) -> ApiError:
    return ApiError(400, _PAGING_ERROR, message)


# ---------------------------------------------------------------------------------------------
# Fault plan


@dataclass
class FaultPlan:
    """Which faults to inject; rates are per-request probabilities that must sum to at most 1.

    One seeded draw per billable ``/works`` request picks at most one fault, so a run with the
    same seed and the same request order is reproducible. ``fail_first_n`` and
    ``budget_calls`` are deterministic instead.
    """

    rate_429: float = 0.0  # "too fast": 429 with a short Retry-After
    rate_403: float = 0.0  # "too fast" as OpenAlex's newer error table gives it: 403
    retry_after_429: float = 1.0  # seconds sent in Retry-After of those 429s
    rate_budget_429: float = 0.0  # 429 "daily budget exhausted" with Retry-After to midnight
    budget_calls: int | None = None  # after this many billed calls every list call gets that 429
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_slow: float = 0.0  # a normal 200, but only after slow_seconds
    slow_seconds: float = 2.0
    rate_truncated: float = 0.0  # 200 whose body stops halfway, then the connection closes
    rate_drop: float = 0.0  # connection closed without any response
    rate_invalid_json: float = 0.0  # 200 whose body is not valid JSON
    seed: int = 0
    fail_first_n: int = 0  # the first N requests (any path) get a 503

    def __post_init__(self) -> None:
        """Reject impossible plans early, so a typo does not silently disable a test."""
        total = 0.0
        for f in fields(self):
            if f.name.startswith("rate_"):
                value = float(getattr(self, f.name))
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"FaultPlan.{f.name} must be in [0, 1], got {value}")
                total += value
        if total > 1.0 + 1e-9:
            raise ValueError(f"FaultPlan rates sum to {total:g}; they must sum to at most 1")
        if self.retry_after_429 < 0 or self.slow_seconds < 0:
            raise ValueError("FaultPlan.retry_after_429 and slow_seconds must be >= 0")
        if self.fail_first_n < 0 or (self.budget_calls is not None and self.budget_calls < 0):
            raise ValueError("FaultPlan.fail_first_n and budget_calls must be >= 0")

    def draw_order(self) -> tuple[tuple[str, float], ...]:
        """Fault names with their rates, in the fixed order the single draw walks them."""
        return (
            ("429", self.rate_429),
            ("403", self.rate_403),
            ("budget_429", self.rate_budget_429),
            ("500", self.rate_500),
            ("503", self.rate_503),
            ("slow", self.rate_slow),
            ("truncated", self.rate_truncated),
            ("drop", self.rate_drop),
            ("invalid_json", self.rate_invalid_json),
        )


# ---------------------------------------------------------------------------------------------
# Loading works


def load_works(path: Path | str) -> list[dict[str, Any]]:
    """Read works from gzip or plain JSON Lines, an API page ``{"results": [...]}`` or an array.

    JSON Lines are split on ``b"\\n"`` only: some OpenAlex strings contain U+2028, which
    ``str.splitlines()`` would treat as a line break.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    head = data.lstrip()[:1]
    if not head:
        return []
    if head in (b"[", b"{"):
        try:
            obj = json.loads(data)
        except json.JSONDecodeError:
            obj = None  # several objects: JSON Lines
        if isinstance(obj, list):
            return [_check_work(w, path, None) for w in obj]
        if isinstance(obj, dict):
            results = obj.get("results")
            if isinstance(results, list) and "id" not in obj:
                return [_check_work(w, path, None) for w in results]
            return [_check_work(obj, path, 1)]
    works = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            work = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {number}: not JSON ({exc.msg})") from exc
        works.append(_check_work(work, path, number))
    return works


def _check_work(work: object, path: Path, line: int | None) -> dict[str, Any]:
    where = f"{path}, line {line}" if line is not None else str(path)
    if not isinstance(work, dict):
        raise ValueError(f"{where}: a work must be a JSON object")
    if not isinstance(work.get("id"), str) or not _W_ID.match(work["id"]):
        raise ValueError(f"{where}: a work needs an OpenAlex W id, got {work.get('id')!r}")
    return work


def _parse_datetime(value: object) -> datetime | None:
    """ISO date or datetime as naive UTC, so date-only and datetime values compare."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _parse_date(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _topic_part(work: dict[str, Any], part: str) -> tuple[int | None, str | None]:
    topic = work.get("primary_topic")
    node = topic.get(part) if isinstance(topic, dict) else None
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        return None, None
    tail = node["id"].rstrip("/").rsplit("/", 1)[-1]
    return (int(tail) if tail.isdigit() else None), node.get("display_name")


@dataclass(frozen=True, slots=True)
class _Rec:
    """A work plus the values filters, sorts and group_bys need, computed once at load."""

    work: dict[str, Any]
    id_url: str
    id_num: int
    countries: frozenset[str]  # authorships[].countries ∪ institutions[].country_code
    inst_countries: frozenset[str]
    cdc: int
    year: int | None
    type: str | None
    updated: datetime | None
    pub_date: date | None
    retracted: bool
    paratext: bool
    cited_by: int | None
    field_id: int | None
    field_name: str | None
    domain_id: int | None
    domain_name: str | None

    @classmethod
    def of(cls, work: dict[str, Any]) -> _Rec:
        match = _W_ID.match(work["id"])
        assert match is not None  # checked by _check_work
        short = match.group(1).upper()
        authorship_codes: set[str] = set()
        inst_codes: set[str] = set()
        for authorship in work.get("authorships") or []:
            if not isinstance(authorship, dict):
                continue
            authorship_codes.update(str(c).upper() for c in authorship.get("countries") or [] if c)
            for inst in authorship.get("institutions") or []:
                if isinstance(inst, dict) and inst.get("country_code"):
                    inst_codes.add(str(inst["country_code"]).upper())
        cdc = work.get("countries_distinct_count")
        year = work.get("publication_year")
        wtype = work.get("type")
        cited = work.get("cited_by_count")
        field_id, field_name = _topic_part(work, "field")
        domain_id, domain_name = _topic_part(work, "domain")
        return cls(
            work=work,
            id_url=f"https://openalex.org/{short}",
            id_num=int(short[1:]),
            countries=frozenset(authorship_codes | inst_codes),
            inst_countries=frozenset(inst_codes),
            cdc=cdc if isinstance(cdc, int) else len(authorship_codes),
            year=year if isinstance(year, int) else None,
            type=wtype.lower() if isinstance(wtype, str) else None,
            updated=_parse_datetime(work.get("updated_date")),
            pub_date=_parse_date(work.get("publication_date")),
            retracted=work.get("is_retracted") is True,
            paratext=work.get("is_paratext") is True,
            cited_by=cited if isinstance(cited, int) else None,
            field_id=field_id,
            field_name=field_name,
            domain_id=domain_id,
            domain_name=domain_name,
        )


# ---------------------------------------------------------------------------------------------
# Filters

Matcher = Callable[[_Rec], bool]


def _strip_prefix(token: str, prefix: str) -> str:
    token = token.strip()
    low = token.lower()
    for p in (f"https://openalex.org/{prefix}/", f"{prefix}/"):
        if low.startswith(p):
            return token[len(p) :]
    return token


def _countries_matcher(attr: str) -> Callable[[str, str], Matcher]:
    def build(key: str, token: str) -> Matcher:
        codes = []
        for part in token.split("+"):  # OpenAlex's "+" means AND within one filter
            code = _strip_prefix(part, "countries").upper()
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise _bad(f"'{part.strip()}' is not a valid country code for {key}.")
            codes.append(code)
        return lambda rec: all(c in getattr(rec, attr) for c in codes)

    return build


def _number_matcher(getter: Callable[[_Rec], float | None]) -> Callable[[str, str], Matcher]:
    def build(key: str, token: str) -> Matcher:
        t = token.strip()
        try:
            if t.startswith(">"):
                low = float(t[1:])
                return lambda rec: (v := getter(rec)) is not None and v > low
            if t.startswith("<"):
                high = float(t[1:])
                return lambda rec: (v := getter(rec)) is not None and v < high
            if "-" in t[1:]:
                a, b = t.split("-", 1)
                lo = float(a) if a else -math.inf
                hi = float(b) if b else math.inf
                return lambda rec: (v := getter(rec)) is not None and lo <= v <= hi
            exact = float(t)
        except ValueError:
            raise _bad(f"Value for param {key} must be a number.") from None
        return lambda rec: getter(rec) == exact

    return build


def _type_matcher(key: str, token: str) -> Matcher:
    wanted = _strip_prefix(token, "types").lower()
    return lambda rec: rec.type == wanted


def _bool_matcher(getter: Callable[[_Rec], bool]) -> Callable[[str, str], Matcher]:
    def build(key: str, token: str) -> Matcher:
        value = token.strip().lower()
        if value not in ("true", "false"):
            raise _bad(f"Value for param {key} must be true or false.")
        wanted = value == "true"
        return lambda rec: getter(rec) is wanted

    return build


def _id_matcher(key: str, token: str) -> Matcher:
    match = _W_ID.match(token.strip())
    if not match:
        raise _bad(f"'{token}' is not a valid OpenAlex ID for {key}.")
    wanted = int(match.group(1)[1:])
    return lambda rec: rec.id_num == wanted


def _entity_num_matcher(prefix: str, attr: str) -> Callable[[str, str], Matcher]:
    def build(key: str, token: str) -> Matcher:
        value = _strip_prefix(token, prefix)
        if not value.isdigit():
            raise _bad(f"'{token}' is not a valid ID for {key}.")
        wanted = int(value)
        return lambda rec: getattr(rec, attr) == wanted

    return build


def _datetime_matcher(attr: str, upper: bool) -> Callable[[str, str], Matcher]:
    """from_*/to_* date filters, inclusive; a date-only upper bound covers its whole day."""

    def build(key: str, token: str) -> Matcher:
        text = token.strip()
        bound = _parse_datetime(text)
        if bound is None:
            raise _bad(f"Value for param {key} must be a date in format YYYY-MM-DD.")
        if upper and len(text) == 10:
            bound = bound + timedelta(days=1) - timedelta(microseconds=1)
        if upper:
            return lambda rec: (v := getattr(rec, attr)) is not None and v <= bound
        return lambda rec: (v := getattr(rec, attr)) is not None and v >= bound

    return build


def _date_matcher(upper: bool) -> Callable[[str, str], Matcher]:
    def build(key: str, token: str) -> Matcher:
        bound = _parse_date(token.strip()) if len(token.strip()) == 10 else None
        if bound is None:
            raise _bad(f"Value for param {key} must be a date in format YYYY-MM-DD.")
        if upper:
            return lambda rec: rec.pub_date is not None and rec.pub_date <= bound
        return lambda rec: rec.pub_date is not None and rec.pub_date >= bound

    return build


_FILTERS: dict[str, Callable[[str, str], Matcher]] = {
    "authorships.countries": _countries_matcher("countries"),
    "institutions.country_code": _countries_matcher("inst_countries"),
    "authorships.institutions.country_code": _countries_matcher("inst_countries"),
    "publication_year": _number_matcher(lambda r: r.year),
    "cited_by_count": _number_matcher(lambda r: r.cited_by),
    "countries_distinct_count": _number_matcher(lambda r: r.cdc),
    "type": _type_matcher,
    "from_updated_date": _datetime_matcher("updated", upper=False),
    "to_updated_date": _datetime_matcher("updated", upper=True),
    "from_publication_date": _date_matcher(upper=False),
    "to_publication_date": _date_matcher(upper=True),
    "is_retracted": _bool_matcher(lambda r: r.retracted),
    "is_paratext": _bool_matcher(lambda r: r.paratext),
    "openalex_id": _id_matcher,
    "openalex": _id_matcher,
    "ids.openalex": _id_matcher,
    "primary_topic.field.id": _entity_num_matcher("fields", "field_id"),
    "primary_topic.domain.id": _entity_num_matcher("domains", "domain_id"),
}


def _compile_filter(raw: str) -> list[Matcher]:
    """Comma-separated clauses (AND); ``|`` is OR within a value, a leading ``!`` negates."""
    matchers: list[Matcher] = []
    for clause in raw.split(","):
        if not clause.strip():
            continue
        key, sep, value = clause.partition(":")
        key = key.strip()
        build = _FILTERS.get(key.lower().replace("-", "_"))
        if build is None:
            raise _bad(
                f"{key} is not a valid field. Valid fields are underscore or hyphenated "
                f"versions of: {', '.join(sorted(_FILTERS))}."
            )
        if not sep or not value.strip():
            raise _bad(f"Filter {key} needs a value, in the format {key}:value.")
        positive: list[Matcher] = []
        negative: list[Matcher] = []
        for alternative in value.split("|"):
            token = alternative.strip()
            target = negative if token.startswith("!") else positive
            target.append(build(key, token.lstrip("!")))
        matchers.append(_combine(positive, negative))
    return matchers


def _combine(positive: list[Matcher], negative: list[Matcher]) -> Matcher:
    def match(rec: _Rec) -> bool:
        if positive and not any(m(rec) for m in positive):
            return False
        return not any(m(rec) for m in negative)

    return match


# ---------------------------------------------------------------------------------------------
# Sorting and cursors

_SORT_FIELDS: dict[str, Callable[[_Rec], float | None]] = {
    "publication_year": lambda r: r.year,
    "publication_date": lambda r: r.pub_date.toordinal() if r.pub_date else None,
    "cited_by_count": lambda r: r.cited_by,
    "countries_distinct_count": lambda r: r.cdc,
}
SortSpec = tuple[tuple[str, bool], ...]  # (field, descending)


def _parse_sort(raw: str | None) -> SortSpec:
    if not raw:
        return ()
    spec = []
    for part in raw.split(","):
        name, _, direction = part.strip().partition(":")
        if name not in _SORT_FIELDS:
            raise _bad(
                f"{name} is not a valid sort field. Valid sort fields are: "
                f"{', '.join(sorted(_SORT_FIELDS))}."
            )
        if direction.lower() not in ("", "asc", "desc"):
            raise _bad(f"Sort direction for {name} must be asc or desc.")
        spec.append((name, direction.lower() == "desc"))
    return tuple(spec)


def _sort_part(value: float | None, desc: bool) -> tuple[int, float]:
    """Missing values sort last in both directions, as Elasticsearch does."""
    if value is None:
        return (1, 0.0)
    return (0, -value if desc else value)


def _sort_key(rec: _Rec, spec: SortSpec) -> tuple[Any, ...]:
    parts = tuple(_sort_part(_SORT_FIELDS[name](rec), desc) for name, desc in spec)
    return (*parts, rec.id_num)


def _encode_cursor(value: object) -> str:
    """OpenAlex's cursor format: base64 of the JSON string of Python's ``str(value)``."""
    return base64.b64encode(json.dumps(str(value)).encode()).decode()


def _decode_cursor_text(cursor: str) -> str:
    if cursor.lower() in ("null", "none"):
        raise _paging("Cursor is null. Likely reached end of results.")
    try:
        text = json.loads(base64.b64decode(cursor, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _paging("Invalid cursor value") from None
    if not isinstance(text, str):
        raise _paging("Invalid cursor value")
    return text


def _decode_work_cursor(cursor: str, spec: SortSpec) -> tuple[Any, ...]:
    """The sort key just after which the next page starts (a position, not an offset)."""
    text = _decode_cursor_text(cursor)
    try:
        values = json.loads(text.replace("'", '"').replace("None", "null"))
    except ValueError:
        raise _paging("Invalid cursor value") from None
    if not isinstance(values, list) or len(values) != len(spec) + 1:
        raise _paging("Invalid cursor value")
    *sort_values, last_id = values
    match = _W_ID.match(last_id) if isinstance(last_id, str) else None
    if match is None or not all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in sort_values
    ):
        raise _paging("Invalid cursor value")
    parts = tuple(_sort_part(v, desc) for v, (_, desc) in zip(sort_values, spec, strict=True))
    return (*parts, int(match.group(1)[1:]))


# ---------------------------------------------------------------------------------------------
# group_by


@dataclass(frozen=True)
class _GroupSpec:
    """How one group_by dimension reads its raw keys and renders OpenAlex keys."""

    values: Callable[[_Rec], Iterable[Any]]
    key: Callable[[Any], str]
    display: Callable[[Any, _Rec], str]
    numeric: bool


def _one(value: Any) -> tuple[Any, ...]:
    return () if value is None else (value,)


_GROUP_BYS: dict[str, _GroupSpec] = {
    "authorships.countries": _GroupSpec(
        lambda r: r.countries,
        lambda c: f"https://openalex.org/countries/{c}",
        lambda c, r: COUNTRY_NAMES.get(c, c),
        numeric=False,
    ),
    "publication_year": _GroupSpec(lambda r: _one(r.year), str, lambda v, r: str(v), numeric=True),
    "type": _GroupSpec(
        lambda r: _one(r.type),
        lambda t: f"https://openalex.org/types/{t}",
        lambda t, r: t,
        numeric=False,
    ),
    "countries_distinct_count": _GroupSpec(
        lambda r: (r.cdc,), str, lambda v, r: str(v), numeric=True
    ),
    "primary_topic.field.id": _GroupSpec(
        lambda r: _one(r.field_id),
        lambda n: f"https://openalex.org/fields/{n}",
        lambda n, r: r.field_name or str(n),
        numeric=True,
    ),
    "primary_topic.domain.id": _GroupSpec(
        lambda r: _one(r.domain_id),
        lambda n: f"https://openalex.org/domains/{n}",
        lambda n, r: r.domain_name or str(n),
        numeric=True,
    ),
}


# ---------------------------------------------------------------------------------------------
# Helpers for the HTTP layer


def _seconds_to_utc_midnight(now: datetime | None = None) -> tuple[int, datetime]:
    now = now or datetime.now(UTC)
    reset = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(1, math.ceil((reset - now).total_seconds())), reset


def _fmt_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _last(params: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if name in params:
            return params[name][-1]
    return None


def _int_param(params: dict[str, list[str]], names: tuple[str, ...], default: int) -> int:
    raw = _last(params, *names)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _bad(f"Param {names[-1]} must be a number.") from None


_SERVICE_UNAVAILABLE_HTML = (
    b"<!DOCTYPE html><html><head><title>Application Error</title></head><body>"
    b"<p>An error occurred in the application and your page could not be served. "
    b"Please try again in a few moments.</p></body></html>"
)


# ---------------------------------------------------------------------------------------------
# The server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 drops a burst of new connections for 1 s
    oa: OpenAlexServer


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP layer; all semantics live in OpenAlexServer so they are testable in one place."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind Cloudflare
    server_version = "oaserver/1"
    timeout = 30  # idle keep-alive connections end on their own

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus delayed ACKs
        # add ~40 ms to every keep-alive request, which would distort benchmarks.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.oa._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.oa._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log: its request line would print the API key."""

    def do_GET(self) -> None:
        try:
            self.server.oa._handle_get(self)
        except OSError:  # the client went away mid-response
            self.close_connection = True

    def _not_allowed(self) -> None:
        try:
            self.server.oa._handle_not_allowed(self)
        except OSError:
            self.close_connection = True

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed
    do_TRACE = do_CONNECT = _not_allowed


class OpenAlexServer:
    """An in-process OpenAlex ``/works`` API on 127.0.0.1, for tests and benchmarks.

    Works come from ``works_files`` (see :func:`load_works`) and/or ``works``; duplicates by
    id keep the last one, and the default order is by numeric W id so paging is
    deterministic. ``rps`` caps requests in any one-second window (short 429s, not billed),
    ``daily_budget_calls`` a daily call budget (long 429s until UTC midnight), ``require_key``
    the API-key check (401), and ``faults`` injected failures.
    """

    def __init__(
        self,
        works_files: Sequence[Path | str] | None = None,
        works: Sequence[dict[str, Any]] | None = None,
        *,
        rps: float | None = None,
        faults: FaultPlan | None = None,
        require_key: str | None = None,
        daily_budget_calls: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        compress: bool = True,
    ) -> None:
        loaded: dict[int, _Rec] = {}
        for path in works_files or []:
            for work in load_works(path):
                rec = _Rec.of(work)
                loaded[rec.id_num] = rec
        for work in works or []:
            rec = _Rec.of(_check_work(work, Path("<works argument>"), None))
            loaded[rec.id_num] = rec
        self._recs: list[_Rec] = [loaded[k] for k in sorted(loaded)]
        self._select_fields = _SELECT_FIELDS | {k for r in self._recs for k in r.work}
        if rps is not None and rps <= 0:
            raise ValueError("rps must be > 0")
        if daily_budget_calls is not None and daily_budget_calls < 0:
            raise ValueError("daily_budget_calls must be >= 0")
        self.rps = rps
        self.faults = faults or FaultPlan()
        self._key = require_key
        self.daily_budget_calls = daily_budget_calls
        self.host = host
        self.port = port
        self.compress = compress
        self.requests_log: list[dict[str, Any]] = []

        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._request_count = 0
        self._billed = 0
        self._billed_total = 0
        self._budget_day = datetime.now(UTC).date()
        self._window: deque[float] = deque()  # arrival times of the last second's requests
        self._cache: OrderedDict[tuple[str, SortSpec], tuple[list[_Rec], list[Any]]] = OrderedDict()
        self._clause_cache: OrderedDict[str, set[int]] = OrderedDict()
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        # Never show the key; only whether one is required.
        state = self.url if self._httpd else "stopped"
        key = "yes" if self._key else "no"
        return f"OpenAlexServer({len(self._recs)} works, {state}, key required: {key})"

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43211``; with port 0 it is known once started."""
        if self.port == 0:
            raise RuntimeError("OpenAlexServer is not started; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def works_count(self) -> int:
        return len(self._recs)

    @property
    def billed_calls(self) -> int:
        """Calls billed since start (all days), i.e. /works answers sent with status 200."""
        with self._lock:
            return self._billed_total

    def start(self) -> OpenAlexServer:
        """Bind and serve in a daemon thread; returns self so it can be chained."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.oa = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="oaserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut open keep-alive connections and wait (under a second)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=1)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OpenAlexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # -- request handling ----------------------------------------------------------------------

    def _handle_not_allowed(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        entry = self._log(split.path, {})
        entry["status"] = 405
        body = self._error_body("Method Not Allowed", "The method is not allowed for the URL.")
        h.close_connection = True  # a request body may follow; never read it as the next request
        self._send(h, 405, body, {"Allow": "GET"}, head_only=h.command == "HEAD")

    def _handle_get(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        path = split.path.rstrip("/") or "/"
        params = parse_qs(split.query, keep_blank_values=True)
        entry = self._log(path, params)
        if entry["seq"] < self.faults.fail_first_n:
            return self._send_503(h, entry, "fail_first_n")
        if not self._take_token():
            entry["reason"] = "rps"
            return self._send_429(h, entry, 1, f"rate limit of {self.rps:g} requests/s")
        if path != "/works":
            entry["status"] = 404
            body = self._error_body(
                "Not Found",
                "The requested URL was not found on the server. This local server only "
                "serves GET /works.",
            )
            return self._send(h, 404, body, {})
        if self._key is not None and not self._authorized(h, params):
            entry["status"] = 401
            body = self._error_body("Invalid or missing API key", "API key not found")
            return self._send(h, 401, body, {})
        if self._budget_exhausted():
            entry["fault"] = "budget_429" if self._fault_budget_hit() else None
            entry["reason"] = "budget"
            return self._send_budget_429(h, entry)

        fault = self._draw_fault()
        entry["fault"] = fault
        if fault == "429":
            return self._send_429(h, entry, self.faults.retry_after_429, "injected fault")
        if fault == "403":
            entry["status"] = 403
            body = self._error_body("Forbidden", "Rate limit exceeded; slow down.")
            return self._send(h, 403, body, self._ratelimit_headers())
        if fault == "budget_429":
            return self._send_budget_429(h, entry)
        if fault == "500":
            entry["status"] = 500
            body = self._error_body("Internal Server Error", "Injected fault: internal error.")
            return self._send(h, 500, body, {})
        if fault == "503":
            return self._send_503(h, entry, "503")
        if fault == "drop":
            h.close_connection = True  # no status line at all: the client sees a dead socket
            return None
        if fault == "slow" and self._stopping.wait(self.faults.slow_seconds):
            h.close_connection = True  # stopped while delaying: cut it like a dying server
            return None

        started = time.perf_counter()
        try:
            payload = self._works_response(params, started)
        except ApiError as exc:
            entry["status"] = exc.status
            return self._send(h, exc.status, self._error_body(exc.error, exc.message), {})
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")

        if fault in ("truncated", "invalid_json"):
            entry["status"] = 200
            headers = self._ratelimit_headers()
            if fault == "invalid_json":
                # A prefix of a JSON object never parses; the HTTP framing stays correct.
                return self._send(h, 200, body[: max(1, len(body) // 2)], headers)
            return self._send(h, 200, body, headers, truncate=True)

        if not self._bill():
            entry["reason"] = "budget"
            return self._send_budget_429(h, entry)
        entry["status"] = 200
        entry["billed"] = True
        return self._send(h, 200, body, self._ratelimit_headers())

    def _log(self, path: str, params: dict[str, list[str]]) -> dict[str, Any]:
        """Record a request with the API key removed; the key must never reach the log."""
        query = {
            k: (v[-1] if len(v) == 1 else list(v))
            for k, v in params.items()
            if k not in _KEY_PARAMS
        }
        entry: dict[str, Any] = {
            "path": path,
            "query": query,
            "status": None,
            "fault": None,
            "t": time.time(),
            "billed": False,
        }
        with self._lock:
            entry["seq"] = self._request_count
            self._request_count += 1
            self.requests_log.append(entry)
        return entry

    def _authorized(self, h: _Handler, params: dict[str, list[str]]) -> bool:
        assert self._key is not None
        given = _last(params, *_KEY_PARAMS)
        if given is None:
            auth = h.headers.get("Authorization", "")
            if auth[:7].lower() == "bearer ":
                given = auth[7:].strip()
        return given is not None and hmac.compare_digest(given.encode(), self._key.encode())

    def _take_token(self) -> bool:
        """At most ``rps`` requests in any one-second window (a sliding window).

        OpenAlex states its cap as "100 requests per second", and a recorded probe of the live
        API (101 simultaneous requests with a key: one 429) shows a one-second allowance, not a
        smaller bucket; rejected requests do not count against the window.
        """
        if self.rps is None:
            return True
        with self._lock:
            now = time.monotonic()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) < self.rps:
                self._window.append(now)
                return True
            return False

    def _budget_limit(self) -> int | None:
        limits = [x for x in (self.daily_budget_calls, self.faults.budget_calls) if x is not None]
        return min(limits) if limits else None

    def _fault_budget_hit(self) -> bool:
        fb = self.faults.budget_calls
        return fb is not None and self._billed >= fb

    def _roll_day(self) -> None:
        today = datetime.now(UTC).date()
        if today != self._budget_day:
            self._budget_day = today
            self._billed = 0

    def _budget_exhausted(self) -> bool:
        limit = self._budget_limit()
        with self._lock:
            self._roll_day()
            return limit is not None and self._billed >= limit

    def _bill(self) -> bool:
        """Count one billable call atomically; False if the budget ran out meanwhile."""
        limit = self._budget_limit()
        with self._lock:
            self._roll_day()
            if limit is not None and self._billed >= limit:
                return False
            self._billed += 1
            self._billed_total += 1
            return True

    def _draw_fault(self) -> str | None:
        plan = self.faults
        with self._lock:
            u = self._rng.random()
        edge = 0.0
        for name, rate in plan.draw_order():
            edge += rate
            if rate > 0 and u < edge:
                return name
        return None

    # -- responses -----------------------------------------------------------------------------

    def _ratelimit_headers(self) -> dict[str, str]:
        reset, _ = _seconds_to_utc_midnight()
        with self._lock:
            used = self._billed
        limit = self.daily_budget_calls if self.daily_budget_calls is not None else UNLIMITED_CALLS
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Credits-Used": "1",
            "X-RateLimit-Cost-USD": f"{COST_USD:g}",
        }

    @staticmethod
    def _error_body(error: str, message: str) -> bytes:
        return json.dumps({"error": error, "message": message}).encode("utf-8")

    def _send_429(self, h: _Handler, entry: dict[str, Any], retry: float, why: str) -> None:
        entry["status"] = 429
        body = self._error_body(
            _RATE_ERROR,
            f"too many requests per second ({why}); retry after {_fmt_seconds(retry)} s.",
        )
        headers = {"Retry-After": _fmt_seconds(retry), **self._ratelimit_headers()}
        self._send(h, 429, body, headers)

    def _send_budget_429(self, h: _Handler, entry: dict[str, Any]) -> None:
        entry["status"] = 429
        seconds, reset = _seconds_to_utc_midnight()
        limit = self._budget_limit()
        with self._lock:
            used = self._billed
        spent = f"{used} of {limit} calls used today" if limit is not None else "no calls left"
        body = self._error_body(
            _RATE_ERROR,
            f"Daily budget exhausted ({spent}); it resets at "
            f"{reset.strftime('%Y-%m-%dT%H:%M:%SZ')} (midnight UTC).",
        )
        headers = {
            "Retry-After": str(seconds),
            **self._ratelimit_headers(),
            "X-RateLimit-Remaining": "0",
        }
        self._send(h, 429, body, headers)

    def _send_503(self, h: _Handler, entry: dict[str, Any], fault: str) -> None:
        entry["status"] = 503
        entry["fault"] = fault
        self._send(h, 503, _SERVICE_UNAVAILABLE_HTML, {}, content_type="text/html; charset=utf-8")

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        headers: dict[str, str],
        *,
        content_type: str = "application/json",
        truncate: bool = False,
        head_only: bool = False,
    ) -> None:
        if (
            self.compress
            and len(body) >= 1024
            and "gzip" in h.headers.get("Accept-Encoding", "").lower()
        ):
            body = gzip.compress(body, compresslevel=1, mtime=0)
            headers = {**headers, "Content-Encoding": "gzip"}
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        if truncate or h.close_connection:
            h.send_header("Connection", "close")
        h.end_headers()
        if head_only:
            return
        if truncate:
            # Promise the full length, send half, then close: the client sees a short read.
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    # -- /works semantics ------------------------------------------------------------------------

    def _works_response(self, params: dict[str, list[str]], started: float) -> dict[str, Any]:
        for name in params:
            if name not in _VALID_PARAMS and name not in _HIDDEN_PARAMS:
                raise _bad(
                    f"{name} is not a valid parameter. Valid parameters are: "
                    f"{', '.join(_VALID_PARAMS)}."
                )
            if name in _UNSUPPORTED_PARAMS:
                raise _bad(f"{name} is not supported by the local test server (oaserver).")
        if len(params.get("filter", [])) > 1:
            raise _bad(
                "Only one filter parameter is allowed. Combine and separate filters with a "
                "comma, like: /works?filter=publication_year:2020,is_open_access:true."
            )
        group_by = _last(params, "group_by", "group-by") or None
        select = _last(params, "select")
        if group_by and select is not None:
            raise _bad("select does not work with group_by.")
        cursor = _last(params, "cursor") or None
        page_given = _last(params, "page") not in (None, "")
        page = _int_param(params, ("page",), 1)
        default_per_page = MAX_PER_PAGE if group_by else DEFAULT_PER_PAGE
        per_page = _int_param(params, ("per_page", "per-page"), default_per_page)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise _paging(f"per-page parameter must be between 1 and {MAX_PER_PAGE}")
        if page < 1:
            raise _paging("Page parameter must be greater than 0.")
        if cursor and page_given and page != 1:
            raise _paging("Cannot use page parameter with cursor.")
        if not cursor and page * per_page > MAX_PAGED_RESULTS:
            raise _paging(
                "Maximum results size of 10,000 records is exceeded. Cursor pagination is "
                "required for records beyond 10,000. See: "
                "https://docs.openalex.org/api#cursor-paging"
            )
        filter_raw = _last(params, "filter") or ""
        sort_raw = _last(params, "sort")

        if group_by:
            if page != 1:
                raise _paging(
                    "Unable to paginate beyond page 1. Group-by is limited to page 1 with up to "
                    "200 results at this time."
                )
            matching, _ = self._query(filter_raw, ())
            return self._group_response(group_by, matching, sort_raw, cursor, per_page, started)

        spec = _parse_sort(sort_raw)
        fields_wanted = self._parse_select(select)
        matching, keys = self._query(filter_raw, spec)
        if cursor:
            start = (
                0 if cursor == "*" else bisect.bisect_right(keys, _decode_work_cursor(cursor, spec))
            )
        else:
            start = (page - 1) * per_page
        chunk = matching[start : start + per_page]
        results = [self._project(r.work, fields_wanted) for r in chunk]
        meta: dict[str, Any] = {
            "count": len(matching),
            "db_response_time_ms": int((time.perf_counter() - started) * 1000),
            "page": None if cursor else page,
            "per_page": per_page,
        }
        if cursor:
            # The page that returns the final records still carries a cursor; the request
            # after it returns results [] and next_cursor null (recorded keypaper pages).
            last = chunk[-1] if chunk else None
            meta["next_cursor"] = (
                _encode_cursor([*(_SORT_FIELDS[n](last) for n, _ in spec), last.id_url])
                if last is not None
                else None
            )
        meta["groups_count"] = None
        meta["cost_usd"] = COST_USD
        return {"meta": meta, "results": results, "group_by": []}

    def _parse_select(self, select: str | None) -> list[str] | None:
        if select is None:
            return None
        wanted = [s.strip() for s in select.split(",") if s.strip()]
        if not wanted:
            raise _bad("select needs at least one field.")
        for name in wanted:
            if name not in self._select_fields:
                raise _bad(
                    f"{name} is not a valid select field. Valid fields for select are: "
                    f"{', '.join(_SELECT_FIELDS_TEXT.split())}."
                )
        return wanted

    @staticmethod
    def _project(work: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
        if wanted is None:
            return work
        return {name: work.get(name) for name in wanted}

    def _query(self, filter_raw: str, spec: SortSpec) -> tuple[list[_Rec], list[Any]]:
        """Matching records in order plus their sort keys, cached so cursor chains stay cheap."""
        cache_key = (filter_raw, spec)
        with self._lock:
            hit = self._cache.get(cache_key)
            if hit is not None:
                self._cache.move_to_end(cache_key)
                return hit
        positions: set[int] | None = None
        for clause in filter_raw.split(","):
            if clause.strip():
                hit = self._clause_positions(clause)
                positions = hit if positions is None else positions & hit
        if positions is None:
            matching = list(self._recs)
        else:
            matching = [self._recs[i] for i in sorted(positions)]
        if spec:
            matching.sort(key=lambda r: _sort_key(r, spec))
        keys = [_sort_key(r, spec) for r in matching]
        with self._lock:
            self._cache[cache_key] = (matching, keys)
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return matching, keys

    def _clause_positions(self, clause: str) -> set[int]:
        """Positions of the records one filter clause matches, cached per clause.

        A harvest asks for every country x year combination; caching each clause once turns
        77 scans of the corpus into 19, and AND-ing clauses is a set intersection.
        """
        with self._lock:
            hit = self._clause_cache.get(clause)
            if hit is not None:
                self._clause_cache.move_to_end(clause)
                return hit
        (matcher,) = _compile_filter(clause)
        found = {i for i, r in enumerate(self._recs) if matcher(r)}
        with self._lock:
            self._clause_cache[clause] = found
            while len(self._clause_cache) > 64:
                self._clause_cache.popitem(last=False)
        return found

    def _group_response(
        self,
        group_by: str,
        matching: list[_Rec],
        sort_raw: str | None,
        cursor: str | None,
        per_page: int,
        started: float,
    ) -> dict[str, Any]:
        name, _, option = group_by.partition(":")
        spec = _GROUP_BYS.get(name.strip())
        if spec is None:
            raise _bad(
                f"{name} is not a valid group_by field for this local server. Supported: "
                f"{', '.join(sorted(_GROUP_BYS))}."
            )
        if option not in ("", "include_unknown"):
            raise _bad(f"Unknown group_by option {option!r}; only include_unknown is supported.")
        counts: Counter[Any] = Counter()
        display: dict[Any, str] = {}
        unknown = 0
        for rec in matching:
            values = set(spec.values(rec))
            if not values:
                unknown += 1
            for value in values:
                counts[value] += 1
                display.setdefault(value, spec.display(value, rec))
        groups = [
            {"key": spec.key(v), "key_display_name": display[v], "count": c, "_raw": v}
            for v, c in counts.items()
        ]
        order = self._group_sort(sort_raw)
        next_cursor: str | None = None
        if cursor and order is None:
            # Cursor mode is a composite aggregation: groups in ascending key order, the
            # cursor holds the last raw key, and the page after the last group is empty.
            groups.sort(key=lambda g: g["_raw"])
            start = 0
            if cursor != "*":
                after = _decode_cursor_text(cursor)
                if spec.numeric:
                    try:
                        after_key: Any = int(after)
                    except ValueError:
                        raise _paging("Invalid cursor value") from None
                else:
                    after_key = after
                start = bisect.bisect_right([g["_raw"] for g in groups], after_key)
            page_groups = groups[start : start + per_page]
            if page_groups:
                next_cursor = _encode_cursor(page_groups[-1]["_raw"])
        else:
            if option == "include_unknown" and unknown:
                groups.append(
                    {
                        "key": "unknown",
                        "key_display_name": "unknown",
                        "count": unknown,
                        "_raw": None,
                    }
                )
            if order is None:
                groups.sort(key=lambda g: (-g["count"], self._raw_order(g["_raw"])))
            else:
                groups.sort(key=order[0], reverse=order[1])
            page_groups = groups[:per_page]
        meta: dict[str, Any] = {
            "count": len(matching),
            "db_response_time_ms": int((time.perf_counter() - started) * 1000),
            "page": None if cursor else 1,
            "per_page": per_page,
        }
        if cursor:
            meta["next_cursor"] = next_cursor
        meta["groups_count"] = len(groups)
        meta["cost_usd"] = COST_USD
        out = [{k: g[k] for k in ("key", "key_display_name", "count")} for g in page_groups]
        return {"meta": meta, "results": [], "group_by": out}

    @staticmethod
    def _raw_order(raw: Any) -> tuple[int, Any]:
        return (1, "") if raw is None else (0, raw)

    def _group_sort(
        self, sort_raw: str | None
    ) -> tuple[Callable[[dict[str, Any]], Any], bool] | None:
        """``sort=count:desc`` / ``key:asc`` for group_by (the only sorts OpenAlex allows)."""
        if not sort_raw:
            return None
        name, _, direction = sort_raw.partition(":")
        direction = direction.lower() or "asc"
        if name not in ("count", "key") or direction not in ("asc", "desc"):
            raise _bad("With group_by, sort must be count or key, optionally :asc or :desc.")
        if name == "count":
            sign = -1 if direction == "desc" else 1
            return (lambda g: (sign * g["count"], self._raw_order(g["_raw"]))), False
        return (lambda g: self._raw_order(g["_raw"])), direction == "desc"


# ---------------------------------------------------------------------------------------------
# Command line


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m coauthor.devtools.oaserver",
        description="Serve OpenAlex /works from local files on 127.0.0.1 (tests, benchmarks).",
    )
    p.add_argument(
        "--works",
        nargs="+",
        type=Path,
        required=True,
        metavar="FILE",
        help="JSON Lines (.jsonl/.jsonl.gz), an API page or a JSON array of works",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--rps", type=float, default=None, help="requests per second before 429")
    p.add_argument(
        "--require-key",
        default=None,
        metavar="KEY",
        help="answer 401 unless api_key matches (the key is never printed)",
    )
    p.add_argument("--daily-budget-calls", type=int, default=None, metavar="N")
    p.add_argument("--no-gzip", action="store_true", help="never gzip response bodies")
    rates = {
        "429": "rate_429",
        "403": "rate_403",
        "budget-429": "rate_budget_429",
        "500": "rate_500",
        "503": "rate_503",
        "slow": "rate_slow",
        "truncated": "rate_truncated",
        "drop": "rate_drop",
        "invalid-json": "rate_invalid_json",
    }
    for flag, dest in rates.items():
        p.add_argument(
            f"--fault-{flag}",
            dest=dest,
            type=float,
            default=0.0,
            metavar="P",
            help=f"probability per request of the {flag} fault",
        )
    p.add_argument("--retry-after-429", type=float, default=1.0, metavar="S")
    p.add_argument(
        "--budget-calls",
        type=int,
        default=None,
        metavar="N",
        help="after N billed calls every list call gets a daily-budget 429",
    )
    p.add_argument("--slow-seconds", type=float, default=2.0, metavar="S")
    p.add_argument("--fail-first-n", type=int, default=0, metavar="N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-file", type=Path, help="write requests_log as JSON lines on exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM; prints the base URL (and never the key)."""
    args = _build_parser().parse_args(argv)
    plan = FaultPlan(
        **{f.name: getattr(args, f.name) for f in fields(FaultPlan) if hasattr(args, f.name)}
    )
    server = OpenAlexServer(
        args.works,
        rps=args.rps,
        faults=plan,
        require_key=args.require_key,
        daily_budget_calls=args.daily_budget_calls,
        host=args.host,
        port=args.port,
        compress=not args.no_gzip,
    ).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(server.url, flush=True)
    print(
        f"oaserver: {server.works_count} works; key required: "
        f"{'yes' if args.require_key else 'no'}; Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if args.log_file:
            with open(args.log_file, "w", encoding="utf-8") as fh:
                for entry in server.requests_log:
                    fh.write(json.dumps(entry, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
