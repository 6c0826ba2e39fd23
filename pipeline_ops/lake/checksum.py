"""Content checksums of written partitions, independent of row order and file layout.

Two writes of the same rows give the same checksum even if the rows come out in another order
or split into other files, so an idempotent re-run is visible as an unchanged checksum.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

ALGORITHM = "sha256(sorted row hash64)"


def frame_checksum(frame: pd.DataFrame) -> str:
    """sha256 over the sorted 64-bit hashes of every row plus the column names and types."""
    columns = sorted(frame.columns)
    digest = hashlib.sha256()
    digest.update(repr([(c, str(frame[c].dtype)) for c in columns]).encode())
    if len(frame):
        row_hashes = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
        digest.update(np.sort(row_hashes).tobytes())
    return digest.hexdigest()
