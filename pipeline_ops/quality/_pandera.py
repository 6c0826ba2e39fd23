"""Import pandera's polars API without importing Spark.

pandera's package `__init__` imports `pyspark.pandas` whenever pyspark is installed (to patch
pandas type hints for pandas-on-Spark, which we never use) and sets SPARK_LOCAL_IP and
PYARROW_IGNORE_TIMEZONE in the process environment. That would load pyspark into every
pandas/DuckDB step and definition load. We block that one import for the duration of pandera's
import (pandera catches the ImportError) and restore the environment, so Spark code imports
pyspark.pandas normally later if it ever wants it.
"""

from __future__ import annotations

import os
import sys

_ENV = ("SPARK_LOCAL_IP", "PYARROW_IGNORE_TIMEZONE")


def pandera_polars():
    if "pandera.polars" in sys.modules:
        return sys.modules["pandera.polars"]
    saved = {k: os.environ.get(k) for k in _ENV}
    block = "pyspark.pandas" not in sys.modules
    if block:
        sys.modules["pyspark.pandas"] = None  # type: ignore[assignment]
    try:
        import pandera.polars as pa
    finally:
        if block:
            del sys.modules["pyspark.pandas"]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return pa
