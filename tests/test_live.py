"""Opt-in smoke test against the real OpenAlex API.

Runs only with COAUTHOR_LIVE_TESTS=1 and COAUTHOR_OPENALEX_API_KEY set (the key is read from the
environment and never printed). Costs a handful of list calls.
"""

from __future__ import annotations

import os

import pytest

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        os.environ.get("COAUTHOR_LIVE_TESTS") != "1"
        or not os.environ.get("COAUTHOR_LIVE_OPENALEX_API_KEY"),
        reason="live OpenAlex test: set COAUTHOR_LIVE_TESTS=1 and COAUTHOR_LIVE_OPENALEX_API_KEY",
    ),
]


def test_counts_and_a_small_harvest_against_openalex(tmp_path) -> None:
    from coauthor.openalex.harvest import harvest_works
    from coauthor.settings import load_settings

    # conftest clears COAUTHOR_* variables, so the live key has its own name
    settings = load_settings(
        data_dir=tmp_path / "data",
        openalex_api_key=os.environ["COAUTHOR_LIVE_OPENALEX_API_KEY"],
        per_page=100,
    )
    result = harvest_works(settings, ["IS"], (2001, 2001), max_calls=30, echo=print)
    assert result.status in ("complete", "max_calls")
    assert result.works > 0
