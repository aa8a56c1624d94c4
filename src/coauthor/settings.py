"""Typed settings from COAUTHOR_* environment variables and an optional TOML file.

Defaults work offline. The API key is read from the environment only and held as a SecretStr
so it never lands in logs, reprs, the manifest or the database.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from coauthor.errors import ConfigError

DEFAULT_PEERS = ("JP", "US", "CN", "GB", "DE", "FR", "KR")
_CODE = re.compile(r"^[A-Z]{2}$")


def split_codes(value: Any) -> list[str]:
    """Accept 'JP,US' or a list; upper-case and strip."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip().upper() for v in value if str(v).strip()]


def parse_windows(value: Any) -> list[tuple[int, int]]:
    """Accept '2010-2020,2015-2025', a list of such strings, or a list of [first, last] pairs."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    windows = []
    for item in items:
        if isinstance(item, str):
            text = item.strip()
            if not text:
                continue
            m = re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", text)
            if not m:
                raise ValueError(f"window {text!r} is not FIRST-LAST, e.g. 2014-2024")
            first, last = int(m.group(1)), int(m.group(2))
        else:
            try:
                first, last = (int(v) for v in item)
            except (TypeError, ValueError):
                raise ValueError(f"window {item!r} is not [FIRST, LAST]") from None
        if first >= last:
            raise ValueError(f"window {first}-{last}: FIRST must be before LAST")
        if (first, last) not in windows:
            windows.append((first, last))
    return windows


class Settings(BaseSettings):
    """Everything a run needs; one object, built once per command."""

    model_config = SettingsConfigDict(env_prefix="COAUTHOR_", extra="forbid")

    data_dir: Path = Field(Path("data"), description="Landing zone, database and builds.")
    reports_dir: Path = Field(Path("reports"), description="Where charts and reports go.")
    peers: Annotated[list[str], NoDecode] = Field(list(DEFAULT_PEERS))
    focus_country: str = "JP"
    base_year: int = 2010
    moving_average: int = Field(3, ge=1, le=9, description="Years in chart moving averages.")
    types: Annotated[list[str], NoDecode] = Field(["article", "review"])
    include_retracted: bool = False
    include_paratext: bool = False
    harmonise_cn: bool = Field(False, description="Merge HK and MO into CN, as CWTS does.")
    openalex_url: str = "https://api.openalex.org"
    openalex_api_key: SecretStr | None = None
    per_page: int = Field(100, ge=1, le=200)
    max_workers: int = Field(4, ge=1, le=64)
    rate_limit_rps: float = Field(10.0, gt=0, le=100)
    http_timeout_s: float = Field(60.0, gt=0, description="Read timeout of one API call.")
    max_retries: int = Field(8, ge=0, description="Retries of one API call before giving up.")
    retry_backoff_s: float = Field(0.5, ge=0, description="Base of the exponential backoff.")
    keep_versions: int = Field(5, ge=1)
    task_memory_limit: str = Field("1GB", description="DuckDB memory cap per backfill task.")
    schedule_cron: str = Field("0 3 * * *", description="Nightly schedule (Asia/Tokyo).")
    schedule_timezone: str = "Asia/Tokyo"
    run_sample: bool | None = Field(
        None, description="`run` lands the bundled sample (default: when nothing else is set)."
    )
    run_inputs: Annotated[list[Path], NoDecode] = Field([], description="Files `run` ingests.")
    run_harvest: bool = Field(False, description="`run` harvests the API incrementally.")
    run_counts: bool = Field(False, description="`run` fetches counts mode totals.")
    harvest_countries: Annotated[list[str], NoDecode] = Field([], description="Default: peers.")
    harvest_years: str = Field("", description="FIRST-LAST; default 2000 to this year.")
    gate_max_drop_pct: float = Field(20.0, ge=0, description="Fail if focus works drop more.")
    gate_max_no_country_jump_pp: float = Field(10.0, ge=0, description="Fail if this jumps more.")
    chart_langs: Annotated[list[str], NoDecode] = Field(["ja", "en"])
    growth_windows: Annotated[list[tuple[int, int]], NoDecode] = Field(
        [],
        description="CAGR windows FIRST-LAST,... (default: last 10 and 5 complete years).",
    )

    @field_validator("peers", mode="before")
    @classmethod
    def _peers(cls, value: Any) -> list[str]:
        codes = split_codes(value)
        bad = [c for c in codes if not _CODE.match(c)]
        if bad:
            raise ValueError(f"not ISO alpha-2 country codes: {', '.join(bad)}")
        return codes

    @field_validator("harvest_countries", mode="before")
    @classmethod
    def _harvest_countries(cls, value: Any) -> list[str]:
        return cls._peers(value)

    @field_validator("run_inputs", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> list[Path]:
        if isinstance(value, str):
            value = value.split(",")
        return [Path(str(v).strip()) for v in value if str(v).strip()]

    @field_validator("types", "chart_langs", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = value.split(",")
        return [str(v).strip() for v in value if str(v).strip()]

    @field_validator("growth_windows", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> list[tuple[int, int]]:
        return parse_windows(value)

    @field_validator("focus_country", mode="before")
    @classmethod
    def _focus(cls, value: Any) -> str:
        code = str(value).strip().upper()
        if not _CODE.match(code):
            raise ValueError(f"not an ISO alpha-2 country code: {value!r}")
        return code

    @property
    def db_path(self) -> Path:
        """The published database analysts open read-only."""
        return self.data_dir / "coauthor.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    def api_key(self) -> str | None:
        """The key for outgoing requests only; never log or store the return value."""
        return self.openalex_api_key.get_secret_value() if self.openalex_api_key else None

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to write to manifests and reports (the key is reduced to set/unset)."""
        data = self.model_dump(mode="json", exclude={"openalex_api_key"})
        data["openalex_api_key"] = "set" if self.openalex_api_key else "unset"
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build settings: COAUTHOR_CONFIG (TOML) < environment < explicit overrides."""
    file_values: dict[str, Any] = {}
    config = os.environ.get("COAUTHOR_CONFIG")
    if config:
        path = Path(config)
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8")).get("coauthor", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"COAUTHOR_CONFIG={config}: cannot read TOML ({exc})") from None
        if "openalex_api_key" in file_values:
            raise ConfigError(
                f"{config}: remove openalex_api_key; set COAUTHOR_OPENALEX_API_KEY in the "
                "environment instead (secrets are never read from files)"
            )
    env_names = {f"COAUTHOR_{k.upper()}" for k in Settings.model_fields}
    for key in list(file_values):
        if f"COAUTHOR_{key.upper()}" in os.environ and f"COAUTHOR_{key.upper()}" in env_names:
            file_values.pop(key)  # the environment wins over the file
    values = {**file_values, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"COAUTHOR_{name.upper()}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
