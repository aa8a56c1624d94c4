"""coauthor: OpenAlex works → trusted indicators of international co-authorship.

The public API for scripts and notebooks; the `coauthor` command calls the same functions.
"""

# First, before anything imports Prefect: its local-run defaults (see prefect_env).
from coauthor import prefect_env  # noqa: F401, I001
from coauthor.errors import (
    ApiError,
    BudgetExhausted,
    CoauthorError,
    ConfigError,
    InputFormatError,
    QualityGateFailed,
)
from coauthor.landing import LandingZone
from coauthor.pipeline import build, ingest_sample, ingest_snapshot
from coauthor.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "BudgetExhausted",
    "CoauthorError",
    "ConfigError",
    "InputFormatError",
    "LandingZone",
    "QualityGateFailed",
    "Settings",
    "__version__",
    "build",
    "ingest_sample",
    "ingest_snapshot",
    "load_settings",
]
