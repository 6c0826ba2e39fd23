"""One local Spark session (`local[2]`) shared by every Spark test of the run: the JVM starts once.

Only tests that ask for the `spark` fixture start it; the rest of the suite never loads pyspark.
"""

import os
import time

import pytest

# PySpark turns timestamps into naive Python datetimes in the *process* time zone: make it UTC.
os.environ["TZ"] = "UTC"
time.tzset()

from pipeline_ops.resources.spark import spark_config  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in spark_config(master="local[2]", shuffle_partitions=2, driver_memory="1g",
                                   app_name="pipeline_ops_tests").items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
