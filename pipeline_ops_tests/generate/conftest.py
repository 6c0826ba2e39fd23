"""One small generated landing zone shared by the generator tests (scale 0.03, a week across a month end)."""

import datetime as dt
import io
import os

import pandas as pd
import pytest

from pipeline_ops.generate import generate_landing

START = dt.date(2025, 1, 27)
DAYS = 7
END = START + dt.timedelta(days=DAYS - 1)
SCALE = 0.03


def day_range(start: dt.date, days: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(days)]


def tree_bytes(root) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def read_csv_raw(path) -> pd.DataFrame:
    """Independent of the landing reader: only the empty field is null (so region 'NA' stays 'NA')."""
    with open(path, "rb") as fh:
        return pd.read_csv(io.BytesIO(fh.read()), keep_default_na=False, na_values=[""], dtype=str)


@pytest.fixture(scope="session")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    summary = generate_landing(str(root), START, DAYS, scale=SCALE, seed=11)
    return root, summary
