"""The landing zone: raw works as gzip JSON Lines, written atomically, with a manifest.

Every table is rebuilt from here. A file becomes visible under `works/` only by an atomic rename
after it is flushed to disk; the manifest (SQLite, WAL, synchronous=FULL) records each file with
its origin, checksum and record count. Harvest checkpoints live in the same database and are
committed in the same transaction as the manifest row of the page they follow, before the
rename (write-ahead): recovery completes any rename that was committed but not yet done, so a
process killed at any instant resumes with no lost and no duplicated page.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from coauthor.errors import LandingError

log = logging.getLogger("coauthor")
AREAS = ("works", "counts")

SCHEMA = """
create table if not exists files (
    file_id integer primary key autoincrement,
    path text not null unique,
    tmp_path text,
    state text not null check (state in ('pending', 'landed')),
    source text not null,
    origin text not null,
    format text not null,
    sha256 text not null,
    origin_sha256 text,
    bytes integer not null,
    records integer not null,
    slice text,
    seq integer,
    landed_at text not null
);
create index if not exists files_origin_sha on files (origin_sha256);
create table if not exists checkpoints (
    slice text primary key,
    spec text not null,
    cursor text,
    pages integer not null default 0,
    works integer not null default 0,
    expected integer,
    done integer not null default 0,
    updated_at text not null
);
create table if not exists state (
    key text primary key,
    value text not null
);
"""


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def fsync(path: Path) -> None:
    """Flush a file, or a folder after a rename (POSIX needs the directory entry flushed too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class HashingWriter:
    """A write-only file object that hashes and counts what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.bytes += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


@dataclass(frozen=True)
class LandedFile:
    """One row of the manifest."""

    file_id: int
    path: Path
    source: str
    origin: str
    sha256: str
    records: int
    bytes: int


@dataclass
class Checkpoint:
    """Where a harvest slice stands: the cursor for its next page."""

    slice: str
    spec: str
    cursor: str | None
    pages: int
    works: int
    expected: int | None
    done: bool


class LandingZone:
    """Owns `$COAUTHOR_DATA_DIR/landing`: works files, temp area and manifest."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.works_dir = self.root / "works"
        self.tmp_dir = self.root / ".tmp"
        for d in (self.root, self.works_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "manifest.sqlite"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.db_path, timeout=60, check_same_thread=False, isolation_level=None
        )
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(SCHEMA)
        self.recover()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> LandingZone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")

    # -- temp files -------------------------------------------------------------------------
    def new_tmp(self, suffix: str = ".jsonl.gz") -> Path:
        """A fresh temp path on the same filesystem as works/, so rename is atomic.

        The name carries host and pid, so recovery in one process never removes a file another
        live process (a parallel backfill task) is still writing.
        """
        owner = f"{socket.gethostname()}~{os.getpid()}"
        return self.tmp_dir / f"{_stamp()}-{owner}-{uuid.uuid4().hex[:8]}{suffix}"

    # -- landing ----------------------------------------------------------------------------
    def commit_file(
        self,
        tmp: Path,
        *,
        source: str,
        origin: str,
        name: str,
        records: int,
        sha256: str,
        nbytes: int,
        origin_sha256: str | None = None,
        slice_: str | None = None,
        seq: int | None = None,
        checkpoint: Checkpoint | None = None,
        area: str = "works",
    ) -> LandedFile:
        """Move a flushed temp file into works/ (or counts/) and record it atomically."""
        if area not in AREAS:
            raise LandingError(f"unknown landing area {area!r}")
        subdir = f"source={source}" + (f"/{_safe(slice_)}" if slice_ else "")
        rel = Path(area) / subdir / f"{_stamp()}-{_safe(name)}"
        final = self.root / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        fsync(tmp)
        with self._tx() as db:
            cur = db.execute(
                "insert into files (path, tmp_path, state, source, origin, format, sha256,"
                " origin_sha256, bytes, records, slice, seq, landed_at)"
                " values (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rel.as_posix(),
                    tmp.relative_to(self.root).as_posix(),
                    source,
                    origin,
                    "parquet" if name.endswith(".parquet") else "jsonl.gz",
                    sha256,
                    origin_sha256,
                    nbytes,
                    records,
                    slice_,
                    seq,
                    utcnow(),
                ),
            )
            file_id = int(cur.lastrowid or 0)
            if checkpoint is not None:
                self._save_checkpoint(db, checkpoint)
        self._finish(file_id, tmp, final)
        return LandedFile(file_id, final, source, origin, sha256, records, nbytes)

    def _finish(self, file_id: int, tmp: Path, final: Path) -> None:
        os.replace(tmp, final)
        fsync(final.parent)
        with self._lock:
            self._db.execute(
                "update files set state = 'landed', tmp_path = null where file_id = ?", (file_id,)
            )

    def recover(self) -> int:
        """Complete renames committed before a crash; drop temp files nobody committed."""
        fixed = 0
        with self._lock:
            rows = self._db.execute(
                "select file_id, path, tmp_path, sha256 from files where state = 'pending'"
            ).fetchall()
        for file_id, rel, tmp_rel, sha in rows:
            final, tmp = self.root / rel, self.root / (tmp_rel or "")
            if final.exists():
                with self._lock:
                    self._db.execute(
                        "update files set state='landed', tmp_path=null where file_id=?",
                        (file_id,),
                    )
            elif tmp_rel and tmp.exists() and file_sha256(tmp) == sha:
                final.parent.mkdir(parents=True, exist_ok=True)
                self._finish(file_id, tmp, final)
            else:
                raise LandingError(
                    f"manifest row {file_id} ({rel}) is pending but neither its file nor its "
                    f"temp file {tmp_rel} is intact; restore the file or delete the row"
                )
            fixed += 1
        pending = {r[2] for r in rows if r[2]}
        for tmp in self.tmp_dir.iterdir():
            rel = tmp.relative_to(self.root).as_posix()
            if rel not in pending and tmp.is_file() and _abandoned(tmp):
                tmp.unlink(missing_ok=True)
        if fixed:
            log.warning("landing zone: completed %d interrupted file commit(s)", fixed)
        return fixed

    # -- queries ----------------------------------------------------------------------------
    def landed_files(self, source: str | None = None, area: str = "works") -> list[LandedFile]:
        sql = (
            "select file_id, path, source, origin, sha256, records, bytes from files"
            " where state = 'landed' and path like ?"
        )
        args: tuple[Any, ...] = (f"{area}/%",)
        if source:
            sql += " and source = ?"
            args = (*args, source)
        with self._lock:
            rows = self._db.execute(sql + " order by file_id", args).fetchall()
        return [LandedFile(r[0], self.root / r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def find_by_origin_sha(self, origin_sha256: str) -> LandedFile | None:
        with self._lock:
            row = self._db.execute(
                "select file_id, path, source, origin, sha256, records, bytes from files"
                " where origin_sha256 = ? and state = 'landed'",
                (origin_sha256,),
            ).fetchone()
        return LandedFile(row[0], self.root / row[1], *row[2:]) if row else None

    def verify(self) -> list[str]:
        """Checksums of every landed file; returns the paths that do not match."""
        return [
            str(f.path)
            for area in AREAS
            for f in self.landed_files(area=area)
            if not f.path.exists() or file_sha256(f.path) != f.sha256
        ]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            rows = self._db.execute(
                "select source, count(*), sum(records), sum(bytes) from files"
                " where state='landed' group by source order by source"
            ).fetchall()
        return {r[0]: {"files": r[1], "records": r[2], "bytes": r[3]} for r in rows}

    def manifest_rows(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute(
                "select file_id, path, source, origin, format, sha256, origin_sha256, bytes,"
                " records, slice, seq, landed_at from files where state='landed'"
                " order by file_id"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- checkpoints ------------------------------------------------------------------------
    @staticmethod
    def _save_checkpoint(db: sqlite3.Connection, cp: Checkpoint) -> None:
        db.execute(
            "insert into checkpoints (slice, spec, cursor, pages, works, expected, done,"
            " updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)"
            " on conflict (slice) do update set spec=excluded.spec, cursor=excluded.cursor,"
            " pages=excluded.pages, works=excluded.works, expected=excluded.expected,"
            " done=excluded.done, updated_at=excluded.updated_at",
            (cp.slice, cp.spec, cp.cursor, cp.pages, cp.works, cp.expected, int(cp.done), utcnow()),
        )

    def save_checkpoint(self, cp: Checkpoint) -> None:
        with self._tx() as db:
            self._save_checkpoint(db, cp)

    def checkpoint(self, slice_: str) -> Checkpoint | None:
        with self._lock:
            row = self._db.execute(
                "select slice, spec, cursor, pages, works, expected, done from checkpoints"
                " where slice = ?",
                (slice_,),
            ).fetchone()
        if not row:
            return None
        return Checkpoint(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))

    def checkpoints(self) -> list[Checkpoint]:
        with self._lock:
            rows = self._db.execute(
                "select slice, spec, cursor, pages, works, expected, done from checkpoints"
                " order by slice"
            ).fetchall()
        return [Checkpoint(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    # -- key/value state (e.g. last successful harvest) ---------------------------------------
    def get_state(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("select value from state where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "insert into state values (?, ?)"
                " on conflict (key) do update set value = excluded.value",
                (key, value),
            )

    def export_manifest(self, path: Path) -> Path:
        """Write the manifest as JSON Lines beside the files (for people and other tools)."""
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for row in self.manifest_rows():
                fh.write(json.dumps(row) + "\n")
        os.replace(tmp, path)
        return path


def _abandoned(tmp: Path, stale_after_s: float = 86400) -> bool:
    """A temp file whose writer is gone: its process has exited (same host) or it is old."""
    try:
        host, pid = tmp.name.split("-", 2)[1].split("~")
        if host == socket.gethostname():
            os.kill(int(pid), 0)
            return False  # the writer is alive
    except ProcessLookupError:
        return True
    except (ValueError, IndexError, PermissionError):
        pass
    return time.time() - tmp.stat().st_mtime > stale_after_s


def write_gzip(path: Path, chunks: Iterable[bytes], compresslevel: int = 9) -> tuple[str, int]:
    """Gzip the chunks into `path`; returns the sha256 and size of the bytes written."""
    with path.open("wb") as raw:
        out = HashingWriter(raw)
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=compresslevel, mtime=0) as gz:  # type: ignore[arg-type]
            for chunk in chunks:
                gz.write(chunk)
        raw.flush()
    return out.sha.hexdigest(), out.bytes


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            sha.update(block)
    return sha.hexdigest()


def _safe(name: str) -> str:
    """A file-name-safe rendering of a slice or input name."""
    keep = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in name)
    return keep[:120] or "part"
