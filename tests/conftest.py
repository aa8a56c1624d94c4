"""Shared fixtures: real OpenAlex records, a temporary data dir, and a built database."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from coauthor import pipeline
from coauthor.settings import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "openalex"
HANDMADE = FIXTURES / "handmade"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit a developer's COAUTHOR_* settings or key."""
    for name in list(os.environ):
        if name.startswith("COAUTHOR_") and not name.startswith("COAUTHOR_LIVE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")


def build_from(settings: Settings, *paths: Path) -> duckdb.DuckDBPyConnection:
    """Land the paths, build, and open the published database read-only."""
    pipeline.ingest_snapshot(settings, list(paths))
    pipeline.build(settings)
    return duckdb.connect(str(settings.db_path), read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()
