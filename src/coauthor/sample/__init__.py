"""Bundled data for the offline quick start: real OpenAlex records (CC0) and a synthetic corpus."""

from pathlib import Path

SAMPLE_DIR = Path(__file__).parent
REAL_WORKS = SAMPLE_DIR / "openalex_works_real.jsonl.gz"

__all__ = ["REAL_WORKS", "SAMPLE_DIR"]
