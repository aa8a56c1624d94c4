"""Every input format → gzip JSON Lines files the landing zone accepts.

Python only moves bytes here: JSON Lines inputs are copied (or gzip-compressed) in chunks, and
DuckDB parses them to validate and count. JSON documents (an API page, an array of works, a single
work) are unpacked by DuckDB's `read_json_objects` and written out one work per line. Lines are
split on `\\n` only (U+2028 may occur inside strings).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import shutil
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from coauthor.errors import InputFormatError
from coauthor.landing import HashingWriter, LandedFile, LandingZone, file_sha256, write_gzip

log = logging.getLogger("coauthor")

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
WORK_ID = r"^(https://openalex\.org/)?W\d+$"
ENTITY_ID = r"^https://openalex\.org/[A-Za-z]"
# Keys only a work record has; a record without an id but with one of these is a work to
# quarantine, anything else is not OpenAlex works at all.
WORK_KEYS = ("authorships", "publication_year", "primary_location", "referenced_works")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz", ".jsonl.gz", ".json.gz")


@dataclass
class IngestResult:
    """What one ingest call did, for the run summary."""

    landed: list[LandedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already landed (same checksum)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.landed)


# -- discovery ---------------------------------------------------------------------------------
def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders: a snapshot `works/` folder by its manifest, others by file suffix."""
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputFormatError(path, None, "no such file or folder")
        if path.is_file():
            yield path
        elif (path / "manifest").is_file() and any(path.glob("updated_date=*")):
            yield from snapshot_parts(path)
        else:
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name != "manifest" and _looks_like_json(child):
                    yield child


def snapshot_parts(folder: Path) -> list[Path]:
    """Part files of an OpenAlex snapshot folder, checked against its manifest.

    Every `updated_date=*/part_*` file present is landed. A partial copy (manifest entries whose
    file is absent) is allowed with a warning; files absent from the manifest are landed too.
    """
    manifest = folder / "manifest"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
        expected = {
            entry["url"][entry["url"].index("updated_date=") :]: entry.get("meta", {})
            for entry in entries
            if "updated_date=" in entry["url"]
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise InputFormatError(
            manifest, None, f"not an OpenAlex snapshot manifest ({exc})"
        ) from None
    parts = sorted(p for p in folder.glob("updated_date=*/part_*") if p.is_file())
    present = {p.relative_to(folder).as_posix() for p in parts}
    missing = set(expected) - present
    unlisted = present - set(expected)
    if missing:
        log.warning(
            "%s: %d of %d part files listed in the manifest are absent (partial copy); "
            "landing the %d present",
            folder,
            len(missing),
            len(expected),
            len(parts),
        )
    if unlisted:
        log.warning("%s: %d part file(s) are not in the manifest", folder, len(unlisted))
    for part in parts:
        meta = expected.get(part.relative_to(folder).as_posix())
        if meta and "content_length" in meta and part.stat().st_size != meta["content_length"]:
            raise InputFormatError(
                part,
                None,
                f"is {part.stat().st_size} bytes but the manifest says {meta['content_length']}: "
                "the copy is incomplete; download it again",
            )
    return parts


def snapshot_expected_records(part: Path) -> int | None:
    """The record count the snapshot manifest gives for a part file, if any."""
    folder = part.parent.parent
    manifest = folder / "manifest"
    if not manifest.is_file() or not part.parent.name.startswith("updated_date="):
        return None
    rel = part.relative_to(folder).as_posix()
    try:
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["entries"]:
            if entry["url"].endswith(rel):
                return entry.get("meta", {}).get("record_count")
    except (ValueError, KeyError, TypeError):
        return None
    return None


def _looks_like_json(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(JSON_SUFFIXES) or "." not in name


# -- sniffing -----------------------------------------------------------------------------------
def _open_text_head(path: Path, size: int = 1 << 16) -> tuple[bool, bytes]:
    with path.open("rb") as fh:
        magic = fh.read(2)
    compressed = magic == GZIP_MAGIC
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as fh:
            head = fh.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFormatError(path, 1, f"cannot decompress ({exc})") from None
    return compressed, head


def sniff(path: Path) -> tuple[str, bool]:
    """Return (format, gzip): 'jsonl', 'json' (a whole document) or 'parquet'."""
    with path.open("rb") as fh:
        if fh.read(4) == PARQUET_MAGIC:
            return "parquet", False
    compressed, head = _open_text_head(path)
    text = head.lstrip()
    if not text:
        return "jsonl", compressed  # empty file: zero records
    if text[:1] == b"[":
        return "json", compressed
    if text[:1] != b"{":
        raise InputFormatError(path, 1, "not JSON: the file does not start with '{' or '['")
    first = text.split(b"\n", 1)[0]
    try:
        obj = json.loads(first)
    except ValueError:
        return "json", compressed  # a pretty-printed document
    if isinstance(obj, dict) and ("results" in obj or "meta" in obj or "entries" in obj):
        return "json", compressed
    return "jsonl", compressed


# -- landing ------------------------------------------------------------------------------------
def ingest_paths(zone: LandingZone, paths: Iterable[Path], source: str = "file") -> IngestResult:
    """Land every input; a bad file raises, earlier files stay landed, nothing is half-written."""
    result = IngestResult()
    for path in discover(paths):
        landed = ingest_file(zone, path, source=source)
        if landed is None:
            result.skipped.append(str(path))
        else:
            result.landed.append(landed)
    return result


def ingest_file(zone: LandingZone, path: Path, source: str = "file") -> LandedFile | None:
    """Land one file; returns None when identical bytes were landed before."""
    origin_sha = file_sha256(path)
    if (prior := zone.find_by_origin_sha(origin_sha)) is not None:
        log.info("%s: already landed as %s, skipped", path, prior.path.name)
        return None
    fmt, compressed = sniff(path)
    tmp = zone.new_tmp()
    try:
        if fmt == "parquet":  # the snapshot's Parquet edition: landed byte for byte
            tmp = tmp.with_name(tmp.name.removesuffix(".jsonl.gz") + ".parquet")
            writer_stats = _copy_jsonl(path, tmp, compressed=True)
        elif fmt == "jsonl":
            writer_stats = _copy_jsonl(path, tmp, compressed)
        else:
            writer_stats = _unpack_document(path, tmp)
        records = validate_works_file(tmp, origin=path, parquet=fmt == "parquet")
        expected = snapshot_expected_records(path)
        if expected is not None and expected != records:
            raise InputFormatError(
                path, None, f"holds {records} records but the snapshot manifest says {expected}"
            )
        sha, nbytes = writer_stats
        if fmt == "parquet":
            name = path.name if path.name.endswith(".parquet") else path.name + ".parquet"
        else:
            name = path.name if path.name.endswith(".jsonl.gz") else _stem(path) + ".jsonl.gz"
        return zone.commit_file(
            tmp,
            source=source,
            origin=str(path.resolve()),
            name=name,
            records=records,
            sha256=sha,
            nbytes=nbytes,
            origin_sha256=origin_sha,
        )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json"):
        name = name.removesuffix(suffix)
    return name or "part"


def _copy_jsonl(src: Path, tmp: Path, compressed: bool) -> tuple[str, int]:
    """Copy gzip input byte for byte; compress plain input on the way. Memory stays flat."""
    if compressed:
        with tmp.open("wb") as raw, src.open("rb") as fh:
            out = HashingWriter(raw)
            shutil.copyfileobj(fh, out, 1 << 20)  # type: ignore[misc]
            raw.flush()
            return out.sha.hexdigest(), out.bytes
    with src.open("rb") as fh:
        return write_gzip(tmp, iter(lambda: fh.read(1 << 20), b""))


def _unpack_document(src: Path, tmp: Path) -> tuple[str, int]:
    """An API page, a JSON array or a single work → one minified work per line (DuckDB parses)."""
    con = duckdb.connect()
    try:
        first = con.execute(
            "select json_type(json), json_exists(json, '$.results')"
            " from read_json_objects(?, format='auto', maximum_object_size=268435456) limit 1",
            [str(src)],
        ).fetchall()
        kind = first[0] if first else None
    except duckdb.Error as exc:
        raise InputFormatError(src, _bad_json_line(src), _describe(exc)) from None
    if kind is None:
        query = "select null where false"
    elif kind[1]:
        query = (
            "select json(unnest(json_extract(json, '$.results[*]'))) from read_json_objects(?,"
            " format='auto', maximum_object_size=268435456)"
        )
    elif kind[0] == "OBJECT":
        query = (
            "select json(json) from read_json_objects(?, format='auto',"
            " maximum_object_size=268435456)"
        )
    else:
        raise InputFormatError(src, 1, f"a JSON {kind[0].lower()} is not OpenAlex works")
    cur = con.execute(query, [str(src)] if "?" in query else [])
    batches = iter(lambda: cur.fetchmany(2000), [])
    try:
        return write_gzip(tmp, (("\n".join(r[0] for r in b) + "\n").encode() for b in batches))
    finally:
        con.close()


JSONL_RECORDS = """
    select json, ordinality as line
    from read_json_objects(?, format='newline_delimited', maximum_object_size=33554432)
        with ordinality
"""
PARQUET_RECORDS = """
    select to_json(part) as json, file_row_number + 1 as line
    from read_parquet(?, file_row_number = true) as part
"""


def validate_works_file(path: Path, origin: Path, parquet: bool = False) -> int:
    """Count records and refuse files that are not OpenAlex works, naming file and line (row)."""
    con = duckdb.connect(config={"memory_limit": "1GB"})
    keys = " or ".join(f"json_exists(json, '$.{k}')" for k in WORK_KEYS)
    sql = f"""
        with records as ({PARQUET_RECORDS if parquet else JSONL_RECORDS}),
        classified as (
            select
                line,
                json_type(json) as kind,
                json_extract_string(json, '$.id') as id,
                {keys} as work_shaped
            from records
        )
        select
            count(*) as n,
            min(line) filter (where kind <> 'OBJECT') as bad_kind_line,
            min(line) filter (
                where kind = 'OBJECT' and id is not null and not regexp_matches(id, '{WORK_ID}')
            ) as other_entity_line,
            min(line) filter (where kind = 'OBJECT' and id is null and not work_shaped)
                as not_work_line,
            any_value(id) filter (
                where kind = 'OBJECT' and id is not null and not regexp_matches(id, '{WORK_ID}')
            ) as other_id
        from classified
    """
    try:
        n, bad_kind, other, not_work, other_id = con.execute(sql, [str(path)]).fetchall()[0]  # type: ignore[misc]
    except duckdb.Error as exc:
        line = None if parquet else _bad_json_line(path)
        raise InputFormatError(origin, line, _describe(exc)) from None
    finally:
        con.close()
    if bad_kind:
        raise InputFormatError(origin, bad_kind, "a JSON value that is not an object is not a work")
    if other:
        what = "not an OpenAlex work id"
        if other_id and re.match(ENTITY_ID, other_id):
            what = "an OpenAlex entity that is not a work (e.g. an institution)"
        raise InputFormatError(origin, other, f"id {other_id!r} is {what}")
    if not_work:
        raise InputFormatError(
            origin, not_work, "record has no id and none of the fields of an OpenAlex work"
        )
    return int(n)


def _describe(exc: BaseException) -> str:
    """DuckDB's parse errors, reworded without the temp file's name."""
    text = str(exc)
    if "GZIP" in text.upper() or "gzip" in text:
        return "the gzip stream ends early or is corrupt (an incomplete download?)"
    if "Malformed JSON" in text or "JSON" in text:
        reason = text.rsplit(":", 1)[-1].strip().rstrip(".") or "malformed"
        return f"not valid JSON ({reason})"
    return text.strip().splitlines()[0]


def _bad_json_line(path: Path) -> int | None:
    """Error path only: find the first line that is not JSON or where decompression fails."""
    compressed = path.open("rb").read(2) == GZIP_MAGIC
    line = 0
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as fh:
            buf = b""
            while block := fh.read(1 << 20):
                buf += block
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line += 1
                    if raw.strip():
                        json.loads(raw)
            if buf.strip():
                line += 1
                json.loads(buf)
    except (OSError, EOFError, zlib.error):
        return line + 1
    except ValueError:
        return line
    return None
