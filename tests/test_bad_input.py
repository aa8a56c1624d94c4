"""Bad input gets a message naming the file and line, and loses nothing already landed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from coauthor import pipeline
from coauthor.cli import main
from coauthor.errors import ConfigError, InputFormatError
from coauthor.landing import LandingZone
from coauthor.settings import load_settings
from tests.conftest import HANDMADE, REAL


def _landed(settings) -> list:
    with LandingZone(settings.landing_dir) as zone:
        return zone.landed_files()


def _no_temp_files(settings) -> bool:
    return not any((settings.landing_dir / ".tmp").iterdir())


def test_institutions_file_is_refused_with_file_and_line(settings) -> None:
    part = REAL / "snapshot/institutions/updated_date=2023-09-04/part_000.gz"
    with pytest.raises(InputFormatError) as err:
        pipeline.ingest_snapshot(settings, [part])
    assert err.value.line == 1
    assert str(part) in str(err.value) and "institution" in str(err.value)
    assert _landed(settings) == [] and _no_temp_files(settings)


def test_random_json_lines_are_refused(settings, tmp_path: Path) -> None:
    bad = tmp_path / "random.jsonl"
    bad.write_text('{"id": "https://openalex.org/W1", "publication_year": 2020}\n{"foo": 1}\n')
    with pytest.raises(InputFormatError) as err:
        pipeline.ingest_snapshot(settings, [bad])
    assert err.value.line == 2 and "random.jsonl, line 2" in str(err.value)


def test_non_json_line_names_its_line(settings, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    good = '{"id": "https://openalex.org/W1", "publication_year": 2020}\n'
    bad.write_text(good * 3 + "this is not json\n" + good)
    with pytest.raises(InputFormatError) as err:
        pipeline.ingest_snapshot(settings, [bad])
    assert err.value.line == 4


def test_truncated_gzip_names_file_and_line(settings, tmp_path: Path) -> None:
    data = (REAL / "all_works_dedup.jsonl.gz").read_bytes()
    bad = tmp_path / "truncated.jsonl.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError) as err:
        pipeline.ingest_snapshot(settings, [bad])
    assert "truncated.jsonl.gz, line" in str(err.value)
    assert err.value.line is not None and 1 < err.value.line <= 875


def test_a_bad_file_keeps_earlier_files_landed(settings, tmp_path: Path) -> None:
    bad = tmp_path / "zz_bad.jsonl"
    bad.write_text("[1, 2, 3]\n")
    with pytest.raises(InputFormatError):
        pipeline.ingest_snapshot(settings, [HANDMADE / "works.jsonl", bad])
    landed = _landed(settings)
    assert [f.records for f in landed] == [18]
    assert _no_temp_files(settings)


def test_missing_path_is_named(settings, tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="no such file"):
        pipeline.ingest_snapshot(settings, [tmp_path / "nope.jsonl"])


def test_cli_reports_bad_file_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "d"), "ingest", "snapshot", str(bad)]
    )
    assert result.exit_code == InputFormatError.exit_code
    assert "bad.json" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "env, needle",
    [
        ({"COAUTHOR_PEERS": "JP,USA"}, "COAUTHOR_PEERS"),
        ({"COAUTHOR_PER_PAGE": "500"}, "COAUTHOR_PER_PAGE"),
        ({"COAUTHOR_FOCUS_COUNTRY": "Japan"}, "COAUTHOR_FOCUS_COUNTRY"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch, env: dict, needle: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=needle):
        load_settings()
