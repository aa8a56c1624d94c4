"""Full backfill from an OpenAlex snapshot works/ folder (the S3 layout, synced locally).

    python flows/backfill.py PATH/TO/openalex/data/works [DASK_SCHEDULER_ADDRESS]

Without an address the parts are landed and normalized by local threads; with one they run on
that Dask cluster (prefect-dask). Sync the snapshot first, e.g.
`aws s3 sync s3://openalex/data/works works --no-sign-request`.
"""

import sys

from coauthor.flows import backfill_with_runner

if __name__ == "__main__":
    backfill_with_runner(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
