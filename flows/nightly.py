"""Nightly run: `python flows/nightly.py` runs it once; `coauthor serve` runs it on a schedule.

The flow itself lives in `coauthor.flows` so that `coauthor run`, this file and a Prefect
deployment (prefect.yaml) all run the same code.
"""

from coauthor.flows import nightly

if __name__ == "__main__":
    nightly()
