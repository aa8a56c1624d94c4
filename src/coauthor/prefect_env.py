"""Prefect defaults for a local run, set before Prefect first reads its settings.

Why: with no `PREFECT_API_URL`, Prefect starts a temporary server, and its first start on a fresh
HOME creates and migrates a new SQLite database. On a busy 2-core machine that took longer than
Prefect's 20 s start-up limit, and the run died before its first task. Prefect's telemetry also
writes to that database during start-up, and would call out to the internet. Only unset variables
are filled in; anything the operator sets wins.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def apply() -> None:
    """Fill in the defaults the operator has not set."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


apply()
